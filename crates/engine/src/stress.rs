//! A generated stress scenario for benchmarks (CLI bench, app keystroke bench): many
//! instructions and stages, a large context and many ignore patterns.

use crate::scenario::{FileSpec, Scenario};
use std::fmt::Write as _;

/// Sizes of the generated scenario.
#[derive(Clone, Copy, Debug)]
pub struct StressSize {
    pub instructions: usize,
    pub stages: usize,
    pub context_paths: usize,
    pub ignore_patterns: usize,
}

/// The stress size: 2,000 instructions, 40 stages, 20,000 paths, 200 patterns.
pub const STRESS: StressSize = StressSize {
    instructions: 2000,
    stages: 40,
    context_paths: 20_000,
    ignore_patterns: 200,
};

/// Builds a multi-stage scenario where a build arg and one source file change for build B.
pub fn stress_scenario(size: StressSize) -> Scenario {
    let stages = size.stages.max(1);
    let per_stage = (size.instructions / stages).max(2);
    let mut df = String::from("ARG BASE=layerlab/base:1\n");
    for s in 0..stages {
        let _ = writeln!(df, "FROM ${{BASE}} AS s{s}");
        let _ = writeln!(df, "ARG VERSION");
        let _ = writeln!(df, "WORKDIR /src/s{s}");
        for i in 0..per_stage.saturating_sub(3) {
            match i % 6 {
                0 => {
                    let _ = writeln!(df, "COPY pkg{}/ ./pkg{}/", (s + i) % 50, i);
                }
                1 => {
                    let _ = writeln!(df, "RUN echo step {i} > /out{i}");
                }
                2 => {
                    let _ = writeln!(df, "ENV S{s}_{i}=value-$VERSION");
                }
                3 if s > 0 => {
                    let _ = writeln!(df, "COPY --from=s{} /src /prev{}", s - 1, i);
                }
                4 => {
                    let _ = writeln!(df, "LABEL step{i}=\"{s}\"");
                }
                _ => {
                    let _ = writeln!(df, "RUN --mount=type=cache,target=/cache echo {i}");
                }
            }
        }
    }
    // Collected, not inserted one by one: the paths are not generated in sorted order, and
    // the scenario's map is a sorted vector.
    let context: crate::scenario::Map<String, FileSpec> = (0..size.context_paths)
        .map(|p| {
            (
                format!("pkg{}/dir{}/file{p}.txt", p % 50, p % 17),
                FileSpec::Content(format!("content {p}\n")),
            )
        })
        .collect();
    let mut ignore = String::new();
    for i in 0..size.ignore_patterns {
        let _ = writeln!(ignore, "**/ignored{i}/**");
    }
    let mut s = Scenario {
        name: Some("stress".into()),
        dockerfile: df,
        context,
        dockerignore: Some(ignore),
        ..Default::default()
    };
    s.args.insert("VERSION".into(), "1".into());
    s.change.args.insert("VERSION".into(), Some("2".into()));
    s.change.files.insert(
        "pkg7/dir7/file7.txt".into(),
        FileSpec::Content("changed\n".into()),
    );
    s
}
