//! One logical line (continuations already joined) → one raw node, following BuildKit's
//! `split_command.go` and `line_parsers.go`: keyword, builder flags, then a per-instruction
//! argument parser (JSON-or-shell, whitespace list, name=value pairs, ...).

/// Nesting limit for `ONBUILD ONBUILD ...` at the node level (BuildKit has none, but it
/// rejects any chained ONBUILD later; the limit only keeps recursion bounded).
pub(crate) const MAX_NESTING: usize = 8;

/// A known instruction keyword (matched ASCII case-insensitively), or `Other`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kw {
    Add,
    Arg,
    Cmd,
    Copy,
    Entrypoint,
    Env,
    Expose,
    From,
    Healthcheck,
    Label,
    Maintainer,
    Onbuild,
    Run,
    Shell,
    Stopsignal,
    User,
    Volume,
    Workdir,
    #[default]
    Other,
}

impl Kw {
    /// The keyword `word` names (any ASCII case), matched without allocating.
    pub fn of(word: &str) -> Kw {
        let b = word.as_bytes();
        if !(3..=11).contains(&b.len()) {
            return Kw::Other;
        }
        let mut l = [0u8; 11];
        for (d, s) in l.iter_mut().zip(b) {
            *d = s.to_ascii_lowercase();
        }
        match &l[..b.len()] {
            b"add" => Kw::Add,
            b"arg" => Kw::Arg,
            b"cmd" => Kw::Cmd,
            b"copy" => Kw::Copy,
            b"entrypoint" => Kw::Entrypoint,
            b"env" => Kw::Env,
            b"expose" => Kw::Expose,
            b"from" => Kw::From,
            b"healthcheck" => Kw::Healthcheck,
            b"label" => Kw::Label,
            b"maintainer" => Kw::Maintainer,
            b"onbuild" => Kw::Onbuild,
            b"run" => Kw::Run,
            b"shell" => Kw::Shell,
            b"stopsignal" => Kw::Stopsignal,
            b"user" => Kw::User,
            b"volume" => Kw::Volume,
            b"workdir" => Kw::Workdir,
            _ => Kw::Other,
        }
    }

    /// Upper case name; `None` for [`Kw::Other`].
    pub fn upper(self) -> Option<&'static str> {
        KW_NAMES.get(self as usize).map(|n| n.0)
    }

    /// Lower case name; `None` for [`Kw::Other`].
    pub fn lower(self) -> Option<&'static str> {
        KW_NAMES.get(self as usize).map(|n| n.1)
    }
}

/// Names of the known keywords, in [`Kw`] order.
const KW_NAMES: [(&str, &str); 18] = [
    ("ADD", "add"),
    ("ARG", "arg"),
    ("CMD", "cmd"),
    ("COPY", "copy"),
    ("ENTRYPOINT", "entrypoint"),
    ("ENV", "env"),
    ("EXPOSE", "expose"),
    ("FROM", "from"),
    ("HEALTHCHECK", "healthcheck"),
    ("LABEL", "label"),
    ("MAINTAINER", "maintainer"),
    ("ONBUILD", "onbuild"),
    ("RUN", "run"),
    ("SHELL", "shell"),
    ("STOPSIGNAL", "stopsignal"),
    ("USER", "user"),
    ("VOLUME", "volume"),
    ("WORKDIR", "workdir"),
];

/// A raw node before positions and heredocs are attached.
#[derive(Clone, Debug, Default)]
pub(crate) struct Parsed<'a> {
    /// The keyword exactly as written (`Run`, `FROM`, `foo`).
    pub keyword_raw: &'a str,
    /// The keyword, classified.
    pub kw: Kw,
    /// Lower-cased keyword (static for the known ones).
    pub keyword: std::borrow::Cow<'static, str>,
    pub flags: Vec<String>,
    pub args: Vec<String>,
    pub json: bool,
    pub inner: Option<Box<Parsed<'a>>>,
    /// A BuildKit parser error for this line (the node is kept anyway).
    pub error: Option<String>,
}

impl Parsed<'_> {
    /// BuildKit `Node.canContainHeredoc`: RUN/COPY/ADD (also as ONBUILD trigger), not JSON.
    pub fn can_contain_heredoc(&self) -> bool {
        let mut n = self;
        if n.kw == Kw::Onbuild {
            if let Some(inner) = &n.inner {
                n = inner;
            }
        }
        matches!(n.kw, Kw::Run | Kw::Copy | Kw::Add) && !n.json
    }
}

/// Go's `reWhitespace` = `[\t\v\f\r ]`.
#[inline]
fn is_re_ws_byte(b: u8) -> bool {
    matches!(b, b'\t' | 0x0b | 0x0c | b'\r' | b' ')
}

/// Byte index of the first `[\t\v\f\r ]` (ASCII, so always a char boundary).
#[inline]
fn find_re_ws(s: &str) -> Option<usize> {
    s.bytes().position(is_re_ws_byte)
}

#[inline]
fn skip_re_ws(s: &str) -> &str {
    let n = s.bytes().take_while(|&b| is_re_ws_byte(b)).count();
    &s[n..]
}

/// `reWhitespace.Split(s, 2)`: the text before the first whitespace run and the text after it.
#[inline]
pub(crate) fn split_ws2(s: &str) -> (&str, Option<&str>) {
    match find_re_ws(s) {
        Some(i) => (&s[..i], Some(skip_re_ws(&s[i..]))),
        None => (s, None),
    }
}

/// `reWhitespace.Split(s, -1)` for a trimmed, non-empty string.
fn split_ws_all(s: &str) -> Vec<String> {
    if s.is_empty() {
        return Vec::new();
    }
    // Room for the usual `FROM image AS name` and `COPY src dst` at once.
    let mut out = Vec::with_capacity(3);
    let mut cur = s;
    loop {
        match find_re_ws(cur) {
            Some(i) => {
                out.push(cur[..i].to_string());
                cur = skip_re_ws(&cur[i..]);
            }
            None => {
                out.push(cur.to_string());
                break;
            }
        }
    }
    out
}

/// BuildKit `splitCommand` + dispatch. `depth` counts ONBUILD nesting.
pub(crate) fn parse_line(line: &str, esc: char, depth: usize) -> Parsed<'_> {
    let trimmed = super::trim_ws(line);
    let (cmd, after) = split_ws2(trimmed);
    let kw = Kw::of(cmd);
    let mut p = Parsed {
        keyword_raw: cmd,
        kw,
        keyword: match kw.lower() {
            Some(k) => k.into(),
            None => cmd.to_ascii_lowercase().into(),
        },
        ..Parsed::default()
    };
    let mut rest = "";
    if let Some(after) = after {
        let (r, flags) = extract_builder_flags(after, esc);
        p.flags = flags;
        rest = super::trim_ws(r);
    }
    let result = match kw {
        Kw::Add | Kw::Copy | Kw::Volume => parse_maybe_json_to_list(rest),
        Kw::Arg => Ok((parse_words(rest, esc), false)),
        Kw::Cmd | Kw::Entrypoint | Kw::Run | Kw::Shell => parse_maybe_json(rest),
        Kw::Env => parse_name_val(rest, "ENV", esc).map(|a| (a, false)),
        Kw::Label => parse_name_val(rest, "LABEL", esc).map(|a| (a, false)),
        Kw::Expose | Kw::From => Ok((split_ws_all(rest), false)),
        Kw::Healthcheck => parse_health_config(rest),
        Kw::Maintainer | Kw::Stopsignal | Kw::User | Kw::Workdir => Ok((
            if rest.is_empty() {
                Vec::new()
            } else {
                vec![rest.to_string()]
            },
            false,
        )),
        Kw::Onbuild => {
            if !rest.is_empty() {
                if depth >= MAX_NESTING {
                    p.error = Some(format!(
                        "ONBUILD nested more than {MAX_NESTING} levels deep"
                    ));
                } else {
                    let inner = parse_line(rest, esc, depth + 1);
                    if let Some(e) = &inner.error {
                        p.error = Some(e.clone());
                    }
                    p.inner = Some(Box::new(inner));
                }
            }
            Ok((Vec::new(), false))
        }
        // Unknown instructions keep no arguments (BuildKit `parseIgnore`).
        Kw::Other => Ok((Vec::new(), false)),
    };
    match result {
        Ok((args, json)) => {
            p.args = args;
            p.json = json;
        }
        Err(e) => {
            p.error = Some(e);
            if !rest.is_empty() {
                p.args = vec![rest.to_string()];
            }
        }
    }
    p
}

/// BuildKit `extractBuilderFlags`: leading `--words` (quotes and escapes removed), up to
/// the first word that does not start with `--`, or a bare `--`. Returns the remaining text.
///
/// Unlike BuildKit (which walks bytes and so mangles non-ASCII flag values), this keeps
/// characters whole. A word without quotes or escapes is copied once, as a slice.
pub(crate) fn extract_builder_flags(line: &str, esc: char) -> (&str, Vec<String>) {
    debug_assert!(esc.is_ascii());
    let (b, n, esc) = (line.as_bytes(), line.len(), esc as u8);
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        // Blanks between words.
        loop {
            if i >= n {
                return ("", words);
            }
            let (ws, w) = ws_at(line, i);
            if !ws {
                break;
            }
            i += w;
        }
        if b[i] != b'-' || b.get(i + 1) != Some(&b'-') {
            return (&line[i..], words);
        }
        // One word from `start` (it begins with `--`, so it is never empty). `buf` holds
        // it once a quote or an escape made it differ from the source text.
        let start = i;
        let mut buf: Option<String> = None;
        // 0: outside quotes, else the open quote.
        let mut quote = 0u8;
        let end = loop {
            if i >= n {
                break None;
            }
            if quote == 0 && buf.is_none() {
                // Bytes that stand for themselves (printable ASCII other than quotes and
                // the escape token) stay in the slice: skip them in one go.
                i = plain_end(b, i, esc);
                if i >= n {
                    break None;
                }
            }
            let c = b[i];
            if quote == 0 {
                let (ws, _) = ws_at(line, i);
                if ws {
                    break Some(i);
                }
                if c == b'\'' || c == b'"' {
                    buf.get_or_insert_with(|| line[start..i].to_string());
                    quote = c;
                    i += 1;
                    continue;
                }
            } else if c == quote {
                quote = 0;
                i += 1;
                continue;
            }
            if c == esc {
                let bf = buf.get_or_insert_with(|| line[start..i].to_string());
                if i + 1 >= n {
                    // A trailing escape token is dropped (and ends a quote).
                    i += 1;
                    quote = 0;
                    continue;
                }
                let w = utf8_len(b[i + 1]);
                bf.push_str(&line[i + 1..i + 1 + w]);
                i += 1 + w;
                continue;
            }
            let w = utf8_len(c);
            if let Some(bf) = &mut buf {
                bf.push_str(&line[i..i + w]);
            }
            i += w;
        };
        let word = match buf {
            Some(b) => b,
            None => line[start..end.unwrap_or(n)].to_string(),
        };
        match end {
            Some(pos) => {
                if word == "--" {
                    return (&line[pos..], words);
                }
                push_sized(&mut words, word);
            }
            None => {
                if word != "--" {
                    push_sized(&mut words, word);
                }
                return ("", words);
            }
        }
    }
}

/// `v.push(x)`, allocating room for two at the first push (cheaper than growing from empty).
fn push_sized<T>(v: &mut Vec<T>, x: T) {
    if v.capacity() == 0 {
        *v = Vec::with_capacity(2);
    }
    v.push(x);
}

/// BuildKit `parseWords`: whitespace-separated words, quotes and escapes kept verbatim.
pub(crate) fn parse_words(rest: &str, esc: char) -> Vec<String> {
    Words::new(rest, esc).map(str::to_string).collect()
}

/// Length of the UTF-8 sequence starting with byte `lead`.
#[inline]
fn utf8_len(lead: u8) -> usize {
    match lead {
        0..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// Whether byte `b` stands for itself inside a word outside quotes: printable ASCII other
/// than quotes and the escape token.
#[inline(always)]
fn is_plain(b: u8, esc: u8) -> bool {
    matches!(b, 0x21..=0x7e) && !matches!(b, b'\'' | b'"') && b != esc
}

/// The index of the first byte at or after `i` that is not [`is_plain`] (or `b.len()`).
#[inline]
pub(crate) fn plain_end(b: &[u8], i: usize, esc: u8) -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    let i = plain_end_words(b, i, esc);
    plain_end_bytes(b, i, esc)
}

/// [`plain_end`] one byte at a time (the general path).
#[inline]
pub(crate) fn plain_end_bytes(b: &[u8], mut i: usize, esc: u8) -> usize {
    while i < b.len() && is_plain(b[i], esc) {
        i += 1;
    }
    i
}

/// [`plain_end`] eight bytes at a time, while whole words remain; the rest is left to
/// [`plain_end_bytes`]. Native only (a pure fast path: wasm keeps the byte loop, smaller).
#[cfg(not(target_arch = "wasm32"))]
#[inline]
pub(crate) fn plain_end_words(b: &[u8], mut i: usize, esc: u8) -> usize {
    use super::source::{eq_mask, word};
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    while i + 8 <= b.len() {
        let w = word(&b[i..i + 8]);
        // Bytes below 0x21: the lowest flagged byte is exact (borrows only run upwards,
        // from a byte that is itself below 0x21), which is all the search needs.
        let low = w.wrapping_sub(ONES * 0x21) & !w & HI;
        let stop = low
            | (w & HI)
            | eq_mask(w, 0x7f)
            | eq_mask(w, b'\'')
            | eq_mask(w, b'"')
            | eq_mask(w, esc);
        if stop != 0 {
            return i + (stop.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i
}

/// Whether the character at byte `i` (a boundary) is white space (`char::is_whitespace`),
/// and its length.
#[inline(always)]
fn ws_at(s: &str, i: usize) -> (bool, usize) {
    let b = s.as_bytes()[i];
    if b < 0x80 {
        return (matches!(b, b' ' | b'\t'..=b'\r'), 1);
    }
    ws_at_non_ascii(s, i)
}

#[cold]
#[inline(never)]
fn ws_at_non_ascii(s: &str, i: usize) -> (bool, usize) {
    let c = s[i..].chars().next().unwrap_or(' ');
    (c.is_whitespace(), c.len_utf8())
}

/// [`parse_words`] as slices, one at a time: nothing inside a word is dropped except an
/// escape token that ends the input, so every word is a slice of the text. Walks bytes
/// (quotes and the escape token are ASCII), decoding only non-ASCII characters.
pub(crate) struct Words<'a> {
    s: &'a str,
    pos: usize,
    esc: u8,
}

impl<'a> Words<'a> {
    pub fn new(s: &'a str, esc: char) -> Self {
        debug_assert!(esc.is_ascii());
        Words {
            s,
            pos: 0,
            esc: esc as u8,
        }
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let (s, b, n) = (self.s, self.s.as_bytes(), self.s.len());
        let start = loop {
            if self.pos >= n {
                return None;
            }
            let (ws, w) = ws_at(s, self.pos);
            if !ws {
                break self.pos;
            }
            self.pos += w;
        };
        // 0: outside quotes, else the open quote.
        let mut quote = 0u8;
        let mut i = start;
        while i < n {
            if quote == 0 {
                // Printable ASCII other than quotes and the escape token: skip in one go.
                i = plain_end(b, i, self.esc);
                if i >= n {
                    break;
                }
            }
            let c = b[i];
            if quote == 0 {
                let (ws, w) = ws_at(s, i);
                if ws {
                    self.pos = i;
                    return Some(&s[start..i]);
                }
                if c == b'\'' || c == b'"' {
                    quote = c;
                } else if c == self.esc {
                    if i + 1 >= n {
                        // A trailing escape token is dropped (a word of only it is none).
                        self.pos = n;
                        return (i > start).then(|| &s[start..i]);
                    }
                    i += 1 + utf8_len(b[i + 1]);
                    continue;
                }
                i += w;
            } else {
                if c == quote {
                    quote = 0;
                } else if c == self.esc && quote != b'\'' {
                    if i + 1 >= n {
                        self.pos = n;
                        return Some(&s[start..i]);
                    }
                    i += 1 + utf8_len(b[i + 1]);
                    continue;
                }
                i += utf8_len(c);
            }
        }
        self.pos = n;
        Some(&s[start..])
    }
}

/// BuildKit `parseNameVal` (ENV, LABEL): triples `key value sep`; `sep` is `=` for the
/// `k=v` form and empty for the legacy `k v` form. Values stay raw.
fn parse_name_val(rest: &str, key: &str, esc: char) -> Result<Vec<String>, String> {
    let mut words = Words::new(rest, esc);
    let Some(first) = words.next() else {
        return Ok(Vec::new());
    };
    if !first.as_bytes().contains(&b'=') {
        let (k, v) = split_ws2(rest);
        return match v {
            Some(v) => Ok(vec![k.to_string(), v.to_string(), String::new()]),
            None => Err(format!("{key} must have two arguments")),
        };
    }
    let mut out = Vec::with_capacity(3);
    for word in std::iter::once(first).chain(words) {
        match word.bytes().position(|b| b == b'=') {
            Some(i) => {
                out.push(word[..i].to_string());
                out.push(word[i + 1..].to_string());
                out.push("=".to_string());
            }
            None => {
                return Err(format!(
                    "Syntax error - can't find = in {}. Must be of the form: name=value",
                    crate::dump::go_quote(word)
                ))
            }
        }
    }
    Ok(out)
}

pub(crate) const NOT_STRING_ARRAY: &str =
    "when using JSON array syntax, arrays must be comprised of strings only";

/// BuildKit `parseJSON`: `Ok(None)` when the text is not a valid JSON array (the caller
/// falls back to shell form), `Err` when it is an array of something other than strings.
pub(crate) fn parse_json(rest: &str) -> Result<Option<Vec<String>>, String> {
    let t = rest.trim_start();
    if !t.starts_with('[') {
        return Ok(None);
    }
    let Ok(crate::json::Json::Arr(values)) = crate::json::parse(t) else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        match v {
            crate::json::Json::Str(s) => out.push(s),
            _ => return Err(NOT_STRING_ARRAY.to_string()),
        }
    }
    Ok(Some(out))
}

type ArgsResult = Result<(Vec<String>, bool), String>;

fn parse_maybe_json(rest: &str) -> ArgsResult {
    if rest.is_empty() {
        return Ok((Vec::new(), false));
    }
    match parse_json(rest)? {
        Some(v) => Ok((v, true)),
        None => Ok((vec![rest.to_string()], false)),
    }
}

fn parse_maybe_json_to_list(rest: &str) -> ArgsResult {
    match parse_json(rest)? {
        Some(v) => Ok((v, true)),
        None => Ok((split_ws_all(rest), false)),
    }
}

/// BuildKit `parseHealthConfig`: the type word (`CMD`, `NONE`, ...) then JSON-or-shell.
fn parse_health_config(rest: &str) -> ArgsResult {
    let sep = rest.find(char::is_whitespace).unwrap_or(rest.len());
    if sep == 0 {
        return Ok((Vec::new(), false));
    }
    let typ = &rest[..sep];
    let next = rest[sep..].trim_start();
    let (mut args, json) = parse_maybe_json(next)?;
    args.insert(0, typ.to_string());
    Ok((args, json))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        parse_words(s, '\\')
    }

    #[test]
    fn words_like_buildkit() {
        // BuildKit's TestParseWords table.
        assert_eq!(w("foo"), ["foo"]);
        assert_eq!(w("foo bar"), ["foo", "bar"]);
        assert_eq!(w("foo\\ bar"), ["foo\\ bar"]);
        assert_eq!(w("foo=bar"), ["foo=bar"]);
        assert_eq!(w("foo bar 'abc xyz'"), ["foo", "bar", "'abc xyz'"]);
        assert_eq!(w("foo bar \"abc xyz\""), ["foo", "bar", "\"abc xyz\""]);
        assert_eq!(w("àöû"), ["àöû"]);
        assert_eq!(w("föo bàr \"âbc xÿz\""), ["föo", "bàr", "\"âbc xÿz\""]);
        // Escape tokens at the very end are dropped; empty quotes are words.
        assert_eq!(w("a \\"), ["a"]);
        assert_eq!(w("ab\\"), ["ab"]);
        assert_eq!(w("\"ab\\"), ["\"ab"]);
        assert_eq!(w("'' x"), ["''", "x"]);
        assert_eq!(w("a\\\"b c"), ["a\\\"b", "c"]);
        assert_eq!(parse_words("a` b", '`'), ["a` b"]);
    }

    #[test]
    fn flags_drop_quotes_and_escapes() {
        let (rest, flags) = extract_builder_flags("--from=\"a b\" --x=\\y -- --not-a-flag z", '\\');
        assert_eq!(flags, ["--from=a b", "--x=y"]);
        assert_eq!(rest.trim(), "--not-a-flag z");
        let (rest, flags) = extract_builder_flags("--chown=ü:ü src dst", '\\');
        assert_eq!(flags, ["--chown=ü:ü"]);
        assert_eq!(rest, "src dst");
    }
}
