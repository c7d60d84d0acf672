//! The simulator's output: one verdict per instruction of build B, per builder.
//!
//! The JSON shape (`layerlab simulate --format json`) is
//! `{"builders": {"classic": {"steps": [...]}, "buildkit": {"steps": [...]}}, ...}`.

use crate::share::Shared;
use crate::syntax::Diagnostic;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `Shared<str>` as a plain JSON string.
mod shared_str {
    use super::*;
    pub fn serialize<S: Serializer>(v: &Shared<str>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Shared<str>, D::Error> {
        String::deserialize(d).map(Shared::from)
    }
}

/// `Option<Shared<str>>` as a JSON string or null.
mod shared_str_opt {
    use super::*;
    pub fn serialize<S: Serializer>(v: &Option<Shared<str>>, s: S) -> Result<S::Ok, S::Error> {
        v.as_deref().serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Shared<str>>, D::Error> {
        Option::<String>::deserialize(d).map(|o| o.map(Shared::from))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Builder {
    Classic,
    Buildkit,
}

impl Builder {
    pub fn label(self) -> &'static str {
        match self {
            Builder::Classic => "classic builder",
            Builder::Buildkit => "BuildKit",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The step's cache key matched a record: reused.
    Cached,
    /// The step executes in build B.
    Rebuilt,
    /// The builder does not build this instruction's stage at all.
    NotRun,
    /// BuildKit only: the instruction makes no build step (image config / state only).
    Metadata,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Cached => "cached",
            Status::Rebuilt => "rebuilt",
            Status::NotRun => "not-run",
            Status::Metadata => "metadata",
        }
    }
}

/// One link of the causal chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// Stable code, e.g. `arg-changed`, `context-file-changed`, `parent-rebuilt` (the
    /// simulator's are static strings: no allocation per reason).
    pub code: std::borrow::Cow<'static, str>,
    /// One short sentence in plain words. Shared: the simulator gives many steps the same
    /// sentence (a stage's changed variables, its chain's first miss), and a copy is then
    /// a reference count, not an allocation (serialised as a plain string).
    #[serde(with = "shared_str")]
    pub message: Shared<str>,
    /// The 1-based line that caused it (in B's Dockerfile), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepVerdict {
    /// 1-based first line of the instruction in B's Dockerfile.
    pub line: u32,
    /// Stage index; global ARGs are reported with stage `null`.
    pub stage: Option<usize>,
    /// Shared by every verdict of the stage (serialised as a plain string).
    #[serde(with = "shared_str_opt")]
    pub stage_name: Option<Shared<str>>,
    /// Shared by every verdict with the same keyword (serialised as a plain string).
    #[serde(with = "shared_str")]
    pub keyword: Shared<str>,
    pub status: Status,
    pub reasons: Vec<Reason>,
    /// Index into B's `Dockerfile::instructions`.
    pub instruction: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuilderReport {
    pub steps: Vec<StepVerdict>,
    /// One line, e.g. "BuildKit rebuilds 6 of 9 steps; the first miss is line 3: ...".
    pub summary: String,
    /// Stage indices this builder builds.
    pub built_stages: Vec<usize>,
    /// Builder-specific problems (e.g. classic rejects `RUN --mount`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Diagnostic>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Builders {
    pub classic: BuilderReport,
    pub buildkit: BuilderReport,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub builders: Builders,
    /// Parse and scenario diagnostics (of B's Dockerfile, and of A's when it differs).
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    pub fn builder(&self, b: Builder) -> &BuilderReport {
        match b {
            Builder::Classic => &self.builders.classic,
            Builder::Buildkit => &self.builders.buildkit,
        }
    }
}
