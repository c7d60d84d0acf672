//! `apt-update-alone`: `RUN apt-get update` in a RUN of its own. Its cache key is just the
//! command text (R2), so it stays cached forever, while the install RUN after it re-runs when
//! its package list changes — against the package index of whenever the update step first
//! ran (stale: 404s or old versions). Fix: `apt-get update && apt-get install ...` in one RUN.

use super::common::{self, has_pair, stage_instructions, words};
use super::edit::{self, Edits};
use super::{CostNote, Ctx, Finding, Rule, Severity};
use crate::ast::{Command, CommandLine, Dockerfile, Instruction};
use crate::report::{Builder, Status};
use crate::scenario::Scenario;

pub(super) const RULE: Rule = Rule {
    id: "apt-update-alone",
    title: "apt-get update in its own RUN",
    equivalent: Some(
        "closest: hadolint DL3009 (Docker best practice: combine apt-get update with install)",
    ),
    detect,
    rewrite,
};

fn updates(text: &str) -> bool {
    has_pair(text, "apt-get", "update") || has_pair(text, "apt", "update")
}

fn installs(text: &str) -> bool {
    has_pair(text, "apt-get", "install") || has_pair(text, "apt", "install")
}

/// (update RUN, the install RUN right after it).
fn find(df: &Dockerfile) -> Vec<(usize, Option<usize>)> {
    let mut out = Vec::new();
    for st in &df.stages {
        let cmds: Vec<(usize, &Instruction)> = stage_instructions(df, st).collect();
        for (pos, &(idx, ins)) in cmds.iter().enumerate() {
            let Some(t) = common::run_text(ins) else {
                continue;
            };
            if !updates(&t) || installs(&t) || words(&t).contains(&"upgrade") {
                continue;
            }
            let next = cmds
                .get(pos + 1)
                .and_then(|&(ni, n)| common::run_text(n).filter(|nt| installs(nt)).map(|_| ni));
            out.push((idx, next));
        }
    }
    out
}

fn detect(cx: &Ctx) -> Vec<Finding> {
    find(&cx.df)
        .into_iter()
        .map(|(u, i)| {
            let upd = &cx.df.instructions[u];
            let mut f = Finding::new(Some(upd.span.line), upd.span.line.to_string(), Severity::Medium);
            f.message = format!(
                "Line {} runs apt-get update in a RUN of its own. Its cache key is only the command text, so it stays cached \
                 for as long as the lines before it do, while a later install that changes re-runs against that old package \
                 index: stale versions, or 404 errors once the mirror dropped them.",
                upd.span.line
            );
            f.fix = match i {
                Some(i) => format!(
                    "Combine it with the install on line {}: `RUN apt-get update && apt-get install -y ...` (and remove \
                     /var/lib/apt/lists/* at the end of that RUN), so the index is refreshed whenever the install re-runs.",
                    cx.df.instructions[i].span.line
                ),
                None => "Put apt-get update in the same RUN as the apt-get install that needs it.".to_string(),
            };
            // The cost is staleness, not rebuilds: say whether this scenario hits it.
            let stale: Vec<Builder> = i
                .map(|i| {
                    let il = cx.df.instructions[i].span.line;
                    [Builder::Buildkit, Builder::Classic]
                        .into_iter()
                        .filter(|&b| {
                            cx.status(b, upd.span.line) == Some(Status::Cached)
                                && cx.status(b, il) == Some(Status::Rebuilt)
                        })
                        .collect()
                })
                .unwrap_or_default();
            f.cost = Some(CostNote {
                buildkit: Vec::new(),
                classic: Vec::new(),
                text: match (i, stale.is_empty()) {
                    (Some(i), false) => format!(
                        "In this scenario it bites: line {} stays cached while the install on line {} re-runs ({}), so the \
                         install uses build A's package index. It causes no extra rebuilds; the fix makes the update re-run with \
                         the install.",
                        upd.span.line,
                        cx.df.instructions[i].span.line,
                        stale.iter().map(|b| b.label()).collect::<Vec<_>>().join(" and ")
                    ),
                    _ => "In this scenario the install does not re-run, so nothing is stale yet and nothing rebuilds because of it."
                        .to_string(),
                },
                keep_severity: !stale.is_empty(),
            });
            f
        })
        .collect()
}

fn rewrite(s: &Scenario, key: &str) -> Option<Scenario> {
    let line: u32 = key.parse().ok()?;
    common::rewrite_at(s, RULE.id, line, |text, df, idx| {
        let (u, i) = find(df).into_iter().find(|(u, _)| *u == idx)?;
        let i = i?;
        let upd = &df.instructions[u];
        let inst = &df.instructions[i];
        let (Command::Run(ur), Command::Run(ir)) = (&upd.command, &inst.command) else {
            return None;
        };
        // Only plain shell-form RUNs merge cleanly.
        if !upd.flags.is_empty() || !ur.heredocs.is_empty() || !ir.heredocs.is_empty() {
            return None;
        }
        let (CommandLine::Shell(ucmd), CommandLine::Shell(_)) = (&ur.command, &ir.command) else {
            return None;
        };
        let at = edit::command_start(text, inst)?;
        let mut e = Edits::new();
        e.delete_instruction(text, upd);
        e.insert(at, format!("{} && ", ucmd.trim()));
        e.apply(text)
    })
}
