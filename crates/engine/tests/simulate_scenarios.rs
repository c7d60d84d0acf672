//! The simulator against every recorded observation in `tests/scenarios/*.json`, and snapshots
//! of its explanations in `tests/snapshots/`.
//!
//! - `observed_engines_agree_with_the_simulator`: for every scenario and every real-engine
//!   observation recorded in it, each instruction's status must equal the simulator's for that
//!   builder. FROM lines are not compared (engines report image pulls there, not cache hits).
//! - `explanations_match_snapshots`: the simulator's full text output per scenario is stored
//!   in `tests/snapshots/<name>.txt`; set `UPDATE_SNAPSHOTS=1` to rewrite them, then review the
//!   diff like code.

use layerlab_engine::report::{BuilderReport, Status};
use layerlab_engine::scenario::BuilderSetup;
use layerlab_engine::{simulate, simulate_with, Engine, Scenario, SimOptions};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scenarios() -> Vec<(String, Scenario)> {
    let dir = root().join("tests/scenarios");
    let mut out = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        let s = Scenario::from_json(&text).unwrap_or_else(|e| panic!("{}:{e}", p.display()));
        let name = p.file_stem().unwrap().to_string_lossy().to_string();
        out.push((name, s));
    }
    out
}

fn report_for<'a>(r: &'a layerlab_engine::Report, builder: &str) -> Option<&'a BuilderReport> {
    match builder {
        "classic" => Some(&r.builders.classic),
        "buildkit" => Some(&r.builders.buildkit),
        _ => None,
    }
}

/// Does this observation describe the setup the scenario simulates?
fn applies(s: &Scenario, obs: &layerlab_engine::scenario::Observation) -> bool {
    if obs.builder != "buildkit" {
        return true;
    }
    let want = match s.builder_setup {
        BuilderSetup::DockerDriver => "docker-driver",
        BuilderSetup::Container => "container",
    };
    obs.setup.as_deref().is_none_or(|x| x == want)
}

/// Lines of FROM instructions whose base is an earlier stage with ONBUILD triggers.
fn from_lines_running_triggers(text: &str) -> Vec<u32> {
    use layerlab_engine::ast::Command;
    let df = layerlab_engine::parse(text);
    let mut out = Vec::new();
    for (i, st) in df.stages.iter().enumerate() {
        let Command::From(f) = &df.instructions[st.from].command else {
            continue;
        };
        let parent = df.stages[..i]
            .iter()
            .find(|p| p.name.as_deref() == Some(f.image.to_ascii_lowercase().as_str()));
        let has_triggers = parent.is_some_and(|p| {
            p.commands
                .iter()
                .any(|&c| matches!(df.instructions[c].command, Command::Onbuild { .. }))
        });
        if has_triggers {
            out.push(df.instructions[st.from].span.line);
        }
    }
    out
}

#[test]
fn observed_engines_agree_with_the_simulator() {
    let mut compared = 0;
    let mut failures = Vec::new();
    for (name, s) in scenarios() {
        if s.observed.is_empty() {
            continue;
        }
        let current = simulate(&s);
        let legacy = simulate_with(
            &s,
            SimOptions {
                engine: Engine::Docker2010,
            },
        );
        let b_text = s.dockerfile_b().to_string();
        let lines: Vec<&str> = b_text.lines().collect();
        let runs_triggers = from_lines_running_triggers(&b_text);
        for (label, obs) in &s.observed {
            if !applies(&s, obs) {
                continue;
            }
            // Docker 20.10 observations are checked against the 20.10 engine profile.
            let report = if label.starts_with("docker-20.10") {
                &legacy
            } else {
                &current
            };
            let Some(rep) = report_for(report, &obs.builder) else {
                failures.push(format!("{name} [{label}]: unknown builder {}", obs.builder));
                continue;
            };
            if let Some(err) = &obs.error {
                compared += 1;
                if rep.errors.is_empty() {
                    failures.push(format!(
                        "{name} [{label}]: the engine failed ({err}) but the simulator reports no error"
                    ));
                }
                if obs.steps.is_empty() {
                    continue;
                }
            }
            for o in &obs.steps {
                let text = lines
                    .get((o.line as usize).saturating_sub(1))
                    .map(|l| l.trim())
                    .unwrap_or("");
                // A FROM line's status is about pulling the base, which the recorder reads
                // per engine; but where the stage runs ONBUILD triggers of a parent stage,
                // the triggers execute on that line, so it is compared like any step.
                if text.to_ascii_uppercase().starts_with("FROM") && !runs_triggers.contains(&o.line)
                {
                    continue;
                }
                compared += 1;
                let sim = rep.steps.iter().find(|v| v.line == o.line);
                let got = sim.map(|v| v.status.as_str()).unwrap_or("missing");
                if got != o.status {
                    let why = sim
                        .and_then(|v| v.reasons.first())
                        .map(|r| format!(" — simulator says: {}", r.message))
                        .unwrap_or_default();
                    failures.push(format!(
                        "{name} [{label} {}] line {} `{text}`: engine {} vs simulator {got}{why}",
                        obs.engine, o.line, o.status
                    ));
                }
            }
        }
    }
    eprintln!("compared {compared} recorded step results");
    assert!(
        failures.is_empty(),
        "{} disagreements between recorded engines and the simulator:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn render(s: &Scenario) -> String {
    let report = simulate(s);
    let b_text = s.dockerfile_b().to_string();
    let lines: Vec<&str> = b_text.lines().collect();
    let mut out = String::new();
    for d in &report.diagnostics {
        let _ = writeln!(
            out,
            "diagnostic {}:{}: {}",
            d.span.line, d.span.col, d.message
        );
    }
    for (name, rep) in [
        ("classic", &report.builders.classic),
        ("buildkit", &report.builders.buildkit),
    ] {
        let _ = writeln!(out, "== {name}: {}", rep.summary);
        for v in &rep.steps {
            let text = lines
                .get((v.line as usize).saturating_sub(1))
                .map(|l| l.trim())
                .unwrap_or("");
            let _ = writeln!(out, "{:>3} {:<8} {text}", v.line, v.status.as_str());
            if matches!(v.status, Status::Rebuilt | Status::Cached | Status::NotRun) {
                for r in &v.reasons {
                    let at = r.line.map(|l| format!(" @{l}")).unwrap_or_default();
                    let _ = writeln!(out, "      {}{at}: {}", r.code, r.message);
                }
            }
        }
        for e in &rep.errors {
            let _ = writeln!(out, "error @{}: {}", e.span.line, e.message);
        }
    }
    out
}

#[test]
fn explanations_match_snapshots() {
    let dir = root().join("tests/snapshots");
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    if update {
        std::fs::create_dir_all(&dir).unwrap();
    }
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, s) in scenarios() {
        let got = render(&s);
        let path = dir.join(format!("{name}.txt"));
        if update {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if want == got => checked += 1,
            Ok(want) => failures.push(format!(
                "{name}: explanation changed\n--- snapshot\n{want}\n+++ now\n{got}"
            )),
            Err(_) => failures.push(format!(
                "{name}: no snapshot at {} (run with UPDATE_SNAPSHOTS=1)",
                path.display()
            )),
        }
    }
    eprintln!("{checked} snapshots match");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The fast path that derives B's context from A's must agree with building it from scratch.
#[test]
fn derived_context_of_b_equals_a_fresh_one() {
    use layerlab_engine::sim::build::BuildInput;
    let mut checked = 0;
    for (name, s) in scenarios() {
        let a = BuildInput::a(&s);
        let fast = BuildInput::b_from(&s, &a);
        let slow = BuildInput::b(&s);
        assert_eq!(
            fast.context.files, slow.context.files,
            "{name}: visible files differ"
        );
        assert_eq!(
            fast.context.ignored, slow.context.ignored,
            "{name}: ignored files differ"
        );
        assert_eq!(fast.df, slow.df, "{name}: parsed Dockerfile differs");
        checked += 1;
    }
    assert!(checked > 0);
}
