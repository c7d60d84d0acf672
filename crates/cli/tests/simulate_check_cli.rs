//! `layerlab simulate` and `layerlab check` from the outside: exit codes, JSON shape, gates.

use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_layerlab"))
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("layerlab-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const SCENARIO: &str = r#"{"dockerfile":"FROM layerlab/base:1\nARG V\nWORKDIR /app\nCOPY a.txt .\nRUN cat a.txt\nLABEL x=1\n",
 "context":{"a.txt":"1\n"},"args":{"V":"1"},"change":{"args":{"V":"2"}}}"#;

#[test]
fn simulate_json_has_one_step_per_instruction_per_builder() {
    let d = tmpdir("sim");
    let f = d.join("s.json");
    std::fs::write(&f, SCENARIO).unwrap();
    let out = bin()
        .args(["simulate", "--format", "json"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for b in ["classic", "buildkit"] {
        let steps = v["builders"][b]["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 6, "{b}");
        let lines: Vec<u64> = steps.iter().map(|s| s["line"].as_u64().unwrap()).collect();
        assert_eq!(lines, vec![1, 2, 3, 4, 5, 6]);
        for s in steps {
            assert!(s["status"].is_string() && s["reasons"].is_array() && s["keyword"].is_string());
        }
        // The RUN after `ARG V` sees the changed value in both builders.
        let run = &steps[4];
        assert_eq!(run["status"], "rebuilt", "{b}");
        assert_eq!(run["reasons"][0]["code"], "arg-changed", "{b}");
        assert_eq!(run["reasons"][0]["line"], 2, "{b}");
    }
    assert_eq!(v["builders"]["buildkit"]["steps"][5]["status"], "metadata");
}

#[test]
fn simulate_rejects_a_bad_scenario_with_position() {
    let out = bin()
        .args(["simulate", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(b"{\"dockerfile\": 3}")?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("<stdin>:1:"), "{err}");
}

#[test]
fn check_gates_on_a_rebuilt_line_and_respects_dockerignore() {
    let d = tmpdir("check");
    std::fs::write(
        d.join("Dockerfile"),
        "FROM layerlab/base:1\nWORKDIR /app\nCOPY deps.txt .\nRUN cat deps.txt\nCOPY . .\nRUN echo build\n",
    )
    .unwrap();
    std::fs::write(d.join("deps.txt"), "x\n").unwrap();
    std::fs::write(d.join("app.py"), "print(1)\n").unwrap();
    std::fs::create_dir_all(d.join("logs")).unwrap();
    std::fs::write(d.join("logs/today.log"), "noise\n").unwrap();
    std::fs::write(d.join(".dockerignore"), "logs\n").unwrap();
    let run = |changed: &str, gate: &str| {
        bin()
            .args(["check", "--context"])
            .arg(&d)
            .args(["--changed", changed, "--fail-if-rebuilt", gate])
            .output()
            .unwrap()
    };
    // app.py only reaches `COPY . .`: the dependency RUN (line 4) stays cached.
    let out = run("app.py", "4");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("rebuilt line    5"));
    // deps.txt reaches line 3, so line 4 rebuilds and the gate fails.
    let out = run("deps.txt", "4");
    assert_eq!(out.status.code(), Some(1));
    // An ignored file changes nothing.
    let out = run("logs/today.log", "5");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
