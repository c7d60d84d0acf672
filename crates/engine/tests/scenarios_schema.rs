//! Checks every scenario fixture in `tests/scenarios/*.json` against the schema
//! (`layerlab_engine::Scenario`) and against the conventions of `docs/SCENARIOS.md`:
//! it parses, it says what it pins down, the paths it changes exist, its Dockerfiles parse,
//! its `rerun_output` lines are RUN lines, its targets are stages, and it only uses the base
//! images the recorder provides.

use layerlab_engine::scenario::CacheSource;
use layerlab_engine::{parse, Scenario, Severity};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Images the recorder imports (docs/RECORDING.md). Anything else in `FROM` cannot be built
/// offline.
const RECORDER_IMAGES: &[&str] = &["layerlab/base:1", "layerlab/base:2", "layerlab/tools:1"];

/// Minimum number of scenarios authored for issue 3 (files not named `smoke-*`).
const MIN_SCENARIOS: usize = 85;

/// Scenarios whose Dockerfile is *expected* to produce a parser error diagnostic, with why.
/// Add `(file, reason)` only for a deliberate error case.
const PARSE_ERRORS_EXPECTED: &[(&str, &str)] = &[(
    "parse-run-before-from.json",
    "pins down that both builders reject a RUN before the first FROM before any step runs",
)];

fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenarios")
}

fn load_all() -> Vec<(String, String)> {
    let dir = scenario_dir();
    let mut out = Vec::new();
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        out.push((file, text));
    }
    out.sort();
    out
}

/// Stage names declared with `FROM ... AS name` (lower-cased), in file order, plus the
/// images named by `FROM` lines that are not earlier stages.
fn stages_and_images(dockerfile: &str) -> (Vec<String>, Vec<String>) {
    let mut stages: Vec<String> = Vec::new();
    let mut images = Vec::new();
    for line in dockerfile.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() || !words[0].eq_ignore_ascii_case("FROM") {
            continue;
        }
        let args: Vec<&str> = words[1..]
            .iter()
            .copied()
            .filter(|w| !w.starts_with("--"))
            .collect();
        let Some(image) = args.first() else { continue };
        let image = image.to_string();
        if !stages.contains(&image.to_ascii_lowercase()) && image != "scratch" {
            images.push(image);
        }
        if args.len() == 3 && args[1].eq_ignore_ascii_case("as") {
            stages.push(args[2].to_ascii_lowercase());
        }
    }
    (stages, images)
}

/// True when a description cites a semantics.md rule (`R7`, `§3.4`), a user story or the
/// pitfall gallery.
fn names_a_rule(description: &str) -> bool {
    let lower = description.to_ascii_lowercase();
    if lower.contains("user story") || lower.contains("pitfall") || description.contains("§3.") {
        return true;
    }
    let b = description.as_bytes();
    (0..b.len()).any(|i| {
        b[i] == b'R'
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && b.get(i + 1).is_some_and(|c| c.is_ascii_digit())
    })
}

fn check(file: &str, text: &str, problems: &mut Vec<String>) -> Option<Scenario> {
    let mut bad = |msg: String| problems.push(format!("{file}: {msg}"));
    let s = match Scenario::from_json(text) {
        Ok(s) => s,
        Err(e) => {
            bad(e);
            return None;
        }
    };

    let stem = file.trim_end_matches(".json");
    let well_named = stem.contains('-')
        && !stem.starts_with('-')
        && !stem.ends_with('-')
        && stem
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !well_named {
        bad("file name must be <topic>-<what>.json in lower-case kebab-case".into());
    }
    if s.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        bad("missing `name`".into());
    }
    match s.description.as_deref() {
        None => bad("missing `description`".into()),
        Some(d) if d.trim().is_empty() => bad("missing `description`".into()),
        Some(d) if !file.starts_with("smoke-") && !names_a_rule(d) => bad(
            "description must name the rule it pins down (R<n>, §3.<n>, user story or pitfall)"
                .into(),
        ),
        Some(_) => {}
    }

    // Paths the change refers to must exist in A's context (or be added by the change).
    let known = |p: &String| s.context.contains_key(p) || s.change.files.contains_key(p);
    for p in &s.change.removed {
        if !s.context.contains_key(p) {
            bad(format!("change.removed path `{p}` is not in the context"));
        }
    }
    for p in &s.change.touched {
        if !known(p) {
            bad(format!("change.touched path `{p}` is not in the context"));
        }
    }
    for (p, mode) in &s.change.chmod {
        if !known(p) {
            bad(format!("change.chmod path `{p}` is not in the context"));
        }
        if layerlab_engine::scenario::parse_mode(mode).is_none() {
            bad(format!("change.chmod mode `{mode}` for `{p}` is not octal"));
        }
    }
    for (p, spec) in &s.context {
        if let layerlab_engine::scenario::FileSpec::Full { mode: Some(m), .. } = spec {
            if layerlab_engine::scenario::parse_mode(m).is_none() {
                bad(format!("context mode `{m}` for `{p}` is not octal"));
            }
        }
    }

    // Both Dockerfiles parse without error diagnostics (vacuous while the parser is a stub).
    let expected_error = PARSE_ERRORS_EXPECTED.iter().any(|(f, _)| *f == file);
    for (which, df) in [("A", s.dockerfile.as_str()), ("B", s.dockerfile_b())] {
        if df.trim().is_empty() {
            bad(format!("Dockerfile {which} is empty"));
            continue;
        }
        if df.lines().any(|l| {
            let l = l.trim_start().to_ascii_lowercase();
            l.starts_with('#') && l.trim_start_matches('#').trim_start().starts_with("syntax")
        }) {
            bad(format!(
                "Dockerfile {which} has a `# syntax=` directive (frontend images cannot be pulled)"
            ));
        }
        let parsed = parse(df);
        if !expected_error {
            for d in parsed
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
            {
                bad(format!(
                    "Dockerfile {which} {}:{}: {} ({})",
                    d.span.line, d.span.col, d.message, d.code
                ));
            }
        }
    }

    // rerun_output keys are 1-based lines of B's Dockerfile holding a RUN instruction, or a
    // `COPY --from=<image>` whose image gets a new digest.
    let b_lines: Vec<&str> = s.dockerfile_b().lines().collect();
    for key in s.rerun_output.keys() {
        match key.parse::<usize>() {
            Ok(n) if n >= 1 && n <= b_lines.len() => {
                let l = b_lines[n - 1].trim_start();
                let run = l.get(..4).is_some_and(|k| k.eq_ignore_ascii_case("RUN "));
                let image_copy = l
                    .get(..12)
                    .is_some_and(|k| k.eq_ignore_ascii_case("COPY --from="))
                    && l.split_whitespace()
                        .next()
                        .zip(l.split_whitespace().nth(1))
                        .is_some_and(|(_, f)| f.contains(['/', ':']));
                if !run && !image_copy {
                    bad(format!("rerun_output line {n} is not a RUN: `{l}`"));
                }
            }
            _ => bad(format!(
                "rerun_output key `{key}` is not a line of B's Dockerfile"
            )),
        }
    }

    // Targets and cache_from_stages name stages; FROM images are ones the recorder has.
    let (stages_a, images_a) = stages_and_images(&s.dockerfile);
    let (stages_b, images_b) = stages_and_images(s.dockerfile_b());
    if let Some(t) = &s.target {
        if !stages_a.contains(&t.to_ascii_lowercase()) {
            bad(format!("target `{t}` is not a stage of Dockerfile A"));
        }
    }
    let target_b = s.change.target.as_ref().or(s.target.as_ref());
    if let Some(t) = target_b {
        if !stages_b.contains(&t.to_ascii_lowercase()) {
            bad(format!("target `{t}` is not a stage of Dockerfile B"));
        }
    }
    for st in &s.cache.cache_from_stages {
        if !stages_a.contains(&st.to_ascii_lowercase()) {
            bad(format!(
                "cache_from_stages `{st}` is not a stage of Dockerfile A"
            ));
        }
    }
    for img in images_a.iter().chain(&images_b) {
        if !img.contains('$') && !RECORDER_IMAGES.contains(&img.as_str()) {
            bad(format!(
                "FROM `{img}` is not an image the recorder provides"
            ));
        }
    }
    for img in &s.change.base_rebuilt {
        if !RECORDER_IMAGES.contains(&img.as_str()) {
            bad(format!(
                "base_rebuilt `{img}` is not an image the recorder provides"
            ));
        }
    }

    // Cache options only where they mean something (docs/SCENARIOS.md).
    let src = s.cache.source;
    if s.cache.inline_cache && !matches!(src, CacheSource::CacheFromImage | CacheSource::SaveLoad) {
        bad("cache.inline_cache is only meaningful for cache-from-image / save-load".into());
    }
    if !s.cache.cache_from_stages.is_empty() && src != CacheSource::CacheFromImage {
        bad("cache.cache_from_stages is only meaningful for cache-from-image".into());
    }
    if let Some(b) = &s.cache.backend {
        if !matches!(src, CacheSource::ExportMin | CacheSource::ExportMax) {
            bad("cache.backend is only meaningful for export-min / export-max".into());
        }
        if !["registry", "local", "gha"].contains(&b.as_str()) {
            bad(format!("cache.backend `{b}` is not registry, local or gha"));
        }
    }
    Some(s)
}

#[test]
fn every_scenario_is_valid() {
    let files = load_all();
    let mut problems = Vec::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut authored = 0;
    for (file, text) in &files {
        if !file.starts_with("smoke-") {
            authored += 1;
        }
        if let Some(s) = check(file, text, &mut problems) {
            if let Some(n) = s.name {
                if let Some(other) = names.insert(n.clone(), file.clone()) {
                    problems.push(format!("{file}: name `{n}` already used by {other}"));
                }
            }
        }
    }
    assert!(
        authored >= MIN_SCENARIOS,
        "only {authored} scenarios in {} (want at least {MIN_SCENARIOS})",
        scenario_dir().display()
    );
    assert!(
        problems.is_empty(),
        "{} problem(s) in scenario fixtures:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_cache_source_and_setup_is_exercised() {
    let mut seen = BTreeSet::new();
    for (file, text) in load_all() {
        let s = Scenario::from_json(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        seen.insert(format!("{:?}/{:?}", s.cache.source, s.builder_setup));
        seen.insert(format!("{:?}", s.cache.source));
        if s.cache.inline_cache {
            seen.insert(format!("{:?}+inline", s.cache.source));
        }
    }
    for want in [
        "Local",
        "None",
        "CacheFromImage",
        "CacheFromImage+inline",
        "ExportMin",
        "ExportMax",
        "SaveLoad",
        "SaveLoad+inline",
        "Local/Container",
        "ExportMax/Container",
    ] {
        assert!(
            seen.contains(want),
            "no scenario covers {want}; seen: {seen:?}"
        );
    }
}

#[test]
fn checker_rejects_broken_scenarios() {
    // The checks above must be able to fail: feed them deliberately broken fixtures.
    let cases = [
        (
            "bad.json",
            r#"{"dockerfile":"FROM layerlab/base:1\n"}"#,
            "file name",
        ),
        (
            "x-y.json",
            r#"{"name":"n","description":"d","dockerfile":"FROM layerlab/base:1\n","change":{"touched":["nope.txt"]}}"#,
            "change.touched path `nope.txt`",
        ),
        (
            "x-y.json",
            r#"{"name":"n","description":"d","dockerfile":"FROM layerlab/base:1\nCOPY a /a\n","context":{"a":"1"},"rerun_output":{"2":"identical"}}"#,
            "rerun_output line 2 is not a RUN",
        ),
        (
            "x-y.json",
            r#"{"name":"n","description":"d","dockerfile":"FROM ubuntu:22.04\n"}"#,
            "FROM `ubuntu:22.04`",
        ),
        (
            "x-y.json",
            r#"{"name":"n","description":"d","dockerfile":"FROM layerlab/base:1 AS a\n","target":"b"}"#,
            "target `b`",
        ),
        (
            "x-y.json",
            r#"{"description":"d","dockerfile":"FROM layerlab/base:1\n"}"#,
            "missing `name`",
        ),
        (
            "x-y.json",
            r#"{"name":"n","description":"d","dockerfile":"FROM layerlab/base:1\n","cache":{"source":"local","inline_cache":true}}"#,
            "inline_cache",
        ),
        (
            "x-y.json",
            r#"{"name":"n","description":"Rebuilds stuff.","dockerfile":"FROM layerlab/base:1\n"}"#,
            "must name the rule",
        ),
        ("x-y.json", r#"{"name":"n","dockerfil":""}"#, "dockerfil"),
    ];
    for (file, text, want) in cases {
        let mut problems = Vec::new();
        check(file, text, &mut problems);
        assert!(
            problems.iter().any(|p| p.contains(want)),
            "{file} {text}: expected a problem mentioning {want:?}, got {problems:?}"
        );
    }
}
