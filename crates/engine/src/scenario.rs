//! The scenario: one JSON schema shared by the CLI, the playground's share state, the
//! recorder and the tests. Documented in `docs/SCENARIOS.md`.
//!
//! A scenario describes build A (Dockerfile, context, args, ...), what changes for build B,
//! where B's cache comes from, and — in recorded fixtures — what real engines did.

use serde::{Deserialize, Serialize};

/// The scenario's maps (path → file, arg → value, ...): a sorted vector (`litemap`) rather
/// than a `BTreeMap`. Same order and JSON, same last-wins on duplicate keys; the maps hold a
/// handful of entries (a context of thousands is built once per analysis), and each
/// `Map<K, V>` instance put ~5 KB of node-balancing code per value type into the
/// playground's wasm (docs/benchmarks/app.md).
pub type Map<K, V> = litemap::LiteMap<K, V>;

/// Always a JSON object, as a `BTreeMap` was (`litemap` writes an empty map as `[]`).
fn ser_map<V: Serialize, S: serde::Serializer>(
    m: &Map<String, V>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_map(m.iter())
}

/// A file in the build context: either just its content, or content plus mode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FileSpec {
    Content(String),
    Full {
        content: String,
        /// Octal permission bits as a string, e.g. `"0755"`. Default `"0644"`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mode: Option<String>,
    },
}

impl FileSpec {
    pub fn content(&self) -> &str {
        match self {
            FileSpec::Content(c) => c,
            FileSpec::Full { content, .. } => content,
        }
    }
    /// Permission bits; `0o644` when not given or unparsable.
    pub fn mode(&self) -> u32 {
        match self {
            FileSpec::Full { mode: Some(m), .. } => parse_mode(m).unwrap_or(0o644),
            _ => 0o644,
        }
    }
}

/// Parses an octal mode string such as `"755"` or `"0755"`.
pub fn parse_mode(s: &str) -> Option<u32> {
    let s = s.trim();
    if s.is_empty() || s.len() > 6 {
        return None;
    }
    u32::from_str_radix(s, 8).ok().filter(|m| *m <= 0o7777)
}

/// Where build B's cache comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CacheSource {
    /// Same builder, warm: B runs where A ran.
    #[default]
    Local,
    /// Ephemeral agent, nothing imported.
    None,
    /// A's final image pushed; B on a fresh machine with `--cache-from` it.
    CacheFromImage,
    /// `--cache-to type=registry|local|gha,mode=min`, imported by B.
    ExportMin,
    /// Same with `mode=max`.
    ExportMax,
    /// `docker save` of A's image, `docker load` on B's machine, `--cache-from` its tag.
    SaveLoad,
}

/// How BuildKit is set up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BuilderSetup {
    /// BuildKit inside dockerd on the classic (graphdriver) image store.
    #[default]
    DockerDriver,
    /// containerd image store, or a `docker-container` builder (buildx).
    Container,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cache {
    #[serde(default)]
    pub source: CacheSource,
    /// BuildKit: A was built with inline cache metadata (`--cache-to type=inline` or
    /// `BUILDKIT_INLINE_CACHE=1`). Only meaningful for `cache-from-image` and `save-load`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub inline_cache: bool,
    /// Stages A also built with `--target` and pushed; each is another `--cache-from`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cache_from_stages: Vec<String>,
    /// Export backend for `export-min` / `export-max`: `registry` (default), `local`, `gha`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// What differs in build B.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// Edited or added context files.
    #[serde(
        default,
        skip_serializing_if = "Map::is_empty",
        serialize_with = "ser_map"
    )]
    pub files: Map<String, FileSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
    /// Files whose mtime changes, content untouched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub touched: Vec<String>,
    /// path → new octal mode.
    #[serde(
        default,
        skip_serializing_if = "Map::is_empty",
        serialize_with = "ser_map"
    )]
    pub chmod: Map<String, String>,
    /// Build args whose value changes; `null` unsets.
    #[serde(
        default,
        skip_serializing_if = "Map::is_empty",
        serialize_with = "ser_map"
    )]
    pub args: Map<String, Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Map::is_empty",
        serialize_with = "ser_map"
    )]
    pub secrets: Map<String, Option<String>>,
    /// Base image references whose digest changes under the same tag.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub base_rebuilt: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerignore: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// An edited Dockerfile for B.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<String>,
}

/// What a re-executed RUN produces, where that decides downstream verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RerunOutput {
    /// The re-run writes byte-identical files (content-keyed consumers stay cached).
    Identical,
    /// The re-run writes different files.
    Different,
    /// The step exits non-zero when it runs (e.g. a failing test stage): the build stops
    /// there. A cached step does not run and cannot fail.
    Fails,
}

/// One observed per-instruction result of a real build.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedStep {
    /// 1-based first line of the instruction in B's Dockerfile.
    pub line: u32,
    /// `cached`, `rebuilt`, `not-run`, `metadata` (same vocabulary as the simulator).
    pub status: String,
}

/// What one real engine did with build B.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// `classic` or `buildkit`.
    pub builder: String,
    /// e.g. `docker 20.10.24+dfsg1`, `docker 26.1.5 / buildkit v0.13.2`.
    pub engine: String,
    /// `docker-driver` or `container` (BuildKit only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup: Option<String>,
    /// UTC date of the recording, `YYYY-MM-DD`.
    pub recorded: String,
    pub steps: Vec<ObservedStep>,
    /// The build failed (e.g. classic on a BuildKit-only flag); `steps` may be empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Export parameters (issue: advice and export). All optional; defaults are derived.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
}

/// The whole scenario.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub dockerfile: String,
    /// Build context of A: path → content (or `{content, mode}`).
    #[serde(default, serialize_with = "ser_map")]
    pub context: Map<String, FileSpec>,
    /// `.dockerignore` of A (absent = no file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerignore: Option<String>,
    /// Build args of A.
    #[serde(
        default,
        skip_serializing_if = "Map::is_empty",
        serialize_with = "ser_map"
    )]
    pub args: Map<String, String>,
    /// Secrets of A: id → value.
    #[serde(
        default,
        skip_serializing_if = "Map::is_empty",
        serialize_with = "ser_map"
    )]
    pub secrets: Map<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default)]
    pub change: Change,
    #[serde(default)]
    pub cache: Cache,
    #[serde(default)]
    pub builder_setup: BuilderSetup,
    /// Where the bytes a re-executed step produces decide downstream verdicts, by 1-based
    /// line in B's Dockerfile: for a RUN that re-runs, whether what later steps read from it
    /// (e.g. the path a `COPY --from` selects) is byte-identical to build A's; for a
    /// `COPY --from=<image>` whose image got a new digest, whether the copied files are
    /// identical. Unstated re-runs are assumed `different`, and the simulator says so.
    #[serde(
        default,
        skip_serializing_if = "Map::is_empty",
        serialize_with = "ser_map"
    )]
    pub rerun_output: Map<String, RerunOutput>,
    /// The build's `--network` (e.g. `none`): the default network mode of every RUN, which
    /// is part of BuildKit's RUN key. Absent = the builder's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<ExportParams>,
    /// Recorded results of real engines, keyed by engine label
    /// (e.g. `docker-20.10/classic`, `docker-26/buildkit`).
    #[serde(
        default,
        skip_serializing_if = "Map::is_empty",
        serialize_with = "ser_map"
    )]
    pub observed: Map<String, Observation>,
}

impl Scenario {
    pub fn from_json(text: &str) -> Result<Scenario, String> {
        if text.len() > crate::syntax::MAX_INPUT_BYTES * 4 {
            return Err("scenario is larger than 4 MiB".into());
        }
        serde_json::from_str(text).map_err(|e| {
            format!(
                "{}:{}: invalid scenario: {}",
                e.line(),
                e.column(),
                strip_serde_position(&e.to_string())
            )
        })
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("scenario serialises")
    }

    /// The Dockerfile text of build B.
    pub fn dockerfile_b(&self) -> &str {
        self.change
            .dockerfile
            .as_deref()
            .unwrap_or(&self.dockerfile)
    }
}

fn strip_serde_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_scenario_parses_with_defaults() {
        let s = Scenario::from_json(r#"{"dockerfile":"FROM scratch\n"}"#).unwrap();
        assert_eq!(s.cache.source, CacheSource::Local);
        assert_eq!(s.builder_setup, BuilderSetup::DockerDriver);
        assert!(s.context.is_empty());
    }

    #[test]
    fn file_spec_forms() {
        let s = Scenario::from_json(
            r#"{"dockerfile":"FROM scratch\n","context":{"a":"x","b":{"content":"y","mode":"0755"}},
               "change":{"args":{"V":null,"W":"2"}},"cache":{"source":"cache-from-image","inline_cache":true}}"#,
        )
        .unwrap();
        assert_eq!(s.context.get("a").unwrap().mode(), 0o644);
        assert_eq!(s.context.get("b").unwrap().mode(), 0o755);
        assert_eq!(*s.change.args.get("V").unwrap(), None);
        assert_eq!(s.cache.source, CacheSource::CacheFromImage);
        assert!(s.cache.inline_cache);
    }

    #[test]
    fn unknown_field_is_an_error_with_position() {
        let e = Scenario::from_json("{\"dockerfile\":\"\",\n \"chnage\":{}}").unwrap_err();
        assert!(e.starts_with("2:"), "{e}");
        assert!(e.contains("chnage"), "{e}");
    }
}
