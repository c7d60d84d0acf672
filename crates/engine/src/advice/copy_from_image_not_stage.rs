//! `copy-from-image-not-stage`: `COPY --from=name:tag` (or `--from=repo/name`) while the file
//! has a stage called `name`. Stage names cannot contain `:` or `/`, so the value is an image
//! reference (R7): the copy comes from a published image, not from the stage built here.
//! BuildKit does not even build the stage for this target; the classic builder builds it and
//! throws the result away (R13). Fix: `--from=name`.

use super::common::{self, stage_instructions};
use super::edit::{self, Edits};
use super::{CostNote, Ctx, Finding, Rule, Severity};
use crate::ast::{Command, Dockerfile, Instruction};
use crate::report::{Builder, Status};
use crate::scenario::Scenario;

pub(super) const RULE: Rule = Rule {
    id: "copy-from-image-not-stage",
    title: "COPY --from names an image that looks like a stage",
    equivalent: None,
    detect,
    rewrite,
};

/// The stage an image reference was probably meant to name: its last path component without
/// tag or digest, when a stage has that name and the reference itself is not a stage.
fn meant_stage(df: &Dockerfile, from: &str) -> Option<usize> {
    let lower = from.to_ascii_lowercase();
    if df
        .stages
        .iter()
        .any(|s| s.name.as_deref() == Some(lower.as_str()))
        || from.parse::<usize>().is_ok()
    {
        return None;
    }
    if !from.contains([':', '/', '@']) {
        return None;
    }
    let last = lower.rsplit('/').next()?;
    let last = last.split('@').next()?;
    let last = last.split(':').next()?;
    df.stages
        .iter()
        .position(|s| s.name.as_deref() == Some(last))
}

/// The `--from` values of an instruction (COPY, or RUN bind mounts).
fn froms(ins: &Instruction) -> Vec<String> {
    match &ins.command {
        Command::Copy(c) => c.from.clone().into_iter().collect(),
        Command::Run(r) => r.mounts.iter().filter_map(|m| m.from.clone()).collect(),
        _ => Vec::new(),
    }
}

fn find(df: &Dockerfile) -> Vec<(usize, String, usize)> {
    let mut out = Vec::new();
    for (si, st) in df.stages.iter().enumerate() {
        for (idx, ins) in stage_instructions(df, st) {
            for f in froms(ins) {
                // A stage cannot use itself: a reference from inside it is a real image.
                if let Some(stage) = meant_stage(df, &f).filter(|&t| t != si) {
                    out.push((idx, f, stage));
                }
            }
        }
    }
    out
}

fn detect(cx: &Ctx) -> Vec<Finding> {
    find(&cx.df)
        .into_iter()
        .map(|(idx, from, stage)| {
            let ins = &cx.df.instructions[idx];
            let st = &cx.df.stages[stage];
            let name = st.name.clone().unwrap_or_default();
            let from_line = cx.df.instructions[st.from].span.line;
            let line = ins.span.line;
            let mut f = Finding::new(Some(line), line.to_string(), Severity::High);
            let verb = if matches!(ins.command, Command::Run(_)) { "mounts" } else { "copies" };
            f.message = format!(
                "Line {line} {verb} --from={from}, which is an image reference (stage names cannot contain ':' or '/'), not \
                 stage {name} defined on line {from_line}. The files come from the published image, so changes to stage {name} \
                 never reach this image."
            );
            f.fix = format!(
                "If stage {name} is what you meant, write --from={name}. If you do want the image, rename the stage so the two \
                 are not confused."
            );
            // What it costs here: classic builds the stage for nothing; BuildKit skips it.
            let lines = |b: Builder| -> Vec<u32> {
                st.commands
                    .iter()
                    .map(|&i| cx.df.instructions[i].span.line)
                    .filter(|&l| cx.status(b, l) == Some(Status::Rebuilt))
                    .collect()
            };
            let classic = lines(Builder::Classic);
            let bk_skips = cx.status(Builder::Buildkit, from_line) == Some(Status::NotRun);
            let mut text = String::new();
            if !classic.is_empty() {
                text.push_str(&format!(
                    "In this scenario the classic builder rebuilds line{} {} of stage {name} for nothing (nothing uses it).",
                    if classic.len() > 1 { "s" } else { "" },
                    classic.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", ")
                ));
            }
            if bk_skips {
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(&format!("BuildKit never builds stage {name} for this target."));
            }
            if text.is_empty() {
                text = "It causes no rebuilds in this scenario.".into();
            }
            f.cost = Some(CostNote {
                buildkit: Vec::new(),
                classic,
                text,
                keep_severity: true,
            });
            f
        })
        .collect()
}

fn rewrite(s: &Scenario, key: &str) -> Option<Scenario> {
    let line: u32 = key.parse().ok()?;
    common::rewrite_at(s, RULE.id, line, |text, df, idx| {
        let ins = &df.instructions[idx];
        let mut e = Edits::new();
        let (start, end) = edit::lines_range(text, ins.span.line, ins.span.line)?;
        let chunk = text.get(start..end)?;
        for f in froms(ins) {
            let stage = meant_stage(df, &f).filter(|&t| Some(t) != ins.stage)?;
            let name = df.stages[stage].name.clone()?;
            let needle = format!("from={f}");
            let at = chunk.find(&needle)?;
            e.replace(start + at + 5, start + at + needle.len(), name);
        }
        if e.is_empty() {
            return None;
        }
        e.apply(text)
    })
}
