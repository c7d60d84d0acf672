//! A small JSON reader and writer, for code that ships in the playground's wasm bundle.
//!
//! `serde_json` with derived `Deserialize`/`Serialize` generates code per type and per
//! format (compact, pretty, `Value`); for the playground's few documents (scenario, link state,
//! embed messages, worker replies) that was ≈ 100 KB of wasm. This module is one
//! non-generic parser into a [`Json`] tree and one [`Writer`] that writes compact or pretty
//! text byte-for-byte like `serde_json::to_string` / `to_string_pretty`.
//!
//! The parser is strict RFC 8259 (as `serde_json`): no trailing commas, no comments, no
//! control characters in strings, no lone surrogates, nothing after the value but
//! whitespace, and at most [`MAX_DEPTH`] nested arrays/objects. It never panics.

use std::fmt::Write as _;

/// Nesting limit: documents nested this deep are refused (`serde_json`'s recursion limit).
pub const MAX_DEPTH: usize = 128;

/// A parsed JSON value. Objects keep their keys in document order, duplicates included (the
/// reader decides what a duplicate means).
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// A number as written (valid JSON number syntax).
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// The number as a `u64`, when it is a non-negative integer in range (no fraction or
    /// exponent, as `serde_json` reads integers).
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Num(n) if n.bytes().all(|b| b.is_ascii_digit()) => n.parse().ok(),
            _ => None,
        }
    }

    /// The value of `key` in an object (the last one, when repeated).
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(fields) => fields.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Describes the value for "invalid type" messages, in `serde`'s words.
    pub fn describe(&self) -> String {
        match self {
            Json::Null => "null".into(),
            Json::Bool(b) => format!("boolean `{b}`"),
            Json::Num(n) if n.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) => {
                format!("floating point `{n}`")
            }
            Json::Num(n) => format!("integer `{n}`"),
            Json::Str(s) => format!("string {}", quoted(s)),
            Json::Arr(_) => "sequence".into(),
            Json::Obj(_) => "map".into(),
        }
    }

    /// Writes the value (compact or pretty, see [`Writer`]).
    pub fn write(&self, w: &mut Writer) {
        match self {
            Json::Null => w.null(),
            Json::Bool(b) => w.bool(*b),
            Json::Num(n) => w.raw(n),
            Json::Str(s) => w.str(s),
            Json::Arr(items) => {
                w.open('[');
                for v in items {
                    w.item();
                    v.write(w);
                }
                w.close(']');
            }
            Json::Obj(fields) => {
                w.open('{');
                for (k, v) in fields {
                    w.key(k);
                    v.write(w);
                }
                w.close('}');
            }
        }
    }

    /// Compact text of the value.
    pub fn to_text(&self) -> String {
        let mut w = Writer::new(false);
        self.write(&mut w);
        w.finish()
    }
}

/// `"text"` with JSON escapes.
pub fn quoted(s: &str) -> String {
    let mut w = Writer::new(false);
    w.str(s);
    w.finish()
}

/// Parses one JSON document. Errors read like `serde_json`'s: `expected value at line 1
/// column 1`.
pub fn parse(text: &str) -> Result<Json, String> {
    let mut p = Parser {
        s: text,
        b: text.as_bytes(),
        i: 0,
        depth: 0,
    };
    let v = p.value()?;
    p.ws();
    if p.i < p.b.len() {
        return Err(p.err("trailing characters"));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, msg: &str) -> String {
        let upto = &self.b[..self.i.min(self.b.len())];
        let line = upto.iter().filter(|&&c| c == b'\n').count() + 1;
        let col = upto.len() - upto.iter().rposition(|&c| c == b'\n').map_or(0, |p| p + 1);
        format!("{msg} at line {line} column {col}")
    }

    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, word: &str, v: Json) -> Result<Json, String> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            self.i += 1;
            Err(self.err("expected ident"))
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.ws();
        match self.peek() {
            None => Err(self.err("EOF while parsing a value")),
            Some(b'n') => self.eat("null", Json::Null),
            Some(b't') => self.eat("true", Json::Bool(true)),
            Some(b'f') => self.eat("false", Json::Bool(false)),
            Some(b'"') => self.string().map(Json::Str),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(c @ (b'[' | b'{')) => {
                self.depth += 1;
                if self.depth >= MAX_DEPTH {
                    return Err(self.err("recursion limit exceeded"));
                }
                self.i += 1;
                let v = if c == b'[' {
                    self.array()
                } else {
                    self.object()
                }?;
                self.depth -= 1;
                Ok(v)
            }
            Some(_) => Err(self.err("expected value")),
        }
    }

    /// After `[`.
    fn array(&mut self) -> Result<Json, String> {
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Json::Arr(items));
        }
        loop {
            items.push(self.value()?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Json::Arr(items));
                }
                None => return Err(self.err("EOF while parsing a list")),
                Some(_) => return Err(self.err("expected `,` or `]`")),
            }
        }
    }

    /// After `{`.
    fn object(&mut self) -> Result<Json, String> {
        let mut fields = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Json::Obj(fields));
        }
        loop {
            self.ws();
            match self.peek() {
                Some(b'"') => {}
                None => return Err(self.err("EOF while parsing an object")),
                Some(_) => return Err(self.err("key must be a string")),
            }
            let k = self.string()?;
            self.ws();
            match self.peek() {
                Some(b':') => self.i += 1,
                None => return Err(self.err("EOF while parsing an object")),
                Some(_) => return Err(self.err("expected `:`")),
            }
            fields.push((k, self.value()?));
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Json::Obj(fields));
                }
                None => return Err(self.err("EOF while parsing an object")),
                Some(_) => return Err(self.err("expected `,` or `}`")),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<Json, String> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        let text = &self.s[start..self.i];
        if overflows_f64(text) {
            return Err(self.err("number out of range"));
        }
        Ok(Json::Num(text.to_string()))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut n = 0;
        for _ in 0..4 {
            let d = self.peek().and_then(|c| (c as char).to_digit(16));
            let Some(d) = d else {
                return Err(self.err("invalid escape"));
            };
            n = n * 16 + d;
            self.i += 1;
        }
        Ok(n)
    }

    /// At `"`.
    fn string(&mut self) -> Result<String, String> {
        self.i += 1;
        let mut out = String::new();
        let mut run = self.i;
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err("EOF while parsing a string"));
            };
            match c {
                b'"' => {
                    out.push_str(&self.s[run..self.i]);
                    self.i += 1;
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(&self.s[run..self.i]);
                    self.i += 1;
                    let Some(e) = self.peek() else {
                        return Err(self.err("EOF while parsing a string"));
                    };
                    self.i += 1;
                    out.push(match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&hi) {
                                if !self.b[self.i..].starts_with(b"\\u") {
                                    return Err(self.err("lone leading surrogate in hex escape"));
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.err("lone leading surrogate in hex escape"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            match char::from_u32(cp) {
                                Some(ch) => ch,
                                None => {
                                    return Err(self.err("lone trailing surrogate in hex escape"))
                                }
                            }
                        }
                        _ => return Err(self.err("invalid escape")),
                    });
                    run = self.i;
                }
                0..=0x1f => {
                    return Err(self
                        .err("control character (\\u0000-\\u001F) found while parsing a string"))
                }
                _ => self.i += 1,
            }
        }
    }
}

/// Whether a valid JSON number is too large for an `f64` (rounds to infinity), which
/// `serde_json` refuses as "number out of range". Decided on the digits, without parsing a float:
/// the threshold is 2^1024 − 2^970, halfway between `f64::MAX` and the next power of two.
fn overflows_f64(text: &str) -> bool {
    const LIMIT: &str = "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792";
    let t = text.trim_start_matches('-');
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], &t[i + 1..]),
        None => (t, "0"),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let exp_neg = exp.starts_with('-');
    let exp = exp
        .trim_start_matches(['+', '-'])
        .bytes()
        .fold(0i64, |n, d| {
            n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        });
    let exp = if exp_neg { -exp } else { exp };
    let digits: String = int.chars().chain(frac.chars()).collect();
    let lead = digits.bytes().take_while(|&d| d == b'0').count();
    if lead == digits.len() {
        return false;
    }
    // Decimal exponent of the first significant digit.
    let e = (int.len() as i64 - 1 - lead as i64).saturating_add(exp);
    match e.cmp(&308) {
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => digits[lead..].trim_end_matches('0') >= LIMIT,
    }
}

/// Writes JSON text: compact exactly as `serde_json::to_string`, pretty exactly as
/// `serde_json::to_string_pretty` (two-space indent, `"key": value`, `{}` / `[]` when empty).
///
/// Objects: [`open`](Writer::open)`('{')`, then per field [`key`](Writer::key) and one value,
/// then [`close`](Writer::close)`('}')`. Arrays: `open('[')`, [`item`](Writer::item) before
/// each value, `close(']')`.
pub struct Writer {
    out: String,
    pretty: bool,
    depth: usize,
    /// No element written yet in the innermost open container.
    first: bool,
}

impl Writer {
    pub fn new(pretty: bool) -> Writer {
        Writer {
            out: String::new(),
            pretty,
            depth: 0,
            first: true,
        }
    }

    pub fn finish(self) -> String {
        self.out
    }

    fn newline(&mut self) {
        if self.pretty {
            self.out.push('\n');
            for _ in 0..self.depth {
                self.out.push_str("  ");
            }
        }
    }

    /// Before an array element.
    pub fn item(&mut self) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.newline();
    }

    /// An object key; the value follows.
    pub fn key(&mut self, k: &str) {
        self.item();
        self.str(k);
        self.out.push_str(if self.pretty { ": " } else { ":" });
    }

    pub fn open(&mut self, c: char) {
        self.out.push(c);
        self.depth += 1;
        self.first = true;
    }

    pub fn close(&mut self, c: char) {
        self.depth -= 1;
        if !self.first {
            self.newline();
        }
        self.first = false;
        self.out.push(c);
    }

    pub fn null(&mut self) {
        self.out.push_str("null");
    }

    pub fn bool(&mut self, b: bool) {
        self.out.push_str(if b { "true" } else { "false" });
    }

    pub fn num(&mut self, n: u64) {
        let _ = write!(self.out, "{n}");
    }

    /// Already valid JSON text (a number as read).
    pub fn raw(&mut self, text: &str) {
        self.out.push_str(text);
    }

    pub fn str(&mut self, s: &str) {
        self.out.push('"');
        let mut run = 0;
        for (i, b) in s.bytes().enumerate() {
            let esc = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0..=0x1f => "",
                _ => continue,
            };
            self.out.push_str(&s[run..i]);
            if esc.is_empty() {
                let _ = write!(self.out, "\\u{b:04x}");
            } else {
                self.out.push_str(esc);
            }
            run = i + 1;
        }
        self.out.push_str(&s[run..]);
        self.out.push('"');
    }

    /// A string or `null`.
    pub fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.null(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_as_serde(text: &str) {
        let ours = parse(text);
        let theirs = serde_json::from_str::<serde_json::Value>(text);
        assert_eq!(
            ours.is_ok(),
            theirs.is_ok(),
            "{text:?}: {ours:?} vs {theirs:?}"
        );
        if let (Ok(o), Ok(t)) = (ours, theirs) {
            // Same tree: compare through serde's own text of both.
            let back: serde_json::Value = serde_json::from_str(&o.to_text()).unwrap();
            assert_eq!(back, t, "{text:?}");
            // Same text where serde keeps numbers as written (it rewrites `1e5` as `100000.0`).
            if o.to_text() == serde_json::to_string(&t).unwrap() {
                let mut w = Writer::new(true);
                o.write(&mut w);
                assert_eq!(
                    w.finish(),
                    serde_json::to_string_pretty(&t).unwrap(),
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn accepts_and_rejects_what_serde_json_does() {
        for text in [
            "null",
            " true ",
            "false",
            "0",
            "12",
            "1.5",
            "-1e5",
            "1E+2",
            "\"\"",
            r#""a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\ud83d\ude00""#,
            "[]",
            "{}",
            r#"{"a":[1,{"b":null}],"c":"x"}"#,
            "[1,2,[3,[4]]]",
            "\"caf\u{e9} \u{1f600}\"",
            // Errors.
            "",
            " ",
            "nul",
            "tru",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{a:1}",
            "[1 2]",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "\"abc",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\ud800\"",
            "\"\\ud800\\u0041\"",
            "\"\\udc00\"",
            "\"a\u{1}b\"",
            "[1] x",
            "[",
            "{",
            "{\"a\"",
            "{\"a\":",
            "'a'",
            "NaN",
            "[1,2",
        ] {
            same_as_serde(text);
        }
    }

    /// Decided exactly (as Go's `encoding/json` does); `serde_json`'s own float parser is not
    /// correctly rounded at the very edge (it refuses `1.7976931348623158e308`, which is
    /// `f64::MAX`), so that one number is not compared with it.
    #[test]
    fn out_of_range_numbers() {
        let edge = [
            "1.7976931348623158e308",
            // 2^1024 − 2^970 − 1: rounds down to f64::MAX.
            "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791",
        ];
        let clear = [
            "1e308",
            "1.7976931348623157e308",
            "1.7976931348623159e308",
            "1.8e308",
            "-1e309",
            "1e400",
            "0.00001e313",
            "1e-400",
            "0e999999999999999999999",
            "1e99999999999999999999999",
        ];
        for text in edge.iter().chain(&clear) {
            let finite = text.parse::<f64>().unwrap().is_finite();
            assert_eq!(parse(text).is_ok(), finite, "{text}");
        }
        for text in clear {
            same_as_serde(&format!("[{text}]"));
        }
    }

    #[test]
    fn negative_zero_is_a_number() {
        assert_eq!(parse("-0").unwrap(), Json::Num("-0".into()));
    }

    #[test]
    fn depth_limit_matches_serde_json() {
        for n in [127, 128, 129, 1000] {
            same_as_serde(&format!("{}{}", "[".repeat(n), "]".repeat(n)));
        }
    }

    #[test]
    fn strings_escape_like_serde_json() {
        let all: String = (0u32..0x80)
            .filter_map(char::from_u32)
            .chain("é\u{2028}\u{1f600}".chars())
            .collect();
        assert_eq!(quoted(&all), serde_json::to_string(&all).unwrap());
    }

    #[test]
    fn errors_have_positions() {
        assert_eq!(
            parse("{\n  \"a\" 1}").unwrap_err(),
            "expected `:` at line 2 column 6"
        );
        assert_eq!(
            parse("").unwrap_err(),
            "EOF while parsing a value at line 1 column 0"
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(parse("42").unwrap().as_u64(), Some(42));
        assert_eq!(parse("-1").unwrap().as_u64(), None);
        assert_eq!(parse("1.0").unwrap().as_u64(), None);
        assert_eq!(parse("1e2").unwrap().as_u64(), None);
        assert_eq!(parse("99999999999999999999").unwrap().as_u64(), None);
    }
}
