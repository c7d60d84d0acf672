//! One logical line (continuations already joined) → one raw node, following BuildKit's
//! `split_command.go` and `line_parsers.go`: keyword, builder flags, then a per-instruction
//! argument parser (JSON-or-shell, whitespace list, name=value pairs, ...).

/// Nesting limit for `ONBUILD ONBUILD ...` at the node level (BuildKit has none, but it
/// rejects any chained ONBUILD later; the limit only keeps recursion bounded).
pub(crate) const MAX_NESTING: usize = 8;

/// A raw node before positions and heredocs are attached.
#[derive(Clone, Debug, Default)]
pub(crate) struct Parsed<'a> {
    /// The keyword exactly as written (`Run`, `FROM`, `foo`).
    pub keyword_raw: &'a str,
    /// Lower-cased keyword.
    pub keyword: String,
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
        if n.keyword == "onbuild" {
            if let Some(inner) = &n.inner {
                n = inner;
            }
        }
        matches!(n.keyword.as_str(), "run" | "copy" | "add") && !n.json
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
    let mut out = Vec::new();
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

#[inline]
fn char_at(s: &str, pos: usize) -> Option<char> {
    s.get(pos..).and_then(|r| r.chars().next())
}

/// BuildKit `splitCommand` + dispatch. `depth` counts ONBUILD nesting.
pub(crate) fn parse_line(line: &str, esc: char, depth: usize) -> Parsed<'_> {
    let trimmed = line.trim();
    let (cmd, after) = split_ws2(trimmed);
    let mut p = Parsed {
        keyword_raw: cmd,
        keyword: cmd.to_ascii_lowercase(),
        ..Parsed::default()
    };
    let mut rest = "";
    if let Some(after) = after {
        let (r, flags) = extract_builder_flags(after, esc);
        p.flags = flags;
        rest = r.trim();
    }
    let result = match p.keyword.as_str() {
        "add" | "copy" | "volume" => parse_maybe_json_to_list(rest),
        "arg" => Ok((parse_words(rest, esc), false)),
        "cmd" | "entrypoint" | "run" | "shell" => parse_maybe_json(rest),
        "env" => parse_name_val(rest, "ENV", esc).map(|a| (a, false)),
        "label" => parse_name_val(rest, "LABEL", esc).map(|a| (a, false)),
        "expose" | "from" => Ok((split_ws_all(rest), false)),
        "healthcheck" => parse_health_config(rest),
        "maintainer" | "stopsignal" | "user" | "workdir" => Ok((
            if rest.is_empty() {
                Vec::new()
            } else {
                vec![rest.to_string()]
            },
            false,
        )),
        "onbuild" => {
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
        _ => Ok((Vec::new(), false)),
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
/// Unlike BuildKit (which walks bytes and so mangles non-ASCII flag values), this walks
/// characters.
pub(crate) fn extract_builder_flags(line: &str, esc: char) -> (&str, Vec<String>) {
    #[derive(PartialEq)]
    enum Ph {
        Spaces,
        Word,
        Quote,
    }
    let mut words = Vec::new();
    let mut phase = Ph::Spaces;
    let mut buf = String::new();
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut pos = 0;
    let n = line.len();
    loop {
        let cur = char_at(line, pos);
        let w = cur.map_or(0, char::len_utf8);
        if phase == Ph::Spaces {
            let Some(ch) = cur else { break };
            if ch.is_whitespace() {
                pos += w;
                continue;
            }
            if ch != '-' || char_at(line, pos + 1) != Some('-') {
                return (&line[pos..], words);
            }
            phase = Ph::Word;
        }
        let Some(ch) = cur else {
            if buf != "--" && (blank_ok || !buf.is_empty()) {
                words.push(buf);
            }
            break;
        };
        if phase == Ph::Word {
            if ch.is_whitespace() {
                phase = Ph::Spaces;
                if buf == "--" {
                    return (&line[pos..], words);
                }
                if blank_ok || !buf.is_empty() {
                    words.push(std::mem::take(&mut buf));
                }
                buf.clear();
                blank_ok = false;
                pos += w;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Ph::Quote;
                pos += w;
                continue;
            }
            let mut c = ch;
            if ch == esc {
                if pos + w >= n {
                    pos += w;
                    continue;
                }
                pos += w;
                c = char_at(line, pos).unwrap_or(ch);
            }
            buf.push(c);
            pos += c.len_utf8();
            continue;
        }
        // Quote
        if ch == quote {
            phase = Ph::Word;
            pos += w;
            continue;
        }
        let mut c = ch;
        if ch == esc {
            if pos + w >= n {
                phase = Ph::Word;
                pos += w;
                continue;
            }
            pos += w;
            c = char_at(line, pos).unwrap_or(ch);
        }
        buf.push(c);
        pos += c.len_utf8();
    }
    ("", words)
}

/// BuildKit `parseWords`: whitespace-separated words, quotes and escapes kept verbatim.
///
/// Since nothing inside a word is dropped except an escape token that ends the input, every
/// word is a slice of `rest`.
pub(crate) fn parse_words(rest: &str, esc: char) -> Vec<String> {
    #[derive(PartialEq)]
    enum Ph {
        Spaces,
        Word,
        Quote,
    }
    let mut words = Vec::new();
    let mut phase = Ph::Spaces;
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut start = 0;
    let n = rest.len();
    let mut it = rest.char_indices();
    while let Some((pos, ch)) = it.next() {
        let w = ch.len_utf8();
        match phase {
            Ph::Spaces => {
                if ch.is_whitespace() {
                    continue;
                }
                phase = Ph::Word;
                start = pos;
                if ch == '\'' || ch == '"' {
                    quote = ch;
                    blank_ok = true;
                    phase = Ph::Quote;
                } else if ch == esc {
                    if pos + w >= n {
                        // A lone escape token at the very end is dropped.
                        return words;
                    }
                    it.next();
                }
            }
            Ph::Word => {
                if ch.is_whitespace() {
                    phase = Ph::Spaces;
                    if blank_ok || pos > start {
                        words.push(rest[start..pos].to_string());
                    }
                    blank_ok = false;
                    continue;
                }
                if ch == '\'' || ch == '"' {
                    quote = ch;
                    blank_ok = true;
                    phase = Ph::Quote;
                } else if ch == esc {
                    if pos + w >= n {
                        if blank_ok || pos > start {
                            words.push(rest[start..pos].to_string());
                        }
                        return words;
                    }
                    it.next();
                }
            }
            Ph::Quote => {
                if ch == quote {
                    phase = Ph::Word;
                } else if ch == esc && quote != '\'' {
                    if pos + w >= n {
                        words.push(rest[start..pos].to_string());
                        return words;
                    }
                    it.next();
                }
            }
        }
    }
    if phase != Ph::Spaces && (blank_ok || n > start) {
        words.push(rest[start..].to_string());
    }
    words
}

/// BuildKit `parseNameVal` (ENV, LABEL): triples `key value sep`; `sep` is `=` for the
/// `k=v` form and empty for the legacy `k v` form. Values stay raw.
fn parse_name_val(rest: &str, key: &str, esc: char) -> Result<Vec<String>, String> {
    let words = parse_words(rest, esc);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    if !words[0].contains('=') {
        let (k, v) = split_ws2(rest);
        return match v {
            Some(v) => Ok(vec![k.to_string(), v.to_string(), String::new()]),
            None => Err(format!("{key} must have two arguments")),
        };
    }
    let mut out = Vec::with_capacity(words.len() * 3);
    for word in words {
        match word.split_once('=') {
            Some((k, v)) => {
                out.push(k.to_string());
                out.push(v.to_string());
                out.push("=".to_string());
            }
            None => {
                return Err(format!(
                    "Syntax error - can't find = in {}. Must be of the form: name=value",
                    crate::dump::go_quote(&word)
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
