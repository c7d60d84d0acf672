//! One logical line (continuations already joined) → one raw node, following BuildKit's
//! `split_command.go` and `line_parsers.go`: keyword, builder flags, then a per-instruction
//! argument parser (JSON-or-shell, whitespace list, name=value pairs, ...).

/// Nesting limit for `ONBUILD ONBUILD ...` at the node level (BuildKit has none, but it
/// rejects any chained ONBUILD later; the limit only keeps recursion bounded).
pub(crate) const MAX_NESTING: usize = 8;

/// A raw node before positions and heredocs are attached.
#[derive(Clone, Debug, Default)]
pub(crate) struct Parsed {
    /// The keyword exactly as written (`Run`, `FROM`, `foo`).
    pub keyword_raw: String,
    /// Lower-cased keyword.
    pub keyword: String,
    pub flags: Vec<String>,
    pub args: Vec<String>,
    pub json: bool,
    pub inner: Option<Box<Parsed>>,
    /// A BuildKit parser error for this line (the node is kept anyway).
    pub error: Option<String>,
}

impl Parsed {
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
pub(crate) fn is_re_ws(c: char) -> bool {
    matches!(c, '\t' | '\x0b' | '\x0c' | '\r' | ' ')
}

/// `reWhitespace.Split(s, 2)`: the text before the first whitespace run and the text after it.
pub(crate) fn split_ws2(s: &str) -> (&str, Option<&str>) {
    match s.find(is_re_ws) {
        Some(i) => {
            let rest = s[i..].trim_start_matches(is_re_ws);
            (&s[..i], Some(rest))
        }
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
        match cur.find(is_re_ws) {
            Some(i) => {
                out.push(cur[..i].to_string());
                cur = cur[i..].trim_start_matches(is_re_ws);
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
pub(crate) fn parse_line(line: &str, esc: char, depth: usize) -> Parsed {
    let trimmed = line.trim();
    let (cmd, after) = split_ws2(trimmed);
    let mut p = Parsed {
        keyword_raw: cmd.to_string(),
        keyword: cmd.to_lowercase(),
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
    let mut buf = String::new();
    let n = rest.len();
    let mut pos = 0;
    loop {
        let cur = char_at(rest, pos);
        if phase == Ph::Spaces {
            let Some(ch) = cur else { break };
            if ch.is_whitespace() {
                pos += ch.len_utf8();
                continue;
            }
            phase = Ph::Word;
        }
        let Some(mut ch) = cur else {
            if blank_ok || !buf.is_empty() {
                words.push(buf);
            }
            break;
        };
        let w = ch.len_utf8();
        if phase == Ph::Word {
            if ch.is_whitespace() {
                phase = Ph::Spaces;
                if blank_ok || !buf.is_empty() {
                    words.push(std::mem::take(&mut buf));
                }
                blank_ok = false;
                pos += w;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Ph::Quote;
            }
            if ch == esc {
                if pos + w >= n {
                    pos += w;
                    continue;
                }
                buf.push(ch);
                pos += w;
                ch = char_at(rest, pos).unwrap_or(ch);
            }
            buf.push(ch);
            pos += ch.len_utf8();
            continue;
        }
        // Quote
        if ch == quote {
            phase = Ph::Word;
        }
        if ch == esc && quote != '\'' {
            if pos + w >= n {
                phase = Ph::Word;
                pos += w;
                continue;
            }
            pos += w;
            buf.push(ch);
            ch = char_at(rest, pos).unwrap_or(ch);
        }
        buf.push(ch);
        pos += ch.len_utf8();
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
    let Ok(values) = serde_json::from_str::<Vec<serde_json::Value>>(t) else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        match v {
            serde_json::Value::String(s) => out.push(s),
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
