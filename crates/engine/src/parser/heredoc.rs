//! Heredoc detection, as in BuildKit's parser: the instruction line is split into shell
//! words (quotes and escapes kept raw, `$VAR`s left alone), every word that looks like
//! `[fd]<<[-]NAME` is a heredoc, and the delimiter word is lexed once with and once without
//! quote removal to know whether any part of it was quoted (then the body is not expanded).
//!
//! The small shell-word lexer here is private to heredoc detection. It mirrors the parts of
//! BuildKit's `shell.Lex.ProcessWords` that matter with an empty environment and
//! `SkipUnsetEnv` (every `$x` / `${x...}` is kept as written); the full expander lives in
//! [`crate::shell`].

/// A heredoc delimiter word (`<<-'EOF'`), parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeredocWord {
    pub name: String,
    pub expand: bool,
    pub chomp: bool,
    pub file_descriptor: u32,
}

/// Bound on `${a:-${b:-...}}` nesting so hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

struct Lexer<'a> {
    s: &'a str,
    pos: usize,
    raw_quotes: bool,
    raw_escapes: bool,
    depth: usize,
}

#[derive(Default)]
struct Words {
    buf: String,
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, ch: char) {
        if ch.is_whitespace() {
            if self.in_word && !self.buf.is_empty() {
                self.words.push(std::mem::take(&mut self.buf));
                self.in_word = false;
            }
        } else {
            self.add_raw_char(ch);
        }
    }
    fn add_raw_char(&mut self, ch: char) {
        self.buf.push(ch);
        self.in_word = true;
    }
    fn add_string(&mut self, s: &str) {
        for c in s.chars() {
            self.add_char(c);
        }
    }
    fn add_raw_string(&mut self, s: &str) {
        self.buf.push_str(s);
        self.in_word = true;
    }
    fn finish(mut self) -> Vec<String> {
        if !self.buf.is_empty() {
            self.words.push(std::mem::take(&mut self.buf));
        }
        self.words
    }
}

type LexResult<T> = Result<T, String>;

impl<'a> Lexer<'a> {
    fn new(s: &'a str, raw_quotes: bool, raw_escapes: bool) -> Self {
        Lexer {
            s,
            pos: 0,
            raw_quotes,
            raw_escapes,
            depth: 0,
        }
    }
    fn peek(&self) -> Option<char> {
        self.s.get(self.pos..).and_then(|r| r.chars().next())
    }
    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// `processStopOn`: returns the processed text and its word split.
    fn process_stop_on(
        &mut self,
        stop: Option<char>,
        raw_escapes: bool,
    ) -> LexResult<(String, Vec<String>)> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("substitution nested too deeply".into());
        }
        let saved = self.raw_escapes;
        self.raw_escapes = raw_escapes;
        let r = self.stop_on_inner(stop);
        self.raw_escapes = saved;
        self.depth -= 1;
        r
    }

    fn stop_on_inner(&mut self, stop: Option<char>) -> LexResult<(String, Vec<String>)> {
        let mut result = String::new();
        let mut words = Words::default();
        while let Some(ch) = self.peek() {
            if stop == Some(ch) {
                self.next();
                return Ok((result, words.finish()));
            }
            match ch {
                '$' => {
                    let tmp = self.process_dollar()?;
                    result.push_str(&tmp);
                    words.add_string(&tmp);
                }
                '<' => {
                    let tmp = self.possible_heredoc();
                    result.push_str(&tmp);
                    words.add_raw_string(&tmp);
                }
                '\'' => {
                    let tmp = self.single_quote()?;
                    result.push_str(&tmp);
                    words.add_raw_string(&tmp);
                }
                '"' => {
                    let tmp = self.double_quote()?;
                    result.push_str(&tmp);
                    words.add_raw_string(&tmp);
                }
                _ => {
                    self.next();
                    let mut c = ch;
                    if ch == '\\' {
                        if self.raw_escapes {
                            words.add_raw_char(ch);
                            result.push(ch);
                        }
                        match self.next() {
                            None => break,
                            Some(n) => {
                                c = n;
                                words.add_raw_char(c);
                            }
                        }
                    } else {
                        words.add_char(c);
                    }
                    result.push(c);
                }
            }
        }
        if let Some(s) = stop {
            return Err(format!(
                "unexpected end of statement while looking for matching {s}"
            ));
        }
        Ok((result, words.finish()))
    }

    fn single_quote(&mut self) -> LexResult<String> {
        let mut out = String::new();
        let q = self.next().unwrap_or('\'');
        if self.raw_quotes {
            out.push(q);
        }
        loop {
            match self.next() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching single-quote"
                            .into(),
                    )
                }
                Some('\'') => {
                    if self.raw_quotes {
                        out.push('\'');
                    }
                    return Ok(out);
                }
                Some(c) => out.push(c),
            }
        }
    }

    fn double_quote(&mut self) -> LexResult<String> {
        let mut out = String::new();
        let q = self.next().unwrap_or('"');
        if self.raw_quotes {
            out.push(q);
        }
        loop {
            match self.peek() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching double-quote"
                            .into(),
                    )
                }
                Some('"') => {
                    self.next();
                    if self.raw_quotes {
                        out.push('"');
                    }
                    return Ok(out);
                }
                Some('$') => {
                    let v = self.process_dollar()?;
                    out.push_str(&v);
                }
                Some(_) => {
                    let mut ch = self.next().unwrap_or('\0');
                    if ch == '\\' {
                        if self.raw_escapes {
                            out.push(ch);
                        }
                        match self.peek() {
                            None => continue,
                            Some('"') | Some('$') | Some('\\') => {
                                ch = self.next().unwrap_or(ch);
                            }
                            Some(_) => {}
                        }
                    }
                    out.push(ch);
                }
            }
        }
    }

    fn process_name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && ch.is_numeric() {
                while let Some(d) = self.peek() {
                    if !d.is_numeric() {
                        break;
                    }
                    self.next();
                    name.push(d);
                }
                return name;
            }
            if name.is_empty() && matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.next();
                name.push(ch);
                return name;
            }
            if !ch.is_alphabetic() && !ch.is_numeric() && ch != '_' {
                break;
            }
            self.next();
            name.push(ch);
        }
        name
    }

    /// `processDollar` with an empty environment and `SkipUnsetEnv`: the text is kept.
    fn process_dollar(&mut self) -> LexResult<String> {
        self.next();
        if self.peek() != Some('{') {
            let name = self.process_name();
            if name.is_empty() {
                return Ok("$".into());
            }
            return Ok(format!("${name}"));
        }
        self.next();
        match self.peek() {
            None => return Err("syntax error: missing '}'".into()),
            Some('{') | Some('}') | Some(':') => {
                return Err("syntax error: bad substitution".into())
            }
            _ => {}
        }
        let name = self.process_name();
        let ch = self.next();
        let mut chs = String::new();
        if let Some(c) = ch {
            chs.push(c);
        }
        match ch {
            Some('}') => Ok(format!("${{{name}}}")),
            Some(':') | Some('+') | Some('-') | Some('?') | Some('#') | Some('%') => {
                let mut modifier = ch;
                let null_is_unset = ch == Some(':');
                if null_is_unset {
                    modifier = self.next();
                    match modifier {
                        Some(c) => chs.push(c),
                        None => chs.push('\u{FFFD}'),
                    }
                }
                let raw_esc = matches!(modifier, Some('#') | Some('%'));
                if null_is_unset && raw_esc {
                    return Err(format!("unsupported modifier ({chs}) in substitution"));
                }
                let (word, _) = self.process_stop_on(Some('}'), raw_esc).map_err(|e| {
                    if self.peek().is_none() {
                        "syntax error: missing '}'".to_string()
                    } else {
                        e
                    }
                })?;
                Ok(format!("${{{name}{chs}{word}}}"))
            }
            Some('/') => {
                if self.peek() == Some('/') {
                    self.next();
                }
                let (pattern, _) = self.process_stop_on(Some('/'), true)?;
                let (repl, _) = self.process_stop_on(Some('}'), true)?;
                Ok(format!("${{{name}/{pattern}/{repl}}}"))
            }
            _ => Err(format!("unsupported modifier ({chs}) in substitution")),
        }
    }

    fn possible_heredoc(&mut self) -> String {
        self.next();
        if self.peek() != Some('<') {
            return "<".into();
        }
        self.next();
        let mut out = String::from("<<");
        while let Some(c @ ('\t' | '\r' | ' ')) = self.peek() {
            out.push(c);
            self.next();
        }
        out
    }
}

/// `ProcessWords` with the given quote/escape handling; `Err` on a lexing error.
fn lex_words(s: &str, raw_quotes: bool, raw_escapes: bool) -> LexResult<Vec<String>> {
    let mut lx = Lexer::new(s, raw_quotes, raw_escapes);
    lx.process_stop_on(None, raw_escapes).map(|(_, w)| w)
}

/// Go `\s`: `[\t\n\f\r ]`.
fn is_go_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

/// BuildKit `ParseHeredoc`: `Ok(None)` when `word` is not a heredoc, `Err` when its
/// delimiter cannot be lexed (unterminated quote).
#[inline]
pub fn parse_heredoc_word(word: &str) -> Result<Option<HeredocWord>, String> {
    // `^\d*<<`: a word starting with anything else (almost every path) is none, no call.
    match word.as_bytes().first() {
        Some(b'<' | b'0'..=b'9') => heredoc_word(word, true),
        _ => Ok(None),
    }
}

fn heredoc_word(word: &str, fast: bool) -> Result<Option<HeredocWord>, String> {
    // ^(\d*)<<(-?)\s*([^<]*)$
    let digits_end = word
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(word.len());
    let Some(after) = word[digits_end..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, after) = match after.strip_prefix('-') {
        Some(a) => (true, a),
        None => (false, after),
    };
    let rest = after.trim_start_matches(is_go_space);
    if rest.contains('<') || rest.is_empty() {
        return Ok(None);
    }
    let fd = word[..digits_end].parse::<u32>().unwrap_or(0);
    if fast && is_plain(rest) {
        // Nothing to unquote or escape: the lexer would just split on white space.
        let mut it = rest.split_whitespace();
        return Ok(match (it.next(), it.next()) {
            (Some(name), None) => Some(HeredocWord {
                name: name.to_string(),
                expand: true,
                chomp,
                file_descriptor: fd,
            }),
            _ => None,
        });
    }
    let words = lex_words(rest, false, false)?;
    if words.len() != 1 {
        return Ok(None);
    }
    let raw = lex_words(rest, true, false)?;
    if raw.len() != words.len() {
        return Err(format!(
            "internal lexing of heredoc produced inconsistent results: {rest}"
        ));
    }
    let quotes = |s: &str| s.chars().filter(|&c| c == '\'' || c == '"').count();
    let expand = quotes(&words[0]) == quotes(&raw[0]);
    Ok(Some(HeredocWord {
        name: words.into_iter().next().unwrap_or_default(),
        expand,
        chomp,
        file_descriptor: fd,
    }))
}

/// BuildKit `heredocsFromLine`: the heredocs of a whole instruction line, in order. A line
/// that does not lex (unterminated quote, bad `${`) has none.
pub fn heredocs_from_line(line: &str) -> Result<Vec<HeredocWord>, String> {
    let mut out = Vec::new();
    if is_plain(line) {
        for w in plain_words(line) {
            if w.contains("<<") {
                if let Some(h) = parse_heredoc_word(w)? {
                    out.push(h);
                }
            }
        }
        return Ok(out);
    }
    let Ok(words) = lex_words(line, true, true) else {
        return Ok(out);
    };
    for w in &words {
        if !w.contains("<<") {
            continue;
        }
        if let Some(h) = parse_heredoc_word(w)? {
            out.push(h);
        }
    }
    Ok(out)
}

/// No quote, `$` or escape: the word lexer cannot change any character.
fn is_plain(s: &str) -> bool {
    !s.bytes().any(|b| matches!(b, b'\'' | b'"' | b'$' | b'\\'))
}

/// The lexer's words for a [plain](is_plain) line, as slices: white space separates words,
/// except the spaces, tabs and `\r` right after a `<<` pair, which join the next word.
fn plain_words(line: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start: Option<usize> = None;
    let mut it = line.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c == '<' {
            start.get_or_insert(i);
            if it.peek().map(|&(_, n)| n) == Some('<') {
                it.next();
                while let Some(&(_, ' ' | '\t' | '\r')) = it.peek() {
                    it.next();
                }
            }
            continue;
        }
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                words.push(&line[s..i]);
            }
        } else {
            start.get_or_insert(i);
        }
    }
    if let Some(s) = start {
        words.push(&line[s..]);
    }
    words
}

/// BuildKit `ChompHeredocContent`: removes the leading tabs of every line.
pub fn chomp_heredoc_content(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.split_inclusive('\n') {
        out.push_str(line.trim_start_matches('\t'));
    }
    out
}

/// The data a heredoc produces when used (file content for COPY/ADD, script for RUN):
/// the body, with leading tabs removed for `<<-`.
pub fn heredoc_data(h: &crate::ast::Heredoc) -> String {
    if h.chomp {
        chomp_heredoc_content(&h.content)
    } else {
        h.content.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_quotes_and_heredoc_spaces() {
        assert_eq!(
            lex_words("RUN <<  EOF  > foo", true, true).unwrap(),
            vec!["RUN", "<<  EOF", ">", "foo"]
        );
        assert_eq!(
            lex_words("RUN '<<EOF'", true, true).unwrap(),
            vec!["RUN", "'<<EOF'"]
        );
    }

    #[test]
    fn plain_fast_path_matches_the_lexer() {
        for line in [
            "RUN <<EOF",
            "RUN <<  EOF  > foo",
            "RUN <<-EOF <<EOF2 cat",
            "RUN << -EOF",
            "RUN <<<EOF x",
            "RUN <<< EOF",
            "RUN a<b <<\tX\ry z",
            "COPY <<A <<B /dst/",
            "  RUN\u{a0}<<é  ",
            "RUN <<",
            "RUN 3<<EOF 4<<-IN2",
        ] {
            assert!(is_plain(line));
            let fast: Vec<String> = plain_words(line).into_iter().map(String::from).collect();
            assert_eq!(fast, lex_words(line, true, true).unwrap(), "{line:?}");
        }
    }

    #[test]
    fn plain_fast_path_matches_the_lexer_on_random_lines() {
        let alphabet = ['<', '<', ' ', '\t', '\r', 'a', '-', '3', 'é', '\u{a0}', '>'];
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..5000 {
            let mut line = String::new();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            for k in 0..(x % 16) {
                line.push(alphabet[((x >> (k * 3)) % alphabet.len() as u64) as usize]);
            }
            let fast: Vec<String> = plain_words(&line).into_iter().map(String::from).collect();
            assert_eq!(fast, lex_words(&line, true, true).unwrap(), "{line:?}");
            for w in &fast {
                assert_eq!(heredoc_word(w, true), heredoc_word(w, false), "{w:?}");
                // The first-byte check of the public entry point rejects only non-heredocs.
                assert_eq!(parse_heredoc_word(w), heredoc_word(w, false), "{w:?}");
            }
        }
    }

    #[test]
    fn deep_substitution_is_an_error_not_a_crash() {
        let s = "${a:-".repeat(100_000);
        assert!(lex_words(&s, true, true).is_err());
    }
}
