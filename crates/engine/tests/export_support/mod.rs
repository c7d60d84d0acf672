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
        keyword: keyword.to_string().into(),
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
        // `inspect` fails, as on a fresh machine with no builder or context yet; `login`
        // reads its stdin like the real one (else `printf | docker login` may SIGPIPE).
        let fake = "#!/bin/sh\nprintf '%s\\0' \"$#\" \"$@\" >> \"$FAKE_DOCKER_LOG\"\ncase \"$2\" in inspect) exit 1;; esac\n[ \"$1\" = login ] && cat >/dev/null\nexit 0\n";
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
            .env("AWS_REGION", "eu-west-1")
            .env("S3_CACHE_BUCKET", "cache-bucket")
            .env("AZBLOB_ACCOUNT_URL", "https://acct.blob.core.windows.net/")
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

// ---------- running each CI's build the way that CI would ----------

pub const SHA: &str = "0123abcdef";

/// Substitutes `${{ … }}` GitHub expressions; undefined secrets are ''.
pub fn github_expr(v: &str, ctx: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = v;
    while let Some(i) = rest.find("${{") {
        out.push_str(&rest[..i]);
        let j = rest[i..].find("}}").expect("closed expression") + i;
        let expr = rest[i + 3..j].trim();
        let val = match ctx.get(expr) {
            Some(v) => v.clone(),
            None if expr.starts_with("secrets.") => String::new(),
            None => panic!("unexpected expression {expr:?}"),
        };
        out.push_str(&val);
        rest = &rest[j + 2..];
    }
    out.push_str(rest);
    out
}

/// Azure macro expansion: `$(name)` with a known name is replaced, others stay as written.
pub fn azure_macros(v: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = v;
    while let Some(i) = rest.find("$(") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 2..];
        let end = tail.find(')');
        let name = end.map(|e| &tail[..e]);
        match name {
            Some(n)
                if !n.is_empty()
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_') =>
            {
                match vars.get(n) {
                    Some(val) => out.push_str(val),
                    None => out.push_str(&rest[i..i + 3 + n.len()]),
                }
                rest = &tail[n.len() + 1..];
            }
            _ => {
                out.push_str("$(");
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `$$` → `$`, `$NAME`/`${NAME}` → value (GitLab: unknown → ''; Cloud Build: unknown → panic).
pub fn dollar_subst(v: &str, vars: &BTreeMap<String, String>, strict: bool) -> String {
    let b: Vec<char> = v.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != '$' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        if i + 1 < b.len() && b[i + 1] == '$' {
            out.push('$');
            i += 2;
            continue;
        }
        let (name, next) = if i + 1 < b.len() && b[i + 1] == '{' {
            match b[i + 2..].iter().position(|c| *c == '}') {
                Some(e) => (b[i + 2..i + 2 + e].iter().collect::<String>(), i + 3 + e),
                None => (String::new(), i + 1),
            }
        } else {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == '_') {
                j += 1;
            }
            (b[i + 1..j].iter().collect::<String>(), j)
        };
        let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            out.push('$');
            i += 1;
            continue;
        }
        match vars.get(&name) {
            Some(val) => out.push_str(val),
            None if strict => panic!("unknown substitution ${name} in {v:?}"),
            None => {}
        }
        i = next;
    }
    out
}

/// Decodes the body of a Groovy `'''…'''` string starting at `text[start..]`; returns the
/// value and the index just past the closing `'''`.
pub fn groovy_triple_single_decode(text: &str, start: usize) -> (String, usize) {
    let b: Vec<char> = text[start..].chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == '\\' {
            let c = b[i + 1];
            out.push(match c {
                '\\' => '\\',
                '\'' => '\'',
                '"' => '"',
                'n' => '\n',
                't' => '\t',
                '$' => '$',
                '\n' => {
                    // line continuation: both dropped
                    i += 2;
                    continue;
                }
                other => panic!("escape \\{other} in Groovy string"),
            });
            i += 2;
            continue;
        }
        if b[i] == '\'' && b.get(i + 1) == Some(&'\'') && b.get(i + 2) == Some(&'\'') {
            let consumed: usize = b[..i + 3].iter().map(|c| c.len_utf8()).sum();
            return (out, start + consumed);
        }
        out.push(b[i]);
        i += 1;
    }
    panic!("unterminated Groovy string");
}

fn kv(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// Runs the generated build of `ci` like the CI would on a push to `branch`, with the
/// CI's own substitution layer emulated; returns every docker call.
pub fn run_ci(ci: Ci, e: &Export, branch: &str, secrets: &[(&str, &str)]) -> Vec<Vec<String>> {
    let sb = Sandbox::new();
    // helpers the scripts call besides docker
    for tool in ["aws", "gcloud"] {
        let p = sb.dir.join("bin").join(tool);
        std::fs::write(&p, "#!/bin/sh\necho fake-password\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    let secrets_env: Vec<(String, String)> = secrets
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let base = |extra: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = extra
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        v.push(("REGISTRY_USER".into(), "u".into()));
        v.push(("REGISTRY_PASSWORD".into(), "p".into()));
        v.push(("REGISTRY".into(), "reg.example".into()));
        v
    };
    match ci {
        Ci::Github => {
            let wf = parse_yaml(file(e, ".github/workflows/docker-image.yml"));
            let mut ctx = kv(&[
                ("github.head_ref || github.ref_name", branch),
                ("github.sha", SHA),
                ("github.event_name != 'pull_request'", "true"),
                ("github.repository_owner", "Acme-Corp"),
                ("runner.temp", "/tmp/runner"),
            ]);
            for (k, v) in secrets {
                ctx.insert(format!("secrets.{k}"), v.to_string());
            }
            ctx.insert("vars.AWS_REGION".into(), "eu-west-1".into());
            ctx.insert("vars.S3_CACHE_BUCKET".into(), "cache-bucket".into());
            ctx.insert(
                "vars.AZBLOB_ACCOUNT_URL".into(),
                "https://acct.blob.core.windows.net/".into(),
            );
            let step = at(&wf, "jobs.build.steps")
                .as_vec()
                .unwrap()
                .iter()
                .find(|s| s["run"].as_str().is_some())
                .unwrap();
            let env: Vec<(String, String)> = str_map(&step["env"])
                .into_iter()
                .map(|(k, v)| (k, github_expr(&v, &ctx)))
                .collect();
            sb.run(
                "/bin/sh",
                &format!("set -e\n{}", step["run"].as_str().unwrap()),
                &env,
            )
        }
        Ci::Azure => {
            let y = parse_yaml(file(e, "azure-pipelines.yml"));
            let step = at(&y, "steps")
                .as_vec()
                .unwrap()
                .iter()
                .find(|s| s["bash"].as_str().is_some())
                .unwrap();
            let mut vars = kv(&[
                ("Build.SourceBranch", &format!("refs/heads/{branch}")),
                ("Build.Reason", "IndividualCI"),
                ("Build.SourceVersion", SHA),
                ("Pipeline.Workspace", "/tmp/ws"),
                ("REGISTRY", "reg.example"),
                ("AWS_REGION", "eu-west-1"),
                ("S3_CACHE_BUCKET", "cache-bucket"),
                ("AZBLOB_ACCOUNT_URL", "https://acct.blob.core.windows.net/"),
            ]);
            for (k, v) in secrets {
                vars.insert(k.to_string(), v.to_string());
            }
            let script = step["bash"].as_str().unwrap();
            assert_eq!(
                azure_macros(script, &vars),
                script,
                "no macro in the script body"
            );
            let env: Vec<(String, String)> = str_map(&step["env"])
                .into_iter()
                .map(|(k, v)| (k, azure_macros(&v, &vars)))
                .collect();
            sb.run("bash", script, &env)
        }
        Ci::Gitlab => {
            let y = parse_yaml(file(e, ".gitlab-ci.yml"));
            let job = &y["build-image"];
            let mut predefined = kv(&[
                ("CI_REGISTRY_IMAGE", "registry.gitlab.com/acme/shop"),
                ("CI_REGISTRY", "registry.gitlab.com"),
                ("CI_REGISTRY_USER", "gitlab-ci-token"),
                ("CI_REGISTRY_PASSWORD", "tok"),
                ("CI_COMMIT_REF_NAME", branch),
                ("CI_COMMIT_SHORT_SHA", "0123abc"),
                ("CI_PIPELINE_SOURCE", "push"),
                ("CI_PROJECT_DIR", "/builds/acme/shop"),
            ]);
            for (k, v) in secrets {
                predefined.insert(k.to_string(), v.to_string());
            }
            let mut env: Vec<(String, String)> = predefined.clone().into_iter().collect();
            for (k, v) in str_map(&job["variables"]) {
                env.push((k, dollar_subst(&v, &predefined, false)));
            }
            let mut script = String::new();
            for l in job["before_script"]
                .as_vec()
                .unwrap()
                .iter()
                .chain(job["script"].as_vec().unwrap())
            {
                script.push_str(l.as_str().unwrap());
                script.push('\n');
            }
            sb.run("/bin/sh", &format!("set -e\n{script}"), &env)
        }
        Ci::Bitbucket => {
            let y = parse_yaml(file(e, "bitbucket-pipelines.yml"));
            let step = at(&y, "pipelines.default.0.step");
            let script: String = step["script"]
                .as_vec()
                .unwrap()
                .iter()
                .map(|l| format!("{}\n", l.as_str().unwrap()))
                .collect();
            let mut env = base(&[
                ("BITBUCKET_BRANCH", branch),
                ("BITBUCKET_COMMIT", SHA),
                ("BITBUCKET_CLONE_DIR", "/tmp/clone"),
            ]);
            env.extend(secrets_env);
            sb.run("/bin/sh", &format!("set -e\n{script}"), &env)
        }
        Ci::Circleci => {
            let y = parse_yaml(file(e, ".circleci/config.yml"));
            let steps = at(&y, "jobs.build-image.steps").as_vec().unwrap();
            let run = steps
                .iter()
                .find(|s| !s["run"].is_badvalue())
                .map(|s| &s["run"])
                .unwrap();
            let mut env = base(&[("CIRCLE_BRANCH", branch), ("CIRCLE_SHA1", SHA)]);
            if !run["environment"].is_badvalue() {
                env.extend(str_map(&run["environment"]));
            }
            env.extend(secrets_env);
            sb.run(
                "bash",
                &format!("set -eo pipefail\n{}", run["command"].as_str().unwrap()),
                &env,
            )
        }
        Ci::Cloudbuild => {
            let y = parse_yaml(file(e, "cloudbuild.yaml"));
            let step = at(&y, "steps.0");
            assert_eq!(step["entrypoint"].as_str(), Some("bash"));
            let subs = kv(&[
                ("BRANCH_NAME", branch),
                ("SHORT_SHA", "0123abc"),
                ("PROJECT_ID", "my-proj"),
                ("LOCATION", "europe-west1"),
            ]);
            let mut env: Vec<(String, String)> = step["env"]
                .as_vec()
                .unwrap()
                .iter()
                .map(|i| {
                    let item = dollar_subst(i.as_str().unwrap(), &subs, true);
                    let (k, v) = item.split_once('=').unwrap();
                    (k.to_string(), v.to_string())
                })
                .collect();
            env.extend(secrets_env);
            let args = step["args"].as_vec().unwrap();
            assert_eq!(args[0].as_str(), Some("-c"));
            let script = dollar_subst(args[1].as_str().unwrap(), &subs, true);
            sb.run("bash", &script, &env)
        }
        Ci::Codebuild => {
            let y = parse_yaml(file(e, "buildspec.yml"));
            let mut env = base(&[
                (
                    "CODEBUILD_BUILD_ARN",
                    "arn:aws:codebuild:eu-west-1:123456789012:build/shop:1",
                ),
                ("AWS_DEFAULT_REGION", "eu-west-1"),
                (
                    "CODEBUILD_WEBHOOK_HEAD_REF",
                    &format!("refs/heads/{branch}"),
                ),
                ("CODEBUILD_RESOLVED_SOURCE_VERSION", SHA),
                ("CODEBUILD_SRC_DIR", "/codebuild/src"),
            ]);
            if !y["env"]["variables"].is_badvalue() {
                env.extend(str_map(&y["env"]["variables"]));
            }
            env.extend(secrets_env);
            let cmds = at(&y, "phases.build.commands").as_vec().unwrap();
            let script: String = cmds
                .iter()
                .map(|c| format!("{}\n", c.as_str().unwrap()))
                .collect();
            sb.run("/bin/sh", &script, &env)
        }
        Ci::Jenkins => {
            let text = file(e, "Jenkinsfile");
            let start = text.find("sh '''").expect("sh step") + "sh '''".len();
            let (script, end) = groovy_triple_single_decode(text, start);
            assert!(
                text[end..].trim_start().starts_with('}'),
                "the sh string ends where intended"
            );
            let mut env = base(&[("BRANCH_NAME", branch), ("GIT_COMMIT", SHA)]);
            env.extend(secrets_env);
            sb.run("/bin/sh", &script, &env)
        }
        Ci::Shell | Ci::Make => {
            let mut env = base(&[("BRANCH", branch), ("TAG", SHA)]);
            env.extend(secrets_env);
            sb.run("/bin/sh", file(e, "build.sh"), &env)
        }
        Ci::Bake => panic!("bake files are not run"),
    }
}

/// HCL quoted-string decoder for the strings we emit (escapes \\ \" \n, $${ and %%{).
pub fn hcl_decode(lit: &str) -> String {
    let inner = lit
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .expect("quoted");
    let b: Vec<char> = inner.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            '\\' => {
                out.push(match b[i + 1] {
                    '\\' => '\\',
                    '"' => '"',
                    'n' => '\n',
                    c => panic!("escape \\{c}"),
                });
                i += 2;
            }
            '$' | '%' if b.get(i + 1) == Some(&b[i]) && b.get(i + 2) == Some(&'{') => {
                out.push(b[i]);
                out.push('{');
                i += 3;
            }
            '$' | '%' if b.get(i + 1) == Some(&'{') => panic!("unescaped interpolation in {lit}"),
            '"' => panic!("unescaped quote in {lit}"),
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}
