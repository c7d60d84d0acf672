//! Export: a ready `docker buildx build` command plus CI pipeline files that keep the
//! layer cache on ephemeral agents (project issue 5, export part).
//!
//! Pure code: [`export`] turns a parsed Dockerfile, a scenario and [`ExportOptions`] into
//! text; nothing here reads files, the clock or the environment.
//!
//! How the pieces fit:
//! - [`plan`] validates every user value (image, registry, targets, platforms, build args,
//!   secret ids) and decides the cache layout: backend, one cache location per
//!   image/target (and branch where the backend is a registry), `mode=max` when the target
//!   reaches other stages. It also writes the one POSIX `sh` build script body that every
//!   CI wraps; that body contains no user free text, only validated names and `"$VAR"`
//!   references (pipelines.md §15: values travel through environment mappings).
//! - one file per CI wraps the body in that CI's syntax and maps values and secrets into
//!   the step's environment, with that CI's escaping ([`yaml`], [`shell`], Groovy, HCL).
//!
//! The rules come from `shared/docs/pipelines.md`; `docs/EXPORT.md` cites them per CI.

mod azure;
mod bake;
mod bitbucket;
mod circleci;
mod cloudbuild;
mod codebuild;
mod github;
mod gitlab;
mod jenkins;
mod plan;
mod script;
pub mod shell;
pub mod yaml;

use crate::ast::Dockerfile;
use crate::scenario::Scenario;
use std::fmt;
use std::str::FromStr;

pub use plan::Backend;

/// The CI systems (and plain files) we generate for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ci {
    Github,
    Azure,
    Gitlab,
    Bitbucket,
    Circleci,
    Jenkins,
    Cloudbuild,
    Codebuild,
    /// `build.sh` (POSIX sh).
    Shell,
    /// `Makefile` calling the same build as `build.sh`.
    Make,
    /// `docker-bake.hcl`.
    Bake,
}

impl Ci {
    pub const ALL: [Ci; 11] = [
        Ci::Github,
        Ci::Azure,
        Ci::Gitlab,
        Ci::Bitbucket,
        Ci::Circleci,
        Ci::Jenkins,
        Ci::Cloudbuild,
        Ci::Codebuild,
        Ci::Shell,
        Ci::Make,
        Ci::Bake,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Ci::Github => "github",
            Ci::Azure => "azure",
            Ci::Gitlab => "gitlab",
            Ci::Bitbucket => "bitbucket",
            Ci::Circleci => "circleci",
            Ci::Jenkins => "jenkins",
            Ci::Cloudbuild => "cloudbuild",
            Ci::Codebuild => "codebuild",
            Ci::Shell => "shell",
            Ci::Make => "make",
            Ci::Bake => "bake",
        }
    }

    /// The backend pipelines.md §0 recommends for this CI.
    pub fn default_backend(self) -> Backend {
        match self {
            Ci::Github => Backend::Gha,
            _ => Backend::Registry,
        }
    }
}

impl fmt::Display for Ci {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Ci {
    /// The CI a name or alias stands for (case-insensitive), without building an error
    /// message (the playground only needs the answer: the message's `escape_debug` links
    /// Unicode's printable tables into the bundle).
    pub fn parse(s: &str) -> Option<Ci> {
        let lower = s.to_ascii_lowercase();
        let alias = match lower.as_str() {
            "github-actions" | "gha" | "actions" => "github",
            "azure-pipelines" | "ado" | "azure-devops" => "azure",
            "gitlab-ci" => "gitlab",
            "circle" => "circleci",
            "gcb" | "cloud-build" | "google-cloud-build" => "cloudbuild",
            "aws" | "aws-codebuild" => "codebuild",
            "sh" | "script" => "shell",
            "makefile" => "make",
            "buildx-bake" | "hcl" => "bake",
            other => other,
        };
        Ci::ALL.iter().copied().find(|c| c.name() == alias)
    }
}

impl FromStr for Ci {
    type Err = ExportError;
    fn from_str(s: &str) -> Result<Ci, ExportError> {
        Ci::parse(s).ok_or_else(|| {
            ExportError::new(
                "ci",
                format!(
                    "unknown CI '{}'; expected one of: {}",
                    s.escape_debug(),
                    Ci::ALL.map(Ci::name).join(", ")
                ),
            )
        })
    }
}

/// Export parameters after merging the scenario's `export` section with command-line
/// overrides. Every field is optional; [`export`] fills in defaults:
/// image name from the scenario name (or `app`), registry from the CI (GHCR on GitHub, the
/// project registry on GitLab, ECR on CodeBuild, Artifact Registry on Cloud Build, else a
/// `REGISTRY` CI variable), backend per pipelines.md §0, `Dockerfile`, context `.`, `main`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// Repository path, optionally with a registry host: `web`, `acme/web`, `ghcr.io/acme/web`.
    pub image: Option<String>,
    /// Registry host with optional path prefix: `ghcr.io/acme`, `123.dkr.ecr.eu-west-1.amazonaws.com`.
    pub registry: Option<String>,
    /// `registry`, `gha`, `local`, `inline`, `s3`, `azblob`.
    pub backend: Option<String>,
    /// Stages to build (one build and one cache location each). Empty: the scenario's
    /// `target`, else the final stage.
    pub targets: Vec<String>,
    /// `os/arch[/variant]`.
    pub platforms: Vec<String>,
    /// Dockerfile path relative to the repository root (default `Dockerfile`).
    pub dockerfile: Option<String>,
    /// Build context directory (default `.`).
    pub context: Option<String>,
    /// Branch whose cache every branch imports (default `main`).
    pub default_branch: Option<String>,
}

impl ExportOptions {
    /// The scenario's `export` section as options (no overrides).
    pub fn from_scenario(scenario: &Scenario) -> ExportOptions {
        match &scenario.export {
            None => ExportOptions::default(),
            Some(p) => ExportOptions {
                image: p.image.clone(),
                registry: p.registry.clone(),
                backend: p.backend.clone(),
                targets: p.targets.clone(),
                platforms: p.platforms.clone(),
                ..ExportOptions::default()
            },
        }
    }

    /// `self` with every field that `overrides` sets replaced (lists replace, not append).
    pub fn overridden_by(mut self, overrides: ExportOptions) -> ExportOptions {
        fn pick(a: &mut Option<String>, b: Option<String>) {
            if b.is_some() {
                *a = b;
            }
        }
        pick(&mut self.image, overrides.image);
        pick(&mut self.registry, overrides.registry);
        pick(&mut self.backend, overrides.backend);
        pick(&mut self.dockerfile, overrides.dockerfile);
        pick(&mut self.context, overrides.context);
        pick(&mut self.default_branch, overrides.default_branch);
        if !overrides.targets.is_empty() {
            self.targets = overrides.targets;
        }
        if !overrides.platforms.is_empty() {
            self.platforms = overrides.platforms;
        }
        self
    }
}

/// The generated command and files.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Export {
    /// `docker buildx build` command(s) with literal values, one command per target,
    /// separated by a blank line; continuation lines end in ` \`. Preceded by the builder
    /// creation line when the backend needs a `docker-container` builder.
    pub buildx_command: String,
    /// (path in the repository, content).
    pub files: Vec<(String, String)>,
    /// What the user must set up (variables, secrets, service connections) and why
    /// choices were made.
    pub notes: Vec<String>,
}

/// A value that cannot be represented safely, or an impossible combination.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ExportError {
    /// Which input: `image`, `registry`, `backend`, `targets`, `platforms`, `args.NAME`,
    /// `secrets.ID`, `dockerfile`, `context`, `default_branch`, `ci`.
    pub field: String,
    pub message: String,
}

impl ExportError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> ExportError {
        ExportError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ExportError {}

/// Generates the buildx command and the pipeline files for `ci`.
///
/// `df` is the parsed Dockerfile of build A (stage names and dependencies decide the
/// targets' validity and `mode=max`; `RUN --mount=type=secret` ids become `--secret`s);
/// `scenario` gives the name, build args and secrets (ids only; secret values are never
/// written anywhere); `options` the export parameters.
pub fn export(
    df: &Dockerfile,
    scenario: &Scenario,
    options: &ExportOptions,
    ci: Ci,
) -> Result<Export, ExportError> {
    let plan = plan::Plan::new(df, scenario, options, ci)?;
    let mut out = Export {
        buildx_command: plan.literal_command(),
        files: Vec::new(),
        notes: Vec::new(),
    };
    match ci {
        Ci::Github => github::generate(&plan, &mut out)?,
        Ci::Azure => azure::generate(&plan, &mut out)?,
        Ci::Gitlab => gitlab::generate(&plan, &mut out)?,
        Ci::Bitbucket => bitbucket::generate(&plan, &mut out)?,
        Ci::Circleci => circleci::generate(&plan, &mut out)?,
        Ci::Jenkins => jenkins::generate(&plan, &mut out)?,
        Ci::Cloudbuild => cloudbuild::generate(&plan, &mut out)?,
        Ci::Codebuild => codebuild::generate(&plan, &mut out)?,
        Ci::Shell => script::generate_sh(&plan, &mut out)?,
        Ci::Make => script::generate_make(&plan, &mut out)?,
        Ci::Bake => bake::generate(&plan, &mut out)?,
    }
    out.notes.extend(plan.notes.iter().cloned());
    Ok(out)
}
