//! Shared helpers for the export tests: hand-built Dockerfile ASTs (independent of the
//! parser's progress), a fake `docker` that records its argv so generated scripts can be
//! run for real under /bin/sh, and YAML navigation.
#![allow(dead_code)]

use layerlab_engine::ast::*;
use layerlab_engine::export::{export, Ci, Export, ExportError, ExportOptions};
use layerlab_engine::syntax::Span;
use layerlab_engine::Scenario;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command as Proc;
use std::sync::atomic::{AtomicUsize, Ordering};
use yaml_rust2::{Yaml, YamlLoader};

fn ins(keyword: &str, command: Command, stage: Option<usize>) -> Instruction {
    Instruction {
        keyword: keyword.into(),
        command,
        flags: vec![],
        text: String::new(),
        span: Span::default(),
        stage,
    }
}

/// A stage description for [`dockerfile`]: name, base, `COPY --from` refs, secret mount ids.
pub struct St<'a> {
    pub name: Option<&'a str>,
    pub from: &'a str,
    pub copy_from: &'a [&'a str],
    pub secret_ids: &'a [&'a str],
}

pub fn st<'a>(name: &'a str, from: &'a str) -> St<'a> {
    St {
        name: Some(name),
        from,
        copy_from: &[],
        secret_ids: &[],
    }
}

/// Builds the typed AST the parser would produce for these stages.
pub fn dockerfile(stages: &[St]) -> Dockerfile {
    let mut df = Dockerfile::default();
    for (i, s) in stages.iter().enumerate() {
        let from_idx = df.instructions.len();
        df.instructions.push(ins(
            "FROM",
            Command::From(FromCmd {
                image: s.from.into(),
                name: s.name.map(str::to_lowercase),
                platform: None,
            }),
            Some(i),
        ));
        let mut cmds = vec![];
        for id in s.secret_ids {
            cmds.push(df.instructions.len());
            df.instructions.push(ins(
                "RUN",
                Command::Run(RunCmd {
                    command: CommandLine::Shell("true".into()),
                    heredocs: vec![],
                    mounts: vec![Mount {
                        kind: "secret".into(),
                        target: None,
                        source: None,
                        from: None,
                        id: Some(id.to_string()),
                        env: Some("X".into()),
                        readwrite: false,
                        sharing: None,
                        required: None,
                        mode: None,
                        uid: None,
                        gid: None,
                        size: None,
                        raw: format!("type=secret,id={id}"),
                    }],
                    network: None,
                    security: None,
                }),
                Some(i),
            ));
        }
        for f in s.copy_from {
            cmds.push(df.instructions.len());
            df.instructions.push(ins(
                "COPY",
                Command::Copy(CopyCmd {
                    is_add: false,
                    sources: vec!["/out".into()],
                    dest: "/out".into(),
                    heredocs: vec![],
                    from: Some(f.to_string()),
                    chown: None,
                    chmod: None,
                    link: false,
                    parents: false,
                    exclude: vec![],
                    checksum: None,
                    keep_git_dir: None,
                    unpack: None,
                }),
                Some(i),
            ));
        }
        df.stages.push(Stage {
            index: i,
            name: s.name.map(str::to_lowercase),
            from: from_idx,
            commands: cmds,
        });
    }
    df
}

/// deps (npm ci) → build → runtime (copies from build); test (from build).
pub fn multi_stage() -> Dockerfile {
    dockerfile(&[
        St {
            name: Some("deps"),
            from: "node:20",
            copy_from: &[],
            secret_ids: &["npm_token"],
        },
        st("build", "deps"),
        St {
            name: Some("runtime"),
            from: "node:20-slim",
            copy_from: &["build"],
            secret_ids: &[],
        },
        st("test", "build"),
    ])
}

pub fn single_stage() -> Dockerfile {
    dockerfile(&[St {
        name: None,
        from: "alpine:3.20",
        copy_from: &[],
        secret_ids: &[],
    }])
}

pub fn scenario(args: &[(&str, &str)], secrets: &[(&str, &str)]) -> Scenario {
    let mut s =
        Scenario::from_json(r#"{"name":"Web Shop","dockerfile":"FROM scratch\n"}"#).unwrap();
    s.args = args
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    s.secrets = secrets
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    s
}

pub fn opts(
    registry: Option<&str>,
    image: Option<&str>,
    backend: Option<&str>,
    targets: &[&str],
) -> ExportOptions {
    ExportOptions {
        registry: registry.map(String::from),
        image: image.map(String::from),
        backend: backend.map(String::from),
        targets: targets.iter().map(|s| s.to_string()).collect(),
        ..ExportOptions::default()
    }
}

pub fn gen(
    df: &Dockerfile,
    sc: &Scenario,
    o: &ExportOptions,
    ci: Ci,
) -> Result<Export, ExportError> {
    export(df, sc, o, ci)
}

pub fn file<'a>(e: &'a Export, path: &str) -> &'a str {
    e.files
        .iter()
        .find(|(p, _)| p == path)
        .map(|(_, c)| c.as_str())
        .unwrap_or_else(|| {
            panic!(
                "no file {path}; files: {:?}",
                e.files.iter().map(|f| &f.0).collect::<Vec<_>>()
            )
        })
}

// ---------- YAML ----------

pub fn parse_yaml(text: &str) -> Yaml {
    let mut docs = YamlLoader::load_from_str(text)
        .unwrap_or_else(|e| panic!("generated YAML does not parse: {e}\n---\n{text}"));
    assert_eq!(docs.len(), 1, "expected one YAML document");
    docs.remove(0)
}

/// Navigates `a.b.0.c` (numbers index arrays).
pub fn at<'a>(y: &'a Yaml, path: &str) -> &'a Yaml {
    let mut cur = y;
    for part in path.split('.') {
        cur = match part.parse::<usize>() {
            Ok(i) => &cur[i],
            Err(_) => &cur[part],
        };
        assert!(!cur.is_badvalue(), "no {path} (at {part}) in YAML");
    }
    cur
}

pub fn s<'a>(y: &'a Yaml, path: &str) -> &'a str {
    at(y, path)
        .as_str()
        .unwrap_or_else(|| panic!("{path} is not a string: {:?}", at(y, path)))
}

/// A YAML mapping of scalars as (key, string value); non-strings are an error.
pub fn str_map(y: &Yaml) -> BTreeMap<String, String> {
    let h = y.as_hash().expect("mapping");
    h.iter()
        .map(|(k, v)| {
            (
                k.as_str().expect("string key").to_string(),
                v.as_str()
                    .unwrap_or_else(|| panic!("value of {k:?} is not a string: {v:?}"))
                    .to_string(),
            )
        })
        .collect()
}

// ---------- running scripts with a fake docker ----------

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub struct Sandbox {
    pub dir: PathBuf,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("layerlab-export-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::fs::create_dir_all(dir.join("work")).unwrap();
        // The fake docker appends one record per call: argc, then each argument, NUL-separated.
        // `inspect` fails, as on a fresh machine with no builder or context yet.
        let fake = "#!/bin/sh\nprintf '%s\\0' \"$#\" \"$@\" >> \"$FAKE_DOCKER_LOG\"\ncase \"$2\" in inspect) exit 1;; esac\n";
        let p = dir.join("bin/docker");
        std::fs::write(&p, fake).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Sandbox { dir }
    }

    /// Runs `script` with `sh` in a clean environment plus `env`; returns every docker argv.
    pub fn run(&self, shell: &str, script: &str, env: &[(String, String)]) -> Vec<Vec<String>> {
        let log = self.dir.join("docker.log");
        let _ = std::fs::remove_file(&log);
        let path = format!(
            "{}:/usr/local/bin:/usr/bin:/bin",
            self.dir.join("bin").display()
        );
        let out = Proc::new(shell)
            .arg("-c")
            .arg(script)
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.dir.join("work"))
            .env("FAKE_DOCKER_LOG", &log)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(self.dir.join("work"))
            .output()
            .expect("run shell");
        assert!(
            out.status.success(),
            "script failed: {}\nstderr: {}\n---\n{script}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        read_log(&log)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn read_log(p: &Path) -> Vec<Vec<String>> {
    let Ok(bytes) = std::fs::read(p) else {
        return vec![];
    };
    let mut fields = bytes
        .split(|b| *b == 0)
        .map(|f| String::from_utf8(f.to_vec()).unwrap());
    let mut calls = vec![];
    while let Some(n) = fields.next() {
        if n.is_empty() {
            break;
        }
        let n: usize = n.parse().unwrap();
        calls.push((0..n).map(|_| fields.next().unwrap()).collect());
    }
    calls
}

/// The `buildx build` calls among docker calls.
pub fn builds(calls: &[Vec<String>]) -> Vec<Vec<String>> {
    calls
        .iter()
        .filter(|c| c.len() > 1 && c[0] == "buildx" && c[1] == "build")
        .cloned()
        .collect()
}

/// Values of every occurrence of `flag` (`--flag value`) in argv.
pub fn flag_values(argv: &[String], flag: &str) -> Vec<String> {
    argv.windows(2)
        .filter(|w| w[0] == flag)
        .map(|w| w[1].clone())
        .collect()
}

/// Splits shell command text into words with the real /bin/sh (no expansion beyond what
/// the text itself asks for): returns one Vec per `docker` invocation.
pub fn sh_words(cmd_text: &str, env: &[(String, String)]) -> Vec<Vec<String>> {
    let sb = Sandbox::new();
    sb.run("/bin/sh", cmd_text, env)
}

/// Hostile values: quotes, expansions, CI expression syntaxes, YAML indicators, unicode.
pub fn hostile_values() -> Vec<String> {
    let mut v: Vec<String> = [
        "plain",
        "",
        " leading and trailing ",
        "it's",
        "a\"b",
        "'",
        "''",
        "\\",
        "back\\slash\\",
        "$(id)",
        "`id`",
        "$HOME",
        "${HOME}",
        "$$",
        "${{ secrets.X }}",
        "$(Build.SourceBranch)",
        "$[variables.x]",
        "<< parameters.x >>",
        "#comment",
        "a #b",
        "key: value",
        "- item",
        "-x",
        "--push",
        "? q",
        "[a, b]",
        "{a: b}",
        "&anchor",
        "*alias",
        "!tag",
        "|",
        ">",
        "%YAML",
        "@at",
        "yes",
        "on",
        "null",
        "~",
        "0123",
        "1e3",
        "a,b=c",
        "; rm -rf /",
        "&& echo pwned",
        "| cat",
        "tab\there",
        "ünïcödé ✓ 日本",
        "🦀",
        "${_IMAGE}",
        "%{ if true }x%{ endif }",
        "${var}",
        "'''",
        "\"\"\"",
        "$${x}",
        "\\'",
        "a\\\nb",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Deterministic pseudo-random combinations of the fragments above.
    let frags = v.clone();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..60 {
        let mut s = String::new();
        for _ in 0..3 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            s.push_str(&frags[(x % frags.len() as u64) as usize]);
        }
        v.push(s);
    }
    v
}
