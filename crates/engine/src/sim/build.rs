//! One build, as a builder sees it: the inputs of build A or build B resolved from the scenario
//! (Dockerfile, context after `.dockerignore`, build args, secrets, target, base digests).

use super::context::Context;
use super::hash::{Id, KeyHasher};
use crate::ast::Dockerfile;
use crate::scenario::Map;
use crate::scenario::{FileSpec, Scenario};
use crate::share::Shared;

/// Which of the two builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

pub struct BuildInput {
    pub side: Side,
    pub text: String,
    /// Shared: build B reuses build A's parse when the Dockerfile did not change.
    pub df: Shared<Dockerfile>,
    /// Shared with [`super::SimCache`] when the caller keeps one.
    pub context: Shared<Context>,
    pub args: Map<String, String>,
    pub secrets: Map<String, String>,
    pub target: Option<String>,
    /// Image references whose digest is new in this build.
    pub rebuilt_bases: Vec<String>,
}

impl BuildInput {
    pub fn a(s: &Scenario) -> BuildInput {
        let context = Context::new(&s.context, &s.dockerfile, s.dockerignore.as_deref());
        BuildInput::a_with_context(s, Shared::new(context))
    }

    /// Build A around an already resolved context (it must be what [`Context::new`] gives
    /// for the scenario's files, Dockerfile and `.dockerignore`).
    pub fn a_with_context(s: &Scenario, context: Shared<Context>) -> BuildInput {
        BuildInput::a_with_parsed(s, context, Shared::new(crate::parse(&s.dockerfile)))
    }

    /// Build A with its Dockerfile already parsed (`df` must be the parse of `s.dockerfile`).
    pub fn a_with_parsed(
        s: &Scenario,
        context: Shared<Context>,
        df: Shared<Dockerfile>,
    ) -> BuildInput {
        BuildInput {
            side: Side::A,
            context,
            text: s.dockerfile.clone(),
            df,
            args: s.args.clone(),
            secrets: s.secrets.clone(),
            target: s.target.clone(),
            rebuilt_bases: Vec::new(),
        }
    }

    /// Build B, derived from build A's resolved context when `.dockerignore` is unchanged
    /// (only the changed files are hashed and matched again); B shares A's parse when its
    /// Dockerfile is the same.
    pub fn b_from(s: &Scenario, a: &BuildInput) -> BuildInput {
        BuildInput::b_from_with(s, a, &mut crate::parse)
    }

    /// [`BuildInput::b_from`], parsing an edited Dockerfile with `parse`.
    pub fn b_from_with(
        s: &Scenario,
        a: &BuildInput,
        parse: &mut dyn FnMut(&str) -> Dockerfile,
    ) -> BuildInput {
        let text = s.dockerfile_b();
        let df = if text == a.text {
            Shared::clone(&a.df)
        } else {
            Shared::new(parse(text))
        };
        let context = BuildInput::context_b(s, &a.context);
        BuildInput::b_parts(s, text.to_string(), df, Shared::new(context))
    }

    /// Build B's context: build A's with B's changes applied (only the changed files are
    /// hashed and matched again), or resolved anew when `.dockerignore` changes.
    fn context_b(s: &Scenario, a: &Context) -> Context {
        let text = s.dockerfile_b();
        if let Some(ignore) = &s.change.dockerignore {
            return Context::new(&BuildInput::files_b(s), text, Some(ignore));
        }
        let mut changes: Vec<(String, Option<super::context::FileEntry>)> = Vec::new();
        for (p, f) in &s.change.files {
            changes.push((p.clone(), Some(Context::entry(f))));
        }
        for p in &s.change.removed {
            if !s.change.files.contains_key(p) {
                changes.push((p.clone(), None));
            }
        }
        for (p, mode) in &s.change.chmod {
            let base = s.change.files.get(p).or_else(|| s.context.get(p));
            if let Some(f) = base {
                if s.change.removed.contains(p) {
                    continue;
                }
                let spec = FileSpec::Full {
                    content: f.content().to_string(),
                    mode: Some(mode.clone()),
                };
                changes.push((p.clone(), Some(Context::entry(&spec))));
            }
        }
        if text != s.dockerfile {
            changes.push(("Dockerfile".into(), Some(Context::text_entry(text))));
        }
        a.with_changes(s.dockerignore.as_deref(), &changes)
    }

    /// Build B's args, secrets, target and bases around a given Dockerfile and context.
    fn b_parts(
        s: &Scenario,
        text: String,
        df: Shared<Dockerfile>,
        context: Shared<Context>,
    ) -> BuildInput {
        let apply = |base: &Map<String, String>, change: &Map<String, Option<String>>| {
            let mut out = base.clone();
            for (k, v) in change {
                match v {
                    Some(v) => {
                        out.insert(k.clone(), v.clone());
                    }
                    None => {
                        out.remove(k);
                    }
                }
            }
            out
        };
        BuildInput {
            side: Side::B,
            context,
            text,
            df,
            args: apply(&s.args, &s.change.args),
            secrets: apply(&s.secrets, &s.change.secrets),
            target: s.change.target.clone().or_else(|| s.target.clone()),
            rebuilt_bases: s.change.base_rebuilt.clone(),
        }
    }

    /// Build B from scratch (the reference for [`BuildInput::b_from`]).
    pub fn b(s: &Scenario) -> BuildInput {
        let text = s.dockerfile_b().to_string();
        let df = Shared::new(crate::parse(&text));
        // `touched` changes only mtime, which neither builder hashes: nothing to apply.
        let dockerignore = match &s.change.dockerignore {
            Some(d) => Some(d.as_str()),
            None => s.dockerignore.as_deref(),
        };
        let context = Context::new(&BuildInput::files_b(s), &text, dockerignore);
        BuildInput::b_parts(s, text, df, Shared::new(context))
    }

    /// Build B's context files: A's with B's edits, removals and mode changes.
    fn files_b(s: &Scenario) -> Map<String, FileSpec> {
        let mut files: Map<String, FileSpec> = s.context.clone();
        for (p, f) in &s.change.files {
            files.insert(p.clone(), f.clone());
        }
        for p in &s.change.removed {
            files.remove(p);
        }
        for (p, mode) in &s.change.chmod {
            if let Some(f) = files.get_mut(p) {
                *f = FileSpec::Full {
                    content: f.content().to_string(),
                    mode: Some(mode.clone()),
                };
            }
        }
        files
    }

    /// The digest an image reference resolves to in this build.
    pub fn image_digest(&self, reference: &str) -> Id {
        self.normalized_image_digest(&normalize_image(reference))
    }

    /// [`BuildInput::image_digest`] of a reference already passed through
    /// [`normalize_image`].
    pub fn normalized_image_digest(&self, normalized: &str) -> Id {
        let rebuilt = self
            .rebuilt_bases
            .iter()
            .any(|r| normalize_image(r) == normalized);
        KeyHasher::new("image")
            .str(normalized)
            .u64(if rebuilt { 2 } else { 1 })
            .finish()
    }

    /// The digest an image reference had in build A.
    pub fn image_digest_before(&self, reference: &str) -> Id {
        KeyHasher::new("image")
            .str(&normalize_image(reference))
            .u64(1)
            .finish()
    }

    /// Index of the target stage (the last stage when no target is given or it is unknown).
    pub fn target_stage(&self) -> Option<usize> {
        let last = self.df.stages.len().checked_sub(1)?;
        match &self.target {
            Some(t) => Some(self.stage_by_name(t).unwrap_or(last)),
            None => Some(last),
        }
    }

    pub fn stage_by_name(&self, name: &str) -> Option<usize> {
        let lower = name.to_ascii_lowercase();
        self.df
            .stages
            .iter()
            .position(|s| s.name.as_deref() == Some(lower.as_str()))
    }
}

/// An image reference's repository, tag, digest, and whether the repository names a registry
/// (`localhost`, or a first component with a `.` or a `:`).
fn image_parts(r: &str) -> (&str, Option<&str>, Option<&str>, bool) {
    let r = r.trim();
    let (name, digest) = match r.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (r, None),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    let (repo, tag) = match last.rfind(':') {
        Some(i) => (&name[..name.len() - (last.len() - i)], Some(&last[i + 1..])),
        None => (name, None),
    };
    let first = repo.split('/').next().unwrap_or(repo);
    let has_domain =
        repo.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    (repo, tag, digest, has_domain)
}

/// `busybox` → `docker.io/library/busybox:latest`, so equivalent references compare equal.
pub fn normalize_image(r: &str) -> String {
    let (repo, tag, digest, has_domain) = image_parts(r);
    // Built in one buffer (the prefixes are lower case already).
    let mut out = String::with_capacity(r.len() + 25);
    if !has_domain {
        out.push_str(match repo.contains('/') {
            true => "docker.io/",
            false => "docker.io/library/",
        });
    }
    out.push_str(repo);
    out.make_ascii_lowercase();
    if let Some(t) = tag {
        out.push(':');
        out.push_str(t);
    } else if digest.is_none() {
        out.push_str(":latest");
    }
    if let Some(d) = digest {
        out.push('@');
        out.push_str(d);
    }
    out
}

pub fn same_image(a: &str, b: &str) -> bool {
    normalize_image(a) == normalize_image(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_normalise() {
        assert_eq!(
            normalize_image("busybox"),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(
            normalize_image("layerlab/base:1"),
            "docker.io/layerlab/base:1"
        );
        assert_eq!(
            normalize_image("127.0.0.1:5000/x/y:2"),
            "127.0.0.1:5000/x/y:2"
        );
        assert!(same_image("docker.io/library/alpine", "alpine:latest"));
        // The form normalize_image had before it was built in one buffer.
        // It splits the reference with the same `image_parts`: what it checks is the assembly.
        let reference = |r: &str| {
            let (repo, tag, digest, has_domain) = image_parts(r);
            let full = if has_domain {
                repo.to_string()
            } else if repo.contains('/') {
                format!("docker.io/{repo}")
            } else {
                format!("docker.io/library/{repo}")
            };
            let mut out = full.to_ascii_lowercase();
            if let Some(t) = tag {
                out.push(':');
                out.push_str(t);
            } else if digest.is_none() {
                out.push_str(":latest");
            }
            if let Some(d) = digest {
                out.push('@');
                out.push_str(d);
            }
            out
        };
        for r in [
            "",
            " ",
            "Alpine",
            "ALPINE:3.19",
            "My/Img:TAG",
            "Localhost/X",
            "localhost:5000/A/B:1",
            "ghcr.io/Org/App@sha256:ABC",
            "busybox@sha256:0f",
            "a:b:c",
            "/x",
            "x/",
            "É/Ü:1",
            " registry.example.com/team/svc:v2 ",
        ] {
            assert_eq!(normalize_image(r), reference(r), "{r:?}");
        }
        assert!(!same_image("alpine:3", "alpine"));
    }
}
