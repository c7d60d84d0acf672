//! Share links: the whole playground state in the URL fragment.
//!
//! Format: `v1:` + base64url(zlib(JSON of [`SharedState`])), no padding. The prefix names the
//! *encoding*; the JSON carries its own schema version (`"v"`), so old links keep working:
//! [`decode`] migrates every known version to the current one. A bare scenario JSON (what the
//! CLI prints, schema "version 0") is accepted too, as `v1:` data or as the `json:` prefix
//! (base64url of plain JSON, for hand-made links).
//!
//! Input from a URL is untrusted: the decoder bounds every size before doing work (fragment
//! length, inflated size via a hard limit), checks zlib's Adler-32 so a tampered link is
//! rejected instead of half-read, and never panics (see the fuzz-style tests below).
//!
//! zlib itself comes from the browser (`CompressionStream` / `DecompressionStream`, see
//! [`crate::web::zlib`]), so the bundle carries no deflate code (−12 KB gzip); that makes
//! [`encode`] and [`decode`] asynchronous. Natively (tests, the fuzz target) miniz_oxide does
//! the same job, and [`encode_now`] / [`decode_now`] run them to completion.

use crate::codec::{self, fields, opt, or_default, required, uint, variant, R};
use crate::costs::CostTable;
use layerlab_engine::json::{self, Json, Writer};
use layerlab_engine::report::Builder;
use layerlab_engine::Scenario;

/// Current schema version of [`SharedState`].
pub const STATE_VERSION: u32 = 1;
/// Longest fragment we try to decode (characters). A real scenario compresses to a few KB.
pub const MAX_FRAGMENT_CHARS: usize = 256 * 1024;
/// Largest inflated JSON we accept (bytes): the engine's own input limit.
pub const MAX_STATE_BYTES: usize = layerlab_engine::syntax::MAX_INPUT_BYTES;
/// Above this many characters some chat tools and browsers truncate links.
pub const LONG_LINK_CHARS: usize = 2000;

/// UI state that travels with a link (everything else is recomputed). JSON: every field
/// optional, written only when set (`costs` only when not the default).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SharedUi {
    /// The builder whose verdicts the editor gutter shows (`classic` / `buildkit`).
    pub focus: Option<Builder>,
    /// Selected instruction (1-based line in B's Dockerfile).
    pub line: Option<u32>,
    /// Time-cost settings for the "time lost" estimate.
    pub costs: CostTable,
    /// The Docker engine whose builders are simulated (absent: a current engine).
    pub engine: Option<EngineChoice>,
    /// The CI system the export panel generates for (`github`, `azure`, …; absent: GitHub).
    pub ci: Option<String>,
}

/// Which Docker engine the playground simulates: the recorded profiles of the engine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EngineChoice {
    /// Docker 23 and later (recorded on 26.1, BuildKit 0.13). JSON `"current"`.
    #[default]
    Current,
    /// Docker 20.10 (classic builder + BuildKit 0.8). JSON `"20.10"`.
    Docker2010,
}

const ENGINES: &[(&str, EngineChoice)] = &[
    ("current", EngineChoice::Current),
    ("20.10", EngineChoice::Docker2010),
];

const BUILDERS: &[(&str, Builder)] = &[
    ("classic", Builder::Classic),
    ("buildkit", Builder::Buildkit),
];

impl EngineChoice {
    pub fn engine(self) -> layerlab_engine::Engine {
        match self {
            EngineChoice::Current => layerlab_engine::Engine::Modern,
            EngineChoice::Docker2010 => layerlab_engine::Engine::Docker2010,
        }
    }
}

/// Everything a link carries: `{"v":1,"scenario":{…},"ui":{…}}`.
#[derive(Clone, Debug, PartialEq)]
pub struct SharedState {
    /// Schema version; see [`STATE_VERSION`].
    pub v: u32,
    pub scenario: Scenario,
    pub ui: SharedUi,
}

impl SharedState {
    pub fn new(scenario: Scenario, ui: SharedUi) -> Self {
        SharedState {
            v: STATE_VERSION,
            scenario,
            ui,
        }
    }

    /// The state as JSON, in the field order and with the omissions serde's derive had.
    pub fn write(&self, w: &mut Writer) {
        w.open('{');
        w.key("v");
        w.num(self.v.into());
        w.key("scenario");
        codec::write_scenario(w, &self.scenario);
        w.key("ui");
        let ui = &self.ui;
        w.open('{');
        if let Some(b) = ui.focus {
            w.key("focus");
            w.str(name(BUILDERS, b));
        }
        if let Some(l) = ui.line {
            w.key("line");
            w.num(l.into());
        }
        if !ui.costs.is_default() {
            w.key("costs");
            ui.costs.write(w);
        }
        if let Some(e) = ui.engine {
            w.key("engine");
            w.str(name(ENGINES, e));
        }
        codec::key_opt(w, "ci", ui.ci.as_deref());
        w.close('}');
        w.close('}');
    }

    /// Compact JSON text of the state.
    pub fn to_json(&self) -> String {
        let mut w = Writer::new(false);
        self.write(&mut w);
        w.finish()
    }

    /// Reads a version-1 state document (unknown fields are ignored).
    fn read(v: Json) -> R<SharedState> {
        let mut f = fields(v, "struct SharedState", &["v", "scenario", "ui"], false)?;
        Ok(SharedState {
            v: required(f.take("v"), "v", uint)?,
            scenario: required(f.take("scenario"), "scenario", codec::scenario)?,
            ui: or_default(f.take("ui"), read_ui)?,
        })
    }
}

fn name<T: Copy + PartialEq>(names: &[(&'static str, T)], t: T) -> &'static str {
    names.iter().find(|(_, x)| *x == t).map_or("", |(n, _)| n)
}

fn read_ui(v: Json) -> R<SharedUi> {
    const F: &[&str] = &["focus", "line", "costs", "engine", "ci"];
    let mut f = fields(v, "struct SharedUi", F, false)?;
    Ok(SharedUi {
        focus: opt(f.take("focus"), |v| variant(v, BUILDERS))?,
        line: opt(f.take("line"), uint)?,
        costs: or_default(f.take("costs"), CostTable::read)?,
        engine: opt(f.take("engine"), |v| variant(v, ENGINES))?,
        ci: opt(f.take("ci"), codec::string)?,
    })
}

/// Why a link could not be opened. `Display` is the friendly message shown to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// No recognised prefix (`v1:` / `json:`).
    UnknownFormat,
    TooLong(usize),
    BadBase64,
    /// Inflate failed or the checksum did not match: truncated or edited link.
    Corrupt,
    TooLarge,
    /// The JSON does not describe a playground state.
    BadState(String),
    /// Written by a newer layerlab.
    NewerVersion(u32),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::UnknownFormat => write!(
                f,
                "This link does not contain a layerlab state (expected it to start with #v1:)."
            ),
            DecodeError::TooLong(n) => write!(
                f,
                "This link is too long to open ({n} characters; the limit is {MAX_FRAGMENT_CHARS})."
            ),
            DecodeError::BadBase64 => write!(
                f,
                "This link is damaged: it contains characters a layerlab link never has. Was it cut or edited?"
            ),
            DecodeError::Corrupt => write!(
                f,
                "This link is damaged (the compressed state does not check out). Was it cut short or edited?"
            ),
            DecodeError::TooLarge => write!(
                f,
                "This link expands to more than {} KiB of state; it was not opened.",
                MAX_STATE_BYTES / 1024
            ),
            DecodeError::BadState(m) => write!(f, "This link's state is not valid: {m}"),
            DecodeError::NewerVersion(v) => write!(
                f,
                "This link was made by a newer layerlab (state version {v}); reload the page to get the latest version."
            ),
        }
    }
}

/// Encodes a state as a fragment (without the leading `#`).
pub async fn encode(state: &SharedState) -> String {
    let json = state.to_json();
    let packed = zlib::deflate(json.as_bytes()).await;
    let mut out = String::with_capacity(3 + packed.len() * 4 / 3 + 4);
    out.push_str("v1:");
    base64url_encode(&packed, &mut out);
    out
}

/// Decodes a fragment (with or without the leading `#`; an `embed` marker before it, as in
/// `#embed&v1:...`, is the caller's business and must be stripped first).
pub async fn decode(fragment: &str) -> Result<SharedState, DecodeError> {
    let json = match unpack(fragment)? {
        Packed::Zlib(packed) => zlib::inflate(&packed, MAX_STATE_BYTES).await?,
        Packed::Json(raw) => raw,
    };
    let text = std::str::from_utf8(&json)
        .map_err(|_| DecodeError::BadState("it is not UTF-8 text".into()))?;
    from_json(text)
}

/// A fragment's payload before inflating.
enum Packed {
    /// `v1:`: a zlib stream of the JSON.
    Zlib(Vec<u8>),
    /// `json:`: the JSON itself.
    Json(Vec<u8>),
}

/// The prefix, length and base64 checks of [`decode`]: everything before inflating.
fn unpack(fragment: &str) -> Result<Packed, DecodeError> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    if fragment.len() > MAX_FRAGMENT_CHARS {
        return Err(DecodeError::TooLong(fragment.len()));
    }
    if let Some(data) = fragment.strip_prefix("v1:") {
        let packed = base64url_decode(data.trim_end_matches('=')).ok_or(DecodeError::BadBase64)?;
        Ok(Packed::Zlib(packed))
    } else if let Some(data) = fragment.strip_prefix("json:") {
        let raw = base64url_decode(data.trim_end_matches('=')).ok_or(DecodeError::BadBase64)?;
        if raw.len() > MAX_STATE_BYTES {
            return Err(DecodeError::TooLarge);
        }
        Ok(Packed::Json(raw))
    } else {
        Err(DecodeError::UnknownFormat)
    }
}

/// zlib in the browser: its own compression streams.
#[cfg(target_arch = "wasm32")]
mod zlib {
    use super::DecodeError;
    use crate::web::{self, ZlibError};

    pub async fn deflate(data: &[u8]) -> Vec<u8> {
        // Compressing bytes we hold cannot fail short of the browser lacking the API
        // (every browser since 2023 has it); the caller then gets an empty link payload,
        // which decodes to an error rather than to a wrong state.
        web::zlib(data, true, usize::MAX).await.unwrap_or_default()
    }

    pub async fn inflate(data: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
        web::zlib(data, false, limit).await.map_err(|e| match e {
            ZlibError::TooLarge => DecodeError::TooLarge,
            ZlibError::Corrupt => DecodeError::Corrupt,
        })
    }
}

/// zlib natively (unit tests, the fuzz target): miniz_oxide, which the bundle does not link.
#[cfg(not(target_arch = "wasm32"))]
mod zlib {
    use super::DecodeError;
    use miniz_oxide::inflate::{decompress_to_vec_zlib_with_limit, TINFLStatus};

    pub async fn deflate(data: &[u8]) -> Vec<u8> {
        miniz_oxide::deflate::compress_to_vec_zlib(data, 9)
    }

    pub async fn inflate(data: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
        decompress_to_vec_zlib_with_limit(data, limit).map_err(|e| match e.status {
            TINFLStatus::HasMoreOutput => DecodeError::TooLarge,
            _ => DecodeError::Corrupt,
        })
    }
}

/// [`encode`] run to completion (natively its zlib never waits).
#[cfg(not(target_arch = "wasm32"))]
pub fn encode_now(state: &SharedState) -> String {
    now(encode(state))
}

/// [`decode`] run to completion (natively its zlib never waits).
#[cfg(not(target_arch = "wasm32"))]
pub fn decode_now(fragment: &str) -> Result<SharedState, DecodeError> {
    now(decode(fragment))
}

/// Polls a future that never waits (native zlib) once.
#[cfg(not(target_arch = "wasm32"))]
pub fn now<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => unreachable!("native zlib does not wait"),
    }
}

/// Reads a state document of any known version (also used for `postMessage` `set-state`).
///
/// - version 0: a bare [`Scenario`] (no wrapper), as the CLI and the scenario files write it;
/// - version 1: `{"v":1,"scenario":{...},"ui":{...}}`.
///
/// A future version 2 adds a `1 => ...` step here that rewrites the old document, so links
/// made today keep opening.
pub fn from_json(text: &str) -> Result<SharedState, DecodeError> {
    let doc = json::parse(text).map_err(|e| DecodeError::BadState(format!("not JSON ({e})")))?;
    from_document(doc)
}

/// [`from_json`] for a document already parsed.
pub fn from_document(doc: Json) -> Result<SharedState, DecodeError> {
    if !matches!(doc, Json::Obj(_)) {
        return Err(DecodeError::BadState("expected a JSON object".into()));
    }
    let version = match doc.get("v") {
        None | Some(Json::Null) if doc.get("dockerfile").is_some_and(|d| *d != Json::Null) => 0,
        None | Some(Json::Null) => {
            return Err(DecodeError::BadState(
                "neither a scenario nor a playground state".into(),
            ))
        }
        Some(n) => n
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| DecodeError::BadState("\"v\" must be a small number".into()))?,
    };
    match version {
        0 => codec::scenario(doc)
            .map(|s| SharedState::new(s, SharedUi::default()))
            .map_err(|e| DecodeError::BadState(format!("invalid scenario: {e}"))),
        1 => SharedState::read(doc).map_err(DecodeError::BadState),
        v => Err(DecodeError::NewerVersion(v)),
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// RFC 4648 §5 base64url without padding.
pub fn base64url_encode(data: &[u8], out: &mut String) {
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
}

/// Inverse of [`base64url_encode`]; `None` on any character outside the alphabet or an
/// impossible length.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n: u32 = 0;
        for (i, &c) in chunk.iter().enumerate() {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'-' => 62,
                b'_' => 63,
                _ => return None,
            };
            n |= u32::from(v) << (18 - 6 * i);
        }
        out.push((n >> 16) as u8);
        if chunk.len() > 2 {
            out.push((n >> 8) as u8);
        }
        if chunk.len() > 3 {
            out.push(n as u8);
        }
    }
    Some(out)
}

// Natively only: the tests compress with miniz_oxide, which the bundle does not link.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use layerlab_engine::scenario::CacheSource;

    fn sample() -> SharedState {
        let mut s = Scenario {
            dockerfile: "FROM python:3.12\nARG PIP_INDEX_URL\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n".into(),
            ..Default::default()
        };
        s.cache.source = CacheSource::CacheFromImage;
        s.change
            .args
            .insert("PIP_INDEX_URL".into(), Some("https://x/simple".into()));
        SharedState::new(
            s,
            SharedUi {
                focus: Some(Builder::Classic),
                line: Some(3),
                costs: CostTable::default(),
                engine: Some(EngineChoice::Docker2010),
                ci: Some("gitlab".into()),
            },
        )
    }

    /// Tiny deterministic PRNG (xorshift64*) so the fuzz-style tests are reproducible.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn json_is_what_serde_wrote() {
        // The text serde's derive wrote before the codec replaced it (links made then open now,
        // and links made now open in older tabs).
        let golden = r#"{"v":1,"scenario":{"dockerfile":"FROM python:3.12\nARG PIP_INDEX_URL\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n","context":{},"change":{"args":{"PIP_INDEX_URL":"https://x/simple"}},"cache":{"source":"cache-from-image"},"builder_setup":"docker-driver"},"ui":{"focus":"classic","line":3,"engine":"20.10","ci":"gitlab"}}"#;
        assert_eq!(sample().to_json(), golden);
        assert_eq!(from_json(golden).unwrap(), sample());
        let mut st = sample();
        st.ui.costs.set_kind("RUN", 99);
        st.ui.costs.set_line(12, Some(90));
        assert!(st
            .to_json()
            .ends_with(r#""ui":{"focus":"classic","line":3,"costs":{"kinds":{"RUN":99},"lines":{"12":90}},"engine":"20.10","ci":"gitlab"}}"#));
        assert_eq!(from_json(&st.to_json()).unwrap(), st);
        st.ui = SharedUi::default();
        assert!(st.to_json().ends_with(r#""ui":{}}"#));
        // `ui` may be absent, unknown fields are ignored, as with serde.
        let s = from_json(r#"{"v":1,"scenario":{"dockerfile":""},"extra":[1]}"#).unwrap();
        assert_eq!(s.ui, SharedUi::default());
        assert!(
            from_json(r#"{"v":1,"scenario":{"dockerfile":""},"ui":{"focus":"podman"}}"#).is_err()
        );
        assert!(from_json(r#"{"v":1}"#).is_err());
        assert!(from_json(r#"{"v":1.0,"scenario":{"dockerfile":""}}"#).is_err());
        assert!(from_json(r#"{"dockerfile":null}"#).is_err());
    }

    #[test]
    fn round_trip() {
        let st = sample();
        let frag = encode_now(&st);
        assert!(frag.starts_with("v1:"));
        assert!(frag[3..]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(decode_now(&frag).unwrap(), st);
        assert_eq!(decode_now(&format!("#{frag}")).unwrap(), st);
    }

    #[test]
    fn compresses_repetitive_dockerfiles() {
        let mut st = sample();
        st.scenario.dockerfile = "RUN echo hello world\n".repeat(200);
        let frag = encode_now(&st);
        assert!(
            frag.len() < st.scenario.dockerfile.len() / 10,
            "{}",
            frag.len()
        );
    }

    #[test]
    fn base64url_round_trips_every_length() {
        let mut rng = Rng(7);
        for len in 0..70 {
            let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let mut s = String::new();
            base64url_encode(&data, &mut s);
            assert_eq!(base64url_decode(&s).unwrap(), data, "len {len}");
        }
        assert_eq!(base64url_decode("a"), None);
        assert_eq!(base64url_decode("ab+c"), None);
        assert_eq!(base64url_decode("ab/c"), None);
    }

    #[test]
    fn bare_scenario_json_is_version_0() {
        let json = r#"{"dockerfile":"FROM alpine\n","cache":{"source":"none"}}"#;
        let mut b = String::new();
        base64url_encode(json.as_bytes(), &mut b);
        let st = decode_now(&format!("json:{b}")).unwrap();
        assert_eq!(st.v, STATE_VERSION);
        assert_eq!(st.scenario.cache.source, CacheSource::None);
        assert_eq!(st.ui, SharedUi::default());
        // The same bare scenario inside the compressed encoding.
        let packed = miniz_oxide::deflate::compress_to_vec_zlib(json.as_bytes(), 6);
        let mut c = String::from("v1:");
        base64url_encode(&packed, &mut c);
        assert_eq!(decode_now(&c).unwrap().scenario.dockerfile, "FROM alpine\n");
    }

    #[test]
    fn newer_versions_and_foreign_json_are_refused_politely() {
        let e = from_json(r#"{"v":7,"scenario":{"dockerfile":""}}"#).unwrap_err();
        assert_eq!(e, DecodeError::NewerVersion(7));
        assert!(e.to_string().contains("newer"));
        assert!(matches!(
            from_json(r#"{"hello":1}"#),
            Err(DecodeError::BadState(_))
        ));
        assert!(matches!(from_json("[1,2]"), Err(DecodeError::BadState(_))));
        assert!(matches!(
            from_json(r#"{"v":1,"scenario":{"dockerfile":"","chnage":{}}}"#),
            Err(DecodeError::BadState(m)) if m.contains("chnage")
        ));
    }

    #[test]
    fn unknown_prefix() {
        assert_eq!(decode_now("#hello"), Err(DecodeError::UnknownFormat));
        assert_eq!(decode_now(""), Err(DecodeError::UnknownFormat));
    }

    #[test]
    fn oversized_fragment_is_refused_before_work() {
        let long = format!("v1:{}", "A".repeat(MAX_FRAGMENT_CHARS));
        assert!(matches!(decode_now(&long), Err(DecodeError::TooLong(_))));
    }

    #[test]
    fn zip_bomb_is_refused() {
        // 2 MiB of spaces compresses to a few KB but inflates past the limit.
        let bomb = vec![b' '; MAX_STATE_BYTES * 2];
        let packed = miniz_oxide::deflate::compress_to_vec_zlib(&bomb, 9);
        let mut frag = String::from("v1:");
        base64url_encode(&packed, &mut frag);
        assert!(frag.len() < MAX_FRAGMENT_CHARS);
        assert_eq!(decode_now(&frag), Err(DecodeError::TooLarge));
    }

    #[test]
    fn every_single_character_edit_is_rejected_or_harmless() {
        // Flip each character of a real link: the result is an error or a valid state,
        // never a panic, and a valid state only when the edit kept the bytes meaningful.
        let frag = encode_now(&sample());
        let mut rejected = 0;
        for i in 3..frag.len() {
            let mut bytes = frag.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let edited = String::from_utf8(bytes).unwrap();
            if decode_now(&edited).is_err() {
                rejected += 1;
            }
        }
        // Adler-32 + inflate catch nearly every edit (the last char may only hold padding bits).
        assert!(
            rejected >= frag.len() - 3 - 2,
            "{rejected} of {}",
            frag.len() - 3
        );
    }

    #[test]
    fn truncated_links_are_rejected() {
        let frag = encode_now(&sample());
        for cut in 3..frag.len() - 1 {
            assert!(decode_now(&frag[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for round in 0..3000 {
            let len = rng.below(300);
            let text: String = match round % 3 {
                // Raw random bytes (lossy into a string).
                0 => {
                    let b: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                    format!("v1:{}", String::from_utf8_lossy(&b))
                }
                // Valid base64url alphabet, random content: exercises inflate.
                1 => {
                    let s: String = (0..len).map(|_| B64[rng.below(64)] as char).collect();
                    format!("v1:{s}")
                }
                // A valid zlib stream of random JSON-ish bytes: exercises the JSON layer.
                _ => {
                    let alphabet = b"{}[]\":,0123456789abcdefvscenariodockerfile \\ntrue";
                    let b: Vec<u8> = (0..len)
                        .map(|_| alphabet[rng.below(alphabet.len())])
                        .collect();
                    let packed = miniz_oxide::deflate::compress_to_vec_zlib(&b, 1);
                    let mut s = String::from("v1:");
                    base64url_encode(&packed, &mut s);
                    s
                }
            };
            let _ = decode_now(&text);
        }
    }

    #[test]
    fn messages_are_friendly() {
        for e in [
            DecodeError::UnknownFormat,
            DecodeError::TooLong(5),
            DecodeError::BadBase64,
            DecodeError::Corrupt,
            DecodeError::TooLarge,
            DecodeError::BadState("x".into()),
            DecodeError::NewerVersion(2),
        ] {
            let m = e.to_string();
            assert!(m.starts_with("This link"), "{m}");
            assert!(
                m.ends_with('.') || m.ends_with(')') || m.ends_with('?') || m.ends_with('x'),
                "{m}"
            );
        }
    }
}
