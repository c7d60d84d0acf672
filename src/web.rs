//! Browser glue: URL, history, clipboard, theme, and the embed `postMessage` protocol. The only
//! module besides the components that touches `web_sys`.

use crate::codec;
use crate::share::{self, SharedState};
use layerlab_engine::json::{self, Json, Writer};
use wasm_bindgen::JsValue;

/// Embed settings, read from the query string (`?embed=1&readonly=0&mode=dark&builder=classic
/// &origin=https://docs.example`). Anything unknown is ignored; values are sanitised.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageOptions {
    pub embed: bool,
    /// Embed only: allow editing the Dockerfile (default read-only).
    pub editable: bool,
    /// `dark` / `light` override of the system colour scheme.
    pub mode: Option<&'static str>,
    /// Initial builder focus.
    pub builder: Option<layerlab_engine::report::Builder>,
    /// Only talk to this parent origin (embed `postMessage`); `None`: the direct parent only.
    pub origin: Option<String>,
}

impl PageOptions {
    /// Parses `?a=b&c` (with or without `?`). Pure, for tests.
    pub fn from_query(query: &str) -> PageOptions {
        let mut o = PageOptions::default();
        for pair in query.trim_start_matches('?').split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(v);
            match k {
                "embed" => o.embed = v != "0" && v != "false",
                "readonly" => o.editable = v == "0" || v == "false",
                "mode" | "theme" => {
                    o.mode = match v.as_str() {
                        "dark" => Some("dark"),
                        "light" => Some("light"),
                        _ => None,
                    }
                }
                "builder" => {
                    o.builder = match v.as_str() {
                        "classic" => Some(layerlab_engine::report::Builder::Classic),
                        "buildkit" => Some(layerlab_engine::report::Builder::Buildkit),
                        _ => None,
                    }
                }
                "origin" => {
                    let host = v
                        .strip_prefix("https://")
                        .or_else(|| v.strip_prefix("http://"));
                    if host.is_some_and(|h| !h.is_empty() && !h.contains('/')) && v.len() < 200 {
                        o.origin = Some(v);
                    }
                }
                _ => {}
            }
        }
        o
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Messages the embedded playground sends to its parent (`source: "layerlab"`, `v: 1`), as
/// JSON objects `{"type": "ready" | "resize" | "state" | "error", "source", "v", …fields}`.
#[derive(Clone, Debug, PartialEq)]
pub enum Outgoing {
    Ready {
        source: &'static str,
        v: u32,
    },
    Resize {
        source: &'static str,
        v: u32,
        height: u32,
    },
    State {
        source: &'static str,
        v: u32,
        state: Box<SharedState>,
        fragment: String,
        url: String,
    },
    Error {
        source: &'static str,
        v: u32,
        message: String,
    },
}

impl Outgoing {
    pub fn to_json(&self) -> String {
        let (kind, source, v) = match self {
            Outgoing::Ready { source, v } => ("ready", source, v),
            Outgoing::Resize { source, v, .. } => ("resize", source, v),
            Outgoing::State { source, v, .. } => ("state", source, v),
            Outgoing::Error { source, v, .. } => ("error", source, v),
        };
        let mut w = Writer::new(false);
        w.open('{');
        w.key("type");
        w.str(kind);
        w.key("source");
        w.str(source);
        w.key("v");
        w.num((*v).into());
        match self {
            Outgoing::Ready { .. } => {}
            Outgoing::Resize { height, .. } => {
                w.key("height");
                w.num((*height).into());
            }
            Outgoing::State {
                state,
                fragment,
                url,
                ..
            } => {
                w.key("state");
                state.write(&mut w);
                w.key("fragment");
                w.str(fragment);
                w.key("url");
                w.str(url);
            }
            Outgoing::Error { message, .. } => {
                w.key("message");
                w.str(message);
            }
        }
        w.close('}');
        w.finish()
    }
}

/// Messages the parent may send: `{type: "set-state", state | fragment}` or
/// `{type: "get-state"}` (a `layerlab:` prefix on the type is accepted too). Other fields are
/// ignored.
#[derive(Clone, Debug, PartialEq)]
pub struct Incoming {
    /// `type`.
    pub kind: String,
    pub state: Option<Json>,
    pub fragment: Option<String>,
}

impl Incoming {
    /// Reads a message's JSON text.
    pub fn parse(text: &str) -> Result<Incoming, String> {
        let v = json::parse(text)?;
        let mut f = codec::fields(v, "a message", &["type", "state", "fragment"], false)?;
        Ok(Incoming {
            kind: codec::required(f.take("type"), "type", codec::string)?,
            state: codec::opt(f.take("state"), Ok)?,
            fragment: codec::opt(f.take("fragment"), codec::string)?,
        })
    }
}

#[derive(Debug)]
pub enum Command {
    SetState(Box<SharedState>),
    GetState,
}

impl Incoming {
    /// Interprets a message; `Err` carries a message to send back. Asynchronous: a
    /// `fragment` is inflated by the browser.
    pub async fn command(self) -> Result<Command, String> {
        let kind = self.kind.strip_prefix("layerlab:").unwrap_or(&self.kind);
        match kind {
            "get-state" => Ok(Command::GetState),
            "set-state" => {
                let st = if let Some(v) = self.state {
                    share::from_document(v)
                } else if let Some(f) = self.fragment {
                    share::decode(&f).await
                } else {
                    return Err("set-state needs `state` or `fragment`".into());
                };
                st.map(|s| Command::SetState(Box::new(s)))
                    .map_err(|e| e.to_string())
            }
            other => Err(format!("unknown message type `{other}`")),
        }
    }
}

pub fn window() -> web_sys::Window {
    web_sys::window().expect("a browser window")
}

pub fn location_hash() -> String {
    window().location().hash().unwrap_or_default()
}

pub fn location_search() -> String {
    window().location().search().unwrap_or_default()
}

/// The page URL without query and fragment.
pub fn base_url() -> String {
    let loc = window().location();
    format!(
        "{}{}",
        loc.origin().unwrap_or_default(),
        loc.pathname().unwrap_or_default()
    )
}

/// Replaces the fragment without a navigation or a `hashchange` event.
pub fn replace_fragment(fragment: &str) {
    let w = window();
    let url = format!("{}#{}", current_url_without_hash(), fragment);
    if let Ok(h) = w.history() {
        let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

fn current_url_without_hash() -> String {
    format!("{}{}", base_url(), location_search())
}

/// The shareable playground URL (never the embed URL) for a link fragment.
pub fn share_url(fragment: &str) -> String {
    format!("{}#{}", base_url(), fragment)
}

/// The embed URL for a link fragment.
pub fn embed_url(fragment: &str) -> String {
    format!("{}?embed=1#{}", base_url(), fragment)
}

/// Why [`zlib`] gave up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZlibError {
    /// The output would pass the caller's limit (reading stopped there).
    TooLarge,
    /// Not a complete zlib stream whose Adler-32 checks out, or no compression streams.
    Corrupt,
}

/// zlib (RFC 1950) through the browser's `CompressionStream` / `DecompressionStream` (their
/// "deflate" format is zlib, Adler-32 included): `compress` or decompress `input`, stopping
/// with [`ZlibError::TooLarge`] once the output passes `limit` bytes (a zip bomb in a link
/// is never inflated in full).
#[cfg(target_arch = "wasm32")]
pub async fn zlib(input: &[u8], compress: bool, limit: usize) -> Result<Vec<u8>, ZlibError> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{ReadableStreamDefaultReader, ReadableWritablePair};
    let corrupt = |_| ZlibError::Corrupt;
    // A compression stream is itself a {readable, writable} pair.
    let pair: JsValue = if compress {
        streams::CompressionStream::new("deflate").map(Into::into)
    } else {
        streams::DecompressionStream::new("deflate").map(Into::into)
    }
    .map_err(corrupt)?;
    let pair: &ReadableWritablePair = pair.unchecked_ref();
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(input));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(corrupt)?;
    let reader: ReadableStreamDefaultReader = blob
        .stream()
        .pipe_through(pair)
        .get_reader()
        .unchecked_into();
    let mut out = Vec::new();
    loop {
        let step = JsFuture::from(reader.read()).await.map_err(corrupt)?;
        let done = js_sys::Reflect::get(&step, &JsValue::from_str("done")).map_err(corrupt)?;
        if done.is_truthy() {
            return Ok(out);
        }
        let value = js_sys::Reflect::get(&step, &JsValue::from_str("value")).map_err(corrupt)?;
        let chunk: js_sys::Uint8Array = value.dyn_into().map_err(corrupt)?;
        let at = out.len();
        let len = chunk.length() as usize;
        if at + len > limit {
            let _ = reader.cancel();
            return Err(ZlibError::TooLarge);
        }
        out.resize(at + len, 0);
        chunk.copy_to(&mut out[at..]);
    }
}

/// The Compression Streams API (web-sys has it only behind `web_sys_unstable_apis`, a cfg
/// flag for the whole build; these two constructors are all we use).
#[cfg(target_arch = "wasm32")]
mod streams {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        pub type CompressionStream;
        #[wasm_bindgen(constructor, catch)]
        pub fn new(format: &str) -> Result<CompressionStream, JsValue>;

        pub type DecompressionStream;
        #[wasm_bindgen(constructor, catch)]
        pub fn new(format: &str) -> Result<DecompressionStream, JsValue>;
    }
}

/// Copies text; returns false when the API is unavailable (the caller then selects the text).
pub fn copy_text(text: &str) -> bool {
    let nav = window().navigator();
    let has = js_sys::Reflect::has(&nav, &JsValue::from_str("clipboard")).unwrap_or(false);
    if !has {
        return false;
    }
    let _ = nav.clipboard().write_text(text);
    true
}

/// Forces light or dark (embed `mode=`); the default follows the system.
pub fn set_theme(mode: Option<&str>) {
    if let Some(el) = window().document().and_then(|d| d.document_element()) {
        match mode {
            Some(m) => {
                let _ = el.set_attribute("data-theme", m);
            }
            None => {
                let _ = el.remove_attribute("data-theme");
            }
        }
    }
}

/// Posts a message to the parent frame, if there is one.
pub fn post_to_parent(msg: &Outgoing, origin: Option<&str>) {
    let w = window();
    let Ok(Some(parent)) = w.parent() else { return };
    if parent == w {
        return;
    }
    let json = msg.to_json();
    let Ok(value) = js_sys::JSON::parse(&json) else {
        return;
    };
    let _ = parent.post_message(&value, origin.unwrap_or("*"));
}

/// Whether a `message` event may drive this page: it must come from the parent window, and
/// from `origin` when one was configured.
pub fn accept_message(ev: &web_sys::MessageEvent, origin: Option<&str>) -> bool {
    let w = window();
    let Ok(Some(parent)) = w.parent() else {
        return false;
    };
    if parent == w {
        return false;
    }
    let from_parent = ev
        .source()
        .map(|s| {
            let s: &JsValue = s.as_ref();
            let p: &JsValue = parent.as_ref();
            js_sys::Object::is(s, p)
        })
        .unwrap_or(false);
    from_parent && origin.is_none_or(|o| ev.origin() == o)
}

/// Reads a message's data as [`Incoming`] (objects and JSON strings both work).
pub fn read_message(ev: &web_sys::MessageEvent) -> Option<Incoming> {
    let data = ev.data();
    let text = match data.as_string() {
        Some(s) => s,
        None => js_sys::JSON::stringify(&data).ok()?.as_string()?,
    };
    if text.len() > share::MAX_STATE_BYTES {
        return None;
    }
    Incoming::parse(&text).ok()
}

/// Document height for the `resize` message.
pub fn document_height() -> u32 {
    window()
        .document()
        .and_then(|d| d.document_element())
        .map(|e| e.scroll_height().max(0) as u32)
        .unwrap_or(0)
}

/// Milliseconds since page start (for the in-page timing shown in the footer).
pub fn now_ms() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use layerlab_engine::report::Builder;

    #[test]
    fn query_options() {
        let o = PageOptions::from_query(
            "?embed=1&readonly=0&mode=dark&builder=classic&origin=https%3A%2F%2Fdocs.example.org",
        );
        assert!(o.embed && o.editable);
        assert_eq!(o.mode, Some("dark"));
        assert_eq!(o.builder, Some(Builder::Classic));
        assert_eq!(o.origin.as_deref(), Some("https://docs.example.org"));
        let o = PageOptions::from_query("embed&mode=purple&origin=javascript:alert(1)&x=%");
        assert!(o.embed && !o.editable);
        assert_eq!(o.mode, None);
        assert_eq!(o.origin, None);
        assert_eq!(PageOptions::from_query(""), PageOptions::default());
        assert!(!PageOptions::from_query("?embed=0").embed);
    }

    #[test]
    fn percent_decoding_is_total() {
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%e2%82%ac"), "€");
        assert_eq!(percent_decode("%é1"), "%é1");
    }

    #[test]
    #[cfg(not(target_arch = "wasm32"))] // share::now: native zlib
    fn incoming_messages() {
        let m = Incoming::parse(r#"{"type":"layerlab:get-state"}"#).unwrap();
        assert!(matches!(share::now(m.command()), Ok(Command::GetState)));
        let m = Incoming::parse(r#"{"type":"set-state","state":{"dockerfile":"FROM alpine\n"}}"#)
            .unwrap();
        match share::now(m.command()) {
            Ok(Command::SetState(st)) => assert_eq!(st.scenario.dockerfile, "FROM alpine\n"),
            _ => panic!("expected set-state"),
        }
        let m = Incoming::parse(r#"{"type":"set-state","fragment":"v1:!!"}"#).unwrap();
        assert!(share::now(m.command()).unwrap_err().contains("damaged"));
        let m = Incoming::parse(r#"{"type":"reboot"}"#).unwrap();
        assert!(share::now(m.command()).is_err());
        let m = Incoming::parse(r#"{"type":"set-state","state":null,"x":1}"#).unwrap();
        assert!(share::now(m.command()).is_err());
        assert!(Incoming::parse(r#"{"state":{}}"#).is_err());
        assert!(Incoming::parse("[]").is_err());
    }

    #[test]
    fn outgoing_shape() {
        let json = Outgoing::Resize {
            source: "layerlab",
            v: 1,
            height: 300,
        }
        .to_json();
        assert_eq!(
            json,
            r#"{"type":"resize","source":"layerlab","v":1,"height":300}"#
        );
        // What serde's `#[serde(tag = "type")]` wrote.
        let ready = Outgoing::Ready {
            source: "layerlab",
            v: 1,
        };
        assert_eq!(
            ready.to_json(),
            r#"{"type":"ready","source":"layerlab","v":1}"#
        );
        let error = Outgoing::Error {
            source: "layerlab",
            v: 1,
            message: "m".into(),
        };
        assert_eq!(
            error.to_json(),
            r#"{"type":"error","source":"layerlab","v":1,"message":"m"}"#
        );
        let st = SharedState::new(
            layerlab_engine::Scenario {
                dockerfile: "FROM a\n".into(),
                ..Default::default()
            },
            Default::default(),
        );
        let state = Outgoing::State {
            source: "layerlab",
            v: 1,
            state: Box::new(st.clone()),
            fragment: "f".into(),
            url: "u".into(),
        };
        assert_eq!(
            state.to_json(),
            format!(
                r#"{{"type":"state","source":"layerlab","v":1,"state":{},"fragment":"f","url":"u"}}"#,
                st.to_json()
            )
        );
    }
}
