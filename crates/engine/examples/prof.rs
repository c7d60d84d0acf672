//! Profiling aid for the stress scenario: `prof [PATTERNS] [sim|cold|resim]`.
//! Without `sim` it times the phases (inputs A and B, alignment, two simulations); with
//! `sim` it runs one simulation only, for `valgrind --tool=callgrind` or `perf record`.
//! `prof N key` types N characters into the playground's keystroke-bench scenario
//! (`tests/e2e/bench.mjs`' `stressScenario(300)`) through `simulate_cached`, as the editor does.
use layerlab_engine::sim::build::BuildInput;
use layerlab_engine::stress::{stress_scenario, StressSize, STRESS};
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static GLOBAL: layerlab_alloc::Mi = layerlab_alloc::Mi;

use std::time::Instant;
fn main() {
    let pats: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().unwrap())
        .unwrap_or(0);
    let only_sim = std::env::args().nth(2).as_deref() == Some("sim");
    let s = stress_scenario(StressSize {
        ignore_patterns: pats,
        ..STRESS
    });
    let mode = std::env::args().nth(2);
    if mode.as_deref() == Some("key") {
        keystrokes(pats);
        return;
    }
    if matches!(mode.as_deref(), Some("cold" | "resim")) {
        // `cold`: one simulate_cached with an empty cache; `resim`: that, then the same
        // scenario with a line typed into its Dockerfile (the editor's keystroke). Under
        // callgrind, `resim` minus `cold` is the cost of the re-simulation.
        let opts = layerlab_engine::SimOptions::default();
        let mut cache = layerlab_engine::SimCache::default();
        let t = Instant::now();
        let _ = std::hint::black_box(layerlab_engine::simulate_cached(&s, opts, &mut cache));
        println!("simulate_cached, cold {:?}", t.elapsed());
        if mode.as_deref() == Some("resim") {
            let mut typed = s.clone();
            typed.dockerfile.push_str("RUN echo typed\n");
            let t = Instant::now();
            let r = layerlab_engine::simulate_cached(&typed, opts, &mut cache);
            let _ = std::hint::black_box(r);
            println!("simulate_cached, Dockerfile edited {:?}", t.elapsed());
        }
        return;
    }
    if only_sim {
        let t = Instant::now();
        let _ = std::hint::black_box(layerlab_engine::simulate(&s));
        println!("simulate {:?}", t.elapsed());
        return;
    }
    let t = Instant::now();
    let a = BuildInput::a(&s);
    println!("input a {:?}", t.elapsed());
    let t = Instant::now();
    let b = BuildInput::b_from(&s, &a);
    println!("input b (from a) {:?}", t.elapsed());
    let t = Instant::now();
    let al = layerlab_engine::sim::align(&a.df, &b.df);
    println!("align {:?}", t.elapsed());
    let _ = al;
    for _ in 0..2 {
        let t = Instant::now();
        let _ = layerlab_engine::simulate(&s);
        println!("simulate {:?}", t.elapsed());
    }
}

/// The scenario `stressScenario(300)` of tests/e2e/bench.mjs builds (same text and files).
fn app_stress() -> layerlab_engine::Scenario {
    use layerlab_engine::scenario::FileSpec;
    let mut lines: Vec<String> = vec![
        "# syntax=docker/dockerfile:1".into(),
        "ARG BASE=debian:bookworm-slim".into(),
        "ARG VERSION=1".into(),
    ];
    let mut s = layerlab_engine::Scenario::default();
    let mut stage = 0;
    while lines.len() < 300 {
        lines.push(format!("FROM ${{BASE}} AS s{stage}"));
        lines.push("ARG VERSION".into());
        lines.push("ENV APP_VERSION=${VERSION} PATH=/opt/bin:$PATH".into());
        lines.push("WORKDIR /src".into());
        for i in 0..12 {
            s.context.insert(
                format!("s{stage}/f{i}.txt"),
                FileSpec::Content(format!("file {i} of stage {stage}\n")),
            );
            lines.push(format!("COPY s{stage}/f{i}.txt ./f{i}.txt"));
            lines.push(format!("RUN --mount=type=cache,target=/var/cache/apt \\\n    apt-get update && apt-get install -y pkg{i} && echo {i} >> /log"));
        }
        if stage > 0 {
            lines.push(format!("COPY --from=s{} /src /prev", stage - 1));
        }
        stage += 1;
    }
    s.dockerfile = lines.join("\n") + "\n";
    s.args.insert("VERSION".into(), "1".into());
    s.change.args.insert("VERSION".into(), Some("2".into()));
    s.change
        .files
        .insert("s0/f3.txt".into(), FileSpec::Content("changed\n".into()));
    s
}

/// `n` keystrokes (a character typed after the first `RUN `, then deleted, alternately).
fn keystrokes(n: usize) {
    let base = app_stress();
    let opts = layerlab_engine::SimOptions::default();
    let mut cache = layerlab_engine::SimCache::default();
    let _ = layerlab_engine::simulate_cached(&base, opts, &mut cache);
    let at = base.dockerfile.find("RUN ").unwrap() + 4;
    let mut typed = base.clone();
    typed.dockerfile.insert(at, 'x');
    let mut times = Vec::new();
    for i in 0..n.max(1) {
        let s = if i % 2 == 0 { &typed } else { &base };
        let t = Instant::now();
        let r = layerlab_engine::simulate_cached(s, opts, &mut cache);
        std::hint::black_box(r);
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "{} lines, {} keystrokes: min {:?} median {:?}",
        base.dockerfile.lines().count(),
        times.len(),
        times[0],
        times[times.len() / 2]
    );
}
