//! `dockerignore-missing`: a `COPY . .` (or `ADD .`) copies the whole context, and there is
//! no `.dockerignore`, or it misses things that change without touching the sources: `.git`
//! (every commit rewrites refs and logs), dependency and build output directories, caches,
//! and the Dockerfile itself (R6: editing it, even a comment, rebuilds `COPY . .`).
//! Fix: list them in `.dockerignore`.

use super::common::{self, words};
use super::copy_all_before_deps::copies_whole_context;
use super::{Ctx, Finding, Rule, Severity};
use crate::ast::{Command, Dockerfile};
use crate::ignore::{read_ignore_file, PatternMatcher};
use crate::scenario::Scenario;
use std::collections::BTreeSet;

pub(super) const RULE: Rule = Rule {
    id: "dockerignore-missing",
    title: "Missing or weak .dockerignore under COPY . .",
    equivalent: None,
    detect,
    rewrite,
};

/// (pattern to add, top-level name it covers, what it is). `**/` patterns cover any depth.
const CANDIDATES: &[(&str, &str, &str)] = &[
    (
        ".git",
        ".git",
        "the git directory (changes with every commit)",
    ),
    ("node_modules", "node_modules", "installed Node packages"),
    ("target", "target", "build output (Cargo/Maven)"),
    ("dist", "dist", "build output"),
    ("build", "build", "build output"),
    ("**/__pycache__", "__pycache__", "Python bytecode caches"),
    ("**/*.pyc", "*.pyc", "Python bytecode"),
    (".venv", ".venv", "a local virtualenv"),
    ("venv", "venv", "a local virtualenv"),
    (".pytest_cache", ".pytest_cache", "test caches"),
    (".mypy_cache", ".mypy_cache", "type-checker caches"),
    (".tox", ".tox", "tox environments"),
    (".next", ".next", "Next.js build output"),
    ("coverage", "coverage", "coverage reports"),
    (
        "Dockerfile",
        "Dockerfile",
        "the Dockerfile (editing it would rebuild COPY . .)",
    ),
    (".dockerignore", ".dockerignore", "the .dockerignore itself"),
];

/// Does the context path fall under the candidate?
fn covers(top: &str, path: &str) -> bool {
    match top {
        "__pycache__" => path.split('/').any(|s| s == "__pycache__"),
        "*.pyc" => path.ends_with(".pyc"),
        t => path == t || path.starts_with(&format!("{t}/")),
    }
}

struct Missing {
    pattern: &'static str,
    what: &'static str,
    example: String,
    count: usize,
}

/// The whole-context COPY line, if any.
fn whole_copy_line(df: &Dockerfile) -> Option<u32> {
    df.instructions.iter().find_map(|i| match &i.command {
        Command::Copy(c) if copies_whole_context(c) => Some(i.span.line),
        _ => None,
    })
}

fn missing(s: &Scenario, df: &Dockerfile) -> Vec<Missing> {
    let matcher = s
        .dockerignore
        .as_deref()
        .and_then(|t| PatternMatcher::new(&read_ignore_file(t)).ok());
    let ignored = |p: &str| {
        matcher
            .as_ref()
            .is_some_and(|m| m.matches_or_parent_matches(p).unwrap_or(false))
    };
    // Every path in A and B's context, plus the Dockerfile and .dockerignore.
    let mut paths: BTreeSet<String> = s.context.keys().cloned().collect();
    paths.extend(s.change.files.keys().cloned());
    // The Dockerfile is always in the context; the .dockerignore is once the fix adds it.
    paths.insert("Dockerfile".into());
    paths.insert(".dockerignore".into());
    // Names the Dockerfile needs from the context: explicit COPY/ADD sources, bind mounts,
    // and words in RUN commands (a RUN calling `git` needs .git).
    let mut needed: Vec<String> = Vec::new();
    for ins in &df.instructions {
        match &ins.command {
            Command::Copy(c) if c.from.is_none() => {
                for src in &c.sources {
                    needed.push(crate::sim::context::clean(src));
                }
            }
            Command::Run(r) => {
                for m in &r.mounts {
                    if m.kind == "bind" && m.from.is_none() {
                        needed.push(crate::sim::context::clean(
                            m.source.as_deref().unwrap_or(""),
                        ));
                    }
                }
                if let Some(t) = common::run_text(ins) {
                    for w in words(&t) {
                        needed.push(w.trim_start_matches("./").to_string());
                        if w == "git" {
                            needed.push(".git".into());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (pattern, top, what) in CANDIDATES {
        let hits: Vec<&String> = paths
            .iter()
            .filter(|p| covers(top, p) && !ignored(p))
            .collect();
        if hits.is_empty() {
            continue;
        }
        let is_needed = needed
            .iter()
            .any(|n| !n.is_empty() && (covers(top, n) || n.trim_end_matches('/') == *top));
        if is_needed {
            continue;
        }
        out.push(Missing {
            pattern,
            what,
            example: hits[0].clone(),
            count: hits.len(),
        });
    }
    out
}

fn detect(cx: &Ctx) -> Vec<Finding> {
    let Some(line) = whole_copy_line(&cx.df) else {
        return Vec::new();
    };
    let m = missing(cx.s, &cx.df);
    if m.is_empty() {
        return Vec::new();
    }
    let mut f = Finding::new(Some(line), "dockerignore", Severity::High);
    let list: Vec<String> = m
        .iter()
        .map(|x| {
            if x.count > 1 {
                format!(
                    "{} — {} ({} files, e.g. {})",
                    x.pattern, x.what, x.count, x.example
                )
            } else {
                format!("{} — {}", x.pattern, x.what)
            }
        })
        .collect();
    let state = if cx.s.dockerignore.is_none() {
        "There is no .dockerignore"
    } else {
        "The .dockerignore does not exclude them"
    };
    f.message = format!(
        "Line {line} copies the whole build context, and its cache key covers every file in it. {state}, so these are copied \
         too and a change to any of them rebuilds line {line} and everything after it: {}.",
        list.join("; ")
    );
    f.fix = format!(
        "Add to .dockerignore: {}",
        m.iter().map(|x| x.pattern).collect::<Vec<_>>().join(", ")
    );
    vec![f]
}

fn rewrite(s: &Scenario, _key: &str) -> Option<Scenario> {
    let df = crate::parse(s.dockerfile_b());
    whole_copy_line(&df)?;
    let m = missing(s, &df);
    if m.is_empty() {
        return None;
    }
    let add = |old: Option<&str>| -> String {
        let mut t = old.unwrap_or("").to_string();
        if !t.is_empty() && !t.ends_with('\n') {
            t.push('\n');
        }
        for x in &m {
            t.push_str(x.pattern);
            t.push('\n');
        }
        t
    };
    let mut out = s.clone();
    out.dockerignore = Some(add(s.dockerignore.as_deref()));
    if let Some(b) = &s.change.dockerignore {
        out.change.dockerignore = Some(add(Some(b)));
    }
    common::finish(s, &mut out, RULE.id);
    Some(out)
}
