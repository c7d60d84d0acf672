//! BuildKit's shell lexer (`frontend/dockerfile/shell`): variable expansion and quote
//! removal for one word ([`process_word`], `shlex.ProcessWord`) or a list of words
//! ([`process_words`], `shlex.ProcessWords`).
//!
//! This is an independent implementation of the behaviour pinned down by BuildKit's
//! `envVarTest` / `wordsTest` vectors and `lex_test.go`:
//!
//! - `$V`, `${V}`, `${V:-w}`, `${V-w}`, `${V:+w}`, `${V+w}`, `${V:?m}`, `${V?m}`, `${V#p}`,
//!   `${V##p}`, `${V%p}`, `${V%%p}`, `${V/p/r}`, `${V//p/r}`. Anything else inside `${}` is an
//!   error (`${V:=w}` included), as upstream.
//! - `'…'` is literal; `"…"` expands `$` and lets the escape character escape `"`, `$` and
//!   itself only; outside quotes the escape character escapes any character and is dropped at
//!   the end of the word.
//! - Names: letters, digits and `_`; a leading digit reads a run of digits (`$10` is
//!   parameter `10`), and `@ * # ? - $ ! 0` are one-character special parameters. Positional
//!   and special parameters are simply unset unless the environment has them.
//! - Patterns (`#`, `%`, `/`) use `*` and `?` that never match `\n` and `\` escapes that may
//!   only escape `*`, `?` and `\` (`\}` and `\/` protect the delimiters), like BuildKit's
//!   conversion to a Go regexp. `${V/p/r}` splices `r` literally; `${V//p/r}` goes through
//!   Go's `ReplaceAllString`, so `$0` in `r` is the match and other `$name`s are empty.
//! - Go's `text/scanner` drops a byte-order mark at the start of the word (and of a pattern);
//!   so does this lexer.
//!
//! Unix semantics only: variable names are case-sensitive. The two `W` (Windows-only)
//! `envVarTest` rows, where `$pwd` finds `PWD`, are therefore not expected to pass.
//!
//! Deliberate limits (upstream has none; they only change the outcome of absurd inputs, and
//! they turn a hang or a stack overflow into an error):
//! - `${` constructs nest at most [`MAX_NESTING`] deep;
//! - one call does at most [`MAX_WORK`] + 8 × (word length) units of work (characters read,
//!   bytes of variable values copied, pattern-matching steps), which also bounds the output
//!   size. That is ~10 ms natively and far above what real Dockerfile words need.
//!
//! Known approximation: for non-ASCII characters, Go's `unicode.IsLetter` (category L) and
//! `unicode.IsDigit` (category Nd) are approximated by Rust's `char::is_alphabetic` and
//! `char::is_numeric`, to keep Unicode tables out of the wasm bundle. They differ only for
//! letter-numbers, other-numbers (`²`) and combining vowel signs inside variable names.

mod pattern;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::BuildHasher;

use pattern::Budget;

/// Deepest allowed nesting of `${…}` inside `${…}`.
pub const MAX_NESTING: usize = 100;

/// Work allowance of one [`process_word`] / [`process_words`] call, on top of 8 units per
/// byte of the word.
pub const MAX_WORK: u64 = 1 << 21;

/// Where variable values come from.
pub trait EnvLookup {
    /// The value of `name`, or `None` when it is not set (an empty value is set).
    fn lookup(&self, name: &str) -> Option<&str>;
}

impl EnvLookup for BTreeMap<String, String> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl<S: BuildHasher> EnvLookup for HashMap<String, String, S> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

/// Ordered pairs: the last entry for a name wins (like BuildKit's `BuildEnvs`).
impl EnvLookup for [(String, String)] {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl EnvLookup for Vec<(String, String)> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.as_slice().lookup(name)
    }
}

/// The result of an expansion.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expanded {
    /// The expanded word ([`process_word`]) or the words joined by one space
    /// ([`process_words`]).
    pub value: String,
    /// Variable names that were referenced and set (possibly to the empty string).
    pub used: Names,
    /// Variable names that were referenced but not set (positional and special parameters
    /// such as `1` or `@` included, as BuildKit reports them).
    pub unset: Names,
}

/// A sorted set of variable names (a few per word): a sorted vector, which costs the wasm
/// bundle far less code than a `BTreeSet<String>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names(Vec<String>);

impl Names {
    /// Adds `name`; false when it was there already.
    pub fn insert(&mut self, name: &str) -> bool {
        match self.0.binary_search_by(|n| n.as_str().cmp(name)) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, name.to_string());
                true
            }
        }
    }
    pub fn contains(&self, name: &str) -> bool {
        self.0.binary_search_by(|n| n.as_str().cmp(name)).is_ok()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// In sorted order.
    pub fn iter(&self) -> std::slice::Iter<'_, String> {
        self.0.iter()
    }
    pub fn is_disjoint(&self, other: &Names) -> bool {
        !self.0.iter().any(|n| other.contains(n))
    }
}

impl IntoIterator for Names {
    type Item = String;
    type IntoIter = std::vec::IntoIter<String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Names {
    type Item = &'a String;
    type IntoIter = std::slice::Iter<'a, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<S: AsRef<str>> FromIterator<S> for Names {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut out = Names::default();
        for n in iter {
            out.insert(n.as_ref());
        }
        out
    }
}

/// An expansion error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShellError {
    /// BuildKit's message, e.g. `syntax error: bad substitution`.
    pub message: String,
    /// Byte offset in the word of the construct that failed (the `$` of `${…}`, the opening
    /// quote of an unterminated string).
    pub offset: usize,
}

impl fmt::Display for ShellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for ShellError {}

/// Expands one word: variables are substituted and quotes removed (`shlex.ProcessWord`).
pub fn process_word(word: &str, env: &dyn EnvLookup, escape: char) -> Result<Expanded, ShellError> {
    // A word with nothing to expand or unquote is its own value (the work budget grows
    // with the word, so it cannot run out on one); only a leading byte-order mark would
    // be dropped. This is most words of a Dockerfile: image names, paths, flags.
    if !word.starts_with('\u{FEFF}') && !word.contains(['$', '\'', '"', escape]) {
        return Ok(Expanded {
            value: word.to_string(),
            used: Names::default(),
            unset: Names::default(),
        });
    }
    if let Some(v) = quoted_literal(word, escape) {
        return Ok(Expanded {
            value: v.to_string(),
            used: Names::default(),
            unset: Names::default(),
        });
    }
    if let Some(e) = expand_simple(word, env, escape) {
        return Ok(e);
    }
    lex_word(word, env, escape)
}

/// A word that is one quoted string with nothing to expand or escape inside (`"1.0"`,
/// `'a b'`, such as LABEL values): the lexer's value is the text between the quotes (it
/// copies a single-quoted string as is, and a double-quoted one but for `$`, `"` and the
/// escape character), within its budget (two units per character).
fn quoted_literal(word: &str, escape: char) -> Option<&str> {
    let b = word.as_bytes();
    let q = *b.first()?;
    if b.len() < 2 || !matches!(q, b'"' | b'\'') || b[b.len() - 1] != q {
        return None;
    }
    let inner = &word[1..word.len() - 1];
    let literal = if q == b'\'' {
        !inner.contains('\'')
    } else {
        !inner.contains(['"', '$', escape])
    };
    literal.then_some(inner)
}

fn lex_word(word: &str, env: &dyn EnvLookup, escape: char) -> Result<Expanded, ShellError> {
    let mut lx = Lexer::new(word, env, escape);
    let (value, _) = lx.process_stop_on(None, false)?;
    Ok(Expanded {
        value,
        used: lx.used,
        unset: lx.unset,
    })
}

/// [`process_word`] of an ASCII word whose only special characters are `$`s that each start
/// a plain `$NAME` or `${NAME}` (a letter or `_`, then letters, digits and `_`): text such
/// as `value-$VERSION` or `/opt/${APP}/bin`. `None` for any other word, which the lexer
/// handles. The lexer gives the same result: it copies other characters as they are and
/// substitutes such a reference by its value (empty when unset). Its work budget cannot
/// run out when the values total at most half of [`MAX_WORK`] (it charges one unit per
/// character and twice the length of each value), so larger values are left to it.
fn expand_simple(word: &str, env: &dyn EnvLookup, escape: char) -> Option<Expanded> {
    let b = word.as_bytes();
    if !word.is_ascii()
        || b.iter()
            .any(|&c| matches!(c, b'\'' | b'"') || c as char == escape)
    {
        return None;
    }
    let mut out = Expanded {
        value: String::with_capacity(word.len()),
        ..Default::default()
    };
    let mut copied = 0u64;
    let mut i = 0;
    while let Some(d) = word[i..].find('$').map(|d| i + d) {
        out.value.push_str(&word[i..d]);
        let braced = b.get(d + 1) == Some(&b'{');
        let start = d + 1 + braced as usize;
        if !b
            .get(start)
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        {
            return None;
        }
        let mut end = start + 1;
        while b
            .get(end)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            end += 1;
        }
        let name = &word[start..end];
        if braced {
            if b.get(end) != Some(&b'}') {
                return None;
            }
            end += 1;
        }
        match env.lookup(name) {
            Some(v) => {
                copied += v.len() as u64;
                if copied.saturating_mul(2) > MAX_WORK {
                    return None;
                }
                out.value.push_str(v);
                out.used.insert(name);
            }
            None => {
                out.unset.insert(name);
            }
        }
        i = end;
    }
    out.value.push_str(&word[i..]);
    Some(out)
}

/// Expands `word` and splits it into words on unquoted white space, after expansion
/// (`shlex.ProcessWords`). Quoted text, even empty, never splits; an unquoted expansion does.
/// The returned [`Expanded::value`] is the words joined by one space.
pub fn process_words(
    word: &str,
    env: &dyn EnvLookup,
    escape: char,
) -> Result<(Vec<String>, Expanded), ShellError> {
    let mut lx = Lexer::new(word, env, escape);
    let (_, words) = lx.process_stop_on(None, false)?;
    let expanded = Expanded {
        value: words.join(" "),
        used: lx.used,
        unset: lx.unset,
    };
    Ok((words, expanded))
}

/// Go's `unicode.IsLetter` (exact for ASCII, approximated above it; see the module docs).
pub(crate) fn is_go_letter(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        c.is_alphabetic()
    }
}

/// Go's `unicode.IsDigit` (exact for ASCII, approximated above it; see the module docs).
pub(crate) fn is_go_digit(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        c.is_numeric()
    }
}

/// Special parameters of POSIX sh: one character each.
fn is_special_param(c: char) -> bool {
    matches!(c, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0')
}

/// Word splitting state of `ProcessWords`.
#[derive(Default)]
struct Words {
    word: String,
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    /// An unquoted character: white space ends the current word.
    fn add_char(&mut self, c: char) {
        if c.is_whitespace() {
            if self.in_word && !self.word.is_empty() {
                self.words.push(std::mem::take(&mut self.word));
                self.in_word = false;
            }
        } else {
            self.add_raw_char(c);
        }
    }

    fn add_raw_char(&mut self, c: char) {
        self.word.push(c);
        self.in_word = true;
    }

    fn add_string(&mut self, s: &str) {
        s.chars().for_each(|c| self.add_char(c));
    }

    fn add_raw_string(&mut self, s: &str) {
        self.word.push_str(s);
        self.in_word = true;
    }

    fn finish(mut self) -> Vec<String> {
        if !self.word.is_empty() {
            self.words.push(std::mem::take(&mut self.word));
        }
        self.words
    }
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    env: &'a dyn EnvLookup,
    escape: char,
    /// Keep escape characters in the output (inside `#`, `%` and `/` patterns, where the
    /// pattern syntax interprets them).
    raw_escapes: bool,
    used: Names,
    unset: Names,
    depth: usize,
    budget: Budget,
}

fn err(offset: usize, message: impl Into<String>) -> ShellError {
    ShellError {
        message: message.into(),
        offset,
    }
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str, env: &'a dyn EnvLookup, escape: char) -> Self {
        // Go's text/scanner skips a byte-order mark at the start.
        let pos = if src.starts_with('\u{FEFF}') { 3 } else { 0 };
        Lexer {
            src,
            pos,
            env,
            escape,
            raw_escapes: false,
            used: Names::default(),
            unset: Names::default(),
            depth: 0,
            budget: Budget {
                remaining: MAX_WORK.saturating_add(8u64.saturating_mul(src.len() as u64)),
            },
        }
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn charge(&mut self, units: u64) -> Result<(), ShellError> {
        self.budget.charge(units).map_err(|_| self.work_error())
    }

    fn work_error(&self) -> ShellError {
        err(
            self.pos,
            "expansion too large or too complex (work limit exceeded)",
        )
    }

    fn get_env(&mut self, name: &str) -> Result<Option<&'a str>, ShellError> {
        let env = self.env;
        match env.lookup(name) {
            Some(v) => {
                self.charge(v.len() as u64)?;
                self.used.insert(name);
                Ok(Some(v))
            }
            None => {
                self.unset.insert(name);
                Ok(None)
            }
        }
    }

    /// Processes until `stop` (consumed) or the end of the word. Returns the text and, for
    /// `ProcessWords`, the split words.
    fn process_stop_on(
        &mut self,
        stop: Option<char>,
        raw_escapes: bool,
    ) -> Result<(String, Vec<String>), ShellError> {
        let saved = std::mem::replace(&mut self.raw_escapes, raw_escapes);
        let r = self.process_stop_on_inner(stop);
        self.raw_escapes = saved;
        r
    }

    fn process_stop_on_inner(
        &mut self,
        stop: Option<char>,
    ) -> Result<(String, Vec<String>), ShellError> {
        let mut result = String::new();
        let mut words = Words::default();
        while let Some(ch) = self.peek() {
            self.charge(1)?;
            if Some(ch) == stop {
                self.next();
                return Ok((result, words.finish()));
            }
            match ch {
                '$' => {
                    let tmp = self.process_dollar()?;
                    // Copying an expansion up one nesting level is work too.
                    self.charge(tmp.len() as u64)?;
                    result.push_str(&tmp);
                    words.add_string(&tmp);
                }
                '\'' => {
                    let tmp = self.process_single_quote()?;
                    result.push_str(&tmp);
                    words.add_raw_string(&tmp);
                }
                '"' => {
                    let tmp = self.process_double_quote()?;
                    result.push_str(&tmp);
                    words.add_raw_string(&tmp);
                }
                _ => {
                    self.next();
                    let mut ch = ch;
                    if ch == self.escape {
                        if self.raw_escapes {
                            words.add_raw_char(ch);
                            result.push(ch);
                        }
                        // The escape character escapes anything, except the end of the word.
                        match self.next() {
                            None => break,
                            Some(c) => {
                                ch = c;
                                words.add_raw_char(c);
                            }
                        }
                    } else {
                        words.add_char(ch);
                    }
                    result.push(ch);
                }
            }
        }
        if let Some(stop) = stop {
            return Err(err(
                self.pos,
                format!("unexpected end of statement while looking for matching {stop}"),
            ));
        }
        Ok((result, words.finish()))
    }

    fn process_single_quote(&mut self) -> Result<String, ShellError> {
        let start = self.pos;
        self.next();
        let mut result = String::new();
        loop {
            match self.next() {
                None => {
                    return Err(err(
                        start,
                        "unexpected end of statement while looking for matching single-quote",
                    ))
                }
                Some('\'') => return Ok(result),
                Some(c) => {
                    self.charge(1)?;
                    result.push(c);
                }
            }
        }
    }

    fn process_double_quote(&mut self) -> Result<String, ShellError> {
        let start = self.pos;
        self.next();
        let mut result = String::new();
        loop {
            self.charge(1)?;
            match self.peek() {
                None => {
                    return Err(err(
                        start,
                        "unexpected end of statement while looking for matching double-quote",
                    ))
                }
                Some('"') => {
                    self.next();
                    return Ok(result);
                }
                Some('$') => {
                    let value = self.process_dollar()?;
                    result.push_str(&value);
                }
                Some(_) => {
                    let mut ch = self.next().unwrap_or_default();
                    if ch == self.escape {
                        if self.raw_escapes {
                            result.push(ch);
                        }
                        match self.peek() {
                            // An escape at the end of the word is ignored (and then the
                            // missing closing quote is the error).
                            None => continue,
                            Some(c) if c == '"' || c == '$' || c == self.escape => {
                                ch = c;
                                self.next();
                            }
                            // Any other escape stays as it is.
                            Some(_) => {}
                        }
                    }
                    result.push(ch);
                }
            }
        }
    }

    fn process_name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && is_go_digit(ch) {
                while let Some(d) = self.peek().filter(|&d| is_go_digit(d)) {
                    self.next();
                    name.push(d);
                }
                return name;
            }
            if name.is_empty() && is_special_param(ch) {
                self.next();
                return ch.to_string();
            }
            if !is_go_letter(ch) && !is_go_digit(ch) && ch != '_' {
                break;
            }
            self.next();
            name.push(ch);
        }
        name
    }

    fn process_dollar(&mut self) -> Result<String, ShellError> {
        let start = self.pos;
        self.next();
        if self.peek() != Some('{') {
            let name = self.process_name();
            if name.is_empty() {
                return Ok("$".to_string());
            }
            return Ok(self.get_env(&name)?.unwrap_or_default().to_string());
        }
        self.next();
        match self.peek() {
            None => return Err(err(start, "syntax error: missing '}'")),
            Some('{' | '}' | ':') => return Err(err(start, "syntax error: bad substitution")),
            Some(_) => {}
        }
        if self.depth >= MAX_NESTING {
            return Err(err(
                start,
                format!("${{}} nested more than {MAX_NESTING} levels deep"),
            ));
        }
        self.depth += 1;
        let r = self.process_braced(start);
        self.depth -= 1;
        r
    }

    /// `${name…}` after the `{`.
    fn process_braced(&mut self, start: usize) -> Result<String, ShellError> {
        let name = self.process_name();
        let Some(first) = self.next() else {
            return Err(err(start, "syntax error: missing '}'"));
        };
        let unsupported = |chs: &str| {
            err(
                start,
                format!("unsupported modifier ({chs}) in substitution"),
            )
        };
        match first {
            '}' => Ok(self.get_env(&name)?.unwrap_or_default().to_string()),
            ':' | '+' | '-' | '?' | '#' | '%' => {
                let mut chs = first.to_string();
                let mut op = Some(first);
                let null_is_unset = first == ':';
                if null_is_unset {
                    op = self.next();
                    chs.extend(op);
                }
                let raw = matches!(op, Some('#' | '%'));
                let word = self.nested(start, '}', raw, "syntax error: missing '}'")?;
                let value = self.get_env(&name)?;
                let empty_or_unset = match value {
                    None => true,
                    Some(v) => null_is_unset && v.is_empty(),
                };
                match op {
                    Some('-') => Ok(if empty_or_unset {
                        word
                    } else {
                        value.unwrap_or_default().to_string()
                    }),
                    Some('+') => Ok(if empty_or_unset { String::new() } else { word }),
                    Some('?') => match value {
                        Some(v) if !(null_is_unset && v.is_empty()) => Ok(v.to_string()),
                        _ => {
                            let message = if !word.is_empty() {
                                word
                            } else if value.is_none() {
                                "is not allowed to be unset".to_string()
                            } else {
                                "is not allowed to be empty".to_string()
                            };
                            Err(err(start, format!("{name}: {message}")))
                        }
                    },
                    Some(op @ ('#' | '%')) => {
                        // `#`/`%` remove the shortest match, `##`/`%%` the longest.
                        let (greedy, pat) = match word.strip_prefix(op) {
                            Some(rest) => (true, rest),
                            None => (false, word.as_str()),
                        };
                        let value = value.unwrap_or_default();
                        if op == '%' {
                            let rev_pat = pattern::reverse_pattern(pat);
                            let rev_val = pattern::reverse_str(value);
                            let trimmed =
                                self.trim_prefix(start, pat, &rev_pat, &rev_val, greedy)?;
                            Ok(pattern::reverse_str(&trimmed))
                        } else {
                            self.trim_prefix(start, pat, pat, value, greedy)
                        }
                    }
                    _ => Err(unsupported(&chs)),
                }
            }
            '/' => {
                let replace_all = self.peek() == Some('/');
                if replace_all {
                    self.next();
                }
                let pat = self.nested(start, '/', true, "syntax error: missing '/' in ${}")?;
                let replacement = self.nested(start, '}', true, "syntax error: missing '}'")?;
                let value = self.get_env(&name)?.unwrap_or_default();
                let compiled = pattern::compile(&pat, true).map_err(|e| {
                    err(
                        start,
                        format!("invalid pattern ({pat}) in substitution: {e}"),
                    )
                })?;
                if replace_all {
                    pattern::replace_all(&compiled, value, &replacement, &mut self.budget)
                        .map_err(|_| self.work_error())
                } else {
                    let found = compiled
                        .find(value, 0, false, &mut self.budget)
                        .map_err(|_| self.work_error())?;
                    Ok(match found {
                        Some((a, b)) => format!("{}{}{}", &value[..a], replacement, &value[b..]),
                        None => value.to_string(),
                    })
                }
            }
            other => Err(unsupported(&other.to_string())),
        }
    }

    /// A nested word up to `stop`; at the end of the word the error is `eof_message`.
    fn nested(
        &mut self,
        start: usize,
        stop: char,
        raw_escapes: bool,
        eof_message: &str,
    ) -> Result<String, ShellError> {
        match self.process_stop_on(Some(stop), raw_escapes) {
            Ok((word, _)) => Ok(word),
            Err(_) if self.peek().is_none() => Err(err(start, eof_message)),
            Err(e) => Err(e),
        }
    }

    /// Removes the shortest (or, `greedy`, the longest) prefix of `value` that matches
    /// `pat`. `shown` is the pattern as written, for the error message.
    fn trim_prefix(
        &mut self,
        start: usize,
        shown: &str,
        pat: &str,
        value: &str,
        greedy: bool,
    ) -> Result<String, ShellError> {
        let compiled = pattern::compile(pat, greedy).map_err(|e| {
            err(
                start,
                format!("invalid pattern ({shown}) in substitution: {e}"),
            )
        })?;
        let found = compiled
            .find(value, 0, true, &mut self.budget)
            .map_err(|_| self.work_error())?;
        Ok(match found {
            Some((_, end)) => value[end..].to_string(),
            None => value.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn simple_expansion_matches_the_lexer() {
        use super::{expand_simple, lex_word};
        let env: Vec<(String, String)> = [("V", "1"), ("_x", ""), ("x1", "a b"), ("Ve", "z")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let parts = [
            "a", "-", "/", " ", "$V", "${V}", "$U", "${U}", "$", "$1", "${V:-x}", "${V", "'q'",
            "\"d\"", "\\", "`", "é", "$Vé", "${_x}", "$_x", "$x1", "}", "{", "$$", "$@", "e",
        ];
        // Every sequence of up to four parts (seeded, so failures reproduce).
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut simple = 0;
        for _ in 0..20_000 {
            let mut w = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let n = 1 + (seed % 4) as usize;
            for k in 0..n {
                w.push_str(parts[((seed >> (8 * k + 3)) % parts.len() as u64) as usize]);
            }
            for escape in ['\\', '`'] {
                if let Some(fast) = expand_simple(&w, &env, escape) {
                    simple += 1;
                    assert_eq!(Ok(fast), lex_word(&w, &env, escape), "{w:?} {escape:?}");
                }
            }
        }
        assert!(simple > 1000, "only {simple} words took the simple path");
    }

    #[test]
    fn quoted_literals_match_the_lexer() {
        use super::{lex_word, quoted_literal};
        let env: Vec<(String, String)> = vec![("V".into(), "1".into())];
        let parts = [
            "\"", "'", "a", " ", "$V", "\\", "`", "é", "${V}", "\\\"", "`\"", "$", "x y",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut quoted = 0;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let q = if seed & 1 == 0 { "\"" } else { "'" };
            let n = (seed >> 1) % 4;
            let mut w = String::from(q);
            for k in 0..n {
                w.push_str(parts[((seed >> (8 * k + 5)) % parts.len() as u64) as usize]);
            }
            if (seed >> 60) != 0 {
                w.push_str(q);
            }
            for escape in ['\\', '`'] {
                if let Some(v) = quoted_literal(&w, escape) {
                    quoted += 1;
                    let lexed = lex_word(&w, &env, escape).expect("a quoted literal lexes");
                    assert_eq!(v, lexed.value, "{w:?} {escape:?}");
                    assert!(lexed.used.is_empty() && lexed.unset.is_empty(), "{w:?}");
                }
            }
        }
        assert!(quoted > 1000, "only {quoted} words were quoted literals");
    }

    use super::*;

    fn env() -> Vec<(String, String)> {
        vec![("A".into(), "1".into()), ("A".into(), "2".into())]
    }

    #[test]
    fn plain_words_skip_the_lexer_with_the_same_result() {
        let words = [
            "",
            "alpine:3.19",
            "a b\tc",
            "/src/s0",
            "é ü",
            "{}[]*?~",
            "\u{FEFF}x",
            "x\u{FEFF}",
            "`",
            "a\\b",
            "a$b",
            "'q'",
            "\"q\"",
        ];
        for escape in ['\\', '`'] {
            for w in words {
                let (value, _) = Lexer::new(w, &env(), escape)
                    .process_stop_on(None, false)
                    .unwrap();
                let fast = process_word(w, &env(), escape).unwrap();
                assert_eq!(fast.value, value, "{w:?} {escape:?}");
            }
        }
    }

    #[test]
    fn last_pair_wins() {
        assert_eq!(process_word("$A", &env(), '\\').unwrap().value, "2");
    }

    #[test]
    fn bom_is_skipped_like_go_scanner() {
        assert_eq!(
            process_word("\u{FEFF}x$A", &env(), '\\').unwrap().value,
            "x2"
        );
        assert_eq!(
            process_word("x\u{FEFF}", &env(), '\\').unwrap().value,
            "x\u{FEFF}"
        );
    }
}
