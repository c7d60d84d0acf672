//! `layerlab parse` end to end: output formats, diagnostics on stderr, exit codes.

use std::io::Write;
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
            // A usage error exits before reading stdin: a broken pipe here is expected.
            let _ = input.write_all(s.as_bytes());
        }
    }
    child.wait_with_output().unwrap()
}

fn temp_file(name: &str, content: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("layerlab-parse-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

const GOOD: &str = "ARG BASE=alpine\nFROM golang:1.22 AS build\nRUN --mount=type=cache,target=/root/.cache \\\n    go build ./...\nFROM $BASE\nCOPY --from=build /out /usr/bin/\n";

#[test]
fn text_output_lists_instructions() {
    let p = temp_file("Dockerfile", GOOD);
    let out = layerlab(&["parse", p.to_str().unwrap()], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert!(lines[0].contains("ARG") && lines[0].contains("BASE=alpine"));
    assert!(lines[1].contains("0:build") && lines[1].contains("golang:1.22 AS build"));
    assert!(lines[2].trim_start().starts_with("3-4"), "{}", lines[2]);
    assert!(lines[2].contains("mount cache:/root/.cache"));
    assert!(lines[4].contains("COPY") && lines[4].contains("from build"));
    assert!(out.stderr.is_empty());
}

#[test]
fn json_output_has_spans() {
    let out = layerlab(&["parse", "-", "--format", "json"], Some(GOOD));
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["nodes"].as_array().unwrap().len(), 5);
    assert_eq!(v["instructions"][2]["keyword"], "RUN");
    assert_eq!(v["instructions"][2]["span"]["line"], 3);
    assert_eq!(v["instructions"][2]["span"]["end_line"], 4);
    assert_eq!(v["stages"].as_array().unwrap().len(), 2);
    assert_eq!(v["meta_args"][0], 0);
}

#[test]
fn syntax_errors_exit_1_with_locations() {
    let out = layerlab(&["parse", "-"], Some("FROM alpine\n  COPPY a b\nRUN ok\n"));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr.trim_end(),
        "<stdin>:2:3: error: unknown instruction: COPPY (did you mean COPY?)"
    );
    // The rest is still listed.
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 3);

    let p = temp_file("Bad.Dockerfile", "FROM a AS 9x\n");
    let out = layerlab(&["parse", p.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!(
            "{}:1:11: error: invalid name for build stage",
            p.display()
        )),
        "{stderr}"
    );
}

#[test]
fn io_and_usage_errors_exit_2() {
    let out = layerlab(&["parse", "/definitely/not/here/Dockerfile"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/definitely/not/here/Dockerfile"));
    assert_eq!(layerlab(&["parse"], None).status.code(), Some(2));
    assert_eq!(
        layerlab(&["parse", "-", "--format", "xml"], Some("FROM a"))
            .status
            .code(),
        Some(2)
    );
}
