//! layerlab-recorder: runs scenarios on real Docker engines and records, per instruction of
//! build B, what each engine did (`observed` in the scenario JSON). See docs/RECORDING.md.
//!
//! Usage: layerlab-recorder [--check|--write] [--engine LABEL]... [--only SUBSTR]...
//!        [--quick] [--rotate SEED] [--budget SECS] [--verbose] [--run-dir DIR]
//!        [SCENARIO.json|DIR]...

mod docker;
mod observe;
mod run;

use docker::{Engine, Profile, PROFILES};
use layerlab_engine::scenario::{Observation, Scenario};
use run::{Outcome, Trace};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// Run and print; touch nothing.
    Show,
    Check,
    Write,
}

struct Opts {
    mode: Mode,
    labels: Vec<String>,
    only: Vec<String>,
    quick: bool,
    /// Start the non-smoke scenarios at a place derived from this seed (CI passes the commit).
    rotate: Option<String>,
    /// Start no further non-smoke scenario after this many seconds.
    budget: Option<f64>,
    verbose: bool,
    run_dir: PathBuf,
    paths: Vec<PathBuf>,
}

const USAGE: &str = "usage: layerlab-recorder [--check|--write] [--engine LABEL]... [--only SUBSTR]... [--quick] [--verbose] [--run-dir DIR] [SCENARIO.json|DIR]...
  --check     re-run and compare with the recorded `observed`; exit 1 on any drift
  --write     re-run and write `observed` into the scenario files
  (neither)   re-run and print; change nothing
  --engine L  record only engine label L (repeatable); labels:
              docker-20.10/classic docker-20.10/buildkit docker-26/buildkit
              docker-26-containerd/buildkit (default set) and docker-26/classic (opt-in)
              a daemon name (d20k, d20, d26, d26c) selects its default labels; `all` = every label
  --only S    only scenarios whose file name contains S (repeatable)
  --quick     only smoke-*.json scenarios
  --rotate S  run smoke-*.json first, then the others starting at a place derived from S
              (CI passes the commit, so successive landings check different scenarios first)
  --budget N  start no scenario but smoke-*.json after N seconds; the rest are listed as
              not checked (a time limit never turns into a failure, drift still does)
  --verbose   print every docker command and its output
  --run-dir   where tools/engines/up.sh wrote <engine>.env (default /run/layerlab)";

fn parse_args() -> Result<Opts, String> {
    let mut o = Opts {
        mode: Mode::Show,
        labels: Vec::new(),
        only: Vec::new(),
        quick: false,
        rotate: None,
        budget: None,
        verbose: false,
        run_dir: PathBuf::from(std::env::var("LL_RUN").unwrap_or_else(|_| "/run/layerlab".into())),
        paths: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--check" => o.mode = Mode::Check,
            "--write" => o.mode = Mode::Write,
            "--engine" => o.labels.push(value("--engine")?),
            "--only" => o.only.push(value("--only")?),
            "--quick" => o.quick = true,
            "--rotate" => o.rotate = Some(value("--rotate")?),
            "--budget" => {
                let v = value("--budget")?;
                o.budget = Some(
                    v.parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite() && *x >= 0.0)
                        .ok_or_else(|| format!("--budget needs seconds, got {v:?}"))?,
                );
            }
            "--verbose" | "-v" => o.verbose = true,
            "--run-dir" => o.run_dir = PathBuf::from(value("--run-dir")?),
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with("--engine=") => o.labels.push(s["--engine=".len()..].to_string()),
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            _ => o.paths.push(PathBuf::from(a)),
        }
    }
    if o.paths.is_empty() {
        o.paths.push(PathBuf::from("tests/scenarios"));
    }
    Ok(o)
}

fn select_profiles(labels: &[String]) -> Result<Vec<&'static Profile>, String> {
    if labels.is_empty() {
        return Ok(PROFILES.iter().filter(|p| p.default).collect());
    }
    let mut out: Vec<&'static Profile> = Vec::new();
    for l in labels {
        let hit: Vec<&'static Profile> = PROFILES
            .iter()
            .filter(|p| p.label == l || l == "all" || (p.engine == l && p.default))
            .collect();
        if hit.is_empty() {
            return Err(format!("unknown engine label {l:?}"));
        }
        for p in hit {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

fn collect_files(o: &Opts) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for p in &o.paths {
        if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            v.sort();
            files.extend(v);
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    files.retain(|p| {
        (!o.quick || name(p).starts_with("smoke-"))
            && (o.only.is_empty() || o.only.iter().any(|s| name(p).contains(s.as_str())))
    });
    if let Some(seed) = &o.rotate {
        files = rotated(files, seed, |p| name(p).starts_with("smoke-"));
    }
    Ok(files)
}

/// Smoke scenarios first (in order), then the others rotated to start at a place derived
/// from `seed` (FNV-1a), so that runs with different seeds reach different scenarios first
/// when a budget cuts them short.
fn rotated<T>(files: Vec<T>, seed: &str, smoke: impl Fn(&T) -> bool) -> Vec<T> {
    let (mut out, mut rest): (Vec<T>, Vec<T>) = files.into_iter().partition(|f| smoke(f));
    if !rest.is_empty() {
        let h = seed.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
        });
        let at = (h % rest.len() as u64) as usize;
        rest.rotate_left(at);
    }
    out.extend(rest);
    out
}

/// Lines of B's Dockerfile whose recorded status is not a claim of the simulator: FROM lines
/// of an image base. Whether BuildKit prints such a line as `CACHED` depends on what the
/// daemon already resolved, not on the scenario, and the simulator test skips them too. A FROM
/// whose stage runs ONBUILD triggers of an earlier stage stays in: the triggers run there.
fn unchecked_lines(s: &Scenario) -> std::collections::BTreeSet<u32> {
    use layerlab_engine::ast::Command;
    let df = layerlab_engine::parse(s.dockerfile_b());
    let mut out = std::collections::BTreeSet::new();
    for (i, st) in df.stages.iter().enumerate() {
        let ins = &df.instructions[st.from];
        let Command::From(f) = &ins.command else {
            continue;
        };
        let image = f.image.to_ascii_lowercase();
        let runs_triggers = df.stages[..i]
            .iter()
            .find(|p| p.name.as_deref() == Some(image.as_str()))
            .is_some_and(|p| {
                p.commands
                    .iter()
                    .any(|&c| matches!(df.instructions[c].command, Command::Onbuild { .. }))
            });
        if !runs_triggers {
            out.insert(ins.span.line);
        }
    }
    out
}

/// Differences between a recorded and a fresh observation that count as drift (statuses of
/// `unchecked` lines excepted).
fn drift(
    old: &Observation,
    new: &Observation,
    unchecked: &std::collections::BTreeSet<u32>,
) -> Vec<String> {
    let mut d = Vec::new();
    if old.builder != new.builder {
        d.push(format!("builder {} -> {}", old.builder, new.builder));
    }
    match (&old.error, &new.error) {
        (None, Some(e)) => d.push(format!("the build now fails: {e}")),
        (Some(e), None) => d.push(format!("the build no longer fails (was: {e})")),
        _ => {}
    }
    let om: BTreeMap<u32, &str> = old
        .steps
        .iter()
        .map(|s| (s.line, s.status.as_str()))
        .collect();
    let nm: BTreeMap<u32, &str> = new
        .steps
        .iter()
        .map(|s| (s.line, s.status.as_str()))
        .collect();
    let lines: std::collections::BTreeSet<u32> = om.keys().chain(nm.keys()).copied().collect();
    for l in lines {
        if unchecked.contains(&l) {
            continue;
        }
        let (a, b) = (om.get(&l).copied(), nm.get(&l).copied());
        if a != b {
            d.push(format!(
                "line {l}: recorded {} now {}",
                a.unwrap_or("(none)"),
                b.unwrap_or("(none)")
            ));
        }
    }
    d
}

fn summary(o: &Observation) -> String {
    if let Some(e) = &o.error {
        return format!("error: {e}");
    }
    o.steps
        .iter()
        .map(|s| {
            let c = match s.status.as_str() {
                "cached" => "C",
                "rebuilt" => "R",
                "not-run" => "-",
                "metadata" => "m",
                _ => "?",
            };
            format!("{}{c}", s.line)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

struct Tally {
    ok: usize,
    drift: usize,
    written: usize,
    skipped: usize,
    unreadable: usize,
    not_applicable: usize,
    flaky: usize,
    runs: usize,
    run_secs: f64,
}

/// Runs share the daemons and wipe them between scenarios: one recorder per machine. Unless the
/// caller (tools/record) already holds the lock, re-run this binary under `flock`.
fn relaunch_locked(run_dir: &Path) -> Option<ExitCode> {
    if std::env::var_os("LL_RECORDER_LOCKED").is_some() {
        return None;
    }
    let exe = std::env::current_exe().ok()?;
    if std::fs::create_dir_all(run_dir).is_err() {
        return None;
    }
    let lock = run_dir.join("recorder.lock");
    let busy = std::process::Command::new("flock")
        .args(["-n", "-E", "75"])
        .arg(&lock)
        .arg("true")
        .status()
        .ok()?;
    if busy.code() == Some(75) {
        eprintln!(
            "layerlab-recorder: another run holds {}; waiting for it",
            lock.display()
        );
    }
    let st = std::process::Command::new("flock")
        .arg(&lock)
        .arg(exe)
        .args(std::env::args_os().skip(1))
        .env("LL_RECORDER_LOCKED", "1")
        .status()
        .ok()?;
    Some(ExitCode::from(st.code().unwrap_or(1).clamp(0, 255) as u8))
}

fn main() -> ExitCode {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("layerlab-recorder: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Some(code) = relaunch_locked(&o.run_dir) {
        return code;
    }
    let profiles = match select_profiles(&o.labels) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("layerlab-recorder: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let files = match collect_files(&o) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("layerlab-recorder: {e}");
            return ExitCode::from(2);
        }
    };
    // Engines: load each needed daemon once; unavailable ones are skipped, loudly.
    let mut engines: BTreeMap<&str, Engine> = BTreeMap::new();
    let mut active: Vec<&'static Profile> = Vec::new();
    for p in &profiles {
        if !engines.contains_key(p.engine) {
            match Engine::load(&o.run_dir, p.engine) {
                Ok(e) => {
                    engines.insert(p.engine, e);
                }
                Err(reason) => {
                    println!("SKIP: engine {} unavailable: {reason}", p.label);
                    continue;
                }
            }
        }
        active.push(p);
    }
    let started = Instant::now();
    let mut t = Tally {
        ok: 0,
        drift: 0,
        written: 0,
        skipped: 0,
        unreadable: 0,
        not_applicable: 0,
        flaky: 0,
        runs: 0,
        run_secs: 0.0,
    };
    let mut infra_strikes: BTreeMap<&str, usize> = BTreeMap::new();
    let mut bad_files = 0;
    let mut unchecked: Vec<String> = Vec::new();
    for f in &files {
        let is_smoke = f
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("smoke-"));
        if !is_smoke
            && o.budget
                .is_some_and(|b| started.elapsed().as_secs_f64() > b)
        {
            unchecked.push(
                f.file_stem()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            );
            continue;
        }
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                println!("ERROR {}: {e}", f.display());
                bad_files += 1;
                continue;
            }
        };
        let mut s = match Scenario::from_json(&text) {
            Ok(s) => s,
            Err(e) => {
                println!("ERROR {}:{e}", f.display());
                bad_files += 1;
                continue;
            }
        };
        let name = f
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let t0 = Instant::now();
        // One thread per daemon; a daemon's profiles run one after the other.
        let mut groups: BTreeMap<&str, Vec<&'static Profile>> = BTreeMap::new();
        for p in &active {
            if infra_strikes.get(p.engine).copied().unwrap_or(0) >= 3 {
                continue;
            }
            groups.entry(p.engine).or_default().push(p);
        }
        let results: Vec<(&'static Profile, Result<Outcome, docker::Infra>, Trace)> =
            std::thread::scope(|sc| {
                let handles: Vec<_> = groups
                    .iter()
                    .map(|(eng, ps)| {
                        let e = &engines[eng];
                        let s = &s;
                        sc.spawn(move || {
                            ps.iter()
                                .map(|p| {
                                    let mut tr = Trace::default();
                                    let r = run::run(e, p, s, &mut tr);
                                    (*p, r, tr)
                                })
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_default())
                    .collect()
            });
        let unchecked = unchecked_lines(&s);
        let mut changed = false;
        let mut lines = Vec::new();
        for (p, r, tr) in results {
            t.runs += 1;
            t.run_secs += tr.secs;
            if o.verbose {
                println!("---- {name} [{}] ({:.1}s)\n{}", p.label, tr.secs, tr.log);
            }
            match r {
                Err(docker::Infra(msg)) => {
                    *infra_strikes.entry(p.engine).or_default() += 1;
                    t.skipped += 1;
                    lines.push(format!("  SKIP {}: infrastructure: {msg}", p.label));
                    if infra_strikes[p.engine] == 3 {
                        lines.push(format!(
                            "  SKIP: engine {} unavailable: 3 infrastructure failures, not used any more",
                            p.engine
                        ));
                    }
                }
                Ok(Outcome::NotApplicable(why)) => {
                    infra_strikes.insert(p.engine, 0);
                    t.not_applicable += 1;
                    lines.push(format!("  n/a  {}: {why}", p.label));
                    if o.mode == Mode::Check && s.observed.contains_key(p.label) {
                        t.drift += 1;
                        lines.push(format!(
                            "  DRIFT {}: recorded, but the recorder no longer runs it here",
                            p.label
                        ));
                    }
                }
                Ok(Outcome::Unreadable(msg)) => {
                    infra_strikes.insert(p.engine, 0);
                    t.unreadable += 1;
                    lines.push(format!("  UNREADABLE {}: {msg}", p.label));
                }
                Ok(Outcome::Observed(mut obs)) => {
                    infra_strikes.insert(p.engine, 0);
                    let old = s.observed.get(p.label);
                    let mut d = match old {
                        Some(old) => drift(old, &obs, &unchecked),
                        None => vec!["not recorded yet".to_string()],
                    };
                    let mut tag = if d.is_empty() { "ok  " } else { "DIFF" };
                    if o.mode == Mode::Check && !d.is_empty() {
                        if let Some(old) = old {
                            // Drift must reproduce: run once more; agreeing now = flaky engine.
                            let mut tr2 = Trace::default();
                            if let Ok(Outcome::Observed(again)) =
                                run::run(&engines[p.engine], p, &s, &mut tr2)
                            {
                                if drift(old, &again, &unchecked).is_empty() {
                                    t.flaky += 1;
                                    tag = "FLAKY";
                                    d = d
                                        .into_iter()
                                        .map(|x| format!("{x} (once; the re-run agreed)"))
                                        .collect();
                                }
                            }
                        }
                    }
                    lines.push(format!(
                        "  {tag} {} ({:.1}s): {}",
                        p.label,
                        tr.secs,
                        summary(&obs)
                    ));
                    for x in &d {
                        lines.push(format!("       {x}"));
                    }
                    if d.is_empty() {
                        t.ok += 1;
                    } else if tag == "FLAKY" {
                        // reported, not drift
                    } else if o.mode == Mode::Check {
                        t.drift += 1;
                    }
                    if o.mode == Mode::Write {
                        if let Some(old) = old {
                            if old.engine == obs.engine && d.is_empty() && old.error == obs.error {
                                obs.recorded = old.recorded.clone();
                            }
                        }
                        if old != Some(&obs) {
                            s.observed.insert(p.label.to_string(), obs);
                            changed = true;
                        }
                    }
                }
            }
        }
        println!("{name} ({:.1}s)", t0.elapsed().as_secs_f64());
        for l in lines {
            println!("{l}");
        }
        if changed {
            let mut out = s.to_json_pretty();
            out.push('\n');
            match std::fs::write(f, out) {
                Ok(()) => t.written += 1,
                Err(e) => {
                    println!("ERROR writing {}: {e}", f.display());
                    bad_files += 1;
                }
            }
        }
    }
    let total = started.elapsed().as_secs_f64();
    if !unchecked.is_empty() {
        println!(
            "\nBUDGET: {} of {} scenarios not checked in this run (--budget {}s); first not checked: {}",
            unchecked.len(),
            files.len(),
            o.budget.unwrap_or_default(),
            unchecked[..unchecked.len().min(5)].join(", ")
        );
    }
    println!(
        "\n{} scenarios run, {} engine runs in {:.0}s wall ({:.1}s per scenario; {:.1}s per engine run); \
         {} ok, {} drift, {} flaky, {} unreadable, {} n/a, {} skipped, {} files written",
        files.len() - unchecked.len(),
        t.runs,
        total,
        if files.len() == unchecked.len() {
            0.0
        } else {
            total / (files.len() - unchecked.len()) as f64
        },
        if t.runs == 0 { 0.0 } else { t.run_secs / t.runs as f64 },
        t.ok,
        t.drift,
        t.flaky,
        t.unreadable,
        t.not_applicable,
        t.skipped,
        t.written
    );
    let failed = bad_files > 0 || t.unreadable > 0 || (o.mode == Mode::Check && t.drift > 0);
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use layerlab_engine::scenario::ObservedStep;

    fn obs(steps: &[(u32, &str)], error: Option<&str>) -> Observation {
        Observation {
            builder: "classic".into(),
            engine: "docker x".into(),
            setup: None,
            recorded: "2026-01-01".into(),
            steps: steps
                .iter()
                .map(|(l, s)| ObservedStep {
                    line: *l,
                    status: s.to_string(),
                })
                .collect(),
            error: error.map(String::from),
        }
    }

    #[test]
    fn drift_lists_each_changed_line_and_error_flip() {
        let none = std::collections::BTreeSet::new();
        let a = obs(&[(1, "cached"), (2, "cached"), (3, "rebuilt")], None);
        let mut b = obs(&[(1, "cached"), (2, "rebuilt"), (3, "rebuilt")], None);
        b.recorded = "2027-01-01".into();
        assert_eq!(
            drift(&a, &b, &none),
            vec!["line 2: recorded cached now rebuilt".to_string()]
        );
        assert!(drift(&a, &a, &none).is_empty());
        let c = obs(&[], Some("boom"));
        let d = drift(&a, &c, &none);
        assert!(d[0].contains("now fails: boom"), "{d:?}");
        assert_eq!(d.len(), 4);
    }

    #[test]
    fn rotation_keeps_smoke_first_and_every_scenario_once() {
        let names: Vec<String> = ["a", "smoke-1", "b", "c", "smoke-2", "d", "e"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let is_smoke = |n: &String| n.starts_with("smoke-");
        let mut starts = std::collections::BTreeSet::new();
        for seed in ["x", "y", "deadbeef", "0123456789abcdef", ""] {
            let r = rotated(names.clone(), seed, is_smoke);
            assert_eq!(&r[..2], ["smoke-1", "smoke-2"], "{r:?}");
            let mut sorted = r.clone();
            sorted.sort();
            let mut want = names.clone();
            want.sort();
            assert_eq!(sorted, want, "each scenario exactly once");
            // The rest keep their cyclic order.
            let rest = &r[2..];
            let i = ["a", "b", "c", "d", "e"]
                .iter()
                .position(|x| *x == rest[0])
                .unwrap();
            for (k, n) in rest.iter().enumerate() {
                assert_eq!(n, ["a", "b", "c", "d", "e"][(i + k) % 5]);
            }
            starts.insert(rest[0].clone());
        }
        assert!(
            starts.len() > 1,
            "different seeds start at different places"
        );
    }

    #[test]
    fn image_from_lines_are_not_drift_but_trigger_from_lines_are() {
        let mut s = Scenario {
            dockerfile: "FROM alpine AS base\nONBUILD RUN make\nFROM base\nRUN x\nFROM busybox\n"
                .into(),
            ..Default::default()
        };
        let u = unchecked_lines(&s);
        assert_eq!(u.into_iter().collect::<Vec<_>>(), vec![1, 5]);
        let a = obs(&[(1, "cached"), (3, "cached"), (4, "cached")], None);
        let b = obs(&[(1, "rebuilt"), (3, "rebuilt"), (4, "cached")], None);
        let d = drift(&a, &b, &unchecked_lines(&s));
        assert_eq!(d, vec!["line 3: recorded cached now rebuilt".to_string()]);
        // B's Dockerfile decides (an edited one in `change.dockerfile`).
        s.change.dockerfile = Some("RUN a\nFROM alpine\n".into());
        assert_eq!(unchecked_lines(&s).into_iter().collect::<Vec<_>>(), vec![2]);
    }

    #[test]
    fn profile_selection() {
        assert_eq!(select_profiles(&[]).unwrap().len(), 4);
        let d20 = select_profiles(&["d20".into()]).unwrap();
        assert_eq!(d20.len(), 1);
        assert_eq!(
            select_profiles(&["all".into()]).unwrap().len(),
            PROFILES.len()
        );
        let c = select_profiles(&["docker-26/classic".into()]).unwrap();
        assert_eq!(c[0].engine, "d26");
        assert!(select_profiles(&["nope".into()]).is_err());
    }
}
