//! `build-metadata-early`: an ARG carrying per-build metadata (a build date, a commit SHA, a
//! build number) and the LABELs that use it sit high up in a stage. In the classic builder the
//! LABEL is a cache step whose value changes every build, so it and every later step rebuild
//! (R1, R11); in BuildKit the LABEL is metadata, but the ARG enters the environment of every
//! RUN after it (R3). Fix: move both to the end of the stage.

use super::common;
use super::edit::Edits;
use super::volatile_arg_early::{arg_values, plan};
use super::{Ctx, Finding, Rule, Severity};
use crate::ast::{Command, Dockerfile};
use crate::scenario::Scenario;

pub(super) const RULE: Rule = Rule {
    id: "build-metadata-early",
    title: "Build date / commit SHA ARG and LABEL high up",
    equivalent: None,
    detect,
    rewrite,
};

/// Names that carry a value that differs on every build.
pub(super) fn metadata_name(name: &str) -> bool {
    let u = name.to_ascii_uppercase();
    const EXACT: &[&str] = &[
        "DATE",
        "TIMESTAMP",
        "CREATED",
        "COMMIT",
        "SHA",
        "REVISION",
        "VCS_REF",
        "BUILD_ID",
        "BUILD_NUMBER",
        "GITHUB_SHA",
        "GITHUB_RUN_ID",
        "GITHUB_RUN_NUMBER",
        "CI_COMMIT_SHA",
        "CI_PIPELINE_ID",
        "SOURCE_COMMIT",
        "BUILD_BUILDID",
    ];
    EXACT.contains(&u.as_str())
        || u.contains("BUILD_DATE")
        || u.contains("BUILD_TIME")
        || u.contains("GIT_SHA")
        || u.contains("GIT_COMMIT")
        || u.contains("COMMIT_SHA")
        || u.contains("GIT_REV")
        || u.ends_with("_REVISION")
        || u.ends_with("_TIMESTAMP")
}

struct Found {
    stage: usize,
    name: String,
    decl: usize,
    labels: Vec<usize>,
}

fn find(s: &Scenario, df: &Dockerfile) -> Vec<Found> {
    let mut out = Vec::new();
    for (si, st) in df.stages.iter().enumerate() {
        let cmds: Vec<usize> = st.commands.clone();
        for (pos, &idx) in cmds.iter().enumerate() {
            let Command::Arg { args } = &df.instructions[idx].command else {
                continue;
            };
            if args.len() != 1 {
                continue;
            }
            let name = &args[0].name;
            let (va, vb) = arg_values(s, name);
            if !(metadata_name(name) || va != vb) {
                continue;
            }
            let Some(p) = plan(df, si, name) else {
                continue;
            };
            if p.decl != idx || !p.only_labels || !p.carriers.is_empty() {
                continue;
            }
            let labels: Vec<usize> = cmds[pos + 1..]
                .iter()
                .copied()
                .filter(|&i| {
                    matches!(df.instructions[i].command, Command::Label { .. })
                        && common::expands_var(&df.instructions[i], name)
                })
                .collect();
            // High up: a build step follows the ARG or one of its LABELs.
            let after_first = cmds[pos + 1..]
                .iter()
                .any(|&i| common::is_build_step(&df.instructions[i]));
            if after_first && !labels.is_empty() {
                out.push(Found {
                    stage: si,
                    name: name.clone(),
                    decl: idx,
                    labels,
                });
            }
        }
    }
    out
}

fn detect(cx: &Ctx) -> Vec<Finding> {
    find(cx.s, &cx.df)
        .into_iter()
        .map(|fd| {
            let decl = &cx.df.instructions[fd.decl];
            let labels: Vec<String> = fd
                .labels
                .iter()
                .map(|&i| cx.df.instructions[i].span.line.to_string())
                .collect();
            let mut f = Finding::new(
                Some(decl.span.line),
                format!("{}:{}", fd.stage, fd.name),
                Severity::High,
            );
            f.related = fd.labels.iter().map(|&i| cx.df.instructions[i].span.line).collect();
            let (va, vb) = arg_values(cx.s, &fd.name);
            let changes = if va != vb {
                " Its value changes between the two builds here."
            } else {
                ""
            };
            f.message = format!(
                "ARG {} (line {}) and the LABEL{} on line{} {} that use it carry per-build metadata but sit before the build steps. \
                 In the classic builder the LABEL is a cache step: a new value rebuilds it and every step after it; in BuildKit the \
                 LABEL costs nothing, but the ARG puts the value into the environment of every RUN after it.{changes}",
                fd.name,
                decl.span.line,
                if labels.len() > 1 { "s" } else { "" },
                if labels.len() > 1 { "s" } else { "" },
                labels.join(", "),
            );
            f.fix = format!(
                "Move `ARG {}` and its LABEL{} to the end of the stage: image metadata does not need to come first.",
                fd.name,
                if labels.len() > 1 { "s" } else { "" }
            );
            f
        })
        .collect()
}

fn rewrite(s: &Scenario, key: &str) -> Option<Scenario> {
    let (stage, name) = key.split_once(':')?;
    let stage: usize = stage.parse().ok()?;
    common::rewrite_dockerfiles(s, RULE.id, |text, df| {
        let fd = find(s, df)
            .into_iter()
            .find(|f| f.stage == stage && f.name == name)?;
        let st = df.stages.get(stage)?;
        let last = st.commands.last().map(|&i| &df.instructions[i])?;
        let mut e = Edits::new();
        let mut block = Vec::new();
        for &i in std::iter::once(&fd.decl).chain(fd.labels.iter()) {
            let ins = &df.instructions[i];
            block.extend(Edits::instruction_lines(text, ins)?);
            e.delete_instruction(text, ins);
        }
        e.insert_lines_before(text, last.span.end_line + 1, &block);
        e.apply(text)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn metadata_names() {
        for n in [
            "BUILD_DATE",
            "GIT_SHA",
            "VCS_REF",
            "git_commit",
            "CI_COMMIT_SHA",
        ] {
            assert!(super::metadata_name(n), "{n}");
        }
        for n in ["VERSION", "PIP_INDEX_URL", "NODE_ENV"] {
            assert!(!super::metadata_name(n), "{n}");
        }
    }
}
