use layerlab_engine::sim::build::BuildInput;
use layerlab_engine::stress::{stress_scenario, StressSize, STRESS};
use std::time::Instant;
fn main() {
    let pats: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().unwrap())
        .unwrap_or(0);
    let s = stress_scenario(StressSize {
        ignore_patterns: pats,
        ..STRESS
    });
    let t = Instant::now();
    let a = BuildInput::a(&s);
    println!("input a {:?}", t.elapsed());
    let t = Instant::now();
    let b = BuildInput::b(&s);
    println!("input b {:?}", t.elapsed());
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
