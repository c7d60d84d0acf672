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

// ---------------------------------------------------------------------------------------
// secrets-in-arg-or-env

#[test]
fn secrets_in_arg_or_env_matches_buildkit_names() {
    let s = load("secrets-in-arg-or-env.json");
    let v = of_rule(&s, "secrets-in-arg-or-env");
    let mut lines: Vec<Option<u32>> = v.iter().map(|a| a.line).collect();
    lines.sort();
    // NPM_TOKEN (line 2) and API_KEY (line 3); PUBLIC_KEY (line 4) is allowed by BuildKit.
    assert_eq!(lines, vec![Some(2), Some(3)], "{v:#?}");
    for a in &v {
        assert_eq!(
            a.equivalent.as_deref(),
            Some("BuildKit check SecretsUsedInArgOrEnv")
        );
    }
    // The rotated ENV literal rebuilds both RUNs under BuildKit (it is in their environment).
    let key = v.iter().find(|a| a.line == Some(3)).unwrap();
    assert_eq!(key.cost_buildkit, vec![6, 7]);
    assert_eq!(key.severity, Severity::Medium);
    let after = key.rewrite.clone().unwrap();
    assert!(!after.dockerfile.contains("API_KEY=abc"));
    assert!(after
        .dockerfile
        .contains("RUN --mount=type=secret,id=api_key,env=API_KEY echo \"calling api"));
    assert_eq!(
        after.secrets.get("api_key").map(String::as_str),
        Some("abc123secret")
    );
    assert_eq!(
        after
            .change
            .secrets
            .get("api_key")
            .cloned()
            .flatten()
            .as_deref(),
        Some("def456secret")
    );
    let (rb, ra) = (simulate(&s), simulate(&after));
    assert_eq!(
        status(&s, &rb, Builder::Buildkit, "calling api"),
        Status::Rebuilt
    );
    assert_eq!(
        status(&after, &ra, Builder::Buildkit, "calling api"),
        Status::Cached
    );
    // Only NPM_TOKEN is left (one line lower: the rewrite added a syntax directive).
    let left = one(&after, "secrets-in-arg-or-env");
    assert!(
        left.message.starts_with("ARG NPM_TOKEN (line 3)"),
        "{}",
        left.message
    );
    // apply fixes both.
    let all = advice::apply(&s, "secrets-in-arg-or-env").unwrap();
    for text in [all.dockerfile.as_str(), all.dockerfile_b()] {
        assert!(!parse(text).has_errors(), "{text}");
    }
    none(&all, "secrets-in-arg-or-env");
    assert!(all.dockerfile.contains("ENV PUBLIC_KEY"));
}

#[test]
fn secrets_in_arg_or_env_leaves_claimed_and_clean_names_alone() {
    // Claimed by credential-build-arg (it has a value): not reported twice.
    none(
        &load("suite/story1-arg-top-pip-index-url.json"),
        "secrets-in-arg-or-env",
    );
    none(&load("volatile-arg-early.json"), "secrets-in-arg-or-env");
}

// ---------------------------------------------------------------------------------------
// dockerignore-missing

#[test]
fn dockerignore_missing_excludes_git_and_the_dockerfile() {
    let s = load("suite/pitfall-git-dir-no-dockerignore.json");
    let a = one(&s, "dockerignore-missing");
    assert_eq!(a.line, Some(5));
    assert_eq!(a.cost, vec![5, 6]);
    assert!(a.message.contains(".git"), "{}", a.message);
    let after = rewritten(&s, &a);
    assert_eq!(
        after.dockerignore.as_deref(),
        Some(".git\nDockerfile\n.dockerignore\n")
    );
    assert_eq!(after.dockerfile, s.dockerfile);
    let (rb, ra) = (simulate(&s), simulate(&after));
    for b in [Builder::Buildkit, Builder::Classic] {
        assert_eq!(status(&s, &rb, b, "COPY . ."), Status::Rebuilt);
        assert_eq!(status(&after, &ra, b, "COPY . ."), Status::Cached);
        assert_eq!(status(&after, &ra, b, "compiling"), Status::Cached);
    }
    none(&after, "dockerignore-missing");
}

#[test]
fn dockerignore_missing_no_advice_when_covered_or_needed() {
    none(
        &load("suite/pitfall-git-dir-dockerignored.json"),
        "dockerignore-missing",
    );
    // A RUN that calls git needs .git: only the Dockerfile is suggested.
    let mut s = load("suite/pitfall-git-dir-no-dockerignore.json");
    s.dockerfile = s.dockerfile.replace(
        "RUN echo compiling",
        "RUN git rev-parse HEAD > /rev && echo compiling",
    );
    let a = one(&s, "dockerignore-missing");
    assert!(
        a.fix
            .ends_with("Add to .dockerignore: Dockerfile, .dockerignore"),
        "{}",
        a.fix
    );
}

// ---------------------------------------------------------------------------------------
// build-metadata-early

#[test]
fn build_metadata_early_moves_arg_and_label_to_the_end() {
    let s = load("suite/pitfall-label-build-date-top.json");
    let a = one(&s, "build-metadata-early");
    assert_eq!(a.line, Some(2));
    assert_eq!(a.cost_classic, vec![4, 5, 6, 7]);
    assert_eq!(a.cost_buildkit, vec![5, 6, 7]);
    let after = rewritten(&s, &a);
    // Exactly the suite's hand-written fix.
    assert_eq!(
        after.dockerfile,
        load("suite/pitfall-label-build-date-bottom.json").dockerfile
    );
    let ra = simulate(&after);
    assert!(ra
        .builders
        .buildkit
        .steps
        .iter()
        .all(|v| v.status != Status::Rebuilt));
    assert_eq!(
        status(&after, &ra, Builder::Classic, "LABEL"),
        Status::Rebuilt
    );
    assert_eq!(
        status(&after, &ra, Builder::Classic, "compiling"),
        Status::Cached
    );
    // No overlap with volatile-arg-early on the same ARG.
    none(&s, "volatile-arg-early");
}

#[test]
fn build_metadata_early_no_advice_on_fixed_file() {
    none(
        &load("suite/pitfall-label-build-date-bottom.json"),
        "build-metadata-early",
    );
}

// ---------------------------------------------------------------------------------------
// apt-update-alone

#[test]
fn apt_update_alone_merges_with_the_install() {
    let s = load("suite/pitfall-apt-update-own-run.json");
    let a = one(&s, "apt-update-alone");
    assert_eq!(a.line, Some(2));
    // Its cost is staleness, not rebuilds; the scenario hits it, so it stays medium.
    assert!(a.cost.is_empty());
    assert_eq!(a.severity, Severity::Medium);
    assert!(
        a.message
            .contains("stays cached while the install on line 3 re-runs"),
        "{}",
        a.message
    );
    let rb = simulate(&s);
    assert_eq!(
        status(&s, &rb, Builder::Buildkit, "apt-get update"),
        Status::Cached
    );
    let after = rewritten(&s, &a);
    assert!(after
        .dockerfile_b()
        .contains("RUN echo \"apt-get update: package lists\" > /var-lib-apt-lists.txt && echo \"apt-get install -y curl git\""));
    // After the fix the update re-runs together with the changed install.
    let ra = simulate(&after);
    for b in [Builder::Buildkit, Builder::Classic] {
        assert_eq!(status(&after, &ra, b, "apt-get update"), Status::Rebuilt);
    }
    none(&after, "apt-update-alone");
}

#[test]
fn apt_update_alone_no_advice_on_fixed_file() {
    none(
        &load("suite/pitfall-apt-update-combined.json"),
        "apt-update-alone",
    );
}

// ---------------------------------------------------------------------------------------
// cache-mount-missing

#[test]
fn cache_mount_missing_adds_a_pip_cache_mount() {
    let s = load("cache-mount-missing.json");
    let a = one(&s, "cache-mount-missing");
    assert_eq!(a.line, Some(4));
    // No step rebuilds because of it; the re-run of line 4 is what it makes expensive.
    assert!(a.cost.is_empty());
    assert_eq!(a.severity, Severity::Medium);
    assert!(a.message.contains("re-runs line 4"), "{}", a.message);
    let after = rewritten(&s, &a);
    assert!(after.dockerfile.contains(
        "RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt"
    ));
    // A cache mount never changes a verdict: the RUN still re-runs (faster), nothing else moves.
    let (rb, ra) = (simulate(&s), simulate(&after));
    let verdicts = |r: &Report| -> Vec<(u32, Status)> {
        r.builders
            .buildkit
            .steps
            .iter()
            .map(|v| (v.line, v.status))
            .collect()
    };
    assert_eq!(verdicts(&rb), verdicts(&ra));
    assert!(
        !ra.builders.classic.errors.is_empty(),
        "classic rejects RUN --mount"
    );
    none(&after, "cache-mount-missing");
}

#[test]
fn cache_mount_missing_is_low_when_the_step_stays_cached() {
    let mut s = load("cache-mount-missing.json");
    s.change.files.clear();
    s.change.files.insert(
        "app.py".into(),
        layerlab_engine::scenario::FileSpec::Content("print(2)\n".into()),
    );
    let a = one(&s, "cache-mount-missing");
    assert!(a.cost.is_empty());
    assert_eq!(a.severity, Severity::Low);
    // pip told not to cache: a mount would not help, no advice.
    s.dockerfile = s
        .dockerfile
        .replace("pip install", "pip install --no-cache-dir");
    none(&s, "cache-mount-missing");
}

// ---------------------------------------------------------------------------------------
// add-remote-url

#[test]
fn add_remote_url_is_detected_without_a_rewrite() {
    let s = load("add-remote-url.json");
    let a = one(&s, "add-remote-url");
    assert_eq!(a.line, Some(2));
    assert!(a.rewrite.is_none());
    assert!(advice::apply(&s, "add-remote-url").is_none());
    assert!(a.cost.is_empty());
    assert_eq!(a.severity, Severity::Low);
    assert!(a.fix.contains("--checksum=sha256:"), "{}", a.fix);
    let mut fixed = s.clone();
    fixed.dockerfile = fixed.dockerfile.replace(
        "ADD https",
        "ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https",
    );
    assert!(!parse(&fixed.dockerfile).has_errors());
    none(&fixed, "add-remote-url");
    // Git sources are keyed on the commit: not this rule.
    for git in [
        "https://github.com/x/y.git#v1.2.3",
        "https://github.com/x/y.git?ref=v1&keep-git-dir=1",
    ] {
        let mut g = s.clone();
        g.dockerfile = g
            .dockerfile
            .replace("https://example.com/releases/tool-latest.tar.gz", git);
        none(&g, "add-remote-url");
    }
}

// ---------------------------------------------------------------------------------------
// copy-from-image-not-stage

#[test]
fn copy_from_image_not_stage_points_at_the_stage() {
    let s = load("suite/story3-copy-from-image-not-stage.json");
    let a = one(&s, "copy-from-image-not-stage");
    assert_eq!(a.line, Some(6));
    assert_eq!(a.severity, Severity::High);
    // Classic builds the tools stage for nothing; BuildKit skips it.
    assert_eq!(a.cost_classic, vec![2]);
    let rb = simulate(&s);
    assert_eq!(
        status(&s, &rb, Builder::Buildkit, "tool v2"),
        Status::NotRun
    );
    let after = rewritten(&s, &a);
    assert!(after
        .dockerfile_b()
        .contains("COPY --from=tools /usr/local/bin/layerlab-tool"));
    // Now the stage is built and its change reaches the copy.
    let ra = simulate(&after);
    assert_eq!(
        status(&after, &ra, Builder::Buildkit, "tool v2"),
        Status::Rebuilt
    );
    assert_eq!(
        status(&after, &ra, Builder::Buildkit, "COPY --from"),
        Status::Rebuilt
    );
    none(&after, "copy-from-image-not-stage");
}

#[test]
fn copy_from_image_not_stage_no_advice_for_stage_names() {
    none(
        &load("suite/story3-copy-from-stage-by-name.json"),
        "copy-from-image-not-stage",
    );
    none(
        &load("suite/story3-copy-from-index.json"),
        "copy-from-image-not-stage",
    );
}

// ---------------------------------------------------------------------------------------
// multistage-final-image-cache

#[test]
fn multistage_export_min_becomes_max() {
    // Recorded: when only the final stage changes after COPY --from, mode=min costs nothing
    // (the builder steps are cached by key). It costs the builder stage as soon as the final
    // stage needs the builder's files again.
    let quiet = load("suite/story2-multistage-export-min.json");
    assert!(one(&quiet, "multistage-final-image-cache")
        .cost_buildkit
        .is_empty());
    let s = load("suite/story2-multistage-export-min-final-needs-builder.json");
    let a = one(&s, "multistage-final-image-cache");
    assert_eq!(a.cost_buildkit, vec![2, 3, 4, 5, 6]);
    let after = rewritten(&s, &a);
    assert_eq!(
        after.cache.source,
        layerlab_engine::scenario::CacheSource::ExportMax
    );
    assert_eq!(after.dockerfile, s.dockerfile);
    let (rb, ra) = (simulate(&s), simulate(&after));
    for needle in [
        "WORKDIR /src",
        "COPY requirements.txt",
        "built-deps",
        "COPY app.py",
        "app.bundle\n",
    ] {
        let needle = needle.trim_end();
        if needle == "app.bundle" {
            continue;
        }
        assert_eq!(
            status(&s, &rb, Builder::Buildkit, needle),
            Status::Rebuilt,
            "{needle}"
        );
        assert_eq!(
            status(&after, &ra, Builder::Buildkit, needle),
            Status::Cached,
            "{needle}"
        );
    }
    none(&after, "multistage-final-image-cache");
    none(
        &load("suite/story2-multistage-export-max.json"),
        "multistage-final-image-cache",
    );
}

#[test]
fn multistage_cache_from_final_image_adds_the_builder_stage() {
    let s = load("suite/story2-multistage-cache-from-final-image.json");
    let a = one(&s, "multistage-final-image-cache");
    assert_eq!(a.cost_classic, vec![2, 3, 4, 5, 6]);
    let after = rewritten(&s, &a);
    assert_eq!(after.cache.cache_from_stages, vec!["builder".to_string()]);
    // rerun_output keys follow B's lines (unchanged here).
    assert_eq!(after.rerun_output, s.rerun_output);
    let ra = simulate(&after);
    assert_eq!(
        status(&after, &ra, Builder::Classic, "built-deps"),
        Status::Cached
    );
    none(&after, "multistage-final-image-cache");
    none(
        &load("suite/story2-multistage-cache-from-stages.json"),
        "multistage-final-image-cache",
    );
    // Single stage: nothing to say.
    none(
        &load("suite/story2-cache-from-image-single-stage-inline.json"),
        "multistage-final-image-cache",
    );
}

// ---------------------------------------------------------------------------------------
// cache-from-no-inline

#[test]
fn cache_from_no_inline_turns_on_inline_cache() {
    let s = load("suite/story2-cache-from-image-single-stage.json");
    let a = one(&s, "cache-from-no-inline");
    assert!(!a.cost_buildkit.is_empty());
    assert!(
        a.cost_classic.is_empty(),
        "classic matches history, inline changes nothing for it"
    );
    let after = rewritten(&s, &a);
    assert!(after.cache.inline_cache);
    let (rb, ra) = (simulate(&s), simulate(&after));
    for l in &a.cost_buildkit {
        let st = |r: &Report| {
            r.builders
                .buildkit
                .steps
                .iter()
                .find(|v| v.line == *l)
                .unwrap()
                .status
        };
        assert_eq!(st(&rb), Status::Rebuilt);
        assert_eq!(st(&ra), Status::Cached);
    }
    none(&after, "cache-from-no-inline");
    none(
        &load("suite/story2-cache-from-image-single-stage-inline.json"),
        "cache-from-no-inline",
    );
}

// ---------------------------------------------------------------------------------------
// save-load-cache

#[test]
fn save_load_cache_becomes_a_cache_export() {
    let quiet = load("suite/story4-save-load-inline-multistage.json");
    assert!(one(&quiet, "save-load-cache").cost_buildkit.is_empty());
    let s = load("suite/story4-save-load-inline-multistage-final-needs-builder.json");
    let a = one(&s, "save-load-cache");
    assert_eq!(a.cost_buildkit, vec![2, 3, 4, 5, 6]);
    let after = rewritten(&s, &a);
    assert_eq!(
        after.cache.source,
        layerlab_engine::scenario::CacheSource::ExportMax
    );
    assert_eq!(
        after.builder_setup,
        layerlab_engine::scenario::BuilderSetup::Container
    );
    let ra = simulate(&after);
    assert!(ra.builders.buildkit.errors.is_empty());
    assert!(ra
        .builders
        .buildkit
        .steps
        .iter()
        .filter(|v| v.line <= 6)
        .all(|v| v.status == Status::Cached));
    none(&after, "save-load-cache");
    // Already a cache export: nothing to say.
    none(
        &load("suite/story2-multistage-export-max.json"),
        "save-load-cache",
    );
}

#[test]
fn save_load_cache_names_the_classic_trade_off() {
    // Classic reuses a loaded image by history; a BuildKit cache export gives it nothing.
    let s = load("suite/story4-save-load-no-inline.json");
    let a = one(&s, "save-load-cache");
    assert_eq!(a.cost_buildkit, vec![2, 3, 4]);
    assert!(a.message.contains("Trade-off"), "{}", a.message);
}

// ---------------------------------------------------------------------------------------
// cache-export-docker-driver

#[test]
fn cache_export_docker_driver_switches_to_a_container_builder() {
    let s = load("suite/story2-export-min-docker-driver.json");
    let a = one(&s, "cache-export-docker-driver");
    assert!(!a.cost_buildkit.is_empty());
    let rb = simulate(&s);
    assert!(!rb.builders.buildkit.errors.is_empty());
    let after = rewritten(&s, &a);
    assert!(simulate(&after).builders.buildkit.errors.is_empty());
    none(&after, "cache-export-docker-driver");
    none(
        &load("suite/story2-multistage-export-min.json"),
        "cache-export-docker-driver",
    );
}

// ---------------------------------------------------------------------------------------
// Every rule on every scenario of the suite

#[test]
fn every_rewrite_in_the_suite_parses_and_apply_converges() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenarios");
    let mut checked = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        let s = Scenario::from_json(&std::fs::read_to_string(&p).unwrap()).unwrap();
        for a in advice::advise(&s) {
            assert!(
                !a.message.is_empty() && !a.fix.is_empty(),
                "{}: {a:?}",
                p.display()
            );
            let Some(r) = &a.rewrite else { continue };
            for text in [r.dockerfile.as_str(), r.dockerfile_b()] {
                assert!(
                    !parse(text).has_errors(),
                    "{} {}:\n{text}",
                    p.display(),
                    a.rule
                );
            }
            let applied = advice::apply(&s, a.rule).unwrap();
            assert!(
                advice::advise(&applied)
                    .iter()
                    .all(|b| b.rule != a.rule || b.rewrite.is_none()),
                "{} {}: apply leaves a fixable occurrence",
                p.display(),
                a.rule
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} rewrites checked");
}

#[test]
fn unknown_rule_applies_nothing() {
    let s = load("volatile-arg-early.json");
    assert!(advice::apply(&s, "no-such-rule").is_none());
    // A known rule with nothing to fix.
    assert!(advice::apply(&s, "apt-update-alone").is_none());
    assert_eq!(advice::rule_ids().len(), 14);
}
