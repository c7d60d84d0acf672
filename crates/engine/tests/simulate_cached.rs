//! `simulate_cached` must give exactly `simulate_with`'s report, whatever the cache holds:
//! the same scenario again, its Dockerfile edited (build A's context derived from the
//! cached one), another scenario's context (rebuilt), and the stress scenario.

use layerlab_engine::{simulate_cached, simulate_with, Engine, Scenario, SimCache, SimOptions};
use std::path::PathBuf;

fn scenarios() -> Vec<(String, Scenario)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenarios");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let s = Scenario::from_json(&text).unwrap_or_else(|e| panic!("{}:{e}", p.display()));
            (p.file_stem().unwrap().to_string_lossy().to_string(), s)
        })
        .collect()
}

/// The scenario with both Dockerfiles edited the way typing does: a line added at the end.
fn edited(s: &Scenario, line: &str) -> Scenario {
    let mut e = s.clone();
    e.dockerfile.push_str(line);
    if let Some(b) = &mut e.change.dockerfile {
        b.push_str(line);
    }
    e
}

fn check(cache: &mut SimCache, name: &str, s: &Scenario, opts: SimOptions) {
    let cached = simulate_cached(s, opts, cache);
    assert!(
        cached.report == simulate_with(s, opts),
        "{name}: the cached simulation's report differs"
    );
    assert_eq!(
        *cached.df_b,
        layerlab_engine::parse(s.dockerfile_b()),
        "{name}"
    );
    assert_eq!(
        *cached.df_a,
        layerlab_engine::parse(&s.dockerfile),
        "{name}"
    );
}

#[test]
fn cached_simulation_equals_a_fresh_one() {
    let mut cache = SimCache::default();
    let all = scenarios();
    assert!(!all.is_empty());
    for (name, s) in &all {
        for engine in [Engine::Modern, Engine::Docker2010] {
            let opts = SimOptions { engine };
            check(&mut cache, name, s, opts);
            check(&mut cache, name, s, opts);
            check(&mut cache, name, &edited(s, "\nRUN echo typed"), opts);
            check(&mut cache, name, &edited(s, "\nCOPY . /all"), opts);
            check(&mut cache, name, s, opts);
        }
    }
    let stress = layerlab_engine::stress::stress_scenario(layerlab_engine::stress::StressSize {
        instructions: 200,
        stages: 4,
        context_paths: 2000,
        ignore_patterns: 20,
    });
    let opts = SimOptions::default();
    check(&mut cache, "stress", &stress, opts);
    check(
        &mut cache,
        "stress",
        &edited(&stress, "\nRUN echo typed"),
        opts,
    );
    check(
        &mut cache,
        "stress",
        &edited(&stress, "\nCOPY pkg7/ /x"),
        opts,
    );
}
