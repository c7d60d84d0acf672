//! Parser benchmark (not a test): `cargo bench -p layerlab-engine --bench parse`.
//!
//! 1. The real-world corpus (`../shared/corpus/real-world`, skipped when absent): every
//!    file parsed (nodes + typed instructions + stages), repeated, min/median reported.
//! 2. Hostile ~1 MiB inputs, to show the parser stays linear where a naive one would not.
//!
//! Plain `std::time::Instant`, no harness. `LAYERLAB_BENCH_ITERS` sets the repetitions,
//! `LAYERLAB_BENCH_ONLY=word` runs only the cases whose name contains `word` (for profiling),
//! `LAYERLAB_BENCH_SCALE=x` sets the size of the large hostile inputs (default 1 MB).

use layerlab_engine::parse;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn stats(mut v: Vec<Duration>) -> (Duration, Duration, Duration) {
    v.sort();
    (v[0], v[v.len() / 2], v[v.len() - 1])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn time_it(iters: usize, mut f: impl FnMut()) -> (Duration, Duration, Duration) {
    for _ in 0..3 {
        f();
    }
    let mut times = Vec::with_capacity(iters);
    for _ in 0..iters {
        let t = Instant::now();
        f();
        times.push(t.elapsed());
    }
    stats(times)
}

fn corpus() -> Option<Vec<String>> {
    let dir = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/real-world"
    ));
    let rd = std::fs::read_dir(&dir).ok()?;
    let mut paths: Vec<_> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    paths.sort();
    Some(
        paths
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .collect(),
    )
}

/// Hostile inputs of about `mb` MB each.
fn hostile(mb: f64) -> Vec<(&'static str, String)> {
    #[allow(non_snake_case)]
    let MB: usize = (mb * 1e6) as usize;
    vec![
        (
            "many small instructions",
            format!("FROM a\n{}", "RUN echo x\n".repeat(MB / 11)),
        ),
        (
            "one RUN, 80k continuation lines",
            format!("FROM a\nRUN {}true\n", "echo x && \\\n".repeat(MB / 12)),
        ),
        (
            "continuation full of comments",
            format!("FROM a\nRUN a \\\n{}b\n", "# c\n\n".repeat(MB / 6)),
        ),
        ("one 1 MB line", format!("FROM a\nRUN {}\n", "x".repeat(MB))),
        (
            "heredoc bodies",
            format!("FROM a\n{}", "RUN <<EOF\necho hi\nEOF\n".repeat(MB / 22)),
        ),
        (
            "250k heredoc words, no body",
            format!("FROM a\nCOPY {}/\n", "<<A ".repeat(MB / 4)),
        ),
        (
            "deep ${a:-...} nesting",
            format!("FROM a\nRUN <<EOF {}\nEOF\n", "${a:-".repeat(MB / 5)),
        ),
        (
            "ONBUILD chain",
            format!("FROM a\n{}RUN x\n", "ONBUILD ".repeat(MB / 8)),
        ),
        (
            "unknown instructions (did-you-mean)",
            "COPPY a b\n".repeat(MB / 10),
        ),
        (
            "JSON arrays",
            format!("FROM a\n{}", "CMD [\"a\", \"b\", \"c\"]\n".repeat(MB / 21)),
        ),
    ]
}

fn main() {
    let iters: usize = std::env::var("LAYERLAB_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);

    let only = std::env::var("LAYERLAB_BENCH_ONLY").unwrap_or_default();
    match corpus() {
        _ if !"corpus".contains(only.as_str()) => {}
        Some(files) if !files.is_empty() => {
            let bytes: usize = files.iter().map(String::len).sum();
            let (min, med, max) = time_it(iters, || {
                for f in &files {
                    black_box(parse(black_box(f)));
                }
            });
            println!(
                "corpus: {} files, {:.2} MB, {iters} runs: min {:.2} ms, median {:.2} ms, max {:.2} ms ({:.0} MB/s at median)",
                files.len(),
                bytes as f64 / 1e6,
                ms(min),
                ms(med),
                ms(max),
                bytes as f64 / 1e6 / med.as_secs_f64()
            );
        }
        _ => println!("SKIP corpus: ../shared/corpus/real-world not found"),
    }

    // Each hostile input at 0.1 MB and 1 MB: a linear parser takes ~10x longer for the
    // larger one, a quadratic one ~100x.
    let hostile_iters = (iters / 5).max(3);
    let small = hostile(0.1);
    let scale: f64 = std::env::var("LAYERLAB_BENCH_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    let large = hostile(scale);
    for ((name, s_text), (_, l_text)) in small.iter().zip(&large) {
        if !name.contains(only.as_str()) {
            continue;
        }
        let (s_min, _, _) = time_it(hostile_iters, || {
            black_box(parse(black_box(s_text)));
        });
        let (l_min, l_med, _) = time_it(hostile_iters, || {
            black_box(parse(black_box(l_text)));
        });
        println!(
            "hostile: {name:<38} {:>5.2} MB  min {:>8.2} ms  median {:>8.2} ms   (0.1 MB: {:>6.2} ms, ratio {:>5.1}x)",
            l_text.len() as f64 / 1e6,
            ms(l_min),
            ms(l_med),
            ms(s_min),
            l_min.as_secs_f64() / s_min.as_secs_f64().max(1e-9)
        );
    }
}
