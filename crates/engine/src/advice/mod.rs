//! Cache advice: rules that spot cache-hostile patterns in a scenario, say what each one costs
//! *in this scenario* (which steps it makes rebuild, per builder), how to fix it, and — where
//! the fix is mechanical — rewrite the scenario (Dockerfile, `.dockerignore`, secrets or cache
//! setup) so the caller can simulate before and after.
//!
//! One file per rule (see `docs/ADVICE.md`). A rule only *detects* and *rewrites*; the cost
//! is measured here by the simulator: the lines rebuilt in the scenario that stay cached once
//! the rewrite is applied. The simulator is the judge, so a rule never claims a cost it did
//! not measure; when a pattern costs nothing in this scenario its severity is lowered and the
//! message says so.
//!
//! Invariants: pure (no I/O), never panics, every rewrite parses without new errors.

mod common;
mod edit;

mod add_remote_url;
mod apt_update_alone;
mod build_metadata_early;
mod cache_export_docker_driver;
mod cache_from_no_inline;
mod cache_mount_missing;
mod copy_all_before_deps;
mod copy_from_image_not_stage;
mod credential_build_arg;
mod dockerignore_missing;
mod multistage_final_image_cache;
mod save_load_cache;
mod secrets_in_arg_or_env;
mod volatile_arg_early;

use crate::ast::Dockerfile;
use crate::report::{Builder, Report, Status};
use crate::scenario::Scenario;
use serde::Serialize;
use std::collections::BTreeMap;

/// How much an advice matters in this scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
    fn lower(self) -> Severity {
        match self {
            Severity::High => Severity::Medium,
            _ => Severity::Low,
        }
    }
}

/// One piece of advice.
#[derive(Clone, Debug, Serialize)]
pub struct Advice {
    /// Stable rule id, e.g. `volatile-arg-early`.
    pub rule: &'static str,
    pub title: String,
    pub severity: Severity,
    /// 1-based line in build B's Dockerfile, when the pattern is on a line.
    pub line: Option<u32>,
    /// What and why, in plain words, including what it costs in this scenario.
    pub message: String,
    /// Lines (of B's Dockerfile) rebuilt because of it in this scenario, under either builder.
    pub cost: Vec<u32>,
    /// The same, per builder.
    pub cost_buildkit: Vec<u32>,
    pub cost_classic: Vec<u32>,
    /// What to do.
    pub fix: String,
    /// The BuildKit build check or hadolint rule it matches, if any.
    pub equivalent: Option<String>,
    /// The scenario with the fix applied, when the fix is mechanical.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rewrite: Option<Scenario>,
}

/// What a rule sees: the scenario, build B's Dockerfile (the one report lines refer to), and
/// the simulation of the scenario as it is.
pub(crate) struct Ctx<'a> {
    pub s: &'a Scenario,
    pub text: &'a str,
    pub df: Dockerfile,
    /// The simulation of the scenario as it is, computed on first use (detection rarely
    /// needs it; measuring a cost always does).
    report: std::cell::OnceCell<Report>,
}

impl<'a> Ctx<'a> {
    fn new(s: &'a Scenario) -> Ctx<'a> {
        let text = s.dockerfile_b();
        Ctx {
            s,
            text,
            df: crate::parse(text),
            report: std::cell::OnceCell::new(),
        }
    }

    pub fn report(&self) -> &Report {
        self.report.get_or_init(|| crate::simulate(self.s))
    }

    /// Status of the instruction at 1-based `line` under a builder.
    pub fn status(&self, b: Builder, line: u32) -> Option<Status> {
        self.report()
            .builder(b)
            .steps
            .iter()
            .find(|v| v.line == line)
            .map(|v| v.status)
    }

    /// Lines rebuilt under a builder.
    pub fn rebuilt(&self, b: Builder) -> Vec<u32> {
        self.report()
            .builder(b)
            .steps
            .iter()
            .filter(|v| v.status == Status::Rebuilt)
            .map(|v| v.line)
            .collect()
    }
}

/// A rule's cost statement when the rewrite cannot measure it (no rewrite, or the pattern's
/// cost is not "rebuilt steps").
pub(crate) struct CostNote {
    pub buildkit: Vec<u32>,
    pub classic: Vec<u32>,
    /// One or two sentences about the cost in this scenario.
    pub text: String,
    /// Keep the rule's severity even when no line is listed.
    pub keep_severity: bool,
}

/// One occurrence found by a rule.
pub(crate) struct Finding {
    pub line: Option<u32>,
    /// Identifies the occurrence for [`Rule::rewrite`] (e.g. an ARG name or a line).
    pub key: String,
    pub message: String,
    pub fix: String,
    pub severity: Severity,
    pub cost: Option<CostNote>,
    /// Overrides the rule's default equivalent (e.g. when BuildKit's check would not fire).
    pub equivalent: Option<Option<String>>,
    /// Other lines that are part of the pattern (e.g. an `ENV X=$ARG` carrying the value on),
    /// for tracing its cost through the simulator's reasons.
    pub related: Vec<u32>,
}

impl Finding {
    pub fn new(line: Option<u32>, key: impl Into<String>, severity: Severity) -> Finding {
        Finding {
            line,
            key: key.into(),
            message: String::new(),
            fix: String::new(),
            severity,
            cost: None,
            equivalent: None,
            related: Vec::new(),
        }
    }
}

pub(crate) struct Rule {
    pub id: &'static str,
    pub title: &'static str,
    pub equivalent: Option<&'static str>,
    pub detect: fn(&Ctx) -> Vec<Finding>,
    /// Rewrites the scenario to fix the occurrence `key`; `None` when there is no mechanical fix.
    pub rewrite: fn(&Scenario, &str) -> Option<Scenario>,
}

/// Every rule, in the order advice is listed for equal severity and line.
const RULES: &[&Rule] = &[
    &volatile_arg_early::RULE,
    &credential_build_arg::RULE,
    &secrets_in_arg_or_env::RULE,
    &copy_all_before_deps::RULE,
    &dockerignore_missing::RULE,
    &build_metadata_early::RULE,
    &apt_update_alone::RULE,
    &cache_mount_missing::RULE,
    &add_remote_url::RULE,
    &copy_from_image_not_stage::RULE,
    &multistage_final_image_cache::RULE,
    &cache_from_no_inline::RULE,
    &save_load_cache::RULE,
    &cache_export_docker_driver::RULE,
];

/// Ids of every rule.
pub fn rule_ids() -> Vec<&'static str> {
    RULES.iter().map(|r| r.id).collect()
}

/// Title of a rule, by id.
pub fn rule_title(id: &str) -> Option<&'static str> {
    RULES.iter().find(|r| r.id == id).map(|r| r.title)
}

/// Every advice for the scenario, most severe first.
pub fn advise(s: &Scenario) -> Vec<Advice> {
    let cx = Ctx::new(s);
    let mut out = Vec::new();
    for rule in RULES {
        for f in (rule.detect)(&cx) {
            out.push(build_advice(&cx, rule, f));
        }
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.line.unwrap_or(0).cmp(&b.line.unwrap_or(0)))
    });
    out
}

/// Applies every mechanical fix of one rule; `None` for an unknown rule or when the rule
/// finds nothing it can rewrite.
pub fn apply(s: &Scenario, rule: &str) -> Option<Scenario> {
    let r = RULES.iter().find(|r| r.id == rule)?;
    let mut cur: Option<Scenario> = None;
    // Each rewrite fixes one occurrence; detect again on the result for the next one.
    for _ in 0..16 {
        let base = cur.as_ref().unwrap_or(s);
        let cx = Ctx::new(base);
        let next = (r.detect)(&cx)
            .into_iter()
            .find_map(|f| (r.rewrite)(base, &f.key))
            .filter(|n| !same_build(n, base));
        match next {
            Some(mut n) => {
                n.name.clone_from(&s.name);
                cur = Some(n);
            }
            None => break,
        }
    }
    let mut out = cur?;
    common::finish(s, &mut out, rule);
    // `finish` remapped rerun_output step by step already; keep the last mapping.
    Some(out)
}

fn same_build(a: &Scenario, b: &Scenario) -> bool {
    a.dockerfile == b.dockerfile
        && a.change == b.change
        && a.cache == b.cache
        && a.dockerignore == b.dockerignore
        && a.args == b.args
        && a.secrets == b.secrets
        && a.builder_setup == b.builder_setup
}

fn build_advice(cx: &Ctx, rule: &Rule, f: Finding) -> Advice {
    let rewrite = (rule.rewrite)(cx.s, &f.key);
    let (bk, cl, mut cost_text, keep) = match (&f.cost, &rewrite) {
        (Some(c), _) => (
            c.buildkit.clone(),
            c.classic.clone(),
            c.text.clone(),
            c.keep_severity,
        ),
        (None, Some(after)) => {
            let mut pattern: Vec<u32> = f.line.into_iter().collect();
            pattern.extend(&f.related);
            let m = measure(cx, after, &pattern);
            let text = m.sentence();
            (m.buildkit, m.classic, text, false)
        }
        (None, None) => (
            Vec::new(),
            Vec::new(),
            "layerlab cannot rewrite this one mechanically, so it does not measure its cost here."
                .to_string(),
            true,
        ),
    };
    let mut cost: Vec<u32> = bk.iter().chain(cl.iter()).copied().collect();
    cost.sort_unstable();
    cost.dedup();
    let severity = if cost.is_empty() && !keep {
        f.severity.lower()
    } else {
        f.severity
    };
    if cost_text.is_empty() {
        cost_text = "In this scenario it causes no rebuilds.".into();
    }
    Advice {
        rule: rule.id,
        title: rule.title.to_string(),
        severity,
        line: f.line,
        message: format!("{} {}", f.message.trim_end(), cost_text),
        cost,
        cost_buildkit: bk,
        cost_classic: cl,
        fix: f.fix,
        equivalent: match f.equivalent {
            Some(e) => e,
            None => rule.equivalent.map(str::to_string),
        },
        rewrite,
    }
}

/// Before/after comparison of one rewrite, per builder.
pub(crate) struct Measured {
    pub buildkit: Vec<u32>,
    pub classic: Vec<u32>,
    /// Lines cached before and rebuilt after, per builder (the fix's price).
    pub worse_buildkit: Vec<u32>,
    pub worse_classic: Vec<u32>,
    /// Builders that fail on the rewrite but did not before, with the first error.
    pub new_errors: Vec<(Builder, String)>,
}

fn lines(v: &[u32]) -> String {
    let mut v = v.to_vec();
    v.sort_unstable();
    v.dedup();
    let s: Vec<String> = v.iter().map(|l| l.to_string()).collect();
    match s.len() {
        0 => String::new(),
        1 => format!("line {}", s[0]),
        _ => format!("lines {}", s.join(", ")),
    }
}

impl Measured {
    fn sentence(&self) -> String {
        let mut parts = Vec::new();
        match (self.buildkit.is_empty(), self.classic.is_empty()) {
            (true, true) => parts.push("In this scenario it causes no rebuilds.".to_string()),
            (false, true) => parts.push(format!(
                "In this scenario BuildKit rebuilds {} because of it (the classic builder: none).",
                lines(&self.buildkit)
            )),
            (true, false) => parts.push(format!(
                "In this scenario the classic builder rebuilds {} because of it (BuildKit: none).",
                lines(&self.classic)
            )),
            (false, false) if self.buildkit == self.classic => parts.push(format!(
                "In this scenario both builders rebuild {} because of it.",
                lines(&self.buildkit)
            )),
            (false, false) => parts.push(format!(
                "In this scenario BuildKit rebuilds {} and the classic builder {} because of it.",
                lines(&self.buildkit),
                lines(&self.classic)
            )),
        }
        for (b, e) in &self.new_errors {
            parts.push(format!(
                "Trade-off: after the fix the {} cannot build the file ({e}).",
                b.label()
            ));
        }
        for (b, w) in [
            (Builder::Buildkit, &self.worse_buildkit),
            (Builder::Classic, &self.worse_classic),
        ] {
            if !w.is_empty() && !self.new_errors.iter().any(|(x, _)| *x == b) {
                parts.push(format!(
                    "Trade-off: after the fix the {} rebuilds {}, cached now.",
                    b.label(),
                    lines(w)
                ));
            }
        }
        parts.join(" ")
    }
}

/// Simulates `after` and compares it with the scenario as it is: the lines of B's Dockerfile
/// rebuilt now that are cached (or gone) after the rewrite.
///
/// A builder that cannot build the rewrite at all (the classic builder on `RUN --mount`)
/// gets its cost from the causal chain instead: the steps whose reasons lead back to the
/// pattern's lines.
pub(crate) fn measure(cx: &Ctx, after: &Scenario, pattern: &[u32]) -> Measured {
    let rep = crate::simulate(after);
    let df_after = crate::parse(after.dockerfile_b());
    let map = common::map_instructions(&cx.df, &df_after);
    let mut m = Measured {
        buildkit: Vec::new(),
        classic: Vec::new(),
        worse_buildkit: Vec::new(),
        worse_classic: Vec::new(),
        new_errors: Vec::new(),
    };
    for b in [Builder::Buildkit, Builder::Classic] {
        let before = cx.report().builder(b);
        let now = rep.builder(b);
        let fresh = now
            .errors
            .iter()
            .find(|e| !before.errors.iter().any(|x| x.message == e.message));
        if let Some(e) = fresh {
            let e = e.message.clone();
            m.new_errors.push((b, e));
            let chain = caused_by(cx.report(), b, pattern);
            match b {
                Builder::Buildkit => m.buildkit = chain,
                Builder::Classic => m.classic = chain,
            }
            continue;
        }
        let after_of: BTreeMap<usize, Status> = now
            .steps
            .iter()
            .filter_map(|v| {
                map.get(v.instruction)
                    .copied()
                    .flatten()
                    .map(|bi| (bi, v.status))
            })
            .collect();
        let (saved, worse) = match b {
            Builder::Buildkit => (&mut m.buildkit, &mut m.worse_buildkit),
            Builder::Classic => (&mut m.classic, &mut m.worse_classic),
        };
        for v in &before.steps {
            let a = after_of.get(&v.instruction).copied();
            match (v.status, a) {
                (Status::Rebuilt, None | Some(Status::Cached) | Some(Status::Metadata)) => {
                    saved.push(v.line)
                }
                (Status::Cached, Some(Status::Rebuilt)) => worse.push(v.line),
                _ => {}
            }
        }
    }
    m
}

/// Rebuilt steps whose reasons lead back to the pattern's lines: a reason on one of them, or
/// a rebuilt parent / chain root that is itself caused by it.
pub(crate) fn caused_by(rep: &Report, b: Builder, pattern: &[u32]) -> Vec<u32> {
    let mut set: Vec<u32> = Vec::new();
    for v in &rep.builder(b).steps {
        if v.status != Status::Rebuilt {
            continue;
        }
        let hit = v.reasons.iter().any(|r| match r.line {
            Some(l)
                if pattern.contains(&l) && !matches!(&*r.code, "parent-rebuilt" | "first-miss") =>
            {
                true
            }
            Some(l) => matches!(&*r.code, "parent-rebuilt" | "first-miss") && set.contains(&l),
            None => false,
        });
        if hit {
            set.push(v.line);
        }
    }
    set
}

/// Lines of B's Dockerfile as text, for messages.
pub(crate) fn line_text(cx: &Ctx, line: u32) -> String {
    cx.text
        .lines()
        .nth(line.saturating_sub(1) as usize)
        .map(|l| l.trim().to_string())
        .unwrap_or_default()
}
