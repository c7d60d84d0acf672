//! Runs one scenario on one engine profile: context A, build A, the change, the cache
//! transport, build B; returns what B did.

use crate::docker::{last_line, temp_path, Engine, Infra, Profile};
use crate::observe::{error_message, observe_buildkit, observe_classic};
use layerlab_engine::scenario::Map;
use layerlab_engine::scenario::{CacheSource, FileSpec, Observation, Scenario};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Seconds a single build may take before it counts as infrastructure trouble.
const BUILD_TIMEOUT: u64 = 300;
/// Fixed mtime of every context file of build A (touched files get this + 1 day).
const CONTEXT_MTIME: u64 = 1_600_000_000;

pub enum Outcome {
    /// An observation to record.
    Observed(Observation),
    /// The scenario does not apply to this profile (e.g. `gha` backend); the reason.
    NotApplicable(String),
    /// The build ran but the recorder could not map its output to instructions (a recorder
    /// bug or an engine output format it does not know): never recorded, always reported.
    Unreadable(String),
}

/// Everything about one run that helps when a result looks odd (`--verbose`).
#[derive(Default)]
pub struct Trace {
    pub log: String,
    pub secs: f64,
}

struct Ctx<'a> {
    e: &'a Engine,
    p: &'a Profile,
    s: &'a Scenario,
    ns: String,
    dir: PathBuf,
    secrets_dir: PathBuf,
    trace: &'a mut Trace,
}

fn today() -> String {
    // Civil date from the Unix day number (Howard Hinnant's algorithm), UTC.
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn write_file(root: &Path, rel: &str, spec: &FileSpec) -> Result<(), String> {
    let rel = rel.trim_start_matches('/');
    if rel.is_empty() || rel.split('/').any(|c| c == "..") {
        return Err(format!("bad context path {rel:?}"));
    }
    let p = root.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(&p, spec.content()).map_err(|e| format!("{}: {e}", p.display()))?;
    set_mode(&p, spec.mode())?;
    set_mtime(&p, CONTEXT_MTIME)
}

fn set_mode(p: &Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("chmod {}: {e}", p.display()))
}

fn set_mtime(p: &Path, secs: u64) -> Result<(), String> {
    let f = std::fs::File::options()
        .write(true)
        .open(p)
        .map_err(|e| format!("{}: {e}", p.display()))?;
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        .map_err(|e| format!("touch {}: {e}", p.display()))
}

fn fix_dir_modes(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755));
                fix_dir_modes(&p);
            }
        }
    }
}

/// Writes build A's context: files, `.dockerignore`, `Dockerfile`.
pub fn materialise_a(s: &Scenario, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (rel, spec) in &s.context {
        write_file(dir, rel, spec)?;
    }
    if let Some(di) = &s.dockerignore {
        write_file(dir, ".dockerignore", &FileSpec::Content(di.clone()))?;
    }
    write_file(dir, "Dockerfile", &FileSpec::Content(s.dockerfile.clone()))?;
    fix_dir_modes(dir);
    Ok(())
}

/// Applies `change` (files, removed, touched, chmod, dockerignore, dockerfile) to the context.
pub fn apply_change(s: &Scenario, dir: &Path) -> Result<(), String> {
    let c = &s.change;
    for (rel, spec) in &c.files {
        write_file(dir, rel, spec)?;
        // An edited file also gets a new mtime, as an editor would give it.
        set_mtime(
            &dir.join(rel.trim_start_matches('/')),
            CONTEXT_MTIME + 3_600,
        )?;
    }
    for rel in &c.removed {
        let p = dir.join(rel.trim_start_matches('/'));
        std::fs::remove_file(&p).map_err(|e| format!("remove {}: {e}", p.display()))?;
    }
    for rel in &c.touched {
        set_mtime(
            &dir.join(rel.trim_start_matches('/')),
            CONTEXT_MTIME + 86_400,
        )?;
    }
    for (rel, mode) in &c.chmod {
        let m = layerlab_engine::scenario::parse_mode(mode)
            .ok_or_else(|| format!("bad mode {mode:?} for {rel}"))?;
        set_mode(&dir.join(rel.trim_start_matches('/')), m)?;
    }
    if let Some(di) = &c.dockerignore {
        write_file(dir, ".dockerignore", &FileSpec::Content(di.clone()))?;
        set_mtime(&dir.join(".dockerignore"), CONTEXT_MTIME + 3_600)?;
    }
    if let Some(df) = &c.dockerfile {
        write_file(dir, "Dockerfile", &FileSpec::Content(df.clone()))?;
        set_mtime(&dir.join("Dockerfile"), CONTEXT_MTIME + 3_600)?;
    }
    fix_dir_modes(dir);
    Ok(())
}

fn args_b(s: &Scenario) -> Map<String, String> {
    let mut a = s.args.clone();
    for (k, v) in &s.change.args {
        match v {
            Some(v) => {
                a.insert(k.clone(), v.clone());
            }
            None => {
                a.remove(k);
            }
        }
    }
    a
}

fn secrets_b(s: &Scenario) -> Map<String, String> {
    let mut a = s.secrets.clone();
    for (k, v) in &s.change.secrets {
        match v {
            Some(v) => {
                a.insert(k.clone(), v.clone());
            }
            None => {
                a.remove(k);
            }
        }
    }
    a
}

struct BuildSpec<'b> {
    tag: String,
    target: Option<&'b str>,
    args: Map<String, String>,
    secrets: Map<String, String>,
    extra: Vec<String>,
}

impl Ctx<'_> {
    fn log(&mut self, msg: &str) {
        self.trace.log.push_str(msg);
        if !msg.ends_with('\n') {
            self.trace.log.push('\n');
        }
    }

    fn reg(&self, what: &str) -> String {
        format!(
            "{}/ll-{}/{}-{what}",
            self.e.registry(),
            self.e.name,
            self.ns
        )
    }

    /// Runs a build; Ok(output) whatever its exit status; Err only on infrastructure trouble.
    fn build(&mut self, b: &BuildSpec, phase: &str) -> Result<crate::docker::Output, Infra> {
        let mut a: Vec<String> = Vec::new();
        if self.p.buildx {
            a.extend(["buildx", "build", "--load"].map(String::from));
        } else {
            a.push("build".into());
        }
        if self.p.buildkit {
            a.push("--progress=plain".into());
        }
        a.push("--network=none".into());
        a.extend(["-t".into(), b.tag.clone()]);
        if let Some(t) = b.target {
            a.extend(["--target".into(), t.to_string()]);
        }
        for (k, v) in &b.args {
            a.extend(["--build-arg".into(), format!("{k}={v}")]);
        }
        if self.p.buildkit {
            // Secrets exist only for BuildKit; classic has no --secret (a RUN --mount=type=secret
            // fails there on its own).
            std::fs::create_dir_all(&self.secrets_dir)
                .map_err(|e| Infra(format!("{}: {e}", self.secrets_dir.display())))?;
            for (id, v) in &b.secrets {
                let f = self.secrets_dir.join(format!("{phase}-{id}"));
                std::fs::write(&f, v).map_err(|e| Infra(format!("{}: {e}", f.display())))?;
                a.extend(["--secret".into(), format!("id={id},src={}", f.display())]);
            }
        }
        a.extend(b.extra.iter().cloned());
        a.push(".".into());
        let refs: Vec<&str> = a.iter().map(|s| s.as_str()).collect();
        let bk = if self.p.buildx {
            None
        } else {
            Some(self.p.buildkit)
        };
        let o = self.e.docker_env(&refs, Some(&self.dir), BUILD_TIMEOUT, bk);
        self.log(&format!(
            "$ docker {}   # build {phase}, {:.1}s, {}\n{}",
            a.join(" "),
            o.secs,
            if o.ok { "ok" } else { "FAILED" },
            o.text
        ));
        if o.timed_out {
            return Err(Infra(format!(
                "build {phase} timed out after {BUILD_TIMEOUT}s"
            )));
        }
        if !o.ok && looks_like_infra(&o.text) {
            return Err(Infra(format!("build {phase}: {}", last_line(&o.text))));
        }
        Ok(o)
    }

    fn push(&mut self, local: &str, remote: &str) -> Result<(), Infra> {
        self.e.must(&["tag", local, remote], 30)?;
        let o = self.e.must(&["push", remote], 180)?;
        self.log(&format!("$ docker push {remote}\n{o}"));
        Ok(())
    }
}

/// Messages that mean the daemon/registry/machine failed, not the build.
/// A failed build whose message is about the machine, not the Dockerfile: never recorded as
/// the scenario's outcome (it is reported as SKIP and does not fail a check).
fn looks_like_infra(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("cannot connect to the docker daemon")
        || t.contains("is the docker daemon running")
        || t.contains("no space left on device")
        || t.contains("connection refused") && t.contains("127.0.0.1:5000")
        // Docker 20.10's classic builder on vfs, now and then under load: the parent layer
        // of a step vanished between steps (seen 2026-11-25; the re-run passed).
        || t.contains("unknown parent image id")
        || t.contains("failed to register layer")
        || t.contains("context deadline exceeded") && !t.contains("registry-1.docker.io")
        || t.contains("error creating overlay mount")
        || t.contains("device or resource busy")
}

fn cache_ref_local(dir: &Path) -> String {
    dir.join("cache").display().to_string()
}

/// Runs the scenario on one profile. The engine is wiped before and after.
pub fn run(e: &Engine, p: &Profile, s: &Scenario, trace: &mut Trace) -> Result<Outcome, Infra> {
    let started = std::time::Instant::now();
    let src = s.cache.source;
    let export = matches!(src, CacheSource::ExportMin | CacheSource::ExportMax);
    let backend = s.cache.backend.as_deref().unwrap_or("registry");
    if export && p.buildkit {
        if backend == "gha" {
            return Ok(Outcome::NotApplicable(
                "the gha cache backend needs GitHub Actions' cache service".into(),
            ));
        }
        if !p.buildx {
            return Ok(Outcome::NotApplicable(
                "Docker 20.10's `docker build` has no --cache-to".into(),
            ));
        }
        if backend != "registry" && backend != "local" {
            return Ok(Outcome::NotApplicable(format!(
                "unknown cache backend {backend:?}"
            )));
        }
    }
    let work = temp_path(&format!("run-{}", e.name));
    let mut cx = Ctx {
        e,
        p,
        s,
        ns: work
            .file_name()
            .map(|n| n.to_string_lossy().replace("layerlab-", ""))
            .unwrap_or_default(),
        dir: work.join("ctx"),
        secrets_dir: work.join("secrets"),
        trace,
    };
    let r = run_inner(&mut cx, src, export, backend, &work);
    // Always restore the canonical bases and leave the daemon clean.
    let mut cleanup = Ok(());
    for r0 in &s.change.base_rebuilt {
        if let Err(err) = e.set_base(r0, false) {
            cleanup = Err(err);
        }
    }
    let w = e.wipe();
    e.clean.store(
        w.is_ok() && cleanup.is_ok(),
        std::sync::atomic::Ordering::SeqCst,
    );
    let _ = std::fs::remove_dir_all(&work);
    cx.trace.secs = started.elapsed().as_secs_f64();
    let out = r?;
    cleanup?;
    w?;
    Ok(out)
}

fn run_inner(
    cx: &mut Ctx,
    src: CacheSource,
    export: bool,
    backend: &str,
    work: &Path,
) -> Result<Outcome, Infra> {
    let (e, p, s) = (cx.e, cx.p, cx.s);
    // A clean daemon with the canonical bases (the previous run normally left it so).
    if !e.clean.swap(false, std::sync::atomic::Ordering::SeqCst) {
        for (tag, _) in &e.bases {
            e.set_base(tag, false)?;
        }
        e.wipe()?;
    }
    materialise_a(s, &cx.dir).map_err(Infra)?;

    // ---- build A (and, for cache-from-image, the extra stage images)
    let inline = s.cache.inline_cache
        && p.buildkit
        && matches!(src, CacheSource::CacheFromImage | CacheSource::SaveLoad);
    let mut extra_a: Vec<String> = Vec::new();
    if inline {
        if p.buildx {
            extra_a.extend(["--cache-to".into(), "type=inline".into()]);
        } else {
            extra_a.extend(["--build-arg".into(), "BUILDKIT_INLINE_CACHE=1".into()]);
        }
    }
    let mode = if src == CacheSource::ExportMax {
        "max"
    } else {
        "min"
    };
    let cache_ref = if backend == "local" {
        format!("type=local,dest={},mode={mode}", cache_ref_local(work))
    } else {
        format!("type=registry,ref={},mode={mode}", cx.reg("cache"))
    };
    if export && p.buildkit {
        extra_a.extend(["--cache-to".into(), cache_ref.clone()]);
    }
    let tag_a = format!("ll/a:{}", cx.ns);
    let a = BuildSpec {
        tag: tag_a.clone(),
        target: s.target.as_deref(),
        args: s.args.clone(),
        secrets: s.secrets.clone(),
        extra: extra_a.clone(),
    };
    let oa = cx.build(&a, "A")?;
    if !oa.ok {
        return Ok(Outcome::Observed(observation(
            e,
            p,
            Vec::new(),
            Some(format!(
                "build A failed: {}",
                clean_msg(&error_message(&oa.text), work)
            )),
        )));
    }
    let mut stage_images: Vec<String> = Vec::new();
    if src == CacheSource::CacheFromImage {
        for st in &s.cache.cache_from_stages {
            let tag = format!("ll/stage-{}:{}", sanitize(st), cx.ns);
            let b = BuildSpec {
                tag: tag.clone(),
                target: Some(st.as_str()),
                args: s.args.clone(),
                secrets: s.secrets.clone(),
                extra: if inline { extra_a.clone() } else { Vec::new() },
            };
            let o = cx.build(&b, &format!("A --target {st}"))?;
            if !o.ok {
                return Ok(Outcome::Observed(observation(
                    e,
                    p,
                    Vec::new(),
                    Some(format!(
                        "build A --target {st} failed: {}",
                        clean_msg(&error_message(&o.text), work)
                    )),
                )));
            }
            stage_images.push(tag);
        }
    }

    // ---- the change
    apply_change(s, &cx.dir).map_err(Infra)?;
    for r in &s.change.base_rebuilt {
        e.set_base(r, true)?;
    }

    // ---- the cache transport
    let mut extra_b: Vec<String> = Vec::new();
    match src {
        CacheSource::Local => {}
        CacheSource::None => e.wipe()?,
        CacheSource::CacheFromImage => {
            let mut remotes = Vec::new();
            let main_remote = cx.reg("image");
            cx.push(&tag_a, &main_remote)?;
            remotes.push(main_remote);
            for (i, t) in stage_images.iter().enumerate() {
                let r = cx.reg(&format!("stage{i}"));
                cx.push(t, &r)?;
                remotes.push(r);
            }
            e.wipe()?;
            if !p.buildkit {
                // Classic never pulls --cache-from images itself.
                for r in &remotes {
                    let o = e.must(&["pull", "-q", r], 180)?;
                    cx.log(&format!("$ docker pull {r}\n{o}"));
                }
            }
            for r in &remotes {
                extra_b.extend(["--cache-from".into(), r.clone()]);
            }
        }
        CacheSource::ExportMin | CacheSource::ExportMax => {
            e.wipe()?;
            if p.buildkit {
                let from = if backend == "local" {
                    format!("type=local,src={}", cache_ref_local(work))
                } else {
                    format!("type=registry,ref={}", cx.reg("cache"))
                };
                extra_b.extend(["--cache-from".into(), from]);
            }
            // classic: no export exists; B is the cold build an ephemeral agent would do.
        }
        CacheSource::SaveLoad => {
            let tar = work.join("image.tar");
            let t = tar.display().to_string();
            e.must(&["save", "-o", &t, &tag_a], 180)?;
            e.wipe()?;
            let o = e.must(&["load", "-i", &t], 180)?;
            cx.log(&format!("$ docker load -i image.tar\n{o}"));
            extra_b.extend(["--cache-from".into(), tag_a.clone()]);
        }
    }

    // ---- build B
    let target_b = s.change.target.as_deref().or(s.target.as_deref());
    let b = BuildSpec {
        tag: format!("ll/b:{}", cx.ns),
        target: target_b,
        args: args_b(s),
        secrets: secrets_b(s),
        extra: extra_b,
    };
    let ob = cx.build(&b, "B")?;
    if !ob.ok {
        return Ok(Outcome::Observed(observation(
            e,
            p,
            Vec::new(),
            Some(clean_msg(&error_message(&ob.text), work)),
        )));
    }
    let df = layerlab_engine::parse(s.dockerfile_b());
    let steps = if p.buildkit {
        observe_buildkit(
            &df,
            target_b,
            &b.args.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            &ob.text,
        )
    } else {
        observe_classic(&df, target_b, &ob.text)
    };
    match steps {
        Ok(steps) => Ok(Outcome::Observed(observation(e, p, steps, None))),
        Err(msg) => Ok(Outcome::Unreadable(msg)),
    }
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// Removes temp paths and the per-run namespace from an engine message, so fixtures are stable.
fn clean_msg(msg: &str, work: &Path) -> String {
    let w = work.display().to_string();
    msg.replace(&w, "<work>")
}

fn observation(
    e: &Engine,
    p: &Profile,
    steps: Vec<layerlab_engine::scenario::ObservedStep>,
    error: Option<String>,
) -> Observation {
    Observation {
        builder: if p.buildkit { "buildkit" } else { "classic" }.into(),
        engine: e.version_string(p),
        setup: p.setup.map(String::from),
        recorded: today(),
        steps,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_trouble_is_not_an_outcome() {
        assert!(looks_like_infra(
            "Step 3/5 : RUN x\n ---> Running in 1\nunknown parent image ID sha256:ab12"
        ));
        assert!(looks_like_infra("write /var/lib: no space left on device"));
        // What the scenario itself causes stays an observation.
        for legit in [
            "the --mount option requires BuildKit.",
            "dockerfile parse error line 3: Unknown flag: link",
            "failed to do request: Head \"https://registry-1.docker.io/v2/library/builder-base/manifests/latest\": dial tcp: lookup registry-1.docker.io: no such host",
            "The command '/bin/sh -c exit 1' returned a non-zero code: 1",
            "Cache export is not supported for the docker driver.",
        ] {
            assert!(!looks_like_infra(legit), "{legit}");
        }
    }

    #[test]
    fn today_is_a_plausible_date() {
        let d = today();
        assert_eq!(d.len(), 10);
        assert!(d.as_str() > "2024-01-01", "{d}");
    }

    #[test]
    fn context_and_change_are_written_with_modes_and_mtimes() {
        use std::os::unix::fs::MetadataExt;
        let s = Scenario::from_json(
            r#"{"dockerfile":"FROM layerlab/base:1\n","context":{"a/b.txt":"x","run.sh":{"content":"y","mode":"0755"},"gone":"z","t":"t"},
                "dockerignore":"gone\n",
                "change":{"files":{"a/b.txt":"x2"},"removed":["gone"],"touched":["t"],"chmod":{"run.sh":"0700"},"dockerfile":"FROM layerlab/base:2\n"}}"#,
        )
        .unwrap();
        let dir = temp_path("test-ctx");
        materialise_a(&s, &dir).unwrap();
        let md = std::fs::metadata(dir.join("run.sh")).unwrap();
        assert_eq!(md.mode() & 0o7777, 0o755);
        assert_eq!(md.mtime() as u64, CONTEXT_MTIME);
        assert_eq!(
            std::fs::read_to_string(dir.join(".dockerignore")).unwrap(),
            "gone\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("Dockerfile")).unwrap(),
            "FROM layerlab/base:1\n"
        );
        apply_change(&s, &dir).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("a/b.txt")).unwrap(), "x2");
        assert!(!dir.join("gone").exists());
        assert_eq!(
            std::fs::metadata(dir.join("t")).unwrap().mtime() as u64,
            CONTEXT_MTIME + 86_400
        );
        assert_eq!(std::fs::read_to_string(dir.join("t")).unwrap(), "t");
        assert_eq!(
            std::fs::metadata(dir.join("run.sh")).unwrap().mode() & 0o7777,
            0o700
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("Dockerfile")).unwrap(),
            "FROM layerlab/base:2\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn context_paths_cannot_escape() {
        let s =
            Scenario::from_json(r#"{"dockerfile":"FROM x\n","context":{"../evil":"x"}}"#).unwrap();
        let dir = temp_path("test-esc");
        assert!(materialise_a(&s, &dir).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
