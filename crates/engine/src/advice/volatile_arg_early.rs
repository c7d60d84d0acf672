//! `volatile-arg-early`: a build arg whose value changes between the builds is declared long
//! before the step that needs it. Every RUN after an in-stage `ARG` gets the value (classic:
//! as a prefix of the cached command, BuildKit: in the environment), used or not, so they all
//! rebuild when it changes (semantics R3); an `ENV X=$ARG` carries it further (R4).
//! Fix: declare it right before its first use.

use super::common::{self, expands_var, run_uses, stage_instructions};
use super::edit::Edits;
use super::{Ctx, Finding, Rule, Severity};
use crate::ast::{ArgDecl, Command, Dockerfile, Instruction};
use crate::scenario::Scenario;

pub(super) const RULE: Rule = Rule {
    id: "volatile-arg-early",
    title: "Changing build arg declared long before it is used",
    equivalent: None,
    detect,
    rewrite,
};

/// Where the declaration (and the ENVs that copy it) should go.
pub(super) struct Plan {
    /// The ARG instruction declaring the name.
    pub decl: usize,
    /// `ENV K=$NAME` instructions carrying the value on, moved with the ARG.
    pub carriers: Vec<usize>,
    /// The first instruction using the value after the carriers; `None`: nothing visibly uses it.
    pub first_user: Option<usize>,
    /// RUN instructions between the declaration and the first user (they get the value for
    /// nothing).
    pub runs_between: Vec<usize>,
    /// Every user is a LABEL (build-metadata-early owns that case).
    pub only_labels: bool,
    /// `first_user` is only presumed: the first RUN after the declaration.
    pub presumed: bool,
    /// Build steps (RUN/COPY/ADD/WORKDIR) between the declaration and the first user, which an
    /// ENV copy rebuilds in the classic builder.
    pub steps_between: usize,
}

fn declares(ins: &Instruction, name: &str) -> Option<Vec<ArgDecl>> {
    match &ins.command {
        Command::Arg { args } if args.iter().any(|a| a.name == name) => Some(args.clone()),
        _ => None,
    }
}

/// ENV with a single pair whose value is only `$name` / `${name}` (optionally quoted).
fn env_copy_of(ins: &Instruction, name: &str) -> Option<String> {
    let Command::Env { pairs } = &ins.command else {
        return None;
    };
    if pairs.len() != 1 {
        return None;
    }
    let v = pairs[0].value.trim_matches('"');
    (v == format!("${name}") || v == format!("${{{name}}}")).then(|| pairs[0].key.clone())
}

pub(super) fn plan(df: &Dockerfile, stage: usize, name: &str) -> Option<Plan> {
    let st = df.stages.get(stage)?;
    let cmds: Vec<(usize, &Instruction)> = stage_instructions(df, st).collect();
    let pos = cmds.iter().position(|(_, i)| declares(i, name).is_some())?;
    let decl = cmds[pos].0;
    let mut names = vec![name.to_string()];
    let mut carriers = Vec::new();
    let mut first_user = None;
    let mut runs_between = Vec::new();
    let mut users_all_labels = true;
    let mut any_user = false;
    for &(idx, ins) in &cmds[pos + 1..] {
        // A later re-declaration ends the value's reach from this ARG.
        if declares(ins, name).is_some() {
            break;
        }
        let used = names
            .iter()
            .any(|n| run_uses(ins, n) || expands_var(ins, n));
        if used {
            if let Some(k) = names.iter().find_map(|n| env_copy_of(ins, n)) {
                if first_user.is_none() {
                    carriers.push(idx);
                    if !names.contains(&k) {
                        names.push(k);
                    }
                    continue;
                }
            }
            any_user = true;
            if !matches!(ins.command, Command::Label { .. }) {
                users_all_labels = false;
            }
            if first_user.is_none() {
                first_user = Some(idx);
            }
            continue;
        }
        if first_user.is_none() && matches!(ins.command, Command::Run(_)) {
            runs_between.push(idx);
        }
    }
    // Nothing visibly uses it: presume the first RUN after the declaration reads it (scripts
    // read their environment), so only ENV copies ahead of it are worth moving.
    let mut presumed = false;
    if first_user.is_none() {
        if let Some(&r) = runs_between.first() {
            first_user = Some(r);
            presumed = true;
            runs_between.clear();
        }
    }
    let target_line = first_user.map(|u| df.instructions[u].span.line);
    let steps_between = cmds[pos + 1..]
        .iter()
        .filter(|(i, ins)| {
            !carriers.contains(i)
                && target_line.is_none_or(|t| ins.span.line < t)
                && common::is_build_step(ins)
        })
        .count();
    Some(Plan {
        decl,
        carriers,
        first_user,
        presumed,
        runs_between,
        steps_between,
        only_labels: any_user && users_all_labels,
    })
}

impl Plan {
    /// Moving the declaration to its first user changes some step's key.
    pub fn worth_moving(&self) -> bool {
        !self.runs_between.is_empty() || (!self.carriers.is_empty() && self.steps_between > 0)
    }
}

/// The value of a build arg in builds A and B (`None`: not passed).
pub(super) fn arg_values(s: &Scenario, name: &str) -> (Option<String>, Option<String>) {
    let a = s.args.get(name).cloned();
    let b = match s.change.args.get(name) {
        Some(v) => v.clone(),
        None => a.clone(),
    };
    (a, b)
}

fn detect(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for (si, st) in cx.df.stages.iter().enumerate() {
        for (idx, ins) in stage_instructions(&cx.df, st) {
            let Command::Arg { args } = &ins.command else {
                continue;
            };
            for a in args {
                let (va, vb) = arg_values(cx.s, &a.name);
                if va == vb {
                    continue;
                }
                let Some(p) = plan(&cx.df, si, &a.name) else {
                    continue;
                };
                if p.decl != idx || !p.worth_moving() || p.only_labels {
                    continue;
                }
                let runs: Vec<String> = p
                    .runs_between
                    .iter()
                    .map(|&i| cx.df.instructions[i].span.line.to_string())
                    .collect();
                let env_names: Vec<String> = p
                    .carriers
                    .iter()
                    .filter_map(|&c| match &cx.df.instructions[c].command {
                        Command::Env { pairs } => pairs.first().map(|kv| kv.key.clone()),
                        _ => None,
                    })
                    .collect();
                let via = if p.carriers.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (and copied into ENV {} on line {})",
                        env_names.join(", "),
                        cx.df.instructions[p.carriers[0]].span.line
                    )
                };
                let mut f = Finding::new(
                    Some(ins.span.line),
                    format!("{si}:{}", a.name),
                    Severity::High,
                );
                let what = if runs.is_empty() {
                    format!(
                        "ENV {} is set from it, and ENV is part of every later step's cache key in the classic builder, so the build \
                         steps between line {} and the step that needs it rebuild whenever it changes (BuildKit only passes it to RUN steps).",
                        env_names.join(", "),
                        ins.span.line
                    )
                } else {
                    format!(
                        "The RUN step{} on line{} {} do{} not use it, but every RUN after an ARG gets its value (the classic builder adds it \
                         to the cached command, BuildKit to the environment), so a new value rebuilds {} and everything after.",
                        if runs.len() > 1 { "s" } else { "" },
                        if runs.len() > 1 { "s" } else { "" },
                        runs.join(", "),
                        if runs.len() > 1 { "" } else { "es" },
                        if runs.len() > 1 { "them" } else { "it" },
                    )
                };
                f.message = format!(
                    "Build arg {} changes between the builds and is declared on line {}{via}, long before it is needed. {what}",
                    a.name, ins.span.line,
                );
                let user_line = p.first_user.map(|u| cx.df.instructions[u].span.line);
                f.fix = match (user_line, p.presumed) {
                    (Some(l), false) => format!(
                        "Move `ARG {}`{} to right before line {l} (`{}`), the first instruction that uses it.",
                        a.name,
                        if p.carriers.is_empty() { "" } else { " and the ENV that copies it" },
                        super::line_text(cx, l)
                    ),
                    (Some(l), true) => format!(
                        "Move `ARG {}`{} to right before line {l} (`{}`): nothing visibly uses it, so the rewrite assumes the first RUN \
                         after it reads it from the environment. If a later step is the one that needs it, declare it there instead.",
                        a.name,
                        if p.carriers.is_empty() { "" } else { " and the ENV that copies it" },
                        super::line_text(cx, l)
                    ),
                    (None, _) => format!(
                        "Nothing in the stage uses {}: delete it, or move it to the end of the stage (the rewrite does that).",
                        a.name
                    ),
                };
                out.push(f);
            }
        }
    }
    out
}

fn rewrite(s: &Scenario, key: &str) -> Option<Scenario> {
    let (stage, name) = key.split_once(':')?;
    let stage: usize = stage.parse().ok()?;
    common::rewrite_dockerfiles(s, RULE.id, |text, df| move_decl(text, df, stage, name))
}

/// Moves the declaration of `name` (and its ENV carriers) to right before the first user, or
/// to the end of the stage when nothing uses it.
pub(super) fn move_decl(text: &str, df: &Dockerfile, stage: usize, name: &str) -> Option<String> {
    let p = plan(df, stage, name)?;
    if !p.worth_moving() {
        return None;
    }
    let st = df.stages.get(stage)?;
    let decl = &df.instructions[p.decl];
    let mut e = Edits::new();
    let mut block = Vec::new();
    let decls = declares(decl, name)?;
    if decls.len() == 1 {
        block.extend(Edits::instruction_lines(text, decl)?);
        e.delete_instruction(text, decl);
    } else {
        // Split the multi-name ARG: keep the others in place.
        let render = |d: &ArgDecl| match &d.default {
            Some(v) => format!("{}={v}", d.name),
            None => d.name.clone(),
        };
        let others: Vec<String> = decls
            .iter()
            .filter(|d| d.name != name)
            .map(render)
            .collect();
        let mine = decls.iter().find(|d| d.name == name)?;
        let (a, b) = super::edit::lines_range(text, decl.span.line, decl.span.end_line)?;
        let indent: String = text[a..]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        let nl = super::edit::newline(text);
        e.replace(a, b, format!("{indent}ARG {}{nl}", others.join(" ")));
        block.push(format!("ARG {}", render(mine)));
    }
    for &c in &p.carriers {
        let ins = &df.instructions[c];
        block.extend(Edits::instruction_lines(text, ins)?);
        e.delete_instruction(text, ins);
    }
    let at = match p.first_user {
        Some(u) => df.instructions[u].span.line,
        None => {
            let last = st.commands.last().map(|&i| &df.instructions[i])?;
            last.span.end_line + 1
        }
    };
    e.insert_lines_before(text, at, &block);
    e.apply(text)
}
