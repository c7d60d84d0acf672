//! `layerlab advise` end to end: text and JSON advice, `--apply` producing a scenario that
//! `layerlab simulate` accepts, exit codes.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn layerlab(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_layerlab"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run layerlab");
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            // A command that rejects its arguments exits without reading stdin: a broken
            // pipe here is expected, not a failure.
            if let Err(e) = input.write_all(s.as_bytes()) {
                assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
            }
        }
    }
    child.wait_with_output().unwrap()
}

fn suite(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/scenarios")
        .join(name)
        .display()
        .to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn text_lists_line_title_cost_fix_and_equivalent() {
    let f = suite("pitfall-label-build-date-top.json");
    let out = layerlab(&["advise", &f], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(
        text.starts_with(
            "[high] line 2: Build date / commit SHA ARG and LABEL high up (build-metadata-early)"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "  cost: BuildKit rebuilds lines 5, 6, 7; classic rebuilds lines 4, 5, 6, 7\n"
        ),
        "{text}"
    );
    assert!(text.contains("  fix: Move `ARG BUILD_DATE`"), "{text}");
    assert!(text.contains(&format!(
        "  rewrite: layerlab advise {f} --apply build-metadata-early"
    )));
    let f = suite("pitfall-apt-update-own-run.json");
    let text = stdout(&layerlab(&["advise", &f], None));
    assert!(
        text.contains("  equivalent: closest: hadolint DL3009"),
        "{text}"
    );
}

#[test]
fn json_is_an_array_of_advice_with_rewrites() {
    let f = suite("pitfall-copy-all-before-deps.json");
    let out = layerlab(&["advise", &f, "--format", "json"], None);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = v
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["rule"] == "copy-all-before-deps")
        .expect("copy-all-before-deps advice");
    assert_eq!(a["line"], 3);
    assert_eq!(a["cost"], serde_json::json!([4]));
    assert_eq!(a["severity"], "high");
    assert!(a["rewrite"]["dockerfile"]
        .as_str()
        .unwrap()
        .contains("COPY requirements.txt .\nRUN cat requirements.txt"));
}

#[test]
fn apply_prints_a_scenario_simulate_accepts() {
    let f = suite("story1-arg-top-pip-index-url.json");
    let out = layerlab(&["advise", &f, "--apply", "credential-build-arg"], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fixed = stdout(&out);
    let v: serde_json::Value = serde_json::from_str(&fixed).unwrap();
    assert!(v["secrets"]["pip_index_url"].is_string());
    assert!(v.get("args").is_none(), "the build arg is gone: {fixed}");
    // Feed it back: BuildKit now reuses every step.
    let sim = layerlab(&["simulate", "-", "--builder", "buildkit"], Some(&fixed));
    assert_eq!(sim.status.code(), Some(0));
    assert!(
        stdout(&sim).starts_with("BuildKit reuses the cache for all"),
        "{}",
        stdout(&sim)
    );
    // And advise on the result no longer reports the credential.
    let again = layerlab(&["advise", "-"], Some(&fixed));
    assert!(!stdout(&again).contains("credential-build-arg"));
}

#[test]
fn stdin_and_no_advice() {
    let s = r#"{"dockerfile":"FROM alpine\nRUN echo hi\n"}"#;
    let out = layerlab(&["advise", "-"], Some(s));
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).starts_with("no advice"), "{}", stdout(&out));
    let out = layerlab(&["advise", "-", "--format=json"], Some(s));
    assert_eq!(stdout(&out).trim(), "[]");
}

#[test]
fn exit_codes() {
    // Invalid scenario: 1, with the position.
    let out = layerlab(&["advise", "-"], Some("{\"dockerfile\": 3}"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("<stdin>:1:"));
    // Nothing to apply: 1.
    let s = r#"{"dockerfile":"FROM alpine\nRUN echo hi\n"}"#;
    let out = layerlab(&["advise", "-", "--apply", "apt-update-alone"], Some(s));
    assert_eq!(out.status.code(), Some(1));
    // Usage and I/O: 2.
    assert_eq!(layerlab(&["advise"], None).status.code(), Some(2));
    assert_eq!(
        layerlab(&["advise", "-", "--format", "yaml"], Some(s))
            .status
            .code(),
        Some(2)
    );
    let out = layerlab(&["advise", "-", "--apply", "no-such-rule"], Some(s));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("volatile-arg-early"));
    assert_eq!(
        layerlab(&["advise", "/nonexistent/scenario.json"], None)
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn dockerfile_errors_go_to_stderr_and_advice_still_runs() {
    let s = r#"{"dockerfile":"FROM alpine\nFOO bar\nCOPY . .\n"}"#;
    let out = layerlab(&["advise", "-"], Some(s));
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Dockerfile:2:"));
    assert!(stdout(&out).contains("dockerignore-missing"));
}
