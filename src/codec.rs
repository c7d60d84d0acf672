//! The scenario's JSON without serde, for the wasm bundle: reading with
//! [`layerlab_engine::json`] into a tree, then into the engine's types; writing with its
//! [`Writer`]. `serde`'s derived code for the scenario, the link state and the worker replies
//! was ≈ 100 KB of the playground's wasm; this is a few KB.
//!
//! It reads and writes what `Scenario`'s serde attributes describe (`docs/SCENARIOS.md`):
//! the same fields, defaults, `skip_serializing_if`s and `deny_unknown_fields`, and the text
//! it writes is byte-for-byte `serde_json`'s (tests compare both on every scenario in
//! `tests/scenarios/` and every example). Differences, all in documents no layerlab tool
//! writes: errors name the problem but not its line and column (syntax errors still do),
//! and structs written as JSON arrays (a serde quirk) are refused.
//!
//! Readers take a [`Json`] and return `Result<T, String>`; writers take a [`Writer`].

use layerlab_engine::json::{self, Json, Writer};
use layerlab_engine::scenario::Map;
use layerlab_engine::scenario::{
    BuilderSetup, Cache, CacheSource, Change, ExportParams, FileSpec, Observation, ObservedStep,
    RerunOutput,
};
use layerlab_engine::Scenario;

pub type R<T> = Result<T, String>;

// --- reading -------------------------------------------------------------------------------

/// The fields of a JSON object, by name.
pub struct Fields {
    names: &'static [&'static str],
    vals: Vec<Option<Json>>,
}

/// Splits an object into `names`; an unknown key is an error when `deny_unknown`, a repeated
/// one always (as for serde's derived structs).
pub fn fields(
    v: Json,
    what: &str,
    names: &'static [&'static str],
    deny_unknown: bool,
) -> R<Fields> {
    let Json::Obj(pairs) = v else {
        return Err(invalid(&v, what));
    };
    let mut vals: Vec<Option<Json>> = names.iter().map(|_| None).collect();
    for (k, v) in pairs {
        match names.iter().position(|n| *n == k) {
            Some(i) if vals[i].is_some() => return Err(format!("duplicate field `{k}`")),
            Some(i) => vals[i] = Some(v),
            None if deny_unknown => {
                let expected: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                return Err(format!(
                    "unknown field `{k}`, expected one of {}",
                    expected.join(", ")
                ));
            }
            None => {}
        }
    }
    Ok(Fields { names, vals })
}

impl Fields {
    /// The field's value; `None` when absent.
    pub fn take(&mut self, name: &str) -> Option<Json> {
        let i = self.names.iter().position(|n| *n == name)?;
        self.vals[i].take()
    }
}

pub fn invalid(v: &Json, expected: &str) -> String {
    format!("invalid type: {}, expected {expected}", v.describe())
}

pub fn string(v: Json) -> R<String> {
    match v {
        Json::Str(s) => Ok(s),
        v => Err(invalid(&v, "a string")),
    }
}

pub fn opt_string(v: Json) -> R<Option<String>> {
    match v {
        Json::Null => Ok(None),
        v => string(v).map(Some),
    }
}

pub fn boolean(v: Json) -> R<bool> {
    match v {
        Json::Bool(b) => Ok(b),
        v => Err(invalid(&v, "a boolean")),
    }
}

pub fn uint(v: Json) -> R<u32> {
    v.as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| invalid(&v, "u32"))
}

pub fn list<T>(v: Json, item: fn(Json) -> R<T>) -> R<Vec<T>> {
    match v {
        Json::Arr(items) => items.into_iter().map(item).collect(),
        v => Err(invalid(&v, "a sequence")),
    }
}

/// A map; a repeated key keeps its last value (as serde's `BTreeMap` and `LiteMap`).
/// Values are read in key order: for unsorted input, the first invalid value reported is
/// the first by key, not by position.
pub fn map<T>(v: Json, value: fn(Json) -> R<T>) -> R<Map<String, T>> {
    let Json::Obj(mut pairs) = v else {
        return Err(invalid(&v, "a map"));
    };
    sort_keys(&mut pairs);
    // In key order, every insert appends or replaces the last entry: no shifting, and no
    // sort instantiated per value type.
    let mut m = Map::with_capacity(pairs.len());
    for (k, v) in pairs {
        m.insert(k, value(v)?);
    }
    Ok(m)
}

/// Stable, so that of two equal keys the later stays later (and wins in `map`). Our own
/// writer emits sorted keys, so this only sorts what an embedder or a hand-made link sent.
fn sort_keys(pairs: &mut [(String, Json)]) {
    if pairs.windows(2).any(|w| w[0].0 > w[1].0) {
        layerlab_engine::order::sort_by(pairs, |a, b| a.0.cmp(&b.0));
    }
}

/// `Option<T>`: absent or `null` is `None`.
pub fn opt<T>(v: Option<Json>, read: fn(Json) -> R<T>) -> R<Option<T>> {
    match v {
        None | Some(Json::Null) => Ok(None),
        Some(v) => read(v).map(Some),
    }
}

/// `#[serde(default)]`: absent is the default (`null` is not).
pub fn or_default<T: Default>(v: Option<Json>, read: fn(Json) -> R<T>) -> R<T> {
    v.map_or_else(|| Ok(T::default()), read)
}

/// A required field.
pub fn required<T>(v: Option<Json>, name: &str, read: fn(Json) -> R<T>) -> R<T> {
    match v {
        Some(v) => read(v),
        None => Err(format!("missing field `{name}`")),
    }
}

/// A unit variant by its name.
pub fn variant<T: Copy>(v: Json, names: &[(&str, T)]) -> R<T> {
    let Json::Str(s) = &v else {
        return Err(invalid(&v, "a variant name"));
    };
    match names.iter().find(|(n, _)| n == s) {
        Some((_, t)) => Ok(*t),
        None => {
            let expected: Vec<String> = names.iter().map(|(n, _)| format!("`{n}`")).collect();
            Err(format!(
                "unknown variant `{s}`, expected one of {}",
                expected.join(", ")
            ))
        }
    }
}

/// Reads a scenario document (what the CLI prints and the scenario files hold).
pub fn scenario_from_text(text: &str) -> R<Scenario> {
    if text.len() > layerlab_engine::syntax::MAX_INPUT_BYTES * 4 {
        return Err("scenario is larger than 4 MiB".into());
    }
    let v = json::parse(text).map_err(|e| format!("invalid scenario: {e}"))?;
    scenario(v).map_err(|e| format!("invalid scenario: {e}"))
}

const CACHE_SOURCES: &[(&str, CacheSource)] = &[
    ("local", CacheSource::Local),
    ("none", CacheSource::None),
    ("cache-from-image", CacheSource::CacheFromImage),
    ("export-min", CacheSource::ExportMin),
    ("export-max", CacheSource::ExportMax),
    ("save-load", CacheSource::SaveLoad),
];

const SETUPS: &[(&str, BuilderSetup)] = &[
    ("docker-driver", BuilderSetup::DockerDriver),
    ("container", BuilderSetup::Container),
];

const RERUN: &[(&str, RerunOutput)] = &[
    ("identical", RerunOutput::Identical),
    ("different", RerunOutput::Different),
    ("fails", RerunOutput::Fails),
];

fn name_of<T: Copy + PartialEq>(names: &[(&'static str, T)], t: T) -> &'static str {
    names.iter().find(|(_, x)| *x == t).map_or("", |(n, _)| n)
}

#[allow(clippy::field_reassign_with_default)] // see below
pub fn scenario(v: Json) -> R<Scenario> {
    const F: &[&str] = &[
        "name",
        "description",
        "dockerfile",
        "context",
        "dockerignore",
        "args",
        "secrets",
        "target",
        "change",
        "cache",
        "builder_setup",
        "rerun_output",
        "network",
        "export",
        "observed",
    ];
    let mut f = fields(v, "struct Scenario", F, true)?;
    // Filled in field by field: with a struct literal, each `?` would drop the fields read
    // before it one by one, and that drop code was most of this function in the bundle.
    let mut s = Scenario::default();
    s.name = opt(f.take("name"), string)?;
    s.description = opt(f.take("description"), string)?;
    s.dockerfile = required(f.take("dockerfile"), "dockerfile", string)?;
    s.context = or_default(f.take("context"), |v| map(v, file_spec))?;
    s.dockerignore = opt(f.take("dockerignore"), string)?;
    s.args = or_default(f.take("args"), |v| map(v, string))?;
    s.secrets = or_default(f.take("secrets"), |v| map(v, string))?;
    s.target = opt(f.take("target"), string)?;
    s.change = or_default(f.take("change"), change)?;
    s.cache = or_default(f.take("cache"), cache)?;
    s.builder_setup = or_default(f.take("builder_setup"), |v| variant(v, SETUPS))?;
    s.rerun_output = or_default(f.take("rerun_output"), |v| map(v, |v| variant(v, RERUN)))?;
    s.network = opt(f.take("network"), string)?;
    s.export = opt(f.take("export"), export_params)?;
    s.observed = or_default(f.take("observed"), |v| map(v, observation))?;
    Ok(s)
}

fn file_spec(v: Json) -> R<FileSpec> {
    let full = match v {
        Json::Str(s) => return Ok(FileSpec::Content(s)),
        v => fields(v, "", &["content", "mode"], false).and_then(|mut f| {
            Ok(FileSpec::Full {
                content: required(f.take("content"), "content", string)?,
                mode: opt(f.take("mode"), string)?,
            })
        }),
    };
    full.map_err(|_| "data did not match any variant of untagged enum FileSpec".to_string())
}

fn strings(v: Json) -> R<Vec<String>> {
    list(v, string)
}

#[allow(clippy::field_reassign_with_default)] // see `scenario`
fn change(v: Json) -> R<Change> {
    const F: &[&str] = &[
        "files",
        "removed",
        "touched",
        "chmod",
        "args",
        "secrets",
        "base_rebuilt",
        "dockerignore",
        "target",
        "dockerfile",
    ];
    let mut f = fields(v, "struct Change", F, true)?;
    // Field by field, as in `scenario`.
    let mut c = Change::default();
    c.files = or_default(f.take("files"), |v| map(v, file_spec))?;
    c.removed = or_default(f.take("removed"), strings)?;
    c.touched = or_default(f.take("touched"), strings)?;
    c.chmod = or_default(f.take("chmod"), |v| map(v, string))?;
    c.args = or_default(f.take("args"), |v| map(v, opt_string))?;
    c.secrets = or_default(f.take("secrets"), |v| map(v, opt_string))?;
    c.base_rebuilt = or_default(f.take("base_rebuilt"), strings)?;
    c.dockerignore = opt(f.take("dockerignore"), string)?;
    c.target = opt(f.take("target"), string)?;
    c.dockerfile = opt(f.take("dockerfile"), string)?;
    Ok(c)
}

fn cache(v: Json) -> R<Cache> {
    const F: &[&str] = &["source", "inline_cache", "cache_from_stages", "backend"];
    let mut f = fields(v, "struct Cache", F, true)?;
    Ok(Cache {
        source: or_default(f.take("source"), |v| variant(v, CACHE_SOURCES))?,
        inline_cache: or_default(f.take("inline_cache"), boolean)?,
        cache_from_stages: or_default(f.take("cache_from_stages"), strings)?,
        backend: opt(f.take("backend"), string)?,
    })
}

fn export_params(v: Json) -> R<ExportParams> {
    const F: &[&str] = &["image", "registry", "backend", "targets", "platforms"];
    let mut f = fields(v, "struct ExportParams", F, false)?;
    Ok(ExportParams {
        image: opt(f.take("image"), string)?,
        registry: opt(f.take("registry"), string)?,
        backend: opt(f.take("backend"), string)?,
        targets: or_default(f.take("targets"), strings)?,
        platforms: or_default(f.take("platforms"), strings)?,
    })
}

fn observation(v: Json) -> R<Observation> {
    const F: &[&str] = &["builder", "engine", "setup", "recorded", "steps", "error"];
    let mut f = fields(v, "struct Observation", F, false)?;
    Ok(Observation {
        builder: required(f.take("builder"), "builder", string)?,
        engine: required(f.take("engine"), "engine", string)?,
        setup: opt(f.take("setup"), string)?,
        recorded: required(f.take("recorded"), "recorded", string)?,
        steps: required(f.take("steps"), "steps", |v| list(v, observed_step))?,
        error: opt(f.take("error"), string)?,
    })
}

fn observed_step(v: Json) -> R<ObservedStep> {
    let mut f = fields(v, "struct ObservedStep", &["line", "status"], false)?;
    Ok(ObservedStep {
        line: required(f.take("line"), "line", uint)?,
        status: required(f.take("status"), "status", string)?,
    })
}

// --- writing -------------------------------------------------------------------------------

/// `"key": "value"`, skipped when `None` (`skip_serializing_if = "Option::is_none"`).
pub fn key_opt(w: &mut Writer, key: &str, v: Option<&str>) {
    if let Some(v) = v {
        w.key(key);
        w.str(v);
    }
}

/// A list of strings, skipped when empty.
pub fn key_strings(w: &mut Writer, key: &str, v: &[String]) {
    if !v.is_empty() {
        w.key(key);
        w.open('[');
        for s in v {
            w.item();
            w.str(s);
        }
        w.close(']');
    }
}

/// A map, skipped when empty unless `always`.
pub fn key_map<T>(
    w: &mut Writer,
    key: &str,
    m: &Map<String, T>,
    always: bool,
    value: fn(&mut Writer, &T),
) {
    if always || !m.is_empty() {
        w.key(key);
        w.open('{');
        for (k, v) in m {
            w.key(k);
            value(w, v);
        }
        w.close('}');
    }
}

fn write_file(w: &mut Writer, f: &FileSpec) {
    match f {
        FileSpec::Content(c) => w.str(c),
        FileSpec::Full { content, mode } => {
            w.open('{');
            w.key("content");
            w.str(content);
            key_opt(w, "mode", mode.as_deref());
            w.close('}');
        }
    }
}

/// Writes a scenario as `serde_json` does.
pub fn write_scenario(w: &mut Writer, s: &Scenario) {
    w.open('{');
    key_opt(w, "name", s.name.as_deref());
    key_opt(w, "description", s.description.as_deref());
    w.key("dockerfile");
    w.str(&s.dockerfile);
    key_map(w, "context", &s.context, true, write_file);
    key_opt(w, "dockerignore", s.dockerignore.as_deref());
    key_map(w, "args", &s.args, false, |w, v| w.str(v));
    key_map(w, "secrets", &s.secrets, false, |w, v| w.str(v));
    key_opt(w, "target", s.target.as_deref());

    let c = &s.change;
    w.key("change");
    w.open('{');
    key_map(w, "files", &c.files, false, write_file);
    key_strings(w, "removed", &c.removed);
    key_strings(w, "touched", &c.touched);
    key_map(w, "chmod", &c.chmod, false, |w, v| w.str(v));
    key_map(w, "args", &c.args, false, |w, v| w.opt_str(v.as_deref()));
    key_map(w, "secrets", &c.secrets, false, |w, v| {
        w.opt_str(v.as_deref())
    });
    key_strings(w, "base_rebuilt", &c.base_rebuilt);
    key_opt(w, "dockerignore", c.dockerignore.as_deref());
    key_opt(w, "target", c.target.as_deref());
    key_opt(w, "dockerfile", c.dockerfile.as_deref());
    w.close('}');

    w.key("cache");
    w.open('{');
    w.key("source");
    w.str(name_of(CACHE_SOURCES, s.cache.source));
    if s.cache.inline_cache {
        w.key("inline_cache");
        w.bool(true);
    }
    key_strings(w, "cache_from_stages", &s.cache.cache_from_stages);
    key_opt(w, "backend", s.cache.backend.as_deref());
    w.close('}');

    w.key("builder_setup");
    w.str(name_of(SETUPS, s.builder_setup));
    key_map(w, "rerun_output", &s.rerun_output, false, |w, r| {
        w.str(name_of(RERUN, *r))
    });
    key_opt(w, "network", s.network.as_deref());
    if let Some(x) = &s.export {
        w.key("export");
        w.open('{');
        key_opt(w, "image", x.image.as_deref());
        key_opt(w, "registry", x.registry.as_deref());
        key_opt(w, "backend", x.backend.as_deref());
        key_strings(w, "targets", &x.targets);
        key_strings(w, "platforms", &x.platforms);
        w.close('}');
    }
    key_map(w, "observed", &s.observed, false, |w, o| {
        w.open('{');
        w.key("builder");
        w.str(&o.builder);
        w.key("engine");
        w.str(&o.engine);
        key_opt(w, "setup", o.setup.as_deref());
        w.key("recorded");
        w.str(&o.recorded);
        w.key("steps");
        w.open('[');
        for st in &o.steps {
            w.item();
            w.open('{');
            w.key("line");
            w.num(st.line.into());
            w.key("status");
            w.str(&st.status);
            w.close('}');
        }
        w.close(']');
        key_opt(w, "error", o.error.as_deref());
        w.close('}');
    });
    w.close('}');
}

/// The scenario as compact JSON.
pub fn scenario_json(s: &Scenario) -> String {
    let mut w = Writer::new(false);
    write_scenario(&mut w, s);
    w.finish()
}

/// The scenario as indented JSON (what `layerlab` and the scenario files use).
pub fn scenario_json_pretty(s: &Scenario) -> String {
    let mut w = Writer::new(true);
    write_scenario(&mut w, s);
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn documents() -> Vec<(String, String)> {
        let mut out = Vec::new();
        for dir in ["tests/scenarios", "www/examples"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            let mut entries: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
            entries.sort();
            for p in entries {
                out.push((
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                ));
            }
        }
        assert!(out.len() > 50, "{} documents", out.len());
        out
    }

    #[test]
    fn reads_and_writes_every_scenario_as_serde_does() {
        for (path, text) in documents() {
            let theirs = Scenario::from_json(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
            let ours = scenario_from_text(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(ours, theirs, "{path}");
            assert_eq!(
                scenario_json(&ours),
                serde_json::to_string(&theirs).unwrap(),
                "{path}"
            );
            assert_eq!(
                scenario_json_pretty(&ours),
                theirs.to_json_pretty(),
                "{path}"
            );
        }
    }

    #[test]
    fn every_field_round_trips() {
        // A scenario with every optional field set, including the rare ones.
        let text = r#"{"name":"n","description":"d","dockerfile":"FROM a\n",
            "context":{"a":"x","b":{"content":"y","mode":"0755"},"c":{"content":"z"}},
            "dockerignore":".git\n","args":{"A":"1"},"secrets":{"s":"v"},"target":"t",
            "change":{"files":{"a":"x2"},"removed":["r"],"touched":["t"],"chmod":{"a":"0600"},
              "args":{"A":null,"B":"2"},"secrets":{"s":"w"},"base_rebuilt":["alpine"],
              "dockerignore":"","target":"u","dockerfile":"FROM b\n"},
            "cache":{"source":"export-max","inline_cache":true,"cache_from_stages":["x"],"backend":"gha"},
            "builder_setup":"container","rerun_output":{"3":"identical","4":"fails"},
            "network":"none","export":{"image":"i","registry":"r","backend":"b","targets":["t"],"platforms":["p"]},
            "observed":{"e/classic":{"builder":"classic","engine":"docker","setup":"container",
              "recorded":"2026-01-01","steps":[{"line":1,"status":"cached"}],"error":"x"}}}"#;
        let theirs = Scenario::from_json(text).unwrap();
        let ours = scenario_from_text(text).unwrap();
        assert_eq!(ours, theirs);
        assert_eq!(
            scenario_json(&ours),
            serde_json::to_string(&theirs).unwrap()
        );
        assert_eq!(scenario_json_pretty(&ours), theirs.to_json_pretty());
        // An empty export section is kept.
        let s = scenario_from_text(r#"{"dockerfile":"","export":{}}"#).unwrap();
        assert_eq!(s.export, Some(ExportParams::default()));
        assert_eq!(scenario_json(&s), serde_json::to_string(&s).unwrap());
    }

    #[test]
    fn accepts_and_refuses_what_serde_does() {
        for text in [
            r#"{"dockerfile":"FROM a\n"}"#,
            r#"{"dockerfile":"","name":null,"target":null}"#,
            r#"{"dockerfile":"","context":{"a":{"content":"x","extra":1}}}"#,
            r#"{"dockerfile":"","export":{"image":"x","unknown":[1]}}"#,
            r#"{"dockerfile":"","change":{"args":{"A":null}}}"#,
            r#"{"dockerfile":"","cache":{}}"#,
            // Keys out of order and repeated (sorted; the last value wins).
            r#"{"dockerfile":"","context":{"b":"2","a":"1","c":{"content":"3"}}}"#,
            r#"{"dockerfile":"","args":{"B":"x","A":"y","B":"z"},"change":{"args":{"Z":null,"A":"1","Z":"2"}}}"#,
            // Refused.
            r#"{}"#,
            r#"{"dockerfile":null}"#,
            r#"{"dockerfile":1}"#,
            r#"{"dockerfile":"","chnage":{}}"#,
            r#"{"dockerfile":"","change":{"argz":{}}}"#,
            r#"{"dockerfile":"","cache":{"source":"nowhere"}}"#,
            r#"{"dockerfile":"","cache":{"inline_cache":"yes"}}"#,
            r#"{"dockerfile":"","context":null}"#,
            r#"{"dockerfile":"","change":null}"#,
            r#"{"dockerfile":"","context":{"a":1}}"#,
            r#"{"dockerfile":"","context":{"a":{"mode":"0644"}}}"#,
            r#"{"dockerfile":"","args":{"A":null}}"#,
            r#"{"dockerfile":"","rerun_output":{"3":"same"}}"#,
            r#"{"dockerfile":"","builder_setup":"kubernetes"}"#,
            r#"{"dockerfile":"","dockerfile":""}"#,
            r#"{"dockerfile":"","observed":{"x":{"builder":"b"}}}"#,
            r#"{"dockerfile":"","observed":{"x":{"builder":"b","engine":"e","recorded":"r","steps":[{"line":-1,"status":"s"}]}}}"#,
            r#"{"dockerfile":"","removed":"a"}"#,
            r#"{"dockerfile":"","change":{"removed":"a"}}"#,
            r#"[]"#,
            r#""FROM a""#,
            r#"{"dockerfile":""} x"#,
        ] {
            let theirs = Scenario::from_json(text);
            let ours = scenario_from_text(text);
            assert_eq!(
                ours.is_ok(),
                theirs.is_ok(),
                "{text}: {ours:?} vs {theirs:?}"
            );
            if let (Ok(o), Ok(t)) = (&ours, &theirs) {
                assert_eq!(o, t, "{text}");
            }
        }
    }

    #[test]
    fn unsorted_maps_come_out_sorted_with_the_last_value() {
        let s = scenario_from_text(r#"{"dockerfile":"","args":{"C":"1","A":"2","C":"3","B":"4"}}"#)
            .unwrap();
        let got: Vec<(&str, &str)> = s
            .args
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(got, [("A", "2"), ("B", "4"), ("C", "3")]);
        assert_eq!(
            scenario_json(&s),
            r#"{"dockerfile":"","context":{},"args":{"A":"2","B":"4","C":"3"},"change":{},"cache":{"source":"local"},"builder_setup":"docker-driver"}"#
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let e = scenario_from_text(r#"{"dockerfile":"","chnage":{}}"#).unwrap_err();
        assert!(e.contains("unknown field `chnage`"), "{e}");
        let e = scenario_from_text(r#"{"name":"x"}"#).unwrap_err();
        assert!(e.contains("missing field `dockerfile`"), "{e}");
        let e = scenario_from_text("{\n\"dockerfile\" 1}").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        let e = scenario_from_text(r#"{"dockerfile":"","cache":{"source":"x"}}"#).unwrap_err();
        assert!(e.contains("unknown variant `x`"), "{e}");
    }
}
