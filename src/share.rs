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

use crate::costs::CostTable;
use layerlab_engine::report::Builder;
use layerlab_engine::Scenario;
use serde::{Deserialize, Serialize};

/// Current schema version of [`SharedState`].
pub const STATE_VERSION: u32 = 1;
/// Longest fragment we try to decode (characters). A real scenario compresses to a few KB.
pub const MAX_FRAGMENT_CHARS: usize = 256 * 1024;
/// Largest inflated JSON we accept (bytes): the engine's own input limit.
pub const MAX_STATE_BYTES: usize = layerlab_engine::syntax::MAX_INPUT_BYTES;
/// Above this many characters some chat tools and browsers truncate links.
pub const LONG_LINK_CHARS: usize = 2000;

/// UI state that travels with a link (everything else is recomputed).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SharedUi {
    /// The builder whose verdicts the editor gutter shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus: Option<Builder>,
    /// Selected instruction (1-based line in B's Dockerfile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Time-cost settings for the "time lost" estimate.
    #[serde(default, skip_serializing_if = "CostTable::is_default")]
    pub costs: CostTable,
    /// The Docker engine whose builders are simulated (absent: a current engine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<EngineChoice>,
    /// The CI system the export panel generates for (`github`, `azure`, …; absent: GitHub).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<String>,
}

/// Which Docker engine the playground simulates: the recorded profiles of the engine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum EngineChoice {
    /// Docker 23 and later (recorded on 26.1, BuildKit 0.13).
    #[default]
    #[serde(rename = "current")]
    Current,
    /// Docker 20.10 (classic builder + BuildKit 0.8).
    #[serde(rename = "20.10")]
    Docker2010,
}

impl EngineChoice {
    pub fn engine(self) -> layerlab_engine::Engine {
        match self {
            EngineChoice::Current => layerlab_engine::Engine::Modern,
            EngineChoice::Docker2010 => layerlab_engine::Engine::Docker2010,
        }
    }
}

/// Everything a link carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedState {
    /// Schema version; see [`STATE_VERSION`].
    pub v: u32,
    pub scenario: Scenario,
    #[serde(default)]
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
pub fn encode(state: &SharedState) -> String {
    let json = serde_json::to_vec(state).unwrap_or_default();
    let packed = miniz_oxide::deflate::compress_to_vec_zlib(&json, 9);
    let mut out = String::with_capacity(3 + packed.len() * 4 / 3 + 4);
    out.push_str("v1:");
    base64url_encode(&packed, &mut out);
    out
}

/// Decodes a fragment (with or without the leading `#`; an `embed` marker before it, as in
/// `#embed&v1:...`, is the caller's business and must be stripped first).
pub fn decode(fragment: &str) -> Result<SharedState, DecodeError> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    if fragment.len() > MAX_FRAGMENT_CHARS {
        return Err(DecodeError::TooLong(fragment.len()));
    }
    let json = if let Some(data) = fragment.strip_prefix("v1:") {
        let packed = base64url_decode(data.trim_end_matches('=')).ok_or(DecodeError::BadBase64)?;
        match miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&packed, MAX_STATE_BYTES) {
            Ok(v) => v,
            Err(e) if e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput => {
                return Err(DecodeError::TooLarge)
            }
            Err(_) => return Err(DecodeError::Corrupt),
        }
    } else if let Some(data) = fragment.strip_prefix("json:") {
        let raw = base64url_decode(data.trim_end_matches('=')).ok_or(DecodeError::BadBase64)?;
        if raw.len() > MAX_STATE_BYTES {
            return Err(DecodeError::TooLarge);
        }
        raw
    } else {
        return Err(DecodeError::UnknownFormat);
    };
    let text = std::str::from_utf8(&json)
        .map_err(|_| DecodeError::BadState("it is not UTF-8 text".into()))?;
    from_json(text)
}

/// Reads a state document of any known version (also used for `postMessage` `set-state`).
///
/// - version 0: a bare [`Scenario`] (no wrapper), as the CLI and the scenario files write it;
/// - version 1: `{"v":1,"scenario":{...},"ui":{...}}`.
///
/// A future version 2 adds a `1 => ...` step here that rewrites the old document, so links
/// made today keep opening. (Parsing goes through `&str` only: a second, `Value`-based
/// deserialisation path for the scenario would double its code in the wasm bundle.)
pub fn from_json(text: &str) -> Result<SharedState, DecodeError> {
    #[derive(Deserialize)]
    struct Peek {
        #[serde(default)]
        v: Option<serde_json::Number>,
        #[serde(default)]
        dockerfile: Option<serde::de::IgnoredAny>,
    }
    let peek: Peek = serde_json::from_str(text).map_err(|e| {
        DecodeError::BadState(if e.is_data() {
            "expected a JSON object".into()
        } else {
            format!("not JSON ({e})")
        })
    })?;
    let version = match peek.v {
        None if peek.dockerfile.is_some() => 0,
        None => {
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
        0 => Scenario::from_json(text)
            .map(|s| SharedState::new(s, SharedUi::default()))
            .map_err(DecodeError::BadState),
        1 => serde_json::from_str(text).map_err(|e| DecodeError::BadState(e.to_string())),
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

#[cfg(test)]
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
    fn round_trip() {
        let st = sample();
        let frag = encode(&st);
        assert!(frag.starts_with("v1:"));
        assert!(frag[3..]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(decode(&frag).unwrap(), st);
        assert_eq!(decode(&format!("#{frag}")).unwrap(), st);
    }

    #[test]
    fn compresses_repetitive_dockerfiles() {
        let mut st = sample();
        st.scenario.dockerfile = "RUN echo hello world\n".repeat(200);
        let frag = encode(&st);
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
        let st = decode(&format!("json:{b}")).unwrap();
        assert_eq!(st.v, STATE_VERSION);
        assert_eq!(st.scenario.cache.source, CacheSource::None);
        assert_eq!(st.ui, SharedUi::default());
        // The same bare scenario inside the compressed encoding.
        let packed = miniz_oxide::deflate::compress_to_vec_zlib(json.as_bytes(), 6);
        let mut c = String::from("v1:");
        base64url_encode(&packed, &mut c);
        assert_eq!(decode(&c).unwrap().scenario.dockerfile, "FROM alpine\n");
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
        assert_eq!(decode("#hello"), Err(DecodeError::UnknownFormat));
        assert_eq!(decode(""), Err(DecodeError::UnknownFormat));
    }

    #[test]
    fn oversized_fragment_is_refused_before_work() {
        let long = format!("v1:{}", "A".repeat(MAX_FRAGMENT_CHARS));
        assert!(matches!(decode(&long), Err(DecodeError::TooLong(_))));
    }

    #[test]
    fn zip_bomb_is_refused() {
        // 2 MiB of spaces compresses to a few KB but inflates past the limit.
        let bomb = vec![b' '; MAX_STATE_BYTES * 2];
        let packed = miniz_oxide::deflate::compress_to_vec_zlib(&bomb, 9);
        let mut frag = String::from("v1:");
        base64url_encode(&packed, &mut frag);
        assert!(frag.len() < MAX_FRAGMENT_CHARS);
        assert_eq!(decode(&frag), Err(DecodeError::TooLarge));
    }

    #[test]
    fn every_single_character_edit_is_rejected_or_harmless() {
        // Flip each character of a real link: the result is an error or a valid state,
        // never a panic, and a valid state only when the edit kept the bytes meaningful.
        let frag = encode(&sample());
        let mut rejected = 0;
        for i in 3..frag.len() {
            let mut bytes = frag.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let edited = String::from_utf8(bytes).unwrap();
            if decode(&edited).is_err() {
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
        let frag = encode(&sample());
        for cut in 3..frag.len() - 1 {
            assert!(decode(&frag[..cut]).is_err(), "cut at {cut}");
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
            let _ = decode(&text);
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
