//! `multistage-final-image-cache`: a multi-stage build whose cache comes from the final image
//! only — `--cache-from` of the pushed image, inline cache, `docker save/load`, or an export
//! with `mode=min`. Only the final stage's layers are in it (R16: classic matches the history
//! of the images it is given; inline cache and `mode=min` record only the exported image), so
//! the builder stages — usually the expensive ones — rebuild on every fresh agent.
//! Fix: `mode=max` for an exported cache; for `--cache-from` images, also build, push and
//! `--cache-from` each builder stage (`--target <stage>`).

use super::common;
use super::{Ctx, Finding, Rule, Severity};
use crate::ast::Dockerfile;
use crate::report::Builder;
use crate::scenario::{CacheSource, Scenario};

pub(super) const RULE: Rule = Rule {
    id: "multistage-final-image-cache",
    title: "Multi-stage build cached from the final image only",
    equivalent: None,
    detect,
    rewrite,
};

/// The stage the build targets (B's `--target`, else the last stage).
fn target(s: &Scenario, df: &Dockerfile) -> Option<usize> {
    let name = s.change.target.as_ref().or(s.target.as_ref());
    match name {
        Some(n) => {
            let n = n.to_ascii_lowercase();
            df.stages
                .iter()
                .position(|st| st.name.as_deref() == Some(n.as_str()))
        }
        None => df.stages.len().checked_sub(1),
    }
}

/// The target and the stages it is built `FROM`: the layers of the pushed image.
fn lineage(df: &Dockerfile, t: usize) -> Vec<usize> {
    let mut out = vec![t];
    let mut cur = t;
    while let crate::ast::Command::From(f) = &df.instructions[df.stages[cur].from].command {
        let img = f.image.to_ascii_lowercase();
        match df.stages[..cur]
            .iter()
            .position(|s| s.name.as_deref() == Some(img.as_str()))
        {
            Some(p) if !out.contains(&p) => {
                out.push(p);
                cur = p;
            }
            _ => break,
        }
    }
    out
}

/// Stages built (by either builder) whose layers the final image does not carry and that no
/// `cache_from_stages` entry covers.
fn uncovered(cx_s: &Scenario, df: &Dockerfile, built: &[usize]) -> Vec<usize> {
    let Some(t) = target(cx_s, df) else {
        return Vec::new();
    };
    let line = lineage(df, t);
    let mut covered = line.clone();
    if !matches!(cx_s.cache.source, CacheSource::ExportMin) {
        for name in &cx_s.cache.cache_from_stages {
            let n = name.to_ascii_lowercase();
            if let Some(i) = df
                .stages
                .iter()
                .position(|s| s.name.as_deref() == Some(n.as_str()))
            {
                covered.extend(lineage(df, i));
            }
        }
    }
    let mut v: Vec<usize> = built
        .iter()
        .copied()
        .filter(|i| !covered.contains(i))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn applies(s: &Scenario) -> bool {
    matches!(
        s.cache.source,
        CacheSource::CacheFromImage | CacheSource::SaveLoad | CacheSource::ExportMin
    )
}

fn detect(cx: &Ctx) -> Vec<Finding> {
    if !applies(cx.s) {
        return Vec::new();
    }
    // Stages the target needs (BuildKit's reachable set; classic builds more, uselessly).
    let built = &cx.report().builder(Builder::Buildkit).built_stages;
    let missing = uncovered(cx.s, &cx.df, built);
    if missing.is_empty() {
        return Vec::new();
    }
    let names: Vec<String> = missing
        .iter()
        .map(|&i| {
            cx.df.stages[i]
                .name
                .clone()
                .unwrap_or_else(|| format!("#{i}"))
        })
        .collect();
    let first = cx.df.instructions[cx.df.stages[missing[0]].from].span.line;
    let mut f = Finding::new(Some(first), "cache", Severity::High);
    let (how, fix) = match cx.s.cache.source {
        CacheSource::ExportMin => (
            "the cache is exported with mode=min, which records only the layers of the final image".to_string(),
            "Export the cache with mode=max (`--cache-to type=registry|local|gha,...,mode=max`): it records every stage.".to_string(),
        ),
        src => (
            format!(
                "the cache comes from the final image only ({}): the classic builder matches only the history of the images it is \
                 given, and inline cache is always mode=min",
                if src == CacheSource::SaveLoad { "docker save/load" } else { "--cache-from the pushed image" }
            ),
            format!(
                "With BuildKit, export the cache with `--cache-to type=registry,ref=...,mode=max` instead. With the classic builder (or \
                 to keep image-based caching), also build each builder stage with `--target {0}`, push it, and pass it as another \
                 `--cache-from` (the rewrite adds {1}; BuildKit needs those images built with inline cache too).",
                names.join("/--target "),
                names.join(", ")
            ),
        ),
    };
    f.message = format!(
        "This is a multi-stage build and {how}. Stage{} {} (from line {first}) {} not in it, so on a fresh agent every step of {} \
         rebuilds.",
        if names.len() > 1 { "s" } else { "" },
        names.join(", "),
        if names.len() > 1 { "are" } else { "is" },
        if names.len() > 1 { "them" } else { "it" },
    );
    f.fix = fix;
    vec![f]
}

fn rewrite(s: &Scenario, _key: &str) -> Option<Scenario> {
    if !applies(s) {
        return None;
    }
    let mut out = s.clone();
    match s.cache.source {
        CacheSource::ExportMin => out.cache.source = CacheSource::ExportMax,
        _ => {
            let df = crate::parse(s.dockerfile_b());
            let rep = crate::simulate(s);
            let missing = uncovered(s, &df, &rep.builders.buildkit.built_stages);
            let named: Vec<String> = missing
                .iter()
                .filter_map(|&i| df.stages[i].name.clone())
                .filter(|n| !out.cache.cache_from_stages.contains(n))
                .collect();
            if named.is_empty() {
                return None;
            }
            out.cache.cache_from_stages.extend(named);
        }
    }
    common::finish(s, &mut out, RULE.id);
    Some(out)
}
