//! `cache-mount-missing`: a package manager runs without a BuildKit cache mount. A cache mount
//! does not change whether a step is cached (its contents never enter the key, R9) — it makes
//! the step cheap when it *does* re-run, because downloads and wheels survive in the mount.
//! Fix: `RUN --mount=type=cache,target=<the tool's cache dir> ...`.

use super::common::{self, has_pair, stage_instructions};
use super::edit::{self, Edits};
use super::{CostNote, Ctx, Finding, Rule, Severity};
use crate::ast::{Command, Dockerfile};
use crate::report::{Builder, Status};
use crate::scenario::{CacheSource, Scenario};

pub(super) const RULE: Rule = Rule {
    id: "cache-mount-missing",
    title: "Package manager without a cache mount",
    equivalent: None,
    detect,
    rewrite,
};

/// (program, subcommand, tool label, mount options).
const TOOLS: &[(&str, &str, &str, &[&str])] = &[
    ("pip", "install", "pip", &["target=/root/.cache/pip"]),
    ("pip3", "install", "pip", &["target=/root/.cache/pip"]),
    ("uv", "", "uv", &["target=/root/.cache/uv"]),
    (
        "poetry",
        "install",
        "poetry",
        &["target=/root/.cache/pypoetry"],
    ),
    ("npm", "ci", "npm", &["target=/root/.npm"]),
    ("npm", "install", "npm", &["target=/root/.npm"]),
    (
        "yarn",
        "install",
        "yarn",
        &["target=/usr/local/share/.cache/yarn"],
    ),
    ("go", "download", "go", &["target=/go/pkg/mod"]),
    (
        "go",
        "build",
        "go",
        &["target=/go/pkg/mod", "target=/root/.cache/go-build"],
    ),
    (
        "cargo",
        "build",
        "cargo",
        &["target=/usr/local/cargo/registry"],
    ),
    (
        "cargo",
        "fetch",
        "cargo",
        &["target=/usr/local/cargo/registry"],
    ),
    (
        "composer",
        "install",
        "composer",
        &["target=/root/.cache/composer"],
    ),
    (
        "apt-get",
        "install",
        "apt",
        &[
            "target=/var/cache/apt,sharing=locked",
            "target=/var/lib/apt,sharing=locked",
        ],
    ),
];

/// RUNs running a known package manager without any cache mount: (instruction, tool, mounts).
fn find(df: &Dockerfile) -> Vec<(usize, &'static str, Vec<&'static str>)> {
    let mut out = Vec::new();
    for st in &df.stages {
        for (idx, ins) in stage_instructions(df, st) {
            let Command::Run(r) = &ins.command else {
                continue;
            };
            if r.mounts.iter().any(|m| m.kind == "cache") {
                continue;
            }
            let Some(t) = common::run_text(ins) else {
                continue;
            };
            // Caching switched off on purpose: a mount would not help until that goes.
            if t.contains("--no-cache-dir") || t.contains("PIP_NO_CACHE_DIR") {
                continue;
            }
            let mut tool = None;
            let mut mounts: Vec<&'static str> = Vec::new();
            for (prog, sub, label, m) in TOOLS {
                if has_pair(&t, prog, sub) {
                    tool.get_or_insert(*label);
                    for x in m.iter() {
                        if !mounts.contains(x) {
                            mounts.push(x);
                        }
                    }
                }
            }
            if let Some(tool) = tool {
                out.push((idx, tool, mounts));
            }
        }
    }
    out
}

fn detect(cx: &Ctx) -> Vec<Finding> {
    find(&cx.df)
        .into_iter()
        .map(|(idx, tool, mounts)| {
            let ins = &cx.df.instructions[idx];
            let line = ins.span.line;
            let mut f = Finding::new(Some(line), line.to_string(), Severity::Medium);
            f.message = format!(
                "Line {line} runs {tool} without a cache mount. When this step re-runs, {tool} downloads everything again. A cache \
                 mount keeps its download cache between builds on the same builder; it never changes whether the step is cached."
            );
            let flags: Vec<String> = mounts
                .iter()
                .map(|m| format!("--mount=type=cache,{m}"))
                .collect();
            let apt = if tool == "apt" {
                " Debian/Ubuntu images delete the apt cache after each install (/etc/apt/apt.conf.d/docker-clean): remove that \
                 file first, or the mount stays empty."
            } else {
                ""
            };
            let ephemeral = if matches!(cx.s.cache.source, CacheSource::Local) {
                ""
            } else {
                " Cache mounts live on the builder, not in an exported cache: on a fresh CI agent they start empty unless the CI \
                 persists them."
            };
            f.fix = format!(
                "Add `{}` to the RUN (BuildKit only; the classic builder rejects RUN --mount).{apt}{ephemeral}",
                flags.join(" ")
            );
            let rebuilt = cx.status(Builder::Buildkit, line) == Some(Status::Rebuilt);
            // The missing mount makes no step rebuild; it makes a re-run expensive.
            f.cost = Some(CostNote {
                buildkit: Vec::new(),
                classic: Vec::new(),
                text: if rebuilt {
                    format!(
                        "It causes no rebuilds, but in this scenario BuildKit re-runs line {line}, and with the mount its downloads \
                         would come from the cache."
                    )
                } else {
                    format!("In this scenario line {line} stays cached, so the mount would not save anything here.")
                },
                keep_severity: rebuilt,
            });
            f
        })
        .collect()
}

fn rewrite(s: &Scenario, key: &str) -> Option<Scenario> {
    let line: u32 = key.parse().ok()?;
    common::rewrite_at(s, RULE.id, line, |text, df, idx| {
        let (_, _, mounts) = find(df).into_iter().find(|(i, _, _)| *i == idx)?;
        let at = edit::after_keyword(text, &df.instructions[idx])?;
        let flags: String = mounts
            .iter()
            .map(|m| format!(" --mount=type=cache,{m}"))
            .collect();
        let mut e = Edits::new();
        e.insert(at, flags);
        e.apply(text)
    })
}
