//! `layerlab check`: pre-flight a real repository.
//!
//! ```text
//! layerlab check [--file Dockerfile] [--context DIR] (--changed PATH... | --since GITREF)
//!                [--build-arg K=V]... [--target STAGE] [--builder buildkit|classic]
//!                [--fail-if-rebuilt LINE|STAGE]... [--format text|json]
//! ```
//!
//! Reads the build context from disk (honouring `.dockerignore`: ignored directories are not
//! even read), turns "these paths change" into a scenario with a warm local cache, and prints
//! which steps the change would rebuild and why. With `--fail-if-rebuilt`, exits 1 when a
//! step at that line, or in that stage, would rebuild — a gate for CI.

use layerlab_engine::ignore::{read_ignore_file, PatternMatcher};
use layerlab_engine::report::{BuilderReport, Status};
use layerlab_engine::scenario::Map;
use layerlab_engine::scenario::{FileSpec, Scenario};
use layerlab_engine::sim::hash::KeyHasher;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const USAGE: &str =
    "usage: layerlab check [--file Dockerfile] [--context DIR] (--changed PATH... | --since GITREF)
                      [--build-arg K=V]... [--target STAGE] [--builder buildkit|classic]
                      [--fail-if-rebuilt LINE|STAGE]... [--format text|json]";

/// Upper bound on context files read, so a mistaken `--context /` fails fast and clearly.
const MAX_FILES: usize = 200_000;

struct Opts {
    file: Option<PathBuf>,
    context: PathBuf,
    changed: Vec<String>,
    since: Option<String>,
    args: Map<String, String>,
    target: Option<String>,
    builder: String,
    gates: Vec<String>,
    json: bool,
}

fn parse_opts(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts {
        file: None,
        context: PathBuf::from("."),
        changed: Vec::new(),
        since: None,
        args: Map::new(),
        target: None,
        builder: "buildkit".into(),
        gates: Vec::new(),
        json: false,
    };
    let mut it = args.iter().peekable();
    while let Some(a) = it.next() {
        let mut val = |name: &str| -> Result<String, String> {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--file" | "-f" => o.file = Some(PathBuf::from(val(a)?)),
            "--context" => o.context = PathBuf::from(val(a)?),
            "--since" => o.since = Some(val(a)?),
            "--target" => o.target = Some(val(a)?),
            "--builder" => {
                let b = val(a)?;
                if b != "buildkit" && b != "classic" {
                    return Err(format!("--builder must be buildkit or classic, not {b}"));
                }
                o.builder = b;
            }
            "--fail-if-rebuilt" => o.gates.push(val(a)?),
            "--format" => {
                o.json = match val(a)?.as_str() {
                    "json" => true,
                    "text" => false,
                    f => return Err(format!("unknown format {f}")),
                }
            }
            "--build-arg" => {
                let kv = val(a)?;
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| format!("--build-arg wants K=V, got {kv}"))?;
                o.args.insert(k.to_string(), v.to_string());
            }
            "--changed" => {
                o.changed.push(val(a)?);
                while let Some(n) = it.peek() {
                    if n.starts_with("--") {
                        break;
                    }
                    o.changed.push(it.next().cloned().unwrap_or_default());
                }
            }
            other => return Err(format!("unexpected argument {other}")),
        }
    }
    if o.changed.is_empty() && o.since.is_none() {
        return Err("say what changes: --changed PATH... or --since GITREF".into());
    }
    Ok(o)
}

fn content_id(bytes: &[u8]) -> String {
    format!("sha:{}", KeyHasher::new("disk").bytes(bytes).finish().0)
}

#[cfg(unix)]
fn mode_of(md: &std::fs::Metadata) -> String {
    use std::os::unix::fs::PermissionsExt;
    format!("{:04o}", md.permissions().mode() & 0o7777)
}
#[cfg(not(unix))]
fn mode_of(_: &std::fs::Metadata) -> String {
    "0644".into()
}

/// Reads every non-ignored file under `root` as (content identity, mode).
fn read_context(
    root: &Path,
    matcher: Option<&PatternMatcher>,
) -> Result<Map<String, FileSpec>, String> {
    // Directory order is not sorted: collected first, sorted once at the end (the map is a
    // sorted vector, where inserting out of order shifts the tail every time).
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let dir = root.join(&rel);
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for e in entries {
            let e = e.map_err(|e| format!("{}: {e}", dir.display()))?;
            let name = e.file_name().to_string_lossy().to_string();
            let r = if rel.as_os_str().is_empty() {
                PathBuf::from(&name)
            } else {
                rel.join(&name)
            };
            let rs = r.to_string_lossy().replace('\\', "/");
            let ft = e.file_type().map_err(|e| format!("{rs}: {e}"))?;
            if ft.is_dir() {
                // An ignored directory is skipped unless an exception could re-include
                // something below it.
                let skip = matcher.is_some_and(|m| {
                    !m.exclusions() && m.matches_or_parent_matches(&rs).unwrap_or(false)
                });
                if !skip {
                    stack.push(r);
                }
                continue;
            }
            let md = std::fs::metadata(e.path()).map_err(|e| format!("{rs}: {e}"))?;
            let bytes = std::fs::read(e.path()).map_err(|e| format!("{rs}: {e}"))?;
            out.push((
                rs,
                FileSpec::Full {
                    content: content_id(&bytes),
                    mode: Some(mode_of(&md)),
                },
            ));
            if out.len() > MAX_FILES {
                return Err(format!(
                    "the context has more than {MAX_FILES} files; is --context right?"
                ));
            }
        }
    }
    Ok(out.into_iter().collect())
}

fn git(context: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(context)
        .args(args)
        .output()
        .map_err(|e| format!("git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}

pub fn run(args: &[String]) -> ExitCode {
    let o = match parse_opts(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("layerlab check: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match check(&o) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("layerlab check: {e}");
            ExitCode::from(2)
        }
    }
}

fn check(o: &Opts) -> Result<ExitCode, String> {
    let df_path = o
        .file
        .clone()
        .unwrap_or_else(|| o.context.join("Dockerfile"));
    let dockerfile =
        std::fs::read_to_string(&df_path).map_err(|e| format!("{}: {e}", df_path.display()))?;
    let ignore_path = o.context.join(".dockerignore");
    let dockerignore = std::fs::read_to_string(&ignore_path).ok();
    let matcher = match &dockerignore {
        Some(t) => Some(
            PatternMatcher::new(&read_ignore_file(t))
                .map_err(|e| format!("{}: {}", ignore_path.display(), e.message))?,
        ),
        None => None,
    };
    let mut context = read_context(&o.context, matcher.as_ref())?;
    // The engine adds the Dockerfile and .dockerignore itself.
    context.remove("Dockerfile");
    context.remove(".dockerignore");
    let mut s = Scenario {
        name: Some("check".into()),
        dockerfile: dockerfile.clone(),
        context,
        dockerignore,
        args: o.args.clone(),
        target: o.target.clone(),
        ..Default::default()
    };
    let df_rel = df_path
        .strip_prefix(&o.context)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|_| "Dockerfile".into());
    let mark_changed = |s: &mut Scenario, p: &str| {
        let p = p.trim_start_matches("./").to_string();
        if p == df_rel {
            // We only know the current text: make A's differ by a trailing comment.
            s.change.dockerfile = Some(dockerfile.clone());
            s.dockerfile = format!("{dockerfile}\n# (previous version)\n");
            return;
        }
        let old = s.context.get(&p).cloned();
        match old {
            Some(f) => {
                s.change.files.insert(
                    p,
                    FileSpec::Full {
                        content: format!("{} (changed)", f.content()),
                        mode: Some(format!("{:04o}", f.mode())),
                    },
                );
            }
            None => {
                // Not in the context (ignored, or removed): B lacks it, A had it.
                s.context
                    .insert(p.clone(), FileSpec::Content("(previous)".into()));
                s.change.removed.push(p);
            }
        }
    };
    for p in &o.changed {
        mark_changed(&mut s, p);
    }
    if let Some(r) = &o.since {
        let out = git(&o.context, &["diff", "--name-status", "--relative", r])?;
        for line in out.lines() {
            let mut parts = line.split('\t');
            let status = parts.next().unwrap_or("");
            let path = parts.next_back().unwrap_or("").to_string();
            if path.is_empty() {
                continue;
            }
            if status.starts_with('A') {
                // Added since REF: A did not have it.
                if let Some(f) = s.context.remove(&path) {
                    s.change.files.insert(path, f);
                }
            } else if path == df_rel {
                if let Ok(old) = git(&o.context, &["show", &format!("{r}:./{path}")]) {
                    s.dockerfile = old;
                    s.change.dockerfile = Some(dockerfile.clone());
                }
            } else {
                mark_changed(&mut s, &path);
            }
        }
    }
    let report = layerlab_engine::simulate(&s);
    let rep = if o.builder == "classic" {
        &report.builders.classic
    } else {
        &report.builders.buildkit
    };
    let shown = df_path.display().to_string();
    for d in &report.diagnostics {
        eprintln!("{shown}:{}:{}: {}", d.span.line, d.span.col, d.message);
    }
    if o.json {
        crate::simulate_cmd::emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(
                &serde_json::json!({ "builder": o.builder, "report": rep })
            )
            .expect("json")
        ));
    } else {
        print_rebuilds(rep, &dockerfile);
    }
    let failed = gates_failed(rep, &o.gates);
    for g in &failed {
        eprintln!("layerlab check: gate failed: {g}");
    }
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_rebuilds(rep: &BuilderReport, dockerfile: &str) {
    use std::fmt::Write as _;
    let lines: Vec<&str> = dockerfile.lines().collect();
    let mut out = String::new();
    let _ = writeln!(out, "{}", rep.summary);
    for v in rep.steps.iter().filter(|v| v.status == Status::Rebuilt) {
        let text = lines
            .get((v.line as usize).saturating_sub(1))
            .map(|l| l.trim())
            .unwrap_or("");
        let _ = writeln!(out, "  rebuilt line {:>4}: {text}", v.line);
        for r in &v.reasons {
            let _ = writeln!(out, "      ↳ {}", r.message);
        }
    }
    crate::simulate_cmd::emit(&out);
}

/// Which `--fail-if-rebuilt` gates a report trips: a number is a line, anything else a stage.
fn gates_failed(rep: &BuilderReport, gates: &[String]) -> Vec<String> {
    let mut failed = Vec::new();
    for g in gates {
        let hit = match g.parse::<u32>() {
            Ok(line) => rep
                .steps
                .iter()
                .any(|v| v.line == line && v.status == Status::Rebuilt),
            Err(_) => {
                let name = g.to_ascii_lowercase();
                rep.steps.iter().any(|v| {
                    v.status == Status::Rebuilt
                        && (v.stage_name.as_deref() == Some(name.as_str())
                            || v.stage.map(|s| s.to_string()).as_deref() == Some(g.as_str()))
                })
            }
        };
        if hit {
            failed.push(format!("{g} would be rebuilt"));
        }
    }
    failed
}
