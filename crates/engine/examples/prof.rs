//! Profiling aid for the stress scenario: `prof [PATTERNS] [sim|cold|resim]`.
//! Without `sim` it times the phases (inputs A and B, alignment, two simulations); with
//! `sim` it runs one simulation only, for `valgrind --tool=callgrind` or `perf record`.
use layerlab_engine::sim::build::BuildInput;
use layerlab_engine::stress::{stress_scenario, StressSize, STRESS};
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
