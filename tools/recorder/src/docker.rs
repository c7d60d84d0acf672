//! Talking to one engine started by `tools/engines/up.sh`: its client binary, socket and client
//! config come from `/run/layerlab/<engine>.env`. Every docker command runs with a timeout.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One recorded engine profile: an engine (daemon) plus a builder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Key under `observed`.
    pub label: &'static str,
    /// The daemon (`d20`, `d26`, `d26c`).
    pub engine: &'static str,
    pub buildkit: bool,
    /// Use `docker buildx build` (else `docker build` with DOCKER_BUILDKIT=0/1).
    pub buildx: bool,
    /// `docker-driver` / `container` for BuildKit.
    pub setup: Option<&'static str>,
    /// Recorded when no `--engine` is given.
    pub default: bool,
}

pub const PROFILES: &[Profile] = &[
    Profile {
        label: "docker-20.10/classic",
        engine: "d20k",
        buildkit: false,
        buildx: false,
        setup: None,
        default: true,
    },
    Profile {
        label: "docker-20.10/buildkit",
        engine: "d20",
        buildkit: true,
        buildx: false,
        setup: Some("docker-driver"),
        default: true,
    },
    Profile {
        label: "docker-26/buildkit",
        engine: "d26",
        buildkit: true,
        buildx: true,
        setup: Some("docker-driver"),
        default: true,
    },
    Profile {
        label: "docker-26-containerd/buildkit",
        engine: "d26c",
        buildkit: true,
        buildx: true,
        setup: Some("container"),
        default: true,
    },
    Profile {
        label: "docker-26/classic",
        engine: "d26",
        buildkit: false,
        buildx: false,
        setup: None,
        default: false,
    },
];

/// A running daemon, as described by its env file.
#[derive(Clone, Debug)]
pub struct Engine {
    pub name: String,
    pub env: BTreeMap<String, String>,
    /// Base tag -> archive name in LL_BASES (e.g. `layerlab/base:1` -> `base-1`).
    pub bases: Vec<(String, String)>,
    /// True right after a successful wipe (saves a wipe before the next scenario).
    pub clean: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

pub const BASE_TAGS: &[(&str, &str)] = &[
    ("layerlab/base:1", "base-1"),
    ("layerlab/base:2", "base-2"),
    ("layerlab/tools:1", "tools-1"),
];

#[derive(Debug)]
pub struct Output {
    pub ok: bool,
    /// stdout + stderr interleaved as the process wrote them (one file for both).
    pub text: String,
    pub timed_out: bool,
    pub secs: f64,
}

/// Infrastructure trouble (timeouts, daemon gone, a push failing): reported as SKIP, not drift.
#[derive(Debug)]
pub struct Infra(pub String);

impl Engine {
    pub fn load(run_dir: &Path, name: &str) -> Result<Engine, String> {
        let p = run_dir.join(format!("{name}.env"));
        let text = std::fs::read_to_string(&p).map_err(|e| {
            format!(
                "{} not readable ({e}); run tools/engines/up.sh",
                p.display()
            )
        })?;
        let mut env = BTreeMap::new();
        for line in text.lines() {
            if let Some((k, v)) = line.split_once('=') {
                env.insert(k.trim().to_string(), v.trim().to_string());
            }
        }
        for k in [
            "DOCKER_HOST",
            "DOCKER_CONFIG",
            "LL_DOCKER",
            "LL_REGISTRY",
            "LL_BASES",
        ] {
            if !env.contains_key(k) {
                return Err(format!("{} lacks {k}", p.display()));
            }
        }
        let e = Engine {
            name: name.to_string(),
            env,
            bases: BASE_TAGS
                .iter()
                .map(|(t, f)| (t.to_string(), f.to_string()))
                .collect(),
            clean: Default::default(),
        };
        let v = e.docker(&["version", "--format", "{{.Server.Version}}"], None, 20);
        if !v.ok {
            return Err(format!("daemon not answering: {}", last_line(&v.text)));
        }
        Ok(e)
    }

    pub fn get(&self, k: &str) -> &str {
        self.env.get(k).map(|s| s.as_str()).unwrap_or("")
    }
    pub fn registry(&self) -> &str {
        self.get("LL_REGISTRY")
    }
    pub fn containerd_store(&self) -> bool {
        self.get("LL_STORE") == "containerd"
    }
    pub fn version_string(&self, p: &Profile) -> String {
        let d = format!("docker {}", self.get("LL_DOCKER_VERSION"));
        if p.buildkit {
            let mut s = format!("{d} / buildkit {}", self.get("LL_BUILDKIT_VERSION"));
            if p.buildx {
                s.push_str(&format!(" / buildx {}", self.get("LL_BUILDX_VERSION")));
            }
            s
        } else {
            d
        }
    }

    fn command(&self, buildkit: Option<bool>) -> Command {
        let mut c = Command::new(self.get("LL_DOCKER"));
        c.env("DOCKER_HOST", self.get("DOCKER_HOST"))
            .env("DOCKER_CONFIG", self.get("DOCKER_CONFIG"))
            .env_remove("DOCKER_CONTEXT")
            .env_remove("BUILDX_BUILDER")
            .env_remove("DOCKER_DEFAULT_PLATFORM")
            .env("BUILDKIT_PROGRESS", "plain")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        match buildkit {
            Some(true) => {
                c.env("DOCKER_BUILDKIT", "1");
            }
            Some(false) => {
                c.env("DOCKER_BUILDKIT", "0");
            }
            None => {}
        }
        c
    }

    /// Runs `docker ARGS` with a timeout (seconds), capturing stdout+stderr together.
    pub fn docker(&self, args: &[&str], cwd: Option<&Path>, timeout: u64) -> Output {
        self.docker_env(args, cwd, timeout, None)
    }

    pub fn docker_env(
        &self,
        args: &[&str],
        cwd: Option<&Path>,
        timeout: u64,
        buildkit: Option<bool>,
    ) -> Output {
        let mut c = self.command(buildkit);
        c.args(args);
        if let Some(d) = cwd {
            c.current_dir(d);
        }
        let o = run_with_timeout(c, Duration::from_secs(timeout));
        if std::env::var_os("LL_TRACE").is_some() {
            eprintln!("[{} {:.2}s] docker {}", self.name, o.secs, args.join(" "));
        }
        o
    }

    /// `docker …` that must succeed; failure is infrastructure trouble.
    pub fn must(&self, args: &[&str], timeout: u64) -> Result<String, Infra> {
        let o = self.docker(args, None, timeout);
        if o.ok {
            Ok(o.text)
        } else {
            Err(Infra(format!(
                "{}: `docker {}` failed{}: {}",
                self.name,
                args.join(" "),
                if o.timed_out { " (timeout)" } else { "" },
                last_line(&o.text)
            )))
        }
    }

    pub fn image_id(&self, reference: &str) -> Option<String> {
        let o = self.docker(
            &["image", "inspect", "--format", "{{.Id}}", reference],
            None,
            30,
        );
        o.ok.then(|| o.text.trim().to_string())
    }

    /// Removes every container, every image except the current base tags, and all build cache.
    pub fn wipe(&self) -> Result<(), Infra> {
        let ps = self.must(&["ps", "-aq"], 30)?;
        let ids: Vec<&str> = ps.split_whitespace().collect();
        if !ids.is_empty() {
            let mut a = vec!["rm", "-f"];
            a.extend(ids);
            self.must(&a, 60)?;
        }
        let keep: Vec<String> = self
            .bases
            .iter()
            .filter_map(|(t, _)| self.image_id(t))
            .collect();
        for round in 0..3 {
            let ls = self.must(
                &[
                    "image",
                    "ls",
                    "-a",
                    "--no-trunc",
                    "--format",
                    "{{.ID}} {{.Repository}}:{{.Tag}}",
                ],
                30,
            )?;
            let mut refs: Vec<String> = Vec::new();
            let mut ids: Vec<String> = Vec::new();
            for line in ls.lines() {
                let mut it = line.split_whitespace();
                let (Some(id), Some(r)) = (it.next(), it.next()) else {
                    continue;
                };
                let is_base_tag = self.bases.iter().any(|(t, _)| t == r);
                if is_base_tag && keep.iter().any(|k| k == id) {
                    continue;
                }
                if r != "<none>:<none>" {
                    refs.push(r.to_string());
                }
                if !keep.iter().any(|k| k == id) && !ids.contains(&id.to_string()) {
                    ids.push(id.to_string());
                }
            }
            if refs.is_empty() && ids.is_empty() {
                break;
            }
            if round == 2 {
                return Err(Infra(format!(
                    "{}: wipe left images behind: {}",
                    self.name,
                    refs.iter()
                        .chain(ids.iter())
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" ")
                )));
            }
            for chunk in refs.chunks(50).chain(ids.chunks(50)) {
                let mut a: Vec<&str> = vec!["rmi", "-f"];
                a.extend(chunk.iter().map(|s| s.as_str()));
                // Errors here (already removed with its parent) are fine; the loop re-checks.
                let _ = self.docker(&a, None, 120);
            }
        }
        self.must(&["builder", "prune", "-af"], 120)?;
        Ok(())
    }

    fn base_archive(&self, file: &str) -> PathBuf {
        Path::new(self.get("LL_BASES")).join(format!("{file}.tar"))
    }

    /// Makes `tag` point at the canonical (or the `-rebuilt`) base image, locally; on the
    /// containerd-store engine also in the registry (it may resolve tags there). Loads (and
    /// pushes) only when the tag does not already point at that image.
    pub fn set_base(&self, tag: &str, rebuilt: bool) -> Result<(), Infra> {
        let Some((_, file)) = self.bases.iter().find(|(t, _)| t == tag) else {
            return Err(Infra(format!("{tag} is not a recorder base image")));
        };
        let file = if rebuilt {
            format!("{file}-rebuilt")
        } else {
            file.clone()
        };
        let archive = self.base_archive(&file);
        let want = std::fs::read_to_string(format!("{}.diffid", archive.display()))
            .map_err(|e| Infra(format!("{}.diffid: {e}", archive.display())))?;
        let have = self.docker(
            &[
                "image",
                "inspect",
                "--format",
                "{{index .RootFS.Layers 0}}",
                tag,
            ],
            None,
            30,
        );
        if have.ok && have.text.trim() == want.trim() {
            return Ok(());
        }
        self.must(&["load", "-q", "-i", &archive.to_string_lossy()], 120)?;
        if self.containerd_store() {
            let remote = format!("{}/{}", self.registry(), tag);
            self.must(&["tag", tag, &remote], 30)?;
            self.must(&["push", "-q", &remote], 120)?;
            self.must(&["rmi", &remote], 30)?;
        }
        Ok(())
    }
}

pub fn last_line(s: &str) -> String {
    s.lines()
        .rev()
        .map(|l| l.trim())
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_string()
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A fresh temporary path (not created).
pub fn temp_path(prefix: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    std::env::temp_dir().join(format!("layerlab-{prefix}-{}-{n}", std::process::id()))
}

fn run_with_timeout(mut c: Command, timeout: Duration) -> Output {
    let path = temp_path("out");
    let start = Instant::now();
    let file = match File::create(&path) {
        Ok(f) => f,
        Err(e) => {
            return Output {
                ok: false,
                text: format!("cannot create {}: {e}", path.display()),
                timed_out: false,
                secs: 0.0,
            }
        }
    };
    let file2 = match file.try_clone() {
        Ok(f) => f,
        Err(e) => {
            return Output {
                ok: false,
                text: format!("cannot dup output file: {e}"),
                timed_out: false,
                secs: 0.0,
            }
        }
    };
    c.stdout(Stdio::from(file)).stderr(Stdio::from(file2));
    let mut child = match c.spawn() {
        Ok(ch) => ch,
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            return Output {
                ok: false,
                text: format!("cannot start {:?}: {e}", c.get_program()),
                timed_out: false,
                secs: 0.0,
            };
        }
    };
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) => {
                if start.elapsed() > timeout {
                    let _ = child.kill();
                    let _ = child.wait();
                    timed_out = true;
                    break None;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(_) => break None,
        }
    };
    let mut text = String::new();
    if let Ok(mut f) = File::open(&path) {
        let mut buf = Vec::new();
        let _ = f.read_to_end(&mut buf);
        text = String::from_utf8_lossy(&buf).into_owned();
    }
    let _ = std::fs::remove_file(&path);
    Output {
        ok: status.is_some_and(|s| s.success()),
        text,
        timed_out,
        secs: start.elapsed().as_secs_f64(),
    }
}
