//! The cache simulator: derive each step's cache-key inputs for build A and build B under each
//! builder's rules, then diff them.
//!
//! Pipeline: [`build::BuildInput`] (A and B from the scenario) → [`exec::Executor`] runs A with
//! no cache, the cache source decides which of A's records B can see ([`records_for`]),
//! B runs against them → [`explain`] turns each B step into a verdict whose reasons are the
//! key inputs that differ from A's matching step.

#[macro_use]
mod cat;
pub mod build;
pub mod context;
pub mod exec;
mod explain;
pub mod hash;
#[cfg(not(target_arch = "wasm32"))]
mod threaded;

use crate::ast::Dockerfile;
use crate::report::{Builder, Builders, Report};
use crate::scenario::Map;
use crate::scenario::{BuilderSetup, CacheSource, Scenario};
use crate::share::Shared;
use crate::syntax::{Diagnostic, Span};
use build::BuildInput;
use exec::{Exec, Executor, Kind, Records};

pub use exec::Engine;

/// Options that are about the simulated machine rather than the scenario.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimOptions {
    pub engine: Engine,
}

/// Simulates build B of the scenario under the classic builder and BuildKit, on a current
/// Docker engine.
pub fn simulate(scenario: &Scenario) -> Report {
    simulate_with(scenario, SimOptions::default())
}

/// Simulates build B with explicit options (e.g. Docker 20.10's older Dockerfile frontend).
pub fn simulate_with(scenario: &Scenario, opts: SimOptions) -> Report {
    #[cfg(not(target_arch = "wasm32"))]
    if scenario.dockerfile.len().max(scenario.dockerfile_b().len()) >= THREADED_TEXT {
        return threaded::simulate(scenario, opts, None, false).0;
    }
    let a = BuildInput::a(scenario);
    let b = BuildInput::b_from(scenario, &a);
    simulate_both(scenario, opts, a, b).report
}

/// What stays valid between simulations of scenarios with the same context files and
/// `.dockerignore`: build A's resolved context (the Dockerfile is one of its files, and is
/// replaced on its own when only its text changed) and the content digests of the COPY
/// sources, which do not depend on the Dockerfile unless they include it. An editor that
/// re-simulates on every keystroke keeps one and calls [`simulate_cached`].
#[derive(Default)]
pub struct SimCache {
    base: Option<CachedContext>,
    /// The instructions of the last parse of build A's and of build B's Dockerfile: a
    /// keystroke re-parses only the instruction it changed.
    parse_a: crate::parser::ParseCache,
    parse_b: crate::parser::ParseCache,
}

struct CachedContext {
    files: Map<String, crate::scenario::FileSpec>,
    dockerignore: Option<String>,
    dockerfile: String,
    context: Shared<context::Context>,
}

/// A simulation's report and the two Dockerfiles it parsed (the same `Rc` when build B's
/// text is build A's).
pub struct Simulated {
    pub report: Report,
    pub df_a: Shared<Dockerfile>,
    pub df_b: Shared<Dockerfile>,
}

/// [`simulate_with`], reusing what `cache` holds from the previous call when the context
/// files and `.dockerignore` are the same (compared in full, so the result is always
/// exactly [`simulate_with`]'s).
pub fn simulate_cached(scenario: &Scenario, opts: SimOptions, cache: &mut SimCache) -> Simulated {
    let ignore = scenario.dockerignore.as_deref();
    let cached = cache
        .base
        .as_mut()
        .filter(|c| c.dockerignore.as_deref() == ignore && c.files == scenario.context);
    let context = match cached {
        Some(c) if c.dockerfile == scenario.dockerfile => Shared::clone(&c.context),
        Some(c) => {
            let entry = context::Context::text_entry(&scenario.dockerfile);
            let derived = c
                .context
                .with_changes(ignore, &[("Dockerfile".to_string(), Some(entry))]);
            c.context = Shared::new(derived);
            c.dockerfile = scenario.dockerfile.clone();
            Shared::clone(&c.context)
        }
        None => {
            let ctx = context::Context::new(&scenario.context, &scenario.dockerfile, ignore);
            let ctx = Shared::new(ctx);
            cache.base = Some(CachedContext {
                files: scenario.context.clone(),
                dockerignore: ignore.map(str::to_string),
                dockerfile: scenario.dockerfile.clone(),
                context: Shared::clone(&ctx),
            });
            ctx
        }
    };
    let df_a = crate::parser::parse_cached(&scenario.dockerfile, &mut cache.parse_a);
    let a = BuildInput::a_with_parsed(scenario, context, Shared::new(df_a));
    let parse_b = &mut cache.parse_b;
    let b = BuildInput::b_from_with(scenario, &a, &mut |t| {
        crate::parser::parse_cached(t, parse_b)
    });
    simulate_both(scenario, opts, a, b)
}

fn simulate_both(scenario: &Scenario, opts: SimOptions, a: BuildInput, b: BuildInput) -> Simulated {
    #[cfg(not(target_arch = "wasm32"))]
    if a.df.instructions.len().max(b.df.instructions.len()) >= THREADED_INSTRUCTIONS {
        let (report, parsed) = threaded::simulate(scenario, opts, Some((a, b)), true);
        let (df_a, df_b) = parsed.expect("kept");
        return Simulated { report, df_a, df_b };
    }
    simulate_serial(scenario, opts, a, b)
}

/// Both builders, one after the other, on this thread.
fn simulate_serial(
    scenario: &Scenario,
    opts: SimOptions,
    a: BuildInput,
    b: BuildInput,
) -> Simulated {
    let align = align(&a.df, &b.df);
    let diagnostics = diagnostics(scenario, &a, &b);
    let classic = run_builder(Builder::Classic, opts, scenario, &a, &b, &align);
    let buildkit = run_builder(Builder::Buildkit, opts, scenario, &a, &b, &align);
    Simulated {
        report: Report {
            builders: Builders { classic, buildkit },
            diagnostics,
        },
        df_a: a.df,
        df_b: b.df,
    }
}

/// The scenario's own diagnostics: both Dockerfiles', both `.dockerignore`s', the target's.
fn diagnostics(scenario: &Scenario, a: &BuildInput, b: &BuildInput) -> Vec<Diagnostic> {
    let mut diagnostics = b.df.diagnostics.clone();
    if scenario.change.dockerfile.is_some() {
        for d in &a.df.diagnostics {
            let mut d = d.clone();
            d.message = format!("in build A's Dockerfile: {}", d.message);
            diagnostics.push(d);
        }
    }
    for (ctx, which) in [(&a.context, "A"), (&b.context, "B")] {
        if let Some(e) = &ctx.ignore_error {
            diagnostics.push(Diagnostic::error(
                "dockerignore",
                format!(".dockerignore of build {which}: {e}"),
                Span::default(),
            ));
        }
    }
    if let (Some(t), true) = (&b.target, !b.df.stages.is_empty()) {
        if b.stage_by_name(t).is_none() {
            diagnostics.push(Diagnostic::error(
                "unknown-target",
                format!("target stage \"{t}\" could not be found; simulating the last stage"),
                Span::default(),
            ));
        }
    }
    diagnostics
}

/// The context sources that build A's and build B's COPY and ADD instructions name
/// literally, each once, A's first (build B's context inherits A's digests for sources no
/// change lies under), with the `--exclude` patterns BuildKit applies (the classic builder
/// ignores them). Both builders ask for their digests; hashing them ahead into the
/// contexts' memos changes no result (a memo holds a pure function of its context), and a
/// source only a skipped stage names costs one hash more.
#[cfg(not(target_arch = "wasm32"))]
fn digest_tasks<'i>(
    a: &'i BuildInput,
    b: &'i BuildInput,
) -> Vec<(&'i BuildInput, &'i str, &'i [String])> {
    let mut tasks: Vec<(&BuildInput, &str, &[String])> = Vec::new();
    for input in [a, b] {
        for ins in &input.df.instructions {
            let crate::ast::Command::Copy(c) = &ins.command else {
                continue;
            };
            if c.from.is_some() {
                continue;
            }
            // Words the shell would change (variables, quotes, escapes) are left to the
            // builders, which expand them.
            let literal = |w: &str| !w.contains(['$', '"', '\'', '\\']);
            for src in c.sources.iter().filter(|w| literal(w)) {
                if c.is_add && exec::is_url(src) {
                    continue;
                }
                tasks.push((input, src, &[]));
                if !c.exclude.is_empty() && c.exclude.iter().all(|w| literal(w)) {
                    tasks.push((input, src, &c.exclude));
                }
            }
        }
    }
    let mut seen = hash::FxHashSet::default();
    tasks.retain(|&(input, src, ex)| seen.insert((std::ptr::from_ref(input), src, ex)));
    tasks
}

/// From what size of Dockerfile (bytes, A's or B's) [`simulate_with`] runs on two threads
/// natively, and from how many instructions a simulation of inputs already resolved
/// ([`simulate_cached`]) does: starting and joining a thread costs 50–120 µs on the
/// benchmark machine, a builder's simulation ≈ 0.3–1.5 µs per instruction.
#[cfg(not(target_arch = "wasm32"))]
const THREADED_TEXT: usize = 8 * 1024;
#[cfg(not(target_arch = "wasm32"))]
const THREADED_INSTRUCTIONS: usize = 400;

fn run_builder(
    builder: Builder,
    opts: SimOptions,
    scenario: &Scenario,
    a: &BuildInput,
    b: &BuildInput,
    align: &[Option<usize>],
) -> crate::report::BuilderReport {
    let (exec_a, exec_b, errors) = execute(builder, opts, scenario, a, b, align);
    let all = 0..b.df.instructions.len();
    let steps = explain::explain_steps(builder, scenario, a, b, &exec_a, &exec_b, align, all);
    let mut rep = explain::report(builder, steps, &exec_b);
    rep.errors = errors;
    rep
}

/// Runs build A with no cache, then build B against the records its cache source gives
/// it; returns both and the errors of build B (the cache source's included).
fn execute(
    builder: Builder,
    opts: SimOptions,
    scenario: &Scenario,
    a: &BuildInput,
    b: &BuildInput,
    align: &[Option<usize>],
) -> (Exec, Exec, Vec<Diagnostic>) {
    let exec_a = run_a(builder, opts, scenario, a, None);
    let (records, mut errors) = records_for(builder, scenario, a, &exec_a);
    let exec_b = run_b(builder, opts, scenario, b, &records, Some((&exec_a, align)));
    errors.extend(exec_b.errors.iter().cloned());
    (exec_a, exec_b, errors)
}

/// Build A: no cache; `on_stage` sees each stage's steps once they are built.
fn run_a(
    builder: Builder,
    opts: SimOptions,
    scenario: &Scenario,
    a: &BuildInput,
    on_stage: Option<exec::StageHook<'_>>,
) -> Exec {
    Executor {
        input: a,
        builder,
        engine: opts.engine,
        network: scenario.network.clone(),
        records: &Records::default(),
        on_stage,
        link_independent: scenario.builder_setup == BuilderSetup::Container,
        previous: None,
        rerun: &Map::new(),
        spare: Default::default(),
        memo: Default::default(),
    }
    .run()
}

/// Build B against `records`; `previous` is build A's result and the alignment of B's
/// instructions with A's, which a RUN declared to re-run with identical output needs.
fn run_b(
    builder: Builder,
    opts: SimOptions,
    scenario: &Scenario,
    b: &BuildInput,
    records: &dyn exec::RecordLookup,
    previous: Option<(&Exec, &[Option<usize>])>,
) -> Exec {
    Executor {
        input: b,
        builder,
        engine: opts.engine,
        network: scenario.network.clone(),
        records,
        on_stage: None,
        link_independent: scenario.builder_setup == BuilderSetup::Container,
        previous,
        rerun: &scenario.rerun_output,
        spare: Default::default(),
        memo: Default::default(),
    }
    .run()
}

/// The stages whose layers make up stage `t`'s image: `t` and the stages it is built `FROM`.
fn lineage(exec: &Exec, t: usize) -> Vec<usize> {
    let mut out = vec![t];
    let mut cur = t;
    loop {
        let from = exec
            .steps
            .iter()
            .find(|s| s.stage == cur && s.kind == Kind::From)
            .and_then(|s| exec.fields_of(s).iter().find(|f| f.name == "stage"))
            .and_then(|f| f.value.parse::<usize>().ok());
        match from {
            Some(p) if !out.contains(&p) => {
                out.push(p);
                cur = p;
            }
            _ => break,
        }
    }
    out
}

/// Which of A's cache records build B can use, given where its cache comes from.
fn records_for(
    builder: Builder,
    scenario: &Scenario,
    a: &BuildInput,
    exec_a: &Exec,
) -> (Records, Vec<Diagnostic>) {
    let mut errors = Vec::new();
    let all = |stages: Option<&[usize]>| {
        let mut r = Records::default();
        for s in &exec_a.steps {
            if !matches!(s.kind, Kind::Step | Kind::From) || s.error.is_some() {
                continue;
            }
            if stages.is_none_or(|st| st.contains(&s.stage)) {
                r.map.insert(s.key, s.output);
            }
        }
        r
    };
    // The images A pushed: its target, plus the stages built with --target for --cache-from.
    let pushed_chains = || {
        let mut stages = Vec::new();
        if let Some(t) = exec_a.target {
            stages.extend(lineage(exec_a, t));
        }
        for name in &scenario.cache.cache_from_stages {
            if let Some(t) = a.stage_by_name(name) {
                stages.extend(lineage(exec_a, t));
            }
        }
        stages
    };
    let classic = builder == Builder::Classic;
    let records = match scenario.cache.source {
        CacheSource::Local => all(None),
        CacheSource::None => Records::default(),
        // Recorded: on the containerd image store a loaded image gives no cache at all,
        // with or without inline metadata (story4-save-load-inline-container).
        CacheSource::SaveLoad if !classic && scenario.builder_setup == BuilderSetup::Container => {
            Records::default()
        }
        CacheSource::CacheFromImage | CacheSource::SaveLoad => {
            if classic {
                all(Some(&pushed_chains()))
            } else if scenario.cache.inline_cache {
                with_known_keys(all(Some(&pushed_chains())), all(None))
            } else {
                Records::default()
            }
        }
        CacheSource::ExportMin | CacheSource::ExportMax => {
            if classic {
                Records::default()
            } else if scenario.builder_setup == BuilderSetup::DockerDriver {
                errors.push(Diagnostic::error(
                    "cache-export-unsupported",
                    "cache export is not supported for the docker driver on the classic image store: \
                     use a docker-container builder or the containerd image store",
                    Span::default(),
                ));
                Records::default()
            } else if scenario.cache.source == CacheSource::ExportMax {
                all(None)
            } else {
                let mut stages = Vec::new();
                if let Some(t) = exec_a.target {
                    stages.extend(lineage(exec_a, t));
                }
                with_known_keys(all(Some(&stages)), all(None))
            }
        }
    };
    (records, errors)
}

/// mode=min and inline cache import results for the final image's layers only, but the key
/// chain of everything A built: the rest become key-only records.
fn with_known_keys(results: Records, everything: Records) -> Records {
    let mut r = results;
    for (k, o) in everything.map {
        if !r.map.contains_key(&k) {
            r.keys_only.insert(k, o);
        }
    }
    r
}

/// Aligns B's instructions with A's: identical text in the same stage first (longest common
/// subsequence per stage), then same-keyword neighbours as edits. Returns, per B instruction,
/// the index of its A counterpart.
pub fn align(a: &Dockerfile, b: &Dockerfile) -> Vec<Option<usize>> {
    let mut out = vec![None; b.instructions.len()];
    if a.instructions.len() == b.instructions.len()
        && a.instructions
            .iter()
            .zip(&b.instructions)
            .all(|(x, y)| x.text == y.text)
    {
        for (i, o) in out.iter_mut().enumerate() {
            *o = Some(i);
        }
        return out;
    }
    // Group instruction indices: global ARGs, then each stage (FROM first).
    let groups = |df: &Dockerfile| -> Vec<(Option<String>, Vec<usize>)> {
        let mut g = vec![(None, df.meta_args.clone())];
        for st in &df.stages {
            let mut v = vec![st.from];
            v.extend(&st.commands);
            g.push((
                Some(st.name.clone().unwrap_or_else(|| format!("#{}", st.index))),
                v,
            ));
        }
        g
    };
    let ga = groups(a);
    let gb = groups(b);
    for (gi, (name, bi)) in gb.iter().enumerate() {
        // Match a stage by name, else by position.
        let ai = ga
            .iter()
            .find(|(n, _)| {
                n.is_some() && n == name && !name.as_deref().unwrap_or("").starts_with('#')
            })
            .or_else(|| ga.get(gi))
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let ta: Vec<&str> = ai.iter().map(|&i| a.instructions[i].text.trim()).collect();
        let tb: Vec<&str> = bi.iter().map(|&i| b.instructions[i].text.trim()).collect();
        let pairs = lcs(&ta, &tb);
        let mut last_a = 0usize;
        let mut last_b = 0usize;
        // Pair leftovers of the same keyword in order: those are edited instructions.
        let fill_gap = |out: &mut Vec<Option<usize>>,
                        a_range: std::ops::Range<usize>,
                        b_range: std::ops::Range<usize>| {
            let mut ai_iter = a_range.clone();
            for j in b_range {
                let kb = &b.instructions[bi[j]].keyword;
                if let Some(k) = ai_iter
                    .clone()
                    .find(|&k| &a.instructions[ai[k]].keyword == kb)
                {
                    out[bi[j]] = Some(ai[k]);
                    ai_iter = (k + 1)..a_range.end;
                }
            }
        };
        for &(x, y) in &pairs {
            fill_gap(&mut out, last_a..x, last_b..y);
            out[bi[y]] = Some(ai[x]);
            last_a = x + 1;
            last_b = y + 1;
        }
        fill_gap(&mut out, last_a..ta.len(), last_b..tb.len());
    }
    out
}

/// Longest common subsequence of two short sequences, as index pairs.
fn lcs(a: &[&str], b: &[&str]) -> Vec<(usize, usize)> {
    let (n, m) = (a.len(), b.len());
    if n == 0 || m == 0 {
        return Vec::new();
    }
    // Very long stages: fall back to positional pairing to stay linear.
    if n.saturating_mul(m) > 4_000_000 {
        return (0..n.min(m))
            .filter(|&i| a[i] == b[i])
            .map(|i| (i, i))
            .collect();
    }
    let mut t = vec![0u32; (n + 1) * (m + 1)];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[i * (m + 1) + j] = if a[i] == b[j] {
                t[(i + 1) * (m + 1) + j + 1] + 1
            } else {
                t[(i + 1) * (m + 1) + j].max(t[i * (m + 1) + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n && j < m {
        if a[i] == b[j] {
            out.push((i, j));
            i += 1;
            j += 1;
        } else if t[(i + 1) * (m + 1) + j] >= t[i * (m + 1) + j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

// Only the native build has a second thread.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::stress::{stress_scenario, StressSize};

    /// A simulation on two threads gives exactly the report of one thread (the threads
    /// share the contexts' digest memos, which either may fill first), from the scenario
    /// and from inputs already resolved, for build B derived from A, with an edited
    /// Dockerfile, and with a changed `.dockerignore`.
    #[test]
    fn two_threads_match_one_thread() {
        let base = stress_scenario(StressSize {
            instructions: 600,
            stages: 8,
            context_paths: 3_000,
            ignore_patterns: 20,
        });
        assert!(
            base.dockerfile.len() >= THREADED_TEXT,
            "large enough for two threads"
        );
        let mut edited = base.clone();
        edited.change.dockerfile = Some(base.dockerfile.replace("RUN echo step 7", "RUN echo 8"));
        let mut ignore = base.clone();
        ignore.change.dockerignore = Some("pkg1*\n".into());
        // B's records are the part of A's that A's pushed image carries: builds A and B
        // do not overlap.
        let mut inline = base.clone();
        inline.cache.source = CacheSource::CacheFromImage;
        inline.cache.inline_cache = true;
        let opts = SimOptions::default();
        let inputs = |s: &Scenario| {
            let a = BuildInput::a(s);
            let b = BuildInput::b_from(s, &a);
            (a, b)
        };
        for s in [base, edited, ignore, inline] {
            let (a, b) = inputs(&s);
            assert!(a.df.instructions.len() >= THREADED_INSTRUCTIONS);
            let serial = simulate_serial(&s, opts, a, b);
            let steps = |b: &Builders| b.buildkit.steps.len() + b.classic.steps.len();
            assert!(
                steps(&serial.report.builders) > 1_000,
                "the scenario exercises both builders"
            );
            assert!(serial
                .report
                .builders
                .buildkit
                .steps
                .iter()
                .any(|v| !v.reasons.is_empty()));
            for _ in 0..2 {
                // Fresh contexts each time: the memos start empty, as in a CLI run.
                let (report, parsed) = threaded::simulate(&s, opts, None, true);
                assert_eq!(serial.report, report);
                let (df_a, df_b) = parsed.expect("kept");
                assert!(*serial.df_a == *df_a);
                assert!(*serial.df_b == *df_b);
                let (report, parsed) = threaded::simulate(&s, opts, Some(inputs(&s)), false);
                assert_eq!(serial.report, report);
                assert!(parsed.is_none());
            }
            assert_eq!(serial.report, simulate(&s));
        }
    }

    /// Every recorded scenario (each cache source and builder setup, declared re-run
    /// outputs, failing steps, both engine versions) gives on two threads exactly the
    /// report of one thread, from the scenario and from inputs already resolved.
    #[test]
    fn every_recorded_scenario_on_two_threads_matches_one_thread() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenarios");
        let mut seen = 0;
        let mut overlapping = 0;
        for entry in std::fs::read_dir(&dir).expect("tests/scenarios") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|x| x != "json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable");
            let s = Scenario::from_json(&text).expect("valid scenario");
            for engine in [Engine::Modern, Engine::Docker2010] {
                let opts = SimOptions { engine };
                let a = BuildInput::a(&s);
                let b = BuildInput::b_from(&s, &a);
                let serial = simulate_serial(&s, opts, a, b).report;
                let (report, _) = threaded::simulate(&s, opts, None, false);
                assert!(serial == report, "{}", path.display());
                let a = BuildInput::a(&s);
                let b = BuildInput::b_from(&s, &a);
                let (report, _) = threaded::simulate(&s, opts, Some((a, b)), true);
                assert!(serial == report, "{} (inputs given)", path.display());
            }
            seen += 1;
            overlapping += usize::from(threaded::overlap_builds(&s));
        }
        assert!(seen >= 80, "{seen} scenarios");
        assert!(
            overlapping > 0 && overlapping < seen,
            "both schedules: {overlapping} of {seen}"
        );
    }

    /// Build B runs while build A runs and learns A's records a stage at a time; when a
    /// key of B's is one A builds only in a later stage (here B swaps two stages' RUNs),
    /// B's early answers disagree with A's whole records and B runs again: the report is
    /// still exactly one thread's.
    #[test]
    fn an_early_build_b_that_missed_a_later_record_runs_again() {
        let stages = |first: &str, second: &str| {
            format!(
                "FROM layerlab/base:1 AS x\nRUN echo {first}\nFROM layerlab/base:1 AS y\n\
                 RUN echo {second}\nFROM layerlab/base:1\nCOPY --from=x / /x\nCOPY --from=y / /y\n"
            )
        };
        let mut s = Scenario {
            dockerfile: stages("one", "two"),
            ..Default::default()
        };
        s.change.dockerfile = Some(stages("two", "one"));
        let opts = SimOptions::default();
        let a = BuildInput::a(&s);
        let b = BuildInput::b_from(&s, &a);
        let serial = simulate_serial(&s, opts, a, b).report;
        let verdicts = |r: &Report| -> Vec<String> {
            r.builders
                .buildkit
                .steps
                .iter()
                .map(|v| format!("{} {:?}", v.line, v.status))
                .collect()
        };
        // One thread: both swapped RUNs are cached (A built both keys).
        assert_eq!(
            &verdicts(&serial)[..4],
            ["1 Cached", "2 Cached", "3 Cached", "4 Cached"]
        );
        for _ in 0..3 {
            let (report, _) = threaded::simulate(&s, opts, None, false);
            assert_eq!(verdicts(&serial), verdicts(&report));
            assert_eq!(serial, report);
        }
    }
}
