//! Verdicts and reasons: compare each step of build B with its counterpart in build A.
//!
//! A rebuilt step's reasons are exactly the key inputs that differ (its own fields, its
//! content inputs, its parent); when nothing differs, the record was simply not available
//! from the cache source. Nothing here decides a verdict — the key lookup in
//! [`super::exec`] did — this module only says why.

use super::build::{BuildInput, Side};
use super::context::{self, FileChange};
use super::exec::{ContentInput, Exec, Field, Kind, Step};
use super::hash::FxHashMap;
use crate::report::{Builder, BuilderReport, Reason, Status, StepVerdict};
use crate::scenario::{CacheSource, Scenario};
use crate::share::Shared;
use std::borrow::Cow;

fn reason(code: &'static str, message: impl Into<Shared<str>>, line: Option<u32>) -> Reason {
    Reason {
        code: Cow::Borrowed(code),
        message: message.into(),
        line,
    }
}

/// Hides the password of `scheme://user:password@host` so explanations never print it.
fn mask_userinfo(v: &str) -> String {
    let Some(scheme_end) = v.find("://") else {
        return v.to_string();
    };
    let rest = &v[scheme_end + 3..];
    let host_end = rest.find('/').unwrap_or(rest.len());
    match rest[..host_end].rfind('@') {
        Some(at) => {
            let user = &rest[..at];
            let user = user.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &v[..scheme_end + 3], &rest[at..])
        }
        None => v.to_string(),
    }
}

/// Words (upper case) that make a variable's value a credential.
const SECRET_WORDS: [&str; 8] = [
    "TOKEN",
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
];

/// Names whose values are credentials: never shown.
fn is_secret_name(name: &str) -> bool {
    // `name.to_ascii_uppercase().contains(w)`, without the upper-case copy.
    let n = name.as_bytes();
    let contains = |w: &str| {
        let w = w.as_bytes();
        n.len() >= w.len() && n.windows(w.len()).any(|x| x.eq_ignore_ascii_case(w))
    };
    SECRET_WORDS.iter().any(|w| contains(w))
}

/// `v.contains("://")` by a scan for `:`: the substring searcher `contains` sets up costs
/// more than the short values shown here.
fn has_scheme_separator(v: &str) -> bool {
    let b = v.as_bytes();
    (0..b.len()).any(|i| b[i] == b':' && b[i + 1..].starts_with(b"//"))
}

/// Shortens a value for display, keeping it on one line and masking credentials.
fn show(v: &str) -> String {
    let mut out = String::new();
    show_into(v, &mut out);
    out
}

/// [`show`], appended to `out`.
fn show_into(v: &str, out: &mut String) {
    let masked;
    let v = if has_scheme_separator(v) {
        masked = mask_userinfo(v);
        masked.as_str()
    } else {
        v
    };
    // One pass (this runs for every changed field of every missed step): at most 48
    // characters, `⏎` for a newline, `…` when something was cut.
    if v.len() <= 48 && !v.contains('\n') {
        // At most 48 bytes are at most 48 characters: shown as they are.
        out.reserve(v.len() + 2);
        out.push('"');
        out.push_str(v);
        out.push('"');
        return;
    }
    out.reserve(v.len().min(48 * 4) + 8);
    out.push('"');
    for (n, c) in v.chars().enumerate() {
        if n == 48 {
            out.push('…');
            break;
        }
        out.push(if c == '\n' { '⏎' } else { c });
    }
    out.push('"');
}

struct Ctx<'a> {
    builder: Builder,
    scenario: &'a Scenario,
    a: &'a BuildInput,
    b: &'a BuildInput,
    ea: &'a Exec,
    eb: &'a Exec,
    align: &'a [Option<usize>],
    /// The `first-miss` reason by the B step index of the first miss: every step of a chain
    /// of misses names the same one, which would otherwise be derived once per step.
    first_miss: std::cell::RefCell<FxHashMap<usize, Reason>>,
    /// [`Ctx::field_reason`] of environment and build-arg fields, which does not depend on
    /// the step: every RUN of a stage carries the same changed variables. Remembered by
    /// place: the steps' fields share their variables' texts, so the same variable in the
    /// next RUN is found without hashing or comparing its text.
    var_reasons_at: std::cell::RefCell<VarMemo<'a>>,
    /// [`Ctx::not_run_reasons`] by stage.
    not_run: std::cell::RefCell<FxHashMap<usize, Vec<Reason>>>,
    /// [`Ctx::content_reasons`] of copies from a stage, by (stage, path).
    stage_reasons: std::cell::RefCell<FxHashMap<(usize, &'a str), Vec<Reason>>>,
    /// Whether build B ran any ONBUILD trigger (each FROM would otherwise scan every step).
    triggers: bool,
    /// The last missed step whose parent was not rebuilt (a chain's first miss, as
    /// explained), with its first direct reason: [`Ctx::miss_reasons_shallow`] of it.
    last_root: std::cell::RefCell<Option<(*const Step, Option<Reason>)>>,
    /// [`Ctx::metadata_reasons`]' reason by keyword (BuildKit).
    metadata: std::cell::RefCell<Vec<(&'a str, Reason)>>,
    /// A buffer for sentences built once per missed step, copied into their shared string.
    scratch: std::cell::RefCell<String>,
}

/// A reason about the step itself, not the chain it builds on.
fn is_direct(r: &Reason) -> bool {
    !matches!(&*r.code, "parent-rebuilt" | "first-miss")
}

/// A text of build A's or B's steps, compared and hashed by where it is: the steps' fields
/// share their environment's names and values, so the same variable in the next RUN is the
/// same text at the same place. Both builds are borrowed for the whole explanation, so equal
/// places mean equal text (a different place with equal text is only a memo miss).
#[derive(Clone, Copy)]
struct At<'a>(&'a str);

impl PartialEq for At<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_ptr() == other.0.as_ptr() && self.0.len() == other.0.len()
    }
}

impl Eq for At<'_> {}

impl std::hash::Hash for At<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (self.0.as_ptr() as usize).hash(h);
        self.0.len().hash(h);
    }
}

/// A changed environment or build-arg field by place: (name, value, origin line, origin
/// args (place, count), from a build arg, old value).
type VarAt<'a> = (
    At<'a>,
    At<'a>,
    Option<u32>,
    (usize, usize),
    bool,
    Option<At<'a>>,
);

/// Reasons by [`VarAt`], found through the variable's origin line instead of a hash: a
/// slot per line (0: none yet, else 1 + the newest entry of that line) and entries that
/// link to the previous one of the same line (a line that sets several variables).
#[derive(Default)]
struct VarMemo<'a> {
    slots: Vec<u32>,
    entries: Vec<(VarAt<'a>, Reason, u32)>,
}

impl<'a> VarMemo<'a> {
    fn slot(at: &VarAt<'a>) -> usize {
        at.2.map_or(0, |l| l as usize + 1)
    }

    fn get(&self, at: &VarAt<'a>) -> Option<&Reason> {
        let mut k = *self.slots.get(Self::slot(at))?;
        while k != 0 {
            let (key, r, next) = &self.entries[k as usize - 1];
            if key == at {
                return Some(r);
            }
            k = *next;
        }
        None
    }

    fn insert(&mut self, at: VarAt<'a>, r: Reason) {
        let i = Self::slot(&at);
        if i >= self.slots.len() {
            self.slots.resize(i + 1, 0);
        }
        self.entries.push((at, r, self.slots[i]));
        self.slots[i] = self.entries.len() as u32;
    }
}

/// The verdicts of build B's instructions in `range` (each depends only on the two
/// builds, so ranges can be explained apart and concatenated in order; [`report`] makes
/// the builder's report of all of them).
#[allow(clippy::too_many_arguments)]
pub fn explain_steps(
    builder: Builder,
    scenario: &Scenario,
    a: &BuildInput,
    b: &BuildInput,
    ea: &Exec,
    eb: &Exec,
    align: &[Option<usize>],
    range: std::ops::Range<usize>,
) -> Vec<StepVerdict> {
    let cx = Ctx {
        builder,
        scenario,
        a,
        b,
        ea,
        eb,
        align,
        first_miss: Default::default(),
        var_reasons_at: Default::default(),
        not_run: Default::default(),
        stage_reasons: Default::default(),
        triggers: eb.steps.iter().any(|t| t.trigger),
        last_root: Default::default(),
        metadata: Default::default(),
        scratch: Default::default(),
    };
    let mut steps = Vec::with_capacity(range.len());
    // Stage names and keywords repeat in every verdict: one shared string each.
    let stage_names: Vec<Option<Shared<str>>> =
        b.df.stages
            .iter()
            .map(|s| s.name.as_deref().map(Shared::from))
            .collect();
    let mut keywords: Vec<Shared<str>> = Vec::new();
    let start = range.start;
    for (i, ins) in b.df.instructions[range].iter().enumerate() {
        let i = start + i;
        let Some(s) = eb.step_of(i) else { continue };
        let (status, reasons) = cx.verdict(s);
        let stage = ins.stage;
        // Length and first letter first: only the keyword that matches is compared whole.
        let kw = ins.keyword.as_bytes();
        let keyword = match keywords.iter().find(|k| {
            k.len() == kw.len() && k.as_bytes().first() == kw.first() && ***k == *ins.keyword
        }) {
            Some(k) => Shared::clone(k),
            None => {
                let k: Shared<str> = Shared::from(&*ins.keyword);
                keywords.push(Shared::clone(&k));
                k
            }
        };
        steps.push(StepVerdict {
            line: ins.span.line,
            stage,
            stage_name: stage
                .and_then(|si| stage_names.get(si))
                .and_then(Clone::clone),
            keyword,
            status,
            reasons,
            instruction: i,
        });
    }
    steps
}

/// A builder's report from the verdicts of all of build B's instructions.
pub fn report(builder: Builder, steps: Vec<StepVerdict>, eb: &Exec) -> BuilderReport {
    let built_stages = (0..eb.built.len()).filter(|&i| eb.built[i]).collect();
    let summary = summarize(builder, &steps, eb);
    BuilderReport {
        steps,
        summary,
        built_stages,
        errors: Vec::new(),
    }
}

fn summarize(builder: Builder, steps: &[StepVerdict], eb: &Exec) -> String {
    // ONBUILD triggers are rare: look for one once, not once per FROM.
    let triggers = eb.steps.iter().any(|t| t.trigger);
    let counted: Vec<&StepVerdict> = steps
        .iter()
        .filter(|v| {
            matches!(v.status, Status::Cached | Status::Rebuilt)
                && eb.step_of(v.instruction).is_some_and(|s| {
                    s.kind == Kind::Step
                        || (s.kind == Kind::From
                            && triggers
                            && eb.steps.iter().any(|t| t.trigger && t.stage == s.stage))
                })
        })
        .collect();
    let rebuilt: Vec<&&StepVerdict> = counted
        .iter()
        .filter(|v| v.status == Status::Rebuilt)
        .collect();
    let name = builder.label();
    if let Some(e) = eb.errors.first() {
        return format!("{name} fails at line {}: {}", e.span.line, e.message);
    }
    if counted.is_empty() {
        return format!("{name} has no build steps to run");
    }
    match rebuilt.iter().min_by_key(|v| v.line) {
        None => format!("{name} reuses the cache for all {} steps", counted.len()),
        Some(first) => {
            let why = first
                .reasons
                .iter()
                .find(|r| !matches!(&*r.code, "parent-rebuilt" | "first-miss"))
                .or(first.reasons.first())
                .map(|r| r.message.clone())
                .unwrap_or_default();
            format!(
                "{name} rebuilds {} of {} steps; the first miss is line {} ({}): {}",
                rebuilt.len(),
                counted.len(),
                first.line,
                first.keyword,
                why
            )
        }
    }
}

impl<'a> Ctx<'a> {
    fn counterpart(&self, s: &Step) -> Option<&'a Step> {
        let ai = self.align.get(s.instr).copied().flatten()?;
        if s.trigger {
            // The same trigger, run in the matching child stage of build A.
            let from_b = self.b.df.stages.get(s.stage)?.from;
            let from_a = self.align.get(from_b).copied().flatten()?;
            let stage_a = self.ea.step_of(from_a)?.stage;
            return self.ea.steps.iter().find(|a| {
                a.trigger && a.instr == ai && a.stage == stage_a && a.kind == Kind::Step
            });
        }
        self.ea
            .step_of(ai)
            .filter(|a| matches!(a.kind, Kind::Step | Kind::From))
    }

    fn stage_label(&self, stage: usize) -> String {
        match self.b.df.stages.get(stage).and_then(|s| s.name.as_deref()) {
            Some(n) => cat!("stage ", n),
            None => cat!("stage ", stage),
        }
    }

    fn target_label(&self) -> String {
        match self.eb.target {
            Some(t) => self.stage_label(t),
            None => "the target".into(),
        }
    }

    fn verdict(&self, s: &'a Step) -> (Status, Vec<Reason>) {
        let (status, mut reasons) = self.verdict_only(s);
        for (code, msg) in &s.notes {
            reasons.push(reason(code, msg.clone(), Some(s.line)));
        }
        (status, reasons)
    }

    fn verdict_only(&self, s: &'a Step) -> (Status, Vec<Reason>) {
        match s.kind {
            Kind::Metadata => (Status::Metadata, self.metadata_reasons(s)),
            Kind::NotRun => (Status::NotRun, self.not_run_reasons(s)),
            Kind::From => {
                let a = self.counterpart(s);
                let mut reasons = Vec::new();
                if a.is_none_or(|a| a.key != s.key) {
                    reasons = self.miss_reasons(s);
                }
                // ONBUILD triggers inherited from a parent stage run right after FROM.
                let triggers = match self.triggers {
                    true => &self.eb.steps[..],
                    false => &[],
                };
                for t in triggers
                    .iter()
                    .filter(|t| t.trigger && t.stage == s.stage && t.kind == Kind::Step && !t.hit)
                {
                    for r in self.miss_reasons(t) {
                        reasons.push(Reason {
                            code: r.code,
                            message: format!(
                                "ONBUILD {} (line {}) runs here: {}",
                                t.keyword, t.line, r.message
                            )
                            .into(),
                            line: r.line.or(Some(t.line)),
                        });
                    }
                }
                if reasons.is_empty() {
                    (Status::Cached, reasons)
                } else {
                    (Status::Rebuilt, reasons)
                }
            }
            Kind::Step => {
                if s.hit {
                    (Status::Cached, self.hit_reasons(s))
                } else {
                    let reasons = self.miss_reasons(s);
                    if s.parent.is_none_or(|p| !self.rebuilt(&self.eb.steps[p])) {
                        // The first miss of a chain: the later steps' `first-miss` reason
                        // names its first direct reason, which need not be derived again.
                        let first = reasons.iter().find(|r| is_direct(r)).cloned();
                        *self.last_root.borrow_mut() = Some((std::ptr::from_ref(s), first));
                    }
                    (Status::Rebuilt, reasons)
                }
            }
        }
    }

    fn metadata_reasons(&self, s: &'a Step) -> Vec<Reason> {
        if s.stage == usize::MAX {
            return vec![reason(
                "global-arg",
                "a global ARG is not a build step: it only feeds FROM lines and stages that re-declare it",
                None,
            )];
        }
        if self.builder == Builder::Buildkit {
            // The same sentence for every ENV, LABEL, ...: built once per keyword.
            let kw: &'a str = &s.keyword;
            if let Some((_, r)) = self
                .metadata
                .borrow()
                .iter()
                .find(|(k, _)| same_text(k, kw))
            {
                return vec![r.clone()];
            }
            let what = match kw {
                "ENV" | "ARG" => "it changes the environment of later RUN steps, which is where a change shows up",
                "USER" | "SHELL" => "it changes how later RUN steps run, which is where a change shows up",
                "WORKDIR" => "WORKDIR / makes no step",
                _ => "it only changes the image configuration",
            };
            let r = reason(
                "metadata-only",
                cat!("BuildKit makes no build step for ", kw, ": ", what),
                None,
            );
            self.metadata.borrow_mut().push((kw, r.clone()));
            return vec![r];
        }
        Vec::new()
    }

    /// [`Ctx::not_run_reasons_of`], remembered by stage: every step of a stage that is not
    /// built (or after the build failed) gets the same reason, unless its own instruction is
    /// invalid.
    fn not_run_reasons(&self, s: &Step) -> Vec<Reason> {
        if s.keyword != "FROM" && self.b.df.instructions[s.instr].command_is_invalid() {
            return self.not_run_reasons_of(s);
        }
        if let Some(r) = self.not_run.borrow().get(&s.stage) {
            return r.clone();
        }
        let r = self.not_run_reasons_of(s);
        self.not_run.borrow_mut().insert(s.stage, r.clone());
        r
    }

    fn not_run_reasons_of(&self, s: &Step) -> Vec<Reason> {
        if let Some(e) = self.eb.errors.first() {
            if !self.eb.built.iter().any(|b| *b) {
                // Rejected as a whole (e.g. syntax this engine's frontend does not know).
                return vec![reason(
                    "build-failed",
                    format!(
                        "the builder rejects the Dockerfile before any step runs (line {}: {})",
                        e.span.line, e.message
                    ),
                    Some(e.span.line),
                )];
            } else if !self.eb.built.get(s.stage).copied().unwrap_or(false) {
                // fall through to the stage reason below
            } else {
                return vec![reason(
                    "build-failed",
                    format!("the build stops at line {}: {}", e.span.line, e.message),
                    Some(e.span.line),
                )];
            }
        }
        if s.keyword != "FROM" && self.b.df.instructions[s.instr].command_is_invalid() {
            return vec![reason(
                "invalid-instruction",
                "this instruction has an error, so the build would stop here",
                Some(s.line),
            )];
        }
        let stage = self.stage_label(s.stage);
        let msg = match self.builder {
            Builder::Classic => format!(
                "{stage} comes after {} in the file; the classic builder builds every stage up to the target, and no further",
                self.target_label()
            ),
            Builder::Buildkit => format!(
                "{} does not depend on {stage}, so BuildKit never builds it",
                self.target_label()
            ),
        };
        vec![reason("stage-not-built", msg, None)]
    }

    fn hit_reasons(&self, s: &Step) -> Vec<Reason> {
        let mut out = Vec::new();
        if s.lazy {
            out.push(reason(
                "key-only-hit",
                "the imported cache knows this step's key but holds no result for it (only the final image's layers are exported); nothing that runs needs its output, so BuildKit reports it cached without running it",
                None,
            ));
        }
        let a = self.counterpart(s);
        // Content-keyed inputs that were rebuilt upstream but hash the same.
        for c in self.eb.contents_of(s) {
            if let Some((stage, path)) = &c.stage_path {
                let rebuilt = self.first_rebuilt_in_stage(*stage);
                if let Some(line) = rebuilt {
                    out.push(reason(
                        "same-content",
                        format!(
                            "{} was rebuilt (line {line}) but produced identical files at {path}; {} keys this on content, so it stays cached",
                            self.stage_label(*stage),
                            self.builder.label()
                        ),
                        Some(line),
                    ));
                }
            }
        }
        if s.linked {
            if let (Some(a), Some(p)) = (a, s_parent_changed(self, s)) {
                let _ = a;
                out.push(reason(
                    "link-independent",
                    format!("COPY --link does not depend on earlier layers: line {p} was rebuilt, the copy is reused"),
                    Some(p),
                ));
            }
        }
        // Changes in the scenario that touch this step but do not enter its key.
        for c in self.eb.contents_of(s) {
            if let Some((src, ex)) = &c.context_source {
                let touched: Vec<&String> = self
                    .scenario
                    .change
                    .touched
                    .iter()
                    .filter(|t| self.b.context.selects(src, ex, &context::clean(t)))
                    .collect();
                if !touched.is_empty() {
                    out.push(reason(
                        "mtime-ignored",
                        format!(
                            "{} only had its modification time changed; mtime is not part of the key",
                            touched.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                        None,
                    ));
                }
                let ignored = self.changed_but_ignored(&c.label);
                if !ignored.is_empty() {
                    out.push(reason(
                        "ignored-file",
                        format!(
                            "{} changed but .dockerignore excludes it, so it is never sent",
                            ignored.join(", ")
                        ),
                        None,
                    ));
                }
            }
        }
        let ins = &self.b.df.instructions[s.instr];
        if let crate::ast::Command::Run(r) = &ins.command {
            for m in &r.mounts {
                if m.kind == "secret" {
                    if let Some(id) = &m.id {
                        if self.scenario.change.secrets.contains_key(id) {
                            out.push(reason(
                                "secret-not-in-key",
                                format!("secret {id} changed, but secret values never enter the cache key"),
                                None,
                            ));
                        }
                    }
                }
            }
            if self.builder == Builder::Buildkit {
                let changed_proxies: Vec<&str> = super::exec::PROXY_ARGS
                    .iter()
                    .copied()
                    .filter(|p| self.scenario.change.args.contains_key(*p))
                    .filter(|p| {
                        !self
                            .eb
                            .fields_of(s)
                            .iter()
                            .any(|f| f.name == format!("env:{p}"))
                    })
                    .collect();
                if !changed_proxies.is_empty() {
                    out.push(reason(
                        "proxy-arg-not-in-key",
                        format!(
                            "{} changed, but proxy build args are kept out of BuildKit's cache key unless declared with ARG",
                            changed_proxies.join(", ")
                        ),
                        None,
                    ));
                }
            }
        }
        out
    }

    fn changed_but_ignored(&self, source_label: &str) -> Vec<String> {
        let ch = &self.scenario.change;
        if ch.files.is_empty() && ch.chmod.is_empty() {
            return Vec::new();
        }
        let src = if source_label.starts_with(". (") {
            "."
        } else {
            source_label
        };
        let ignored_b = self.b.context.ignored_matches(src);
        ignored_b
            .into_iter()
            .filter(|p| {
                self.scenario
                    .change
                    .files
                    .keys()
                    .any(|f| context::clean(f) == *p)
                    || self
                        .scenario
                        .change
                        .chmod
                        .keys()
                        .any(|f| context::clean(f) == *p)
            })
            .collect()
    }

    fn first_rebuilt_in_stage(&self, stage: usize) -> Option<u32> {
        self.eb
            .chains
            .get(stage)?
            .iter()
            .map(|&i| &self.eb.steps[i])
            .filter(|st| st.kind == Kind::Step && !st.hit)
            .map(|st| st.line)
            .min()
    }

    fn miss_reasons(&self, s: &'a Step) -> Vec<Reason> {
        // Room for a few changed inputs and the parent without growing.
        let mut out = Vec::with_capacity(8);
        if let Some(e) = &s.error {
            out.push(reason("build-error", e.clone(), Some(s.line)));
            return out;
        }
        let Some(a) = self.counterpart(s) else {
            let msg = if self.align.get(s.instr).copied().flatten().is_some() {
                "build A did not build this step, so there is no record of it".to_string()
            } else {
                "this instruction is new or was edited in build B's Dockerfile".to_string()
            };
            out.push(reason("instruction-changed", msg, Some(s.line)));
            self.parent_reasons(s, &mut out);
            return out;
        };
        // 1. The step's own key inputs.
        let (s_fields, a_fields) = (self.eb.fields_of(s), self.ea.fields_of(a));
        field_diffs(s_fields, a_fields, |d| {
            out.push(match d {
                FieldDiff::Changed(f, old) => self.var_or_field_reason(s, f, old),
                FieldDiff::Removed(x) => self.removed_field_reason(x),
            })
        });
        // 2. Content-based inputs.
        let a_contents = self.ea.contents_of(a);
        for (i, c) in self.eb.contents_of(s).iter().enumerate() {
            let ac = a_contents.get(i);
            if ac.is_some_and(|ac| ac.digest == c.digest) {
                continue;
            }
            self.content_reasons(c, ac, &mut out);
        }
        if !out.is_empty() {
            // Also say when the layer underneath was rebuilt: both causes hold.
            if let Some(p) = s.parent {
                let parent = &self.eb.steps[p];
                if parent.kind == Kind::Step && !parent.hit {
                    out.push(reason(
                        "parent-rebuilt",
                        self.on_rebuilt_line("it also builds on line ", parent),
                        Some(parent.line),
                    ));
                }
            }
            return out;
        }
        // 3. The parent layer.
        let parent_b = s.parent.map(|p| self.eb.steps[p].key);
        let parent_a = a.parent.map(|p| self.ea.steps[p].key);
        if parent_b != parent_a {
            self.parent_reasons(s, &mut out);
            if !out.is_empty() {
                return out;
            }
        }
        // 4. Same key as in build A: the record was not available.
        if s.key == a.key {
            out.push(self.not_in_cache_reason(s));
        } else {
            out.push(reason(
                "key-changed",
                "an input of this step's cache key changed",
                None,
            ));
        }
        out
    }

    /// `{lead}N (KEYWORD), which was rebuilt` for the rebuilt step a missed step builds on:
    /// built for every missed step, so pushed piece by piece (not through [`cat!`]'s
    /// per-piece calls) into a reused buffer, then shared.
    fn on_rebuilt_line(&self, lead: &str, parent: &Step) -> Shared<str> {
        let mut m = self.scratch.borrow_mut();
        m.clear();
        m.push_str(lead);
        super::cat::put_decimal(u64::from(parent.line), &mut m);
        m.push_str(" (");
        m.push_str(&parent.keyword);
        m.push_str("), which was rebuilt");
        Shared::from(m.as_str())
    }

    fn parent_reasons(&self, s: &Step, out: &mut Vec<Reason>) {
        let Some(p) = s.parent else { return };
        let parent = &self.eb.steps[p];
        if !self.rebuilt(parent) {
            return;
        }
        let msg: Shared<str> = match self.builder {
            Builder::Buildkit if s.linked => format!(
                "it is merged onto line {} ({}), which was rebuilt; with COPY --link the copied files themselves are reused, only the merge onto the new layers re-runs",
                parent.line, parent.keyword
            ).into(),
            _ if parent.trigger => format!(
                "it builds on the ONBUILD {} trigger from line {}, which ran at the start of this stage and was rebuilt",
                parent.keyword, parent.line
            ).into(),
            Builder::Classic if parent.stage == s.stage => cat!(
                "line ",
                parent.line,
                " was rebuilt; in the classic builder the first miss rebuilds every later step of the stage"
            ).into(),
            _ => self.on_rebuilt_line("it builds on line ", parent),
        };
        out.push(reason("parent-rebuilt", msg, Some(parent.line)));
        // Walk up to the first miss of the chain: the root cause.
        let (mut root, mut root_idx) = (parent, p);
        while let Some(pp) = root.parent {
            let up = &self.eb.steps[pp];
            if !self.rebuilt(up) {
                break;
            }
            (root, root_idx) = (up, pp);
        }
        if root.line != parent.line {
            let cached = self.first_miss.borrow().get(&root_idx).cloned();
            let r = cached.unwrap_or_else(|| {
                // `the chain of misses starts at line N KEYWORD[: first direct reason]`.
                let first = self.miss_reasons_shallow(root);
                let first = first.as_ref().map(|r| &*r.message);
                let mut m =
                    String::with_capacity(50 + root.keyword.len() + first.map_or(0, str::len));
                m.push_str("the chain of misses starts at line ");
                super::cat::put_decimal(u64::from(root.line), &mut m);
                m.push(' ');
                m.push_str(&root.keyword);
                if let Some(first) = first {
                    m.push_str(": ");
                    m.push_str(first);
                }
                let r = reason("first-miss", m, Some(root.line));
                self.first_miss.borrow_mut().insert(root_idx, r.clone());
                r
            });
            out.push(r);
        }
    }

    /// The first direct reason of a step (no recursion into parents).
    fn miss_reasons_shallow(&self, s: &'a Step) -> Option<Reason> {
        if let Some((at, first)) = &*self.last_root.borrow() {
            if std::ptr::eq(*at, s) {
                return first.clone();
            }
        }
        let r = self.miss_reasons(s);
        r.into_iter().find(is_direct)
    }

    /// Whether a step of build B was rebuilt, as [`Ctx::parent_reasons`] walks the chain.
    fn rebuilt(&self, st: &Step) -> bool {
        match st.kind {
            Kind::From => self.counterpart(st).is_none_or(|a| a.key != st.key),
            _ => !st.hit,
        }
    }

    fn not_in_cache_reason(&self, s: &Step) -> Reason {
        let classic = self.builder == Builder::Classic;
        let stage = self.stage_label(s.stage);
        let c = &self.scenario.cache;
        let msg = match c.source {
            CacheSource::None => "fresh agent: no cache was imported, so every step runs".to_string(),
            CacheSource::Local => "build A did not produce this step, so there is no record of it".to_string(),
            CacheSource::CacheFromImage | CacheSource::SaveLoad if classic => format!(
                "classic --cache-from only matches the history of the images it is given; {stage} is not one of them (build it with --target, push it, and add it as another --cache-from)"
            ),
            CacheSource::SaveLoad if !c.inline_cache => "docker save/load keeps the image but no BuildKit cache metadata: the image was not built with inline cache, so BuildKit cannot reuse it".to_string(),
            CacheSource::CacheFromImage if !c.inline_cache => "the --cache-from image carries no BuildKit cache metadata (build A with --cache-to type=inline or BUILDKIT_INLINE_CACHE=1), so BuildKit cannot use it".to_string(),
            CacheSource::CacheFromImage | CacheSource::SaveLoad => format!(
                "inline cache records only the layers of the final image (mode=min); {stage} is not part of it — export the cache with mode=max"
            ),
            CacheSource::ExportMin | CacheSource::ExportMax if classic => "the classic builder cannot import a BuildKit cache export, so it starts cold".to_string(),
            CacheSource::ExportMin => format!(
                "mode=min exports only the layers of the final image; {stage} is not part of it — use mode=max"
            ),
            CacheSource::ExportMax => "the exported cache has no record of this step".to_string(),
        };
        reason("not-in-cache", msg, None)
    }

    /// [`Ctx::field_reason`], remembered for environment and build-arg fields.
    fn var_or_field_reason(&self, s: &Step, f: &'a Field, old: Option<&'a Field>) -> Reason {
        let name = f.name.as_str();
        if !(name.starts_with("env:") || name.starts_with("arg:")) {
            return self.field_reason(s, f, old);
        }
        let args: &[String] = &f.origin.args;
        let at = (
            At(name),
            At(f.value.as_str()),
            f.origin.line,
            (args.as_ptr() as usize, args.len()),
            f.origin.from_build_arg,
            old.map(|o| At(o.value.as_str())),
        );
        if let Some(r) = self.var_reasons_at.borrow().get(&at) {
            return r.clone();
        }
        let r = self.field_reason(s, f, old);
        self.var_reasons_at.borrow_mut().insert(at, r.clone());
        r
    }

    fn field_reason(&self, s: &Step, f: &Field, old: Option<&Field>) -> Reason {
        let classic = self.builder == Builder::Classic;
        let name = f.name.as_str();
        let var = name
            .strip_prefix("env:")
            .or_else(|| name.strip_prefix("arg:"));
        let change = match old {
            _ if var.is_some_and(is_secret_name) => "value hidden".to_string(),
            Some(o) => {
                // `show(old) → show(new)`, both shown into one string.
                const ARROW: &str = " → ";
                let mut c = String::with_capacity(o.value.len() + f.value.len() + 12);
                show_into(&o.value, &mut c);
                let n = c.len();
                c.push_str(ARROW);
                show_into(&f.value, &mut c);
                if c[..n] == c[n + ARROW.len()..] {
                    "only the hidden credentials in it differ".to_string()
                } else {
                    c
                }
            }
            None => {
                let mut c = String::from("now set to ");
                show_into(&f.value, &mut c);
                c
            }
        };
        if let Some(k) = var {
            if f.origin.from_build_arg || name.starts_with("arg:") {
                let how = if classic {
                    "the classic builder prefixes every RUN"
                } else {
                    "BuildKit puts it in the environment of every RUN"
                };
                const UNUSED: &str = ", even if the command never uses it";
                let msg = match f.origin.line {
                    Some(l) => cat!(
                        "build arg ",
                        k,
                        " changed (",
                        change,
                        "); ",
                        how,
                        " after ARG ",
                        k,
                        " (line ",
                        l,
                        ")",
                        UNUSED
                    ),
                    None => cat!("build arg ", k, " changed (", change, "); ", how, UNUSED),
                };
                return reason("arg-changed", msg, f.origin.line);
            }
            // `environment variable K changed (CHANGE)[ because it expands build arg A, B]`.
            const VIA: &str = " because it expands build arg ";
            let args: &[String] = &f.origin.args;
            let mut msg = String::with_capacity(
                40 + k.len()
                    + change.len()
                    + VIA.len()
                    + args.iter().map(|a| a.len() + 2).sum::<usize>(),
            );
            msg.push_str("environment variable ");
            msg.push_str(k);
            msg.push_str(" changed (");
            msg.push_str(&change);
            msg.push(')');
            for (i, a) in args.iter().enumerate() {
                msg.push_str(if i == 0 { VIA } else { ", " });
                msg.push_str(a);
            }
            return reason("env-changed", msg, f.origin.line);
        }
        if name.starts_with("mount[") {
            return reason(
                "mount-changed",
                format!(
                    "the RUN mount changed ({change}); mount ids and targets are part of the key"
                ),
                Some(s.line),
            );
        }
        let (code, what) = match name {
            "command" => ("command-changed", "the command text changed".to_string()),
            "shell" => ("shell-changed", format!("the SHELL changed ({change})")),
            "workdir" => ("workdir-changed", format!("the working directory changed ({change})")),
            "user" => ("user-changed", format!("the USER changed ({change})")),
            "network" => ("network-changed", format!("RUN --network changed ({change})")),
            "security" => ("security-changed", format!("RUN --security changed ({change})")),
            "base" => {
                if f.origin.args.is_empty() {
                    if self.scenario.change.base_rebuilt.is_empty() {
                        ("base-changed", format!("the base image changed ({change})"))
                    } else {
                        (
                            "base-changed",
                            format!(
                                "the base image has a new digest ({})",
                                f.value.split('@').next().unwrap_or("")
                            ),
                        )
                    }
                } else {
                    (
                        "base-changed",
                        format!(
                            "FROM resolves to another image because build arg {} changed ({change})",
                            f.origin.args.join(", ")
                        ),
                    )
                }
            }
            "stage" => ("base-changed", "FROM now names another stage".to_string()),
            "instruction" => {
                let via = if f.origin.args.is_empty() {
                    String::new()
                } else {
                    format!(" because build arg {} changed", f.origin.args.join(", "))
                };
                (
                    "instruction-changed",
                    format!("the instruction's value changed{via}: {}", show(&f.value)),
                )
            }
            "proxy-args-passed" => (
                "proxy-args-passed",
                "a proxy build arg is now passed; the classic builder marks RUN steps when any build arg is passed".to_string(),
            ),
            "path" => ("workdir-changed", format!("the WORKDIR path changed ({change})")),
            "dest" | "sources" | "chown" | "chmod" | "exclude" | "parents" | "unpack" | "checksum" => {
                let via = if f.origin.args.is_empty() {
                    String::new()
                } else {
                    format!(" because build arg {} changed", f.origin.args.join(", "))
                };
                ("copy-changed", format!("the {} of {} changed ({change}){via}", name, s.keyword))
            }
            other => ("key-changed", format!("{other} changed ({change})")),
        };
        let line = f.origin.line.or(Some(s.line));
        reason(code, what, line)
    }

    fn removed_field_reason(&self, x: &Field) -> Reason {
        let name = x.name.as_str();
        if let Some(k) = name
            .strip_prefix("env:")
            .or_else(|| name.strip_prefix("arg:"))
        {
            let code = if x.origin.from_build_arg || name.starts_with("arg:") {
                "arg-changed"
            } else {
                "env-changed"
            };
            return reason(
                code,
                if is_secret_name(k) {
                    format!("{k} is no longer set")
                } else {
                    format!("{k} is no longer set (was {})", show(&x.value))
                },
                x.origin.line,
            );
        }
        reason(
            "key-changed",
            format!("{name} is no longer set"),
            x.origin.line,
        )
    }

    fn content_reasons(
        &self,
        c: &'a ContentInput,
        old: Option<&ContentInput>,
        out: &mut Vec<Reason>,
    ) {
        if let (Some((src, ex)), Some((osrc, oex))) = (
            &c.context_source,
            old.and_then(|o| o.context_source.as_ref()),
        ) {
            let changes =
                context::diff_sources(&self.a.context, osrc, oex, &self.b.context, src, ex);
            let dockerignore_changed = self.scenario.change.dockerignore.is_some();
            for ch in changes.iter().take(5) {
                let (code, msg) = match ch {
                    FileChange::Content(p) if p == "Dockerfile" => (
                        "dockerfile-in-context",
                        format!("the Dockerfile itself is in the build context and changed, so {} sees a changed file (list Dockerfile in .dockerignore)", c.label),
                    ),
                    FileChange::Content(p) if p == ".dockerignore" => (
                        "dockerignore-in-context",
                        format!(".dockerignore is itself a context file and changed, so {} sees a changed file", c.label),
                    ),
                    FileChange::Content(p) => ("context-file-changed", format!("context file {p} changed")),
                    FileChange::Mode(..) => ("context-file-mode", format!("context file {}", ch.describe())),
                    FileChange::Added(p) if dockerignore_changed => (
                        "context-file-added",
                        format!("{p} is now part of the copied files (.dockerignore changed)"),
                    ),
                    FileChange::Removed(p) if dockerignore_changed => (
                        "context-file-removed",
                        format!("{p} is no longer part of the copied files (.dockerignore changed)"),
                    ),
                    FileChange::Added(p) => ("context-file-added", format!("context file {p} was added")),
                    FileChange::Removed(p) => ("context-file-removed", format!("context file {p} was removed")),
                };
                out.push(reason(code, msg, None));
            }
            if changes.len() > 5 {
                out.push(reason(
                    "context-file-changed",
                    format!("and {} more changed files", changes.len() - 5),
                    None,
                ));
            }
            return;
        }
        if let Some((stage, path)) = &c.stage_path {
            // The same for every copy from that stage and path (a stage copied eight times
            // repeats its list of re-run RUNs eight times): built once.
            let key = (*stage, path.as_str());
            if let Some(rs) = self.stage_reasons.borrow().get(&key) {
                out.extend_from_slice(rs);
                return;
            }
            let from = out.len();
            self.stage_content_reasons(*stage, path, out);
            let rs = out[from..].to_vec();
            self.stage_reasons.borrow_mut().insert(key, rs);
            return;
        }
        if let Some(rest) = c.label.strip_prefix("image ") {
            let image = rest.rsplit_once(':').map(|(i, _)| i).unwrap_or(rest);
            out.push(reason(
                "source-image-changed",
                format!("image {image} has a new digest, so the files copied from it may differ"),
                None,
            ));
            out.push(reason(
                "assumed-different-output",
                "assumed: the copied files differ in the new image; if they are byte-identical, set rerun_output for this line to \"identical\" and the copy stays cached".to_string(),
                None,
            ));
            return;
        }
        out.push(reason(
            "content-changed",
            format!("the content of {} changed", c.label),
            None,
        ));
        let _ = Side::B;
    }

    /// [`Ctx::content_reasons`] of a copy from `stage` at `path`.
    fn stage_content_reasons(&self, stage: usize, path: &str, out: &mut Vec<Reason>) {
        let rebuilt = self.first_rebuilt_in_stage(stage);
        let msg = match rebuilt {
            Some(l) => cat!(
                "the files from ",
                self.stage_label(stage),
                " at ",
                path,
                " changed: line ",
                l,
                " in it was rebuilt"
            ),
            None => cat!(
                "the files from ",
                self.stage_label(stage),
                " at ",
                path,
                " changed"
            ),
        };
        out.push(reason("source-stage-changed", msg, rebuilt));
        // Say when that depends on an assumption about re-run RUNs' output.
        let assumed: Vec<u32> = self
            .eb
            .chains
            .get(stage)
            .into_iter()
            .flatten()
            .map(|&i| &self.eb.steps[i])
            .filter(|st| st.assumed_different)
            .map(|st| st.line)
            .collect();
        if let Some(r) = assumed_reason(&assumed) {
            out.push(r);
        }
    }
}

/// One reason for all the re-run RUNs (at `lines`, in build order) whose output a copy's
/// content depends on and which the simulation assumed to write different bytes: a stage
/// with twenty such RUNs gives one sentence, not twenty.
fn assumed_reason(lines: &[u32]) -> Option<Reason> {
    let (&first, rest) = lines.split_first()?;
    let msg = match rest.len() {
        0 => cat!(
            "assumed: the re-run RUN at line ",
            first,
            " writes different bytes; if its output is byte-identical, set rerun_output {\"",
            first,
            "\": \"identical\"} and the copy stays cached"
        ),
        n => {
            let as_json = lines.len() <= ASSUMED_AS_JSON;
            let mut m = String::with_capacity(160 + 16 * lines.len());
            m.push_str("assumed: the ");
            if !as_json {
                super::cat::put_decimal(lines.len() as u64, &mut m);
                m.push(' ');
            }
            m.push_str("re-run RUNs at lines ");
            for (i, l) in lines.iter().enumerate() {
                m.push_str(match i {
                    0 => "",
                    _ if i == n => " and ",
                    _ => ", ",
                });
                super::cat::put_decimal(u64::from(*l), &mut m);
            }
            m.push_str(
                " write different bytes; if their output is byte-identical, set rerun_output ",
            );
            if as_json {
                for (i, l) in lines.iter().enumerate() {
                    m.push_str(if i == 0 { "{\"" } else { ", \"" });
                    super::cat::put_decimal(u64::from(*l), &mut m);
                    m.push_str("\": \"identical\"");
                }
                m.push('}');
            } else {
                m.push_str("to \"identical\" for each of these lines");
            }
            m.push_str(" and the copy stays cached");
            m
        }
    };
    Some(reason("assumed-different-output", msg, Some(first)))
}

/// Up to this many re-run RUNs, [`assumed_reason`] spells out the `rerun_output` JSON;
/// beyond, it names the setting and counts the lines.
const ASSUMED_AS_JSON: usize = 4;

/// A key field of a B step that differs from its A counterpart.
#[derive(Debug, PartialEq)]
enum FieldDiff<'f> {
    /// B's field, and A's field of that name if it had one.
    Changed(&'f Field, Option<&'f Field>),
    /// A's field that B's step does not have.
    Removed(&'f Field),
}

/// `a == b`, without comparing the bytes of one text at one place (the fixed field names
/// of both builds, `command`, `workdir`, ...).
fn same_text(a: &str, b: &str) -> bool {
    a.len() == b.len() && (a.as_ptr() == b.as_ptr() || a == b)
}

/// The fields that differ between B's and A's step: B's in order, then those only A had.
fn field_diffs<'f>(
    s_fields: &'f [Field],
    a_fields: &'f [Field],
    mut out: impl FnMut(FieldDiff<'f>),
) {
    // A step's field names are distinct, and A's counterpart mostly has the same ones in
    // the same order: the field at the same place is the one a search would find.
    let mut aligned = s_fields.len() == a_fields.len();
    for (i, f) in s_fields.iter().enumerate() {
        let at = a_fields.get(i).filter(|x| same_text(&x.name, &f.name));
        aligned &= at.is_some();
        match at.or_else(|| a_fields.iter().find(|x| x.name == f.name)) {
            Some(x) if x.value == f.value => {}
            old => out(FieldDiff::Changed(f, old)),
        }
    }
    if !aligned {
        for x in a_fields {
            if !s_fields.iter().any(|f| f.name == x.name) {
                out(FieldDiff::Removed(x));
            }
        }
    }
}

fn s_parent_changed(cx: &Ctx, s: &Step) -> Option<u32> {
    // For a linked COPY: the layer it would have sat on was rebuilt.
    let ins_idx = s.instr;
    let stage = cx.b.df.stages.get(s.stage)?;
    let pos = stage.commands.iter().position(|&c| c == ins_idx)?;
    let prev = if pos == 0 {
        stage.from
    } else {
        stage.commands[pos - 1]
    };
    let mut line = None;
    for &c in std::iter::once(&stage.from).chain(stage.commands.iter()) {
        if let Some(st) = cx.eb.step_of(c) {
            if st.kind == Kind::Step && !st.hit && st.line < s.line {
                line = Some(line.map_or(st.line, |l: u32| l.min(st.line)));
            }
        }
        if c == prev {
            break;
        }
    }
    let _ = cx.a;
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assumed_reasons_are_one_sentence_per_copy() {
        assert!(assumed_reason(&[]).is_none());
        let one = assumed_reason(&[4]).unwrap();
        assert_eq!(one.line, Some(4));
        assert_eq!(
            &*one.message,
            r#"assumed: the re-run RUN at line 4 writes different bytes; if its output is byte-identical, set rerun_output {"4": "identical"} and the copy stays cached"#
        );
        let three = assumed_reason(&[4, 6, 9]).unwrap();
        assert_eq!(three.line, Some(4));
        assert_eq!(
            &*three.message,
            r#"assumed: the re-run RUNs at lines 4, 6 and 9 write different bytes; if their output is byte-identical, set rerun_output {"4": "identical", "6": "identical", "9": "identical"} and the copy stays cached"#
        );
        let many: Vec<u32> = (1..=5).map(|i| i * 10).collect();
        assert_eq!(
            &*assumed_reason(&many).unwrap().message,
            r#"assumed: the 5 re-run RUNs at lines 10, 20, 30, 40 and 50 write different bytes; if their output is byte-identical, set rerun_output to "identical" for each of these lines and the copy stays cached"#
        );
    }

    #[test]
    fn var_memo_equals_a_search_by_key() {
        // Keys on few lines (several per line, some without one), looked up after every
        // insert against a plain list: each key finds its own reason, an absent key none.
        let texts: Vec<String> = (0..6).map(|i| format!("v{i}")).collect();
        let mut keys: Vec<VarAt> = Vec::new();
        for (i, t) in texts.iter().enumerate() {
            for line in [None, Some(1), Some(3)] {
                for old in [None, Some(At(&texts[(i + 1) % texts.len()]))] {
                    keys.push((At(&texts[0]), At(t), line, (0, 0), i % 2 == 0, old));
                }
            }
        }
        let mut memo = VarMemo::default();
        let mut plain: Vec<(VarAt, Reason)> = Vec::new();
        for (n, k) in keys.iter().enumerate() {
            for q in &keys {
                assert_eq!(
                    memo.get(q),
                    plain.iter().find(|(x, _)| x == q).map(|(_, r)| r)
                );
            }
            let r = reason("env-changed", n.to_string(), None);
            memo.insert(*k, r.clone());
            plain.push((*k, r));
        }
    }

    /// [`field_diffs`] by search alone, as it was written before its positional fast path.
    fn field_diffs_by_search<'f>(s: &'f [Field], a: &'f [Field]) -> Vec<FieldDiff<'f>> {
        let mut out = Vec::new();
        for f in s {
            match a.iter().find(|x| x.name == f.name) {
                Some(x) if x.value == f.value => {}
                old => out.push(FieldDiff::Changed(f, old)),
            }
        }
        for x in a {
            if !s.iter().any(|f| f.name == x.name) {
                out.push(FieldDiff::Removed(x));
            }
        }
        out
    }

    #[test]
    fn field_diffs_equal_the_search_over_distinct_names() {
        // Every list of distinct names from a small alphabet, in every order it comes in,
        // with values that sometimes differ: small pseudo-random cases, deterministic.
        let seed = std::cell::Cell::new(0x2545_f491_4f6c_dd1du64);
        let next = |n: u64| {
            let mut x = seed.get();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            seed.set(x);
            x % n
        };
        let names = [
            "command", "shell", "env:A", "env:B", "workdir", "user", "mount[0]",
        ];
        for _ in 0..5000 {
            let make = |len: u64| {
                let mut pool: Vec<&str> = names.to_vec();
                let mut v = Vec::new();
                for _ in 0..len.min(pool.len() as u64) {
                    let n = pool.remove(next(pool.len() as u64) as usize);
                    let value = ["1", "2"][next(2) as usize];
                    v.push(super::super::exec::Field {
                        name: n.into(),
                        value: value.into(),
                        origin: Default::default(),
                    });
                }
                v
            };
            let a = make(next(8));
            let mut b = if next(2) == 0 {
                a.clone()
            } else {
                make(next(8))
            };
            if let Some(f) = b.first_mut().filter(|_| next(3) == 0) {
                f.value = "3".into();
            }
            let mut fast = Vec::new();
            field_diffs(&b, &a, |d| fast.push(d));
            assert_eq!(fast, field_diffs_by_search(&b, &a));
        }
    }

    #[test]
    fn show_and_is_secret_name_equal_their_plain_forms() {
        // The forms the fast paths replaced.
        let show_ref = |v: &str| {
            let v = if v.contains("://") {
                mask_userinfo(v)
            } else {
                v.to_string()
            };
            let mut out = String::from("\"");
            for (n, c) in v.chars().enumerate() {
                if n == 48 {
                    out.push('…');
                    break;
                }
                out.push(if c == '\n' { '⏎' } else { c });
            }
            out.push('"');
            out
        };
        let secret_ref = |name: &str| {
            let n = name.to_ascii_uppercase();
            SECRET_WORDS.iter().any(|w| n.contains(w))
        };
        let values = [
            "",
            "1",
            "value-2",
            "a\nb",
            "\n",
            "https://u:p@h/x",
            "é",
            "ééé",
            &"x".repeat(47),
            &"y".repeat(48),
            &"z".repeat(49),
            &"é".repeat(30),
            &"é".repeat(48),
            &format!("{}\n", "w".repeat(47)),
            "npm_token",
            "DB_Password",
            "my_secretx",
            "api_keyz",
            "TOKE",
            "tOkEn",
            "PRIVATE_KE",
            "ÉTOKEN",
            ":",
            "a:",
            "a:/",
            "a:/b",
            "://",
            "x:/:/y",
            "x::/y",
            "é://h",
            "s3:/a://u:p@h/",
        ];
        for v in values {
            assert_eq!(show(v), show_ref(v), "{v:?}");
            assert_eq!(is_secret_name(v), secret_ref(v), "{v:?}");
            assert_eq!(has_scheme_separator(v), v.contains("://"), "{v:?}");
            for w in values {
                assert_eq!(same_text(v, w), v == w, "{v:?} {w:?}");
                let elsewhere = String::from(w);
                assert_eq!(same_text(v, &elsewhere), v == w, "{v:?} {w:?}");
            }
        }
    }

    #[test]
    fn credentials_are_masked_in_displayed_values() {
        assert_eq!(
            show("https://ci:tok3n@pypi.example/simple"),
            "\"https://ci:***@pypi.example/simple\""
        );
        assert_eq!(
            show("https://pypi.org/simple"),
            "\"https://pypi.org/simple\""
        );
        assert!(is_secret_name("NPM_TOKEN") && is_secret_name("db_password"));
        assert!(!is_secret_name("VERSION"));
    }
}
