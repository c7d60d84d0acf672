//! Validation of every user value and the CI-independent build plan: which builds run,
//! where each one's cache lives, and the POSIX `sh` body every CI wrapper runs.

use super::{shell, yaml, Ci, ExportError, ExportOptions};
use crate::ast::{Command, Dockerfile};
use crate::scenario::Scenario;
use std::collections::{BTreeMap, BTreeSet};

/// Cache backends (pipelines.md §1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    Registry,
    Gha,
    Local,
    Inline,
    S3,
    Azblob,
}

impl Backend {
    pub const ALL: [Backend; 6] = [
        Backend::Registry,
        Backend::Gha,
        Backend::Local,
        Backend::Inline,
        Backend::S3,
        Backend::Azblob,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Backend::Registry => "registry",
            Backend::Gha => "gha",
            Backend::Local => "local",
            Backend::Inline => "inline",
            Backend::S3 => "s3",
            Backend::Azblob => "azblob",
        }
    }
    pub fn parse(s: &str) -> Result<Backend, ExportError> {
        let l = s.trim().to_ascii_lowercase();
        Backend::ALL
            .iter()
            .copied()
            .find(|b| b.name() == l)
            .ok_or_else(|| {
                ExportError::new(
                    "backend",
                    format!(
                        "unknown cache backend '{}'; expected one of: {}",
                        s.escape_debug(),
                        Backend::ALL.map(Backend::name).join(", ")
                    ),
                )
            })
    }
    /// Needs a `docker-container` builder (the default `docker` driver cannot export it
    /// without the containerd image store, pipelines.md §1.1).
    pub fn needs_container_driver(self) -> bool {
        !matches!(self, Backend::Inline)
    }
}

/// How the wrapper gets a `docker-container` builder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuilderStyle {
    /// Already set up by the CI (GitHub's `docker/setup-buildx-action`).
    Preconfigured,
    /// `docker buildx create --name ci --driver docker-container --use --bootstrap`.
    Create,
    /// TLS `DOCKER_HOST` in the environment (GitLab dind, CircleCI remote docker):
    /// `docker context create` first (pipelines.md §1.1, docker/buildx#413).
    CreateWithContext,
    /// Shared/persistent machine: create `ci` only if missing and select it with
    /// `--builder ci` instead of `--use` (pipelines.md §10, §13).
    Named,
}

/// Per-CI parameters of the script body.
pub struct Style {
    pub builder: BuilderStyle,
    /// Environment variable holding the branch or ref name (`refs/heads/` is stripped).
    pub branch_var: &'static str,
    /// Environment variable holding the image tag (commit SHA); `latest` when empty.
    pub tag_var: &'static str,
    /// Emit the `docker run --privileged … binfmt` line for foreign platforms (false where
    /// the CI has its own QEMU step).
    pub binfmt: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildArg {
    pub name: String,
    /// Free text from the scenario (validated to one representable line).
    pub value: String,
    /// Environment variable the CI maps the value into: `BUILD_ARG_<NAME>`.
    pub env: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Secret {
    pub id: String,
    /// Environment variable (and CI secret-store name) the value comes from.
    pub env: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Build {
    /// `--target`, when one is given.
    pub target: Option<String>,
    /// Cache location key (lower-case target or final stage name, or `image`).
    pub key: String,
    pub mode_max: bool,
    /// The target reaches other stages (their layers are not in the final image).
    pub uses_other_stages: bool,
    /// Prefix for the image tag when several targets are built (`<key>-`), else empty.
    pub tag_prefix: String,
}

pub struct Plan {
    pub ci: Ci,
    pub backend: Backend,
    /// Registry prefix given by the user (host with optional path), if any.
    pub registry: Option<String>,
    /// Repository path below the registry (`acme/web`).
    pub image_name: String,
    /// Last path component of `image_name`; names gha scopes and S3/azblob objects.
    pub image_base: String,
    pub dockerfile: String,
    pub context: String,
    pub default_branch: String,
    pub default_slug: String,
    pub builds: Vec<Build>,
    pub platforms: Vec<String>,
    pub args: Vec<BuildArg>,
    pub secrets: Vec<Secret>,
    pub notes: Vec<String>,
    /// Longest slug that still fits a 128-character tag `<key>-<slug>`.
    pub slug_max: usize,
    /// Paths of the scenario's build-context files (lockfiles become CI cache keys).
    pub context_files: Vec<String>,
}

/// Cache flags of one build, with placeholders `{IMAGE}`, `{CACHE_REPO}`, `{SLUG}`,
/// `{CACHE_DIR}`, `{AWS_REGION}`, `{S3_BUCKET}`, `{AZBLOB_URL}` (see [`render`]).
pub struct CacheFlags {
    pub from: Vec<String>,
    pub to: Option<String>,
    /// gha: export only from the default branch (PRs read it, pipelines.md §5 GH-A).
    pub to_default_branch_only: bool,
    /// local: `(dir, new_dir)` to rotate after the build (pipelines.md §2.3).
    pub rotate: Option<(String, String)>,
    /// inline: the tag the cache-carrying image is also pushed under.
    pub extra_tag: Option<String>,
}

pub const PLACEHOLDER_REGISTRY: &str = "registry.example.com";

impl Plan {
    pub fn new(
        df: &Dockerfile,
        scenario: &Scenario,
        o: &ExportOptions,
        ci: Ci,
    ) -> Result<Plan, ExportError> {
        let mut notes = Vec::new();
        let backend = match &o.backend {
            Some(b) => Backend::parse(b)?,
            None => ci.default_backend(),
        };
        check_backend(ci, backend, &mut notes)?;

        // Image and registry.
        let (registry, image_name) = image_and_registry(o, scenario)?;
        let image_base = image_name
            .rsplit('/')
            .next()
            .unwrap_or(&image_name)
            .to_string();

        let dockerfile = match &o.dockerfile {
            Some(p) => check_path("dockerfile", p)?,
            None => "Dockerfile".to_string(),
        };
        let context = match &o.context {
            Some(p) => check_path("context", p)?,
            None => ".".to_string(),
        };
        let default_branch = match &o.default_branch {
            Some(b) => check_branch(b)?,
            None => "main".to_string(),
        };
        let default_slug = slugify_branch(&default_branch, 100);

        let platforms = check_platforms(&o.platforms)?;
        let builds = plan_builds(df, scenario, o, backend, &mut notes)?;
        let longest_key = builds.iter().map(|b| b.key.len()).max().unwrap_or(0);
        let slug_max = 100.min(127usize.saturating_sub(longest_key + "cache-".len()));
        let default_slug = default_slug.chars().take(slug_max).collect::<String>();
        let default_slug = if default_slug.is_empty() {
            "default".to_string()
        } else {
            default_slug
        };

        let args = check_args(scenario, &mut notes)?;
        let secrets = collect_secrets(df, scenario, &args)?;
        if backend == Backend::Gha && image_base.len() + longest_key + 1 > 64 {
            return Err(ExportError::new(
                "image",
                "the gha cache scope '<image>-<target>' would be longer than 64 characters; use a shorter image or target name",
            ));
        }

        if backend == Backend::Inline && builds.iter().any(|b| b.uses_other_stages) {
            notes.push(
                "inline cache is min-mode only: layers of stages that are not in the final image (builder stages) are not cached; use --backend registry for mode=max (pipelines.md §1.3)".into(),
            );
        }
        if matches!(backend, Backend::Local) {
            notes.push("add `.buildx-cache` to .dockerignore when the cache directory is inside the build context, or every build uploads the cache into the context".into());
        }
        if matches!(backend, Backend::S3) {
            notes.push("s3 backend: set AWS_REGION and S3_CACHE_BUCKET in the CI; buildx reads AWS credentials from the environment or credentials file of the client (pipelines.md §1.2, §12)".into());
        }
        if matches!(backend, Backend::Azblob) {
            notes.push("azblob backend (experimental): set AZBLOB_ACCOUNT_URL; credentials are read by the BuildKit server, not the client (pipelines.md §1.2)".into());
        }
        if registry.is_none() && backend != Backend::Gha {
            notes.push(format!(
                "no registry given: the buildx command uses the placeholder {PLACEHOLDER_REGISTRY}; pass --registry HOST"
            ));
        }

        Ok(Plan {
            ci,
            backend,
            registry,
            image_name,
            image_base,
            dockerfile,
            context,
            default_branch,
            default_slug,
            builds,
            platforms,
            args,
            secrets,
            notes,
            slug_max,
            context_files: scenario.context.keys().cloned().collect(),
        })
    }

    /// `registry/name` when the registry is known.
    pub fn image_literal(&self) -> Option<String> {
        self.registry
            .as_ref()
            .map(|r| format!("{r}/{}", self.image_name))
    }

    /// The cache repository: a separate repository next to the image (pipelines.md §2.4).
    pub fn cache_repo_of(image: &str) -> String {
        format!("{image}-cache")
    }

    pub fn multi_platform(&self) -> bool {
        self.platforms.len() > 1
    }

    pub fn foreign_platforms(&self) -> bool {
        self.platforms
            .iter()
            .any(|p| p != "linux/amd64" && !p.starts_with("linux/amd64/") && p != "linux/386")
    }

    pub fn needs_builder(&self) -> bool {
        self.backend.needs_container_driver() || self.multi_platform()
    }

    /// Build args whose value must be refused by a CI: `bad(value)` returns the reason.
    pub fn refuse_values(
        &self,
        ci_label: &str,
        bad: impl Fn(&str) -> Option<&'static str>,
    ) -> Result<(), ExportError> {
        for a in &self.args {
            if let Some(why) = bad(&a.value) {
                return Err(ExportError::new(
                    format!("args.{}", a.name),
                    format!("the value contains {why}, which {ci_label} would evaluate before the shell sees it; it cannot be passed through safely"),
                ));
            }
        }
        Ok(())
    }

    pub fn cache_flags(&self, b: &Build) -> CacheFlags {
        let max = if b.mode_max { ",mode=max" } else { "" };
        let key = &b.key;
        let d = &self.default_slug;
        let two = |f: &dyn Fn(&str) -> String| {
            let mut v = vec![f("{SLUG}")];
            v.push(f(d));
            v
        };
        match self.backend {
            Backend::Registry => CacheFlags {
                from: two(&|s| format!("type=registry,ref={{CACHE_REPO}}:{key}-{s}")),
                to: Some(format!("type=registry,ref={{CACHE_REPO}}:{key}-{{SLUG}}{max},image-manifest=true,oci-mediatypes=true,ignore-error=true")),
                to_default_branch_only: false,
                rotate: None,
                extra_tag: None,
            },
            Backend::Gha => {
                let scope = format!("{}-{key}", self.image_base);
                CacheFlags {
                    from: vec![format!("type=gha,scope={scope}")],
                    to: Some(format!("type=gha,scope={scope}{max},ignore-error=true")),
                    to_default_branch_only: true,
                    rotate: None,
                    extra_tag: None,
                }
            }
            Backend::Local => CacheFlags {
                from: vec![format!("type=local,src={{CACHE_DIR}}/{key}")],
                to: Some(format!(
                    "type=local,dest={{CACHE_DIR}}/{key}-new{max},ignore-error=true"
                )),
                to_default_branch_only: false,
                rotate: Some((
                    format!("{{CACHE_DIR}}/{key}"),
                    format!("{{CACHE_DIR}}/{key}-new"),
                )),
                extra_tag: None,
            },
            Backend::Inline => CacheFlags {
                from: two(&|s| format!("type=registry,ref={{IMAGE}}:cache-{key}-{s}")),
                to: Some("type=inline".into()),
                to_default_branch_only: false,
                rotate: None,
                extra_tag: Some(format!("{{IMAGE}}:cache-{key}-{{SLUG}}")),
            },
            Backend::S3 => {
                let base = format!(
                    "type=s3,region={{AWS_REGION}},bucket={{S3_BUCKET}},name={}-{key}",
                    self.image_base
                );
                CacheFlags {
                    from: two(&|s| format!("{base}-{s}")),
                    to: Some(format!("{base}-{{SLUG}}{max},ignore-error=true")),
                    to_default_branch_only: false,
                    rotate: None,
                    extra_tag: None,
                }
            }
            Backend::Azblob => {
                let base = format!(
                    "type=azblob,account_url={{AZBLOB_URL}},name={}-{key}",
                    self.image_base
                );
                CacheFlags {
                    from: two(&|s| format!("{base}-{s}")),
                    to: Some(format!("{base}-{{SLUG}}{max},ignore-error=true")),
                    to_default_branch_only: false,
                    rotate: None,
                    extra_tag: None,
                }
            }
        }
    }

    /// The `docker buildx build` command(s) with literal values (default branch, tag
    /// `latest`), for copy-paste.
    pub fn literal_command(&self) -> String {
        let image = self
            .image_literal()
            .unwrap_or_else(|| format!("{PLACEHOLDER_REGISTRY}/{}", self.image_name));
        let cache_repo = Plan::cache_repo_of(&image);
        let lit = |t: &str| -> String {
            let mut has_var = false;
            let r = render(t, |p| match p {
                "IMAGE" => image.clone(),
                "CACHE_REPO" => cache_repo.clone(),
                "SLUG" => self.default_slug.clone(),
                "CACHE_DIR" => ".buildx-cache".into(),
                "AWS_REGION" => {
                    has_var = true;
                    "${AWS_REGION}".into()
                }
                "S3_BUCKET" => {
                    has_var = true;
                    "${S3_CACHE_BUCKET}".into()
                }
                "AZBLOB_URL" => {
                    has_var = true;
                    "${AZBLOB_ACCOUNT_URL}".into()
                }
                _ => String::new(),
            });
            if has_var {
                format!("\"{r}\"")
            } else {
                shell::quote(&r)
            }
        };
        let mut blocks = Vec::new();
        if self.needs_builder() {
            blocks.push(
                "docker buildx create --name ci --driver docker-container --use --bootstrap"
                    .to_string(),
            );
        }
        for b in &self.builds {
            let c = self.cache_flags(b);
            let mut lines: Vec<String> = vec!["docker buildx build".into()];
            let q = |s: &str| shell::quote(s);
            lines.push(format!("--file {}", q(&self.dockerfile)));
            if let Some(t) = &b.target {
                lines.push(format!("--target {}", q(t)));
            }
            if !self.platforms.is_empty() {
                lines.push(format!("--platform {}", q(&self.platforms.join(","))));
            }
            for a in &self.args {
                lines.push(format!(
                    "--build-arg {}",
                    q(&format!("{}={}", a.name, a.value))
                ));
            }
            for s in &self.secrets {
                lines.push(format!(
                    "--secret {}",
                    q(&format!("id={},env={}", s.id, s.env))
                ));
            }
            let mut seen = BTreeSet::new();
            for f in &c.from {
                let w = lit(f);
                if seen.insert(w.clone()) {
                    lines.push(format!("--cache-from {w}"));
                }
            }
            if let Some(t) = &c.to {
                lines.push(format!("--cache-to {}", lit(t)));
            }
            lines.push(format!(
                "--tag {}",
                q(&format!("{image}:{}latest", b.tag_prefix))
            ));
            if let Some(t) = &c.extra_tag {
                lines.push(format!("--tag {}", lit(t)));
            }
            lines.push("--push".into());
            lines.push(q(&self.context));
            let mut block = lines.join(" \\\n  ");
            if let Some((dir, new)) = &c.rotate {
                let (dir, new) = (lit(dir), lit(new));
                block.push_str(&format!(
                    "\nif [ -d {new} ]; then rm -rf {dir}; mv {new} {dir}; fi"
                ));
            }
            blocks.push(block);
        }
        blocks.join("\n\n") + "\n"
    }

    /// The POSIX `sh` build script body shared by every CI. It expects `IMAGE` and
    /// `CACHE_REPO` (and `CACHE_DIR` for local, `BUILD_ARG_*`, secret variables) in the
    /// environment; it contains no user free text.
    pub fn script_body(&self, st: &Style) -> String {
        let mut s = String::new();
        let p = |s: &mut String, l: &str| {
            s.push_str(l);
            s.push('\n');
        };
        p(&mut s, "set -eu");
        p(
            &mut s,
            "# cache tags are per branch: lower-case slug of the branch name (pipelines.md §2.4)",
        );
        p(
            &mut s,
            &format!(
                "slug=$(printf '%s' \"${{{}:-}}\" | tr '[:upper:]' '[:lower:]' | sed -E 's#^refs/(heads|tags)/##; s/[^a-z0-9._-]+/-/g; s/^[.-]+//' | cut -c1-{})",
                st.branch_var, self.slug_max
            ),
        );
        p(&mut s, "slug=${slug:-default}");
        if self.backend == Backend::Local {
            p(&mut s, "CACHE_DIR=${CACHE_DIR:-.buildx-cache}");
        }
        for (name, _) in self.backend_env() {
            if !name.starts_with("AWS_ACCESS") && !name.starts_with("AWS_SECRET") {
                p(
                    &mut s,
                    &format!(
                        ": \"${{{name}:?set {name} for the {} cache}}\"",
                        self.backend.name()
                    ),
                );
            }
        }
        if self.needs_builder() {
            match st.builder {
                BuilderStyle::Preconfigured => {}
                BuilderStyle::Create => p(
                    &mut s,
                    "docker buildx create --name ci --driver docker-container --use --bootstrap",
                ),
                BuilderStyle::CreateWithContext => {
                    p(&mut s, "# TLS DOCKER_HOST: buildx needs a context to create a builder (docker/buildx#413)");
                    p(&mut s, "docker context inspect ci-ctx >/dev/null 2>&1 || docker context create ci-ctx");
                    p(&mut s, "docker buildx create ci-ctx --name ci --driver docker-container --use --bootstrap");
                }
                BuilderStyle::Named => p(
                    &mut s,
                    "docker buildx inspect ci >/dev/null 2>&1 || docker buildx create --name ci --driver docker-container --bootstrap",
                ),
            }
        }
        if st.binfmt && self.foreign_platforms() {
            p(&mut s, "# QEMU emulation for the non-native platforms");
            p(
                &mut s,
                "docker run --privileged --rm tonistiigi/binfmt --install all",
            );
        }
        let script_word = |t: &str| -> String {
            format!(
                "\"{}\"",
                render(t, |p| match p {
                    "IMAGE" => "${IMAGE}".into(),
                    "CACHE_REPO" => "${CACHE_REPO}".into(),
                    "SLUG" => "${slug}".into(),
                    "CACHE_DIR" => "${CACHE_DIR}".into(),
                    "AWS_REGION" => "${AWS_REGION}".into(),
                    "S3_BUCKET" => "${S3_CACHE_BUCKET}".into(),
                    "AZBLOB_URL" => "${AZBLOB_ACCOUNT_URL}".into(),
                    _ => String::new(),
                })
            )
        };
        for b in &self.builds {
            let c = self.cache_flags(b);
            p(&mut s, "");
            p(
                &mut s,
                &format!(
                    "# build {}{}",
                    b.key,
                    if b.mode_max {
                        " (mode=max: the target uses other stages)"
                    } else {
                        ""
                    }
                ),
            );
            let mut first = format!("set -- --file {}", shell::quote(&self.dockerfile));
            if st.builder == BuilderStyle::Named && self.needs_builder() {
                first = format!(
                    "set -- --builder ci --file {}",
                    shell::quote(&self.dockerfile)
                );
            }
            p(&mut s, &first);
            let add = |s: &mut String, words: &str| p(s, &format!("set -- \"$@\" {words}"));
            if let Some(t) = &b.target {
                add(&mut s, &format!("--target {}", shell::quote(t)));
            }
            if !self.platforms.is_empty() {
                add(
                    &mut s,
                    &format!("--platform {}", shell::quote(&self.platforms.join(","))),
                );
            }
            for a in &self.args {
                add(
                    &mut s,
                    &format!("--build-arg \"{}=${{{}}}\"", a.name, a.env),
                );
            }
            for sec in &self.secrets {
                p(
                    &mut s,
                    &format!(
                        "if [ -n \"${{{env}:-}}\" ]; then set -- \"$@\" --secret id={id},env={env}; fi",
                        env = sec.env,
                        id = sec.id
                    ),
                );
            }
            for (i, f) in c.from.iter().enumerate() {
                if i == 0 && c.from.len() > 1 && f.contains("{SLUG}") {
                    // on the default branch both imports are the same location
                    p(
                        &mut s,
                        &format!(
                            "if [ \"$slug\" != {} ]; then set -- \"$@\" --cache-from {}; fi",
                            shell::quote(&self.default_slug),
                            script_word(f)
                        ),
                    );
                } else {
                    add(&mut s, &format!("--cache-from {}", script_word(f)));
                }
            }
            if let Some(t) = &c.to {
                if c.to_default_branch_only {
                    p(
                        &mut s,
                        &format!(
                            "if [ \"$slug\" = {} ]; then set -- \"$@\" --cache-to {}; fi",
                            shell::quote(&self.default_slug),
                            script_word(t)
                        ),
                    );
                } else {
                    add(&mut s, &format!("--cache-to {}", script_word(t)));
                }
            }
            add(
                &mut s,
                &format!(
                    "--tag \"${{IMAGE}}:{}${{{}:-latest}}\"",
                    b.tag_prefix, st.tag_var
                ),
            );
            if let Some(t) = &c.extra_tag {
                add(&mut s, &format!("--tag {}", script_word(t)));
            }
            p(
                &mut s,
                "if [ \"${PUSH:-true}\" = true ]; then set -- \"$@\" --push; fi",
            );
            p(
                &mut s,
                &format!("docker buildx build \"$@\" {}", shell::quote(&self.context)),
            );
            if let Some((dir, new)) = &c.rotate {
                let (dir, new) = (script_word(dir), script_word(new));
                p(&mut s, "# replace the old cache dir: a local cache never deletes old blobs (pipelines.md §2.3)");
                p(
                    &mut s,
                    &format!("if [ -d {new} ]; then rm -rf {dir}; mv {new} {dir}; fi"),
                );
            }
        }
        s
    }
}

/// A value for a CI environment mapping.
pub enum EnvValue {
    /// From the user: the CI's literal-string escaping applies.
    User(String),
    /// Generated text that the CI must evaluate (`$(Build.SourceBranch)`, `$CI_REGISTRY_IMAGE/x`).
    Ci(String),
}

impl Plan {
    /// The step environment every wrapper maps: `IMAGE` (when known as a literal) and the
    /// build-arg values. Wrappers add their CI-specific entries.
    pub fn user_env(&self) -> Vec<(String, EnvValue)> {
        let mut v = Vec::new();
        if let Some(img) = self.image_literal() {
            v.push(("IMAGE".to_string(), EnvValue::User(img)));
        }
        for a in &self.args {
            v.push((a.env.clone(), EnvValue::User(a.value.clone())));
        }
        v
    }
}

impl Plan {
    /// Variables the backend reads from the CI (name, is a secret).
    pub fn backend_env(&self) -> Vec<(&'static str, bool)> {
        match self.backend {
            Backend::S3 => vec![
                ("AWS_REGION", false),
                ("S3_CACHE_BUCKET", false),
                ("AWS_ACCESS_KEY_ID", true),
                ("AWS_SECRET_ACCESS_KEY", true),
            ],
            Backend::Azblob => vec![("AZBLOB_ACCOUNT_URL", false)],
            _ => vec![],
        }
    }
}

/// Replaces `{NAME}` placeholders. Template text never contains other braces.
pub fn render(t: &str, mut f: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(t.len() + 16);
    let mut rest = t;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        match rest[i..].find('}') {
            Some(j) => {
                out.push_str(&f(&rest[i + 1..i + j]));
                rest = &rest[i + j + 1..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn check_backend(ci: Ci, b: Backend, notes: &mut Vec<String>) -> Result<(), ExportError> {
    match (ci, b) {
        (Ci::Github | Ci::Bake, Backend::Gha) => {
            if ci == Ci::Bake {
                notes.push("type=gha only works inside GitHub Actions (run bake with docker/bake-action)".into());
            }
            Ok(())
        }
        (_, Backend::Gha) => Err(ExportError::new(
            "backend",
            format!("the gha cache backend only works inside GitHub Actions, not {ci}; use registry (pipelines.md §0)"),
        )),
        (Ci::Cloudbuild, Backend::Local) => Err(ExportError::new(
            "backend",
            "Cloud Build keeps no directory between builds, so a local cache would always start empty; use registry (pipelines.md §11)",
        )),
        (Ci::Jenkins, Backend::Local) => {
            notes.push("local cache on Jenkins only helps on persistent agents (or a shared volume); ephemeral agents start empty (pipelines.md §0, §10)".into());
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Why `c` cannot be part of a name, in words, or `None`.
fn describe_char(c: char) -> String {
    match c {
        '\n' => "a newline".into(),
        '\r' => "a carriage return".into(),
        '\t' => "a tab".into(),
        ' ' => "a space".into(),
        '\0' => "a NUL byte".into(),
        ',' => "',' (it would split BuildKit's comma-separated cache attribute, e.g. --cache-to type=registry,ref=…)".into(),
        '"' => "'\"' (BuildKit parses cache and secret attributes as CSV)".into(),
        c if c.is_control() => format!("a control character (U+{:04X})", c as u32),
        c => format!("'{}'", c.escape_debug()),
    }
}

fn first_bad(s: &str, ok: impl Fn(char) -> bool) -> Option<char> {
    s.chars().find(|c| !ok(*c))
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn is_path_component(s: &str) -> bool {
    if s.is_empty() {
        return false;
    }
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &s[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn looks_like_host(first: &str) -> bool {
    first.contains('.') || first.contains(':') || first == "localhost"
}

fn check_host(field: &str, host: &str) -> Result<(), ExportError> {
    let (name, port) = match host.split_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (host, None),
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if name.is_empty() || !name.split('.').all(label_ok) {
        return Err(ExportError::new(
            field,
            format!("'{host}' is not a registry host name (lower-case letters, digits, '-' and '.', optional :port)"),
        ));
    }
    if let Some(p) = port {
        if p.is_empty() || p.len() > 5 || !p.bytes().all(|c| c.is_ascii_digit()) {
            return Err(ExportError::new(
                field,
                format!("'{host}' has an invalid port"),
            ));
        }
    }
    Ok(())
}

/// Character-level check shared by image and registry, with a precise message.
fn check_ref_chars(field: &str, what: &str, s: &str) -> Result<(), ExportError> {
    if s.is_empty() {
        return Err(ExportError::new(field, format!("{what} is empty")));
    }
    if s.len() > 255 {
        return Err(ExportError::new(
            field,
            format!("{what} is longer than 255 characters"),
        ));
    }
    if s.chars().any(|c| c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ExportError::new(
            field,
            format!(
                "{what} must be lower-case (registries reject upper-case repository names); did you mean '{}'?",
                s.to_ascii_lowercase()
            ),
        ));
    }
    if let Some(c) = first_bad(s, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '/' | ':')
    }) {
        let extra = if c == '@' {
            " (digests are not supported: the pipeline tags each build)"
        } else {
            ""
        };
        return Err(ExportError::new(
            field,
            format!(
                "{what} contains {}{extra}; allowed: a-z 0-9 . _ - / (and :port after the host)",
                describe_char(c)
            ),
        ));
    }
    Ok(())
}

fn check_registry(r: &str) -> Result<String, ExportError> {
    let r = r.strip_suffix('/').unwrap_or(r);
    check_ref_chars("registry", "the registry", r)?;
    let mut parts = r.split('/');
    let host = parts.next().unwrap_or("");
    check_host("registry", host)?;
    for p in parts {
        if !is_path_component(p) {
            return Err(ExportError::new(
                "registry",
                format!("'{p}' is not a valid repository path component (lower-case letters and digits separated by '.', '_', '__' or '-')"),
            ));
        }
    }
    Ok(r.to_string())
}

fn check_image_path(p: &str) -> Result<(), ExportError> {
    for comp in p.split('/') {
        if comp.contains(':') {
            return Err(ExportError::new(
                "image",
                format!("'{p}' contains a tag; give the repository only (the pipeline tags each build with the commit)"),
            ));
        }
        if !is_path_component(comp) {
            return Err(ExportError::new(
                "image",
                format!("'{comp}' is not a valid repository path component (lower-case letters and digits separated by '.', '_', '__' or '-')"),
            ));
        }
    }
    Ok(())
}

fn image_and_registry(
    o: &ExportOptions,
    scenario: &Scenario,
) -> Result<(Option<String>, String), ExportError> {
    let registry = match &o.registry {
        Some(r) => Some(check_registry(r)?),
        None => None,
    };
    let (img_host, path) = match &o.image {
        Some(img) => {
            check_ref_chars("image", "the image name", img)?;
            let img = img.trim_matches('/');
            match img.split_once('/') {
                Some((first, rest)) if looks_like_host(first) => {
                    check_host("image", first)?;
                    (Some(first.to_string()), rest.to_string())
                }
                _ => (None, img.to_string()),
            }
        }
        None => (None, default_image_name(scenario.name.as_deref())),
    };
    check_image_path(&path)?;
    let registry = match (registry, img_host) {
        (Some(r), Some(h)) => {
            if r.split('/').next() != Some(h.as_str()) {
                return Err(ExportError::new(
                    "image",
                    format!("the image names registry '{h}' but the registry is '{r}'; give the host in one place"),
                ));
            }
            // `--registry ghcr.io --image ghcr.io/acme/web`: the image wins.
            Some(h)
        }
        (r, h) => r.or(h),
    };
    if let Some(r) = &registry {
        if r.len() + 1 + path.len() > 255 {
            return Err(ExportError::new(
                "image",
                "the full image reference is longer than 255 characters",
            ));
        }
    }
    Ok((registry, path))
}

/// Lower-case slug of the scenario name, or `app`.
pub fn default_image_name(name: Option<&str>) -> String {
    let mut s = String::new();
    for c in name.unwrap_or("").chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            s.push(c);
        } else if !s.is_empty() && !s.ends_with('-') {
            s.push('-');
        }
        if s.len() >= 48 {
            break;
        }
    }
    let s = s.trim_end_matches('-').to_string();
    if s.is_empty() {
        "app".into()
    } else {
        s
    }
}

/// The branch slug rule of pipelines.md §2.4 (the same as the generated `sed`).
pub fn slugify_branch(b: &str, max: usize) -> String {
    let b = b
        .strip_prefix("refs/heads/")
        .or_else(|| b.strip_prefix("refs/tags/"))
        .unwrap_or(b);
    let mut s = String::new();
    let mut in_bad = false;
    for c in b.to_ascii_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-') {
            s.push(c);
            in_bad = false;
        } else if !in_bad {
            s.push('-');
            in_bad = true;
        }
    }
    let s = s.trim_start_matches(['.', '-']);
    let s: String = s.chars().take(max).collect();
    if s.is_empty() {
        "default".into()
    } else {
        s
    }
}

fn check_path(field: &str, p: &str) -> Result<String, ExportError> {
    if p.is_empty() {
        return Err(ExportError::new(field, "is empty"));
    }
    if let Some(c) = first_bad(p, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/')
    }) {
        return Err(ExportError::new(
            field,
            format!(
                "contains {}; allowed: A-Z a-z 0-9 . _ - /",
                describe_char(c)
            ),
        ));
    }
    if p.starts_with('/') || p.starts_with('-') || p.split('/').any(|c| c == "..") {
        return Err(ExportError::new(
            field,
            format!("'{p}' must be a relative path inside the repository (no leading '/' or '-', no '..')"),
        ));
    }
    Ok(p.to_string())
}

fn check_branch(b: &str) -> Result<String, ExportError> {
    if b.is_empty() {
        return Err(ExportError::new("default_branch", "is empty"));
    }
    if let Some(c) = first_bad(b, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/')
    }) {
        return Err(ExportError::new(
            "default_branch",
            format!(
                "contains {}; allowed: A-Z a-z 0-9 . _ - /",
                describe_char(c)
            ),
        ));
    }
    if b.starts_with('-') {
        return Err(ExportError::new(
            "default_branch",
            "must not start with '-'",
        ));
    }
    Ok(b.to_string())
}

fn check_platforms(list: &[String]) -> Result<Vec<String>, ExportError> {
    let mut out: Vec<String> = Vec::new();
    for item in list {
        for p in item.split(',') {
            let p = p.trim();
            if p.is_empty() {
                continue;
            }
            let parts: Vec<&str> = p.split('/').collect();
            let part_ok = |s: &str| {
                !s.is_empty()
                    && s.bytes()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
            };
            if !(2..=3).contains(&parts.len()) || !parts.iter().all(|s| part_ok(s)) {
                let detail =
                    match first_bad(p, |c| c.is_ascii_alphanumeric() || c == '_' || c == '/') {
                        Some(c) => format!(" (it contains {})", describe_char(c)),
                        None => String::new(),
                    };
                return Err(ExportError::new(
                    "platforms",
                    format!("'{}' is not a platform of the form os/arch[/variant] in lower case, e.g. linux/arm64{detail}", p.escape_debug()),
                ));
            }
            if !out.iter().any(|x| x == p) {
                out.push(p.to_string());
            }
        }
    }
    Ok(out)
}

fn check_target_name(t: &str) -> Result<(), ExportError> {
    let ok_first = t.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if let Some(c) = first_bad(t, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
    }) {
        return Err(ExportError::new(
            "targets",
            format!(
                "target '{}' contains {}; stage names are [A-Za-z0-9][A-Za-z0-9_.-]*",
                t.escape_debug(),
                describe_char(c)
            ),
        ));
    }
    if !ok_first || t.len() > 64 {
        return Err(ExportError::new(
            "targets",
            format!("target '{t}' must start with a letter or digit and be at most 64 characters"),
        ));
    }
    Ok(())
}

/// For each stage, the stages it uses (`FROM <stage>`, `COPY --from`, `RUN --mount from=`).
fn stage_deps(df: &Dockerfile) -> Vec<Vec<usize>> {
    let names: Vec<Option<String>> = df.stages.iter().map(|s| s.name.clone()).collect();
    let resolve = |r: &str, before: usize| -> Option<usize> {
        let l = r.to_ascii_lowercase();
        if let Some(j) = names[..before.min(names.len())]
            .iter()
            .rposition(|n| n.as_deref() == Some(l.as_str()))
        {
            return Some(j);
        }
        l.parse::<usize>().ok().filter(|j| *j < before)
    };
    let mut deps = vec![Vec::new(); df.stages.len()];
    for (i, st) in df.stages.iter().enumerate() {
        let mut idx = vec![st.from];
        idx.extend(st.commands.iter().copied());
        for k in idx {
            let Some(ins) = df.instructions.get(k) else {
                continue;
            };
            match &ins.command {
                Command::From(f) => {
                    let l = f.image.to_ascii_lowercase();
                    if let Some(j) = names[..i]
                        .iter()
                        .rposition(|n| n.as_deref() == Some(l.as_str()))
                    {
                        deps[i].push(j);
                    }
                }
                Command::Copy(c) => {
                    if let Some(j) = c.from.as_deref().and_then(|f| resolve(f, i)) {
                        deps[i].push(j);
                    }
                }
                Command::Run(r) => {
                    for m in &r.mounts {
                        if let Some(j) = m.from.as_deref().and_then(|f| resolve(f, i)) {
                            deps[i].push(j);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    deps
}

fn reachable(deps: &[Vec<usize>], start: usize) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![start];
    while let Some(i) = stack.pop() {
        if seen.insert(i) {
            if let Some(d) = deps.get(i) {
                stack.extend(d.iter().copied().filter(|j| !seen.contains(j)));
            }
        }
    }
    seen
}

fn plan_builds(
    df: &Dockerfile,
    scenario: &Scenario,
    o: &ExportOptions,
    backend: Backend,
    notes: &mut Vec<String>,
) -> Result<Vec<Build>, ExportError> {
    let mut targets: Vec<String> = Vec::new();
    let requested: Vec<String> = if !o.targets.is_empty() {
        o.targets.clone()
    } else {
        scenario.target.iter().cloned().collect()
    };
    for t in requested {
        check_target_name(&t)?;
        if !targets.iter().any(|x| x.eq_ignore_ascii_case(&t)) {
            targets.push(t);
        }
    }
    let deps = stage_deps(df);
    let stage_of = |name: &str| -> Option<usize> {
        let l = name.to_ascii_lowercase();
        df.stages
            .iter()
            .position(|s| s.name.as_deref() == Some(l.as_str()))
    };
    if df.stages.is_empty() {
        notes.push("the Dockerfile's stages are unknown (nothing parsed), so targets are not checked and mode=max is used".into());
    }
    let mut builds = Vec::new();
    let several = targets.len() > 1;
    let make = |target: Option<String>, stage: Option<usize>| -> Build {
        let key = match (&target, stage) {
            (Some(t), _) => t.to_ascii_lowercase(),
            (None, Some(i)) => df.stages[i].name.clone().unwrap_or_else(|| "image".into()),
            (None, None) => "image".into(),
        };
        let uses_other_stages = match stage {
            Some(i) => reachable(&deps, i).len() > 1,
            None => true,
        };
        let mode_max = uses_other_stages && backend != Backend::Inline;
        let tag_prefix = if several {
            format!("{key}-")
        } else {
            String::new()
        };
        Build {
            target,
            key,
            mode_max,
            uses_other_stages,
            tag_prefix,
        }
    };
    if targets.is_empty() {
        let last = df.stages.len().checked_sub(1);
        builds.push(make(None, last));
    } else {
        for t in targets {
            let stage = if df.stages.is_empty() {
                None
            } else {
                match stage_of(&t) {
                    Some(i) => Some(i),
                    None => {
                        let names: Vec<String> =
                            df.stages.iter().filter_map(|s| s.name.clone()).collect();
                        return Err(ExportError::new(
                            "targets",
                            if names.is_empty() {
                                format!("no stage named '{t}': the Dockerfile has no named stages (add `AS {t}` to a FROM)")
                            } else {
                                format!("no stage named '{t}'; stages: {}", names.join(", "))
                            },
                        ));
                    }
                }
            };
            builds.push(make(Some(t), stage));
        }
    }
    Ok(builds)
}

fn arg_name_ok(n: &str) -> bool {
    n.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn env_suffix(n: &str) -> String {
    n.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Names the scripts themselves use; a secret mapped onto one would break the script.
const RESERVED_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "PWD",
    "IFS",
    "SHELL",
    "USER",
    "IMAGE",
    "CACHE_REPO",
    "CACHE_DIR",
    "TAG",
    "PUSH",
    "BRANCH",
    "REGISTRY",
    "REGISTRY_USER",
    "REGISTRY_PASSWORD",
    "DOCKER_HOST",
    "DOCKER_CONFIG",
    "DOCKER_TLS_VERIFY",
    "DOCKER_CERT_PATH",
    "AWS_REGION",
    "S3_CACHE_BUCKET",
    "AZBLOB_ACCOUNT_URL",
    "OWNER",
    "SOURCE_BRANCH",
];

fn check_args(scenario: &Scenario, notes: &mut Vec<String>) -> Result<Vec<BuildArg>, ExportError> {
    let mut out: Vec<BuildArg> = Vec::new();
    let mut envs: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &scenario.args {
        let field = format!("args.{}", name.escape_debug());
        if !arg_name_ok(name) || name.len() > 128 {
            return Err(ExportError::new(
                field,
                "a build-arg name must be [A-Za-z0-9_][A-Za-z0-9_.-]* (at most 128 characters)",
            ));
        }
        if let Some(why) = yaml::unrepresentable(value) {
            return Err(ExportError::new(
                field,
                format!("the value contains {why}; a build-arg value must be one line (it travels through CI environment mappings)"),
            ));
        }
        let env = format!("BUILD_ARG_{}", env_suffix(name));
        if let Some(other) = envs.insert(env.clone(), name.clone()) {
            return Err(ExportError::new(
                field,
                format!(
                    "build args '{other}' and '{name}' would share the variable {env}; rename one"
                ),
            ));
        }
        let lname = name.to_ascii_lowercase();
        if [
            "token",
            "pass",
            "secret",
            "key",
            "auth",
            "index_url",
            "credential",
        ]
        .iter()
        .any(|w| lname.contains(w))
        {
            notes.push(format!(
                "build arg '{name}' looks like a credential: build args are part of the cache key and are recorded in the image; pass it as a secret (RUN --mount=type=secret,id=…,env={name} and --secret) instead (pipelines.md §1.4, §3)"
            ));
        }
        out.push(BuildArg {
            name: name.clone(),
            value: value.clone(),
            env,
        });
    }
    Ok(out)
}

fn collect_secrets(
    df: &Dockerfile,
    scenario: &Scenario,
    args: &[BuildArg],
) -> Result<Vec<Secret>, ExportError> {
    let mut ids: BTreeSet<String> = BTreeSet::new();
    ids.extend(scenario.secrets.keys().cloned());
    ids.extend(scenario.change.secrets.keys().cloned());
    for ins in &df.instructions {
        if let Command::Run(r) = &ins.command {
            for m in &r.mounts {
                if m.kind != "secret" {
                    continue;
                }
                let id = m.id.clone().or_else(|| {
                    m.target
                        .as_deref()
                        .and_then(|t| t.rsplit('/').next())
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                });
                if let Some(id) = id {
                    ids.insert(id);
                }
            }
        }
    }
    let mut out: Vec<Secret> = Vec::new();
    let mut envs: BTreeMap<String, String> = BTreeMap::new();
    for id in ids {
        let field = format!("secrets.{}", id.escape_debug());
        if id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            let why = first_bad(&id, |c| {
                c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
            })
            .map(|c| format!(" (it contains {})", describe_char(c)))
            .unwrap_or_default();
            return Err(ExportError::new(
                field,
                format!("a secret id must be 1-64 characters of [A-Za-z0-9_.-]{why}"),
            ));
        }
        let mut env = env_suffix(&id);
        if env.starts_with(|c: char| c.is_ascii_digit())
            || RESERVED_ENV.contains(&env.as_str())
            || env.starts_with("BUILD_ARG_")
            || env.starts_with("CI_")
            || env.starts_with("GITHUB_")
        {
            env = format!("SECRET_{env}");
        }
        if let Some(other) = envs.insert(env.clone(), id.clone()) {
            return Err(ExportError::new(
                field,
                format!("secrets '{other}' and '{id}' would share the variable {env}; rename one"),
            ));
        }
        if args.iter().any(|a| a.name == id) {
            return Err(ExportError::new(
                field,
                format!("'{id}' is both a build arg and a secret; a secret must not also be passed as --build-arg"),
            ));
        }
        out.push(Secret { id, env });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_components() {
        assert!(is_path_component("web"));
        assert!(is_path_component("my__app.v2-x"));
        assert!(is_path_component("a---b"));
        assert!(!is_path_component("-a"));
        assert!(!is_path_component("a."));
        assert!(!is_path_component("a._b"));
        assert!(!is_path_component("A"));
    }

    #[test]
    fn branch_slugs_match_the_sed_rule() {
        assert_eq!(slugify_branch("refs/heads/Feature/X_1", 100), "feature-x_1");
        assert_eq!(slugify_branch("..-x", 100), "x");
        assert_eq!(slugify_branch("€€", 100), "default");
        assert_eq!(slugify_branch("abcdef", 3), "abc");
    }

    #[test]
    fn image_default_from_name() {
        assert_eq!(default_image_name(Some("My Web App!")), "my-web-app");
        assert_eq!(default_image_name(Some("---")), "app");
        assert_eq!(default_image_name(None), "app");
    }

    #[test]
    fn render_placeholders() {
        assert_eq!(render("a{X}b{Y}", |p| p.to_lowercase()), "axby");
    }
}
