//! `credential-build-arg`: a credential (a package index URL with a token in it, `*_TOKEN`,
//! `*_PASSWORD`, ...) is passed as a build arg. Build args are part of the cache key of every
//! RUN after the declaration (R3), so a token that rotates per CI run rebuilds those steps on
//! every run, and the value is recorded in the image's build history. A secret mount keeps it
//! out of both: secret values never enter the cache key (R9).
//! Fix: `RUN --mount=type=secret,id=…,env=NAME` on the steps that need it.

use super::common::{self, credential_name, credential_value, run_uses, stage_instructions};
use super::edit::{self, Edits};
use super::volatile_arg_early::arg_values;
use super::{Ctx, Finding, Rule, Severity};
use crate::ast::{ArgDecl, Command, Dockerfile, Instruction};
use crate::scenario::Scenario;

pub(super) const RULE: Rule = Rule {
    id: "credential-build-arg",
    title: "Credential passed as a build arg",
    equivalent: Some("BuildKit check SecretsUsedInArgOrEnv"),
    detect,
    rewrite,
};

/// The in-stage ARG declarations that carry a credential in this scenario: (stage, instruction,
/// name). A declaration counts when its name says so, or its value (passed or default) is a
/// credential-bearing URL or token.
pub(super) fn credential_args(s: &Scenario, df: &Dockerfile) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    for (si, st) in df.stages.iter().enumerate() {
        for (idx, ins) in stage_instructions(df, st) {
            let Command::Arg { args } = &ins.command else {
                continue;
            };
            for a in args {
                let (va, vb) = arg_values(s, &a.name);
                let values: Vec<&str> = [va.as_deref(), vb.as_deref(), a.default.as_deref()]
                    .into_iter()
                    .flatten()
                    .filter(|v| !v.trim().is_empty())
                    .collect();
                if values.is_empty() {
                    continue;
                }
                if credential_name(&a.name) || values.iter().any(|v| credential_value(v)) {
                    out.push((si, idx, a.name.clone()));
                }
            }
        }
    }
    out
}

fn detect(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for (si, idx, name) in credential_args(cx.s, &cx.df) {
        let ins = &cx.df.instructions[idx];
        let (va, vb) = arg_values(cx.s, &name);
        let changes = va != vb;
        let mut f = Finding::new(
            Some(ins.span.line),
            format!("{si}:{name}"),
            if changes {
                Severity::High
            } else {
                Severity::Medium
            },
        );
        let by_value = [va.as_deref(), vb.as_deref()]
            .into_iter()
            .flatten()
            .any(credential_value);
        let why = match (credential_name(&name), by_value) {
            (true, true) => "its name says so and its value is a URL with a user and token in it",
            (true, false) => "its name says so",
            _ => "its value is a URL with a user and token in it",
        };
        let rotate = if changes {
            " Its value changes between the two builds (a rotating token), so those steps rebuild on every run."
        } else {
            ""
        };
        f.message = format!(
            "Build arg {name} (line {}) carries a credential: {why}. Build args are part of the cache key of every RUN after the ARG \
             and are recorded in the image's build history, where anyone with the image can read them.{rotate}",
            ins.span.line
        );
        let id = secret_id(&name);
        f.fix = format!(
            "Pass it as a build secret instead: remove `ARG {name}`, add `--mount=type=secret,id={id},env={name}` to the RUN that needs it \
             (with `# syntax=docker/dockerfile:1`), and build with `--secret id={id},env={name}`. Secret values never enter the cache key. \
             Note: a changed secret alone then does not rebuild the step; declare `ARG CACHEBUST` before it if it must."
        );
        // ENVs copying the value on are part of the pattern (classic reasons point at them).
        if let Some(st) = cx.df.stages.get(si) {
            for (_, i) in stage_instructions(&cx.df, st) {
                if i.span.line > ins.span.line && env_copy(i, &name).is_some() {
                    f.related.push(i.span.line);
                }
            }
        }
        if !common::buildkit_secret_name(&name) {
            f.equivalent = Some(Some(
                "none: BuildKit's SecretsUsedInArgOrEnv check only looks at names and does not flag this one".to_string(),
            ));
        }
        out.push(f);
    }
    out
}

pub(super) fn secret_id(name: &str) -> String {
    name.to_ascii_lowercase()
}

fn rewrite(s: &Scenario, key: &str) -> Option<Scenario> {
    let (stage, name) = key.split_once(':')?;
    let stage: usize = stage.parse().ok()?;
    to_secret(s, RULE.id, stage, name)
}

/// Rewrites the in-stage `ARG name` (or `ENV name=...`) of `stage` into secret mounts on the
/// RUN steps that use it, and moves its value from the scenario's build args (or the
/// Dockerfile) to its secrets.
pub(super) fn to_secret(s: &Scenario, rule: &str, stage: usize, name: &str) -> Option<Scenario> {
    let id = secret_id(name);
    // The values the declaration carried in the Dockerfile (default / ENV literal), per file:
    // A first, then B when B's Dockerfile is edited.
    let literals = std::cell::RefCell::new(Vec::<(bool, Option<String>)>::new());
    let mut out = common::rewrite_dockerfiles(s, rule, |text, df| {
        let (t, lit) = secret_text(text, df, stage, name, &id)?;
        literals.borrow_mut().push((text == s.dockerfile, lit));
        Some(t)
    })?;
    let lits = literals.into_inner();
    let lit_a = lits.iter().find(|(a, _)| *a).and_then(|(_, l)| l.clone());
    let lit_b = lits.iter().find(|(a, _)| !*a).and_then(|(_, l)| l.clone());
    let still_declared = |text: &str| {
        let df = crate::parse(text);
        df.instructions.iter().any(|i| {
            i.stage.is_some()
                && matches!(&i.command, Command::Arg { args } if args.iter().any(|a| a.name == name))
        })
    };
    let keep_args = still_declared(&out.dockerfile) || still_declared(out.dockerfile_b());
    let (va, vb) = arg_values(s, name);
    let passed_changes = s.change.args.contains_key(name);
    let va = va.or(lit_a.clone());
    let vb = if passed_changes {
        vb
    } else {
        vb.or(lit_b.or(lit_a))
    };
    if !keep_args {
        out.args.remove(name);
        out.change.args.remove(name);
    }
    if let Some(v) = &va {
        out.secrets.insert(id.clone(), v.clone());
    }
    if vb != va {
        out.change.secrets.insert(id.clone(), vb);
    }
    Some(out)
}

/// ENV with a single pair whose value is only `$name`: (key, instruction).
fn env_copy(ins: &Instruction, name: &str) -> Option<String> {
    let Command::Env { pairs } = &ins.command else {
        return None;
    };
    let p = pairs
        .iter()
        .find(|p| common::mentions_var(&p.value, name))?;
    let v = p.value.trim_matches('"');
    let exact = v == format!("${name}") || v == format!("${{{name}}}");
    (exact && pairs.len() == 1).then(|| p.key.clone())
}

/// The text rewrite: returns the new text and the literal value removed from the Dockerfile.
fn secret_text(
    text: &str,
    df: &Dockerfile,
    stage: usize,
    name: &str,
    id: &str,
) -> Option<(String, Option<String>)> {
    let st = df.stages.get(stage)?;
    let cmds: Vec<(usize, &Instruction)> = stage_instructions(df, st).collect();
    let mut e = Edits::new();
    let literal;
    // 1. The declaration: an ARG, or an ENV setting the name to a literal.
    let pos = cmds.iter().position(|(_, i)| match &i.command {
        Command::Arg { args } => args.iter().any(|a| a.name == name),
        Command::Env { pairs } => pairs.iter().any(|p| p.key == name),
        _ => false,
    })?;
    let decl = cmds[pos].1;
    match &decl.command {
        Command::Arg { args } => {
            let mine = args.iter().find(|a| a.name == name)?;
            literal = mine
                .default
                .clone()
                .map(|d| d.trim_matches('"').to_string());
            remove_item(text, decl, &mut e, args.len(), || {
                let others: Vec<String> = args
                    .iter()
                    .filter(|a| a.name != name)
                    .map(|a: &ArgDecl| match &a.default {
                        Some(v) => format!("{}={v}", a.name),
                        None => a.name.clone(),
                    })
                    .collect();
                format!("ARG {}", others.join(" "))
            })?;
        }
        Command::Env { pairs } => {
            let mine = pairs.iter().find(|p| p.key == name)?;
            if common::mentions_var(&mine.value, name) || mine.value.contains('$') {
                return None;
            }
            literal = Some(mine.value.trim_matches('"').trim_matches('\'').to_string());
            remove_item(text, decl, &mut e, pairs.len(), || {
                let others: Vec<String> = pairs
                    .iter()
                    .filter(|p| p.key != name)
                    .map(|p| format!("{}={}", p.key, p.value))
                    .collect();
                format!("ENV {}", others.join(" "))
            })?;
        }
        _ => return None,
    }
    // 2. ENVs copying it on (`ENV X=$NAME`): removed, their name becomes another env= target.
    let mut names = vec![name.to_string()];
    let mut runs = Vec::new();
    for &(_, ins) in &cmds[pos + 1..] {
        if let Command::Arg { args } = &ins.command {
            if args.iter().any(|a| a.name == name) {
                break;
            }
        }
        if matches!(ins.command, Command::Run(_)) {
            runs.push(ins);
            continue;
        }
        if let Some(k) = names.iter().find_map(|n| env_copy(ins, n)) {
            e.delete_instruction(text, ins);
            if !names.contains(&k) {
                names.push(k);
            }
            continue;
        }
        // Any other instruction expanding it would lose the value: no mechanical fix.
        if names.iter().any(|n| common::expands_var(ins, n)) {
            return None;
        }
    }
    // 3. Secret mounts on the RUNs that use it; on every RUN after it when none visibly does
    //    (that is what the ARG reached).
    let users: Vec<&&Instruction> = runs
        .iter()
        .filter(|r| names.iter().any(|n| run_uses(r, n)))
        .collect();
    let targets: Vec<&Instruction> = if users.is_empty() {
        runs.clone()
    } else {
        users.into_iter().copied().collect()
    };
    if targets.is_empty() {
        return None;
    }
    for r in targets {
        let at = edit::after_keyword(text, r)?;
        let used: Vec<&String> = names.iter().filter(|n| run_uses(r, n)).collect();
        let envs: Vec<&String> = if used.is_empty() {
            names.iter().collect()
        } else {
            used
        };
        let mounts: String = envs
            .iter()
            .map(|n| format!(" --mount=type=secret,id={id},env={n}"))
            .collect();
        e.insert(at, mounts);
    }
    common::ensure_syntax(text, df, &mut e);
    Some((e.apply(text)?, literal))
}

/// Removes one item from an ARG/ENV: the whole instruction when it is the only one, else the
/// instruction rewritten without it.
fn remove_item(
    text: &str,
    ins: &Instruction,
    e: &mut Edits,
    count: usize,
    rest: impl Fn() -> String,
) -> Option<()> {
    if count == 1 {
        e.delete_instruction(text, ins).then_some(())
    } else {
        let (a, b) = edit::lines_range(text, ins.span.line, ins.span.end_line)?;
        let nl = edit::newline(text);
        e.replace(a, b, format!("{}{nl}", rest()));
        Some(())
    }
}
