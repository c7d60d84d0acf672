//! `layerlab export` end to end: output layout, overrides from flags and from the
//! scenario's `export` section, and exit codes (0 ok, 1 unrepresentable value or bad
//! scenario, 2 usage/IO).

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn layerlab(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_layerlab"))
        .arg("export")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // the command may exit (usage error) before reading stdin: a broken pipe is fine
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

const SCENARIO: &str = r#"{
  "name": "Web Shop",
  "dockerfile": "FROM node:20 AS deps\nRUN npm ci\nFROM node:20-slim AS runtime\nCOPY --from=deps /app /app\n",
  "args": {"NODE_ENV": "production"},
  "secrets": {"npm_token": "never-printed"},
  "export": {"registry": "registry.acme.io", "backend": "registry"}
}"#;

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}
fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn prints_command_then_files_with_headers() {
    let o = layerlab(&["-", "--ci", "gitlab"], SCENARIO);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("==> docker buildx build <==\n"), "{out}");
    let cmd_end = out.find("\n==> .gitlab-ci.yml <==\n").expect("file header");
    let cmd = &out[..cmd_end];
    assert!(
        cmd.contains("--cache-to type=registry,ref=registry.acme.io/web-shop-cache:"),
        "{cmd}"
    );
    assert!(cmd.contains("--build-arg NODE_ENV=production"));
    assert!(cmd.contains("--secret id=npm_token,env=NPM_TOKEN"));
    assert!(!out.contains("never-printed"));
    assert!(out.contains("build-image:\n"));
    assert!(stderr(&o).contains("note: "));
}

#[test]
fn flags_override_the_scenario_export_section() {
    let o = layerlab(
        &[
            "-",
            "--ci=github",
            "--backend",
            "gha",
            "--image",
            "acme/web",
            "--platform",
            "linux/arm64",
        ],
        SCENARIO,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("==> .github/workflows/docker-image.yml <=="));
    assert!(out.contains("type=gha,scope=web-"), "{out}");
    assert!(
        out.contains("IMAGE: 'registry.acme.io/acme/web'"),
        "registry from the scenario, image from the flag"
    );
    assert!(out.contains("docker/setup-qemu-action"));
}

#[test]
fn unrepresentable_value_exits_1_with_field() {
    let o = layerlab(&["-", "--ci", "shell", "--image", "Web,App"], SCENARIO);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.starts_with("error: image: "), "{err}");
    assert!(stdout(&o).is_empty());
    let o = layerlab(
        &["-", "--ci", "azure"],
        &SCENARIO.replace("\"production\"", "\"$(System.AccessToken)\""),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("error: args.NODE_ENV: "),
        "{}",
        stderr(&o)
    );
    let o = layerlab(&["-", "--ci", "shell", "--target", "nope"], SCENARIO);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o).lines().next().unwrap(),
        "error: targets: no stage named 'nope'; stages: deps, runtime"
    );
}

#[test]
fn usage_and_io_errors_exit_2() {
    assert_eq!(
        layerlab(&["-"], SCENARIO).status.code(),
        Some(2),
        "missing --ci"
    );
    assert_eq!(
        layerlab(&["-", "--ci", "teamcity"], SCENARIO).status.code(),
        Some(2)
    );
    assert_eq!(layerlab(&["-", "--ci"], SCENARIO).status.code(), Some(2));
    assert_eq!(
        layerlab(&["-", "--ci", "shell", "--bogus"], SCENARIO)
            .status
            .code(),
        Some(2)
    );
    let o = layerlab(&["/nonexistent/scenario.json", "--ci", "shell"], "");
    assert_eq!(o.status.code(), Some(2));
    let o = layerlab(&["-", "--ci", "shell"], "{not json");
    assert_eq!(
        o.status.code(),
        Some(1),
        "invalid scenario is an input error"
    );
    assert!(stderr(&o).starts_with("<stdin>:1:"), "{}", stderr(&o));
}

#[test]
fn backend_not_available_on_ci_is_refused() {
    let o = layerlab(&["-", "--ci", "jenkins", "--backend", "gha"], SCENARIO);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("error: backend: "), "{}", stderr(&o));
}
