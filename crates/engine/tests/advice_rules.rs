//! Advice rules, one block per rule: detection on a bad scenario, no advice on the fixed one,
//! the rewrite parses, and the simulator (the judge) shows the expected steps cached after the
//! rewrite where they were rebuilt before.
//!
//! Fixtures: `tests/scenarios/*.json` of the repository (read-only, owned by the scenario
//! suite) where they fit, else `crates/engine/tests/advice_fixtures/*.json`.

use layerlab_engine::advice::{self, Advice, Severity};
use layerlab_engine::report::{Builder, Report, Status};
use layerlab_engine::{parse, simulate, Scenario};
use std::path::PathBuf;

fn load(rel: &str) -> Scenario {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = match rel.strip_prefix("suite/") {
        Some(r) => root.join("../../tests/scenarios").join(r),
        None => root.join("tests/advice_fixtures").join(rel),
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Scenario::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn of_rule(s: &Scenario, rule: &str) -> Vec<Advice> {
    advice::advise(s)
        .into_iter()
        .filter(|a| a.rule == rule)
        .collect()
}

/// Exactly one advice of the rule.
fn one(s: &Scenario, rule: &str) -> Advice {
    let v = of_rule(s, rule);
    assert_eq!(v.len(), 1, "expected one {rule} advice, got {v:#?}");
    v.into_iter().next().unwrap()
}

fn none(s: &Scenario, rule: &str) {
    let v = of_rule(s, rule);
    assert!(v.is_empty(), "expected no {rule} advice, got {v:#?}");
}

/// The verdict of the one instruction of B's Dockerfile whose first line contains `needle`.
fn status(s: &Scenario, rep: &Report, b: Builder, needle: &str) -> Status {
    let text = s.dockerfile_b();
    let lines: Vec<&str> = text.lines().collect();
    let hits: Vec<_> = rep
        .builder(b)
        .steps
        .iter()
        .filter(|v| lines[v.line as usize - 1].contains(needle))
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "{needle:?} should match one step of:\n{text}"
    );
    hits[0].status
}

/// The rewrite: parses without errors, differs from the input, and `apply` gives the same.
fn rewritten(s: &Scenario, a: &Advice) -> Scenario {
    let after = a
        .rewrite
        .clone()
        .unwrap_or_else(|| panic!("{} has no rewrite", a.rule));
    for text in [after.dockerfile.as_str(), after.dockerfile_b()] {
        let df = parse(text);
        assert!(
            !df.has_errors(),
            "rewrite does not parse:\n{text}\n{:?}",
            df.diagnostics
        );
    }
    assert!(after.observed.is_empty());
    let applied = advice::apply(s, a.rule).expect("apply finds the same fix");
    assert_eq!(
        applied.dockerfile, after.dockerfile,
        "apply and the advice's rewrite differ"
    );
    assert_eq!(applied.change, after.change);
    assert_eq!(applied.cache, after.cache);
    after
}

// ---------------------------------------------------------------------------------------
// volatile-arg-early

#[test]
fn volatile_arg_early_moves_the_arg_to_its_user() {
    let s = load("volatile-arg-early.json");
    let a = one(&s, "volatile-arg-early");
    assert_eq!(a.line, Some(2));
    assert_eq!(a.severity, Severity::High);
    // RUN 5 (not using the arg) and COPY 6 after it rebuild only because of the ARG.
    assert_eq!(a.cost_buildkit, vec![5, 6]);
    assert_eq!(a.cost_classic, vec![5, 6]);
    assert!(a.message.contains("line 5"), "{}", a.message);
    let after = rewritten(&s, &a);
    assert_eq!(
        after.dockerfile,
        "FROM layerlab/base:1\nWORKDIR /app\nCOPY requirements.txt .\nRUN cat requirements.txt > /installed.txt\nCOPY app.py .\nARG APP_VERSION\nRUN echo \"stamping $APP_VERSION\" > /version.txt\nCMD [\"sh\"]\n"
    );
    let (rb, ra) = (simulate(&s), simulate(&after));
    for b in [Builder::Buildkit, Builder::Classic] {
        assert_eq!(status(&s, &rb, b, "RUN cat requirements"), Status::Rebuilt);
        assert_eq!(
            status(&after, &ra, b, "RUN cat requirements"),
            Status::Cached
        );
        assert_eq!(status(&after, &ra, b, "COPY app.py"), Status::Cached);
        assert_eq!(status(&after, &ra, b, "stamping"), Status::Rebuilt);
    }
    none(&after, "volatile-arg-early");
}

#[test]
fn volatile_arg_early_no_advice_on_fixed_files() {
    none(&load("volatile-arg-early-fixed.json"), "volatile-arg-early");
    // The suite's "declared late" fix, and the ARG whose first RUN already needs it.
    none(
        &load("suite/story1-arg-declared-late.json"),
        "volatile-arg-early",
    );
    none(
        &load("suite/story1-arg-top-pip-index-url.json"),
        "volatile-arg-early",
    );
}

#[test]
fn volatile_arg_early_env_copy_busts_classic_steps() {
    // ARG + ENV PIP_INDEX_URL=$PIP_INDEX_URL at the top: classic rebuilds WORKDIR and COPY
    // (the ENV step misses and busts the stage), BuildKit only RUNs.
    let s = load("suite/story1-env-pip-index-url.json");
    let a = one(&s, "volatile-arg-early");
    assert_eq!(a.line, Some(2));
    assert_eq!(a.cost_classic, vec![4, 5]);
    assert!(a.cost_buildkit.is_empty());
    let after = rewritten(&s, &a);
    let (rb, ra) = (simulate(&s), simulate(&after));
    for needle in ["WORKDIR", "COPY requirements.txt"] {
        assert_eq!(status(&s, &rb, Builder::Classic, needle), Status::Rebuilt);
        assert_eq!(
            status(&after, &ra, Builder::Classic, needle),
            Status::Cached
        );
    }
    none(&after, "volatile-arg-early");
}

// ---------------------------------------------------------------------------------------
// credential-build-arg

#[test]
fn credential_build_arg_becomes_a_secret_mount() {
    let s = load("suite/story1-arg-top-pip-index-url.json");
    let a = one(&s, "credential-build-arg");
    assert_eq!(a.line, Some(2));
    assert_eq!(a.severity, Severity::High);
    // BuildKit: the pip RUN, the COPY and RUN after it rebuild because of the rotating token.
    assert_eq!(a.cost_buildkit, vec![5, 6, 7]);
    // PIP_INDEX_URL is not a name BuildKit's check flags: the advice says so.
    assert!(
        a.equivalent.as_deref().unwrap().starts_with("none"),
        "{:?}",
        a.equivalent
    );
    let after = rewritten(&s, &a);
    assert!(after
        .dockerfile
        .starts_with("# syntax=docker/dockerfile:1\n"));
    assert!(after
        .dockerfile
        .contains("RUN --mount=type=secret,id=pip_index_url,env=PIP_INDEX_URL echo \"pip install"));
    assert!(!after.dockerfile.contains("ARG PIP_INDEX_URL"));
    assert!(after.args.is_empty() && after.change.args.is_empty());
    assert_eq!(
        after.secrets.get("pip_index_url").map(String::as_str),
        Some("https://ci:token-run-41@pypi.internal.example/simple")
    );
    assert_eq!(
        after
            .change
            .secrets
            .get("pip_index_url")
            .cloned()
            .flatten()
            .as_deref(),
        Some("https://ci:token-run-42@pypi.internal.example/simple")
    );
    let (rb, ra) = (simulate(&s), simulate(&after));
    for needle in ["pip install", "COPY app.py", "compiling"] {
        assert_eq!(status(&s, &rb, Builder::Buildkit, needle), Status::Rebuilt);
        assert_eq!(
            status(&after, &ra, Builder::Buildkit, needle),
            Status::Cached
        );
    }
    // The price: the classic builder rejects RUN --mount; the advice says so.
    assert!(!ra.builders.classic.errors.is_empty());
    assert!(
        a.message.contains("classic builder cannot build"),
        "{}",
        a.message
    );
    none(&after, "credential-build-arg");
}

#[test]
fn credential_build_arg_removes_the_env_copy_too() {
    let s = load("suite/story1-env-pip-index-url.json");
    let a = one(&s, "credential-build-arg");
    let after = rewritten(&s, &a);
    assert!(!after.dockerfile.contains("ENV PIP_INDEX_URL"));
    let ra = simulate(&after);
    assert!(
        ra.builders
            .buildkit
            .steps
            .iter()
            .all(|v| v.status != Status::Rebuilt),
        "{:#?}",
        ra.builders.buildkit
    );
}

#[test]
fn credential_build_arg_no_advice_on_secret_mounts() {
    none(
        &load("suite/story1-secret-env-option.json"),
        "credential-build-arg",
    );
    none(
        &load("suite/story1-secret-pipconf-value-change.json"),
        "credential-build-arg",
    );
    none(&load("volatile-arg-early.json"), "credential-build-arg");
}

// ---------------------------------------------------------------------------------------
// copy-all-before-deps

#[test]
fn copy_all_before_deps_copies_manifests_first() {
    let s = load("suite/pitfall-copy-all-before-deps.json");
    let a = one(&s, "copy-all-before-deps");
    assert_eq!(a.line, Some(3));
    assert_eq!(a.cost, vec![4]);
    let after = rewritten(&s, &a);
    assert_eq!(
        after.dockerfile,
        "FROM layerlab/base:1\nWORKDIR /app\nCOPY requirements.txt .\nRUN cat requirements.txt > /installed.txt && echo \"installed deps\" >> /installed.txt\nCOPY . .\nRUN echo compiling > /compiled.txt\n"
    );
    let (rb, ra) = (simulate(&s), simulate(&after));
    for b in [Builder::Buildkit, Builder::Classic] {
        assert_eq!(status(&s, &rb, b, "installed deps"), Status::Rebuilt);
        assert_eq!(status(&after, &ra, b, "installed deps"), Status::Cached);
        assert_eq!(status(&after, &ra, b, "COPY . ."), Status::Rebuilt);
    }
    none(&after, "copy-all-before-deps");
}

#[test]
fn copy_all_before_deps_no_advice_on_fixed_file() {
    none(
        &load("suite/pitfall-copy-all-before-deps-fixed.json"),
        "copy-all-before-deps",
    );
    none(
        &load("suite/pitfall-git-dir-no-dockerignore.json"),
        "copy-all-before-deps",
    );
}
