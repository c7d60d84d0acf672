//! Simulation time: every scenario in tests/scenarios (typical files) and the generated
//! stress scenario. Run: `cargo bench -p layerlab-engine --bench simulate`.
//! Plain `Instant` timing, min and median over repeated runs; results go in
//! docs/benchmarks/simulate.md. `LAYERLAB_BENCH_ONLY=typical` or `=stress` runs one part
//! (for profiling, e.g. under `valgrind --tool=callgrind`); `LAYERLAB_BENCH_RUNS=n` sets
//! the number of timed runs (default 20 for typical files, 10 for stress).

use layerlab_engine::stress::{stress_scenario, STRESS};
use layerlab_engine::{simulate, Scenario};
use std::hint::black_box;
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static GLOBAL: layerlab_alloc::Mi = layerlab_alloc::Mi;

use std::time::{Duration, Instant};

fn measure(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    (times[0], times[times.len() / 2])
}

fn main() {
    let only = std::env::var("LAYERLAB_BENCH_ONLY").unwrap_or_default();
    let runs: Option<usize> = std::env::var("LAYERLAB_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok());
    if only.is_empty() || only == "typical" {
        typical(runs.unwrap_or(20));
    }
    if only.is_empty() || only == "stress" {
        stress(runs.unwrap_or(10));
    }
}

fn typical(runs: usize) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/scenarios");
    let mut scenarios: Vec<Scenario> = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if let Ok(t) = std::fs::read_to_string(e.path()) {
                if let Ok(s) = Scenario::from_json(&t) {
                    scenarios.push(s);
                }
            }
        }
    }
    let n = scenarios.len().max(1);
    let (min, med) = measure(runs, || {
        for s in &scenarios {
            black_box(simulate(black_box(s)));
        }
    });
    println!(
        "typical: {} scenarios, per scenario min {:.1} µs, median {:.1} µs",
        scenarios.len(),
        min.as_secs_f64() * 1e6 / n as f64,
        med.as_secs_f64() * 1e6 / n as f64
    );
}

fn stress(runs: usize) {
    let stress = stress_scenario(STRESS);
    println!(
        "stress: {} Dockerfile lines, {} context files, {} ignore patterns",
        stress.dockerfile.lines().count(),
        stress.context.len(),
        STRESS.ignore_patterns
    );
    let (min, med) = measure(runs, || {
        black_box(simulate(black_box(&stress)));
    });
    println!(
        "stress: min {:.2} ms, median {:.2} ms",
        min.as_secs_f64() * 1e3,
        med.as_secs_f64() * 1e3
    );
}
