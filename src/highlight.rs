//! Lexical Dockerfile highlighting for the editor overlay. Independent of the parser so that it
//! stays instant while typing and never disagrees with what is on screen: one pass over the
//! text, linear in its length.
//!
//! Each line becomes a list of [`Token`]s whose texts concatenate to the line exactly (the
//! overlay must match the textarea character for character). Diagnostic ranges are layered on
//! top with [`split_marks`].

/// Token classes (CSS class names `t-<name>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    Plain,
    Keyword,
    Comment,
    Flag,
    Str,
    Var,
    /// Heredoc body lines.
    Heredoc,
    /// A directive comment at the top (`# syntax=...`).
    Directive,
}

impl Tok {
    pub fn class(self) -> &'static str {
        match self {
            Tok::Plain => "",
            Tok::Keyword => "t-kw",
            Tok::Comment => "t-com",
            Tok::Flag => "t-flag",
            Tok::Str => "t-str",
            Tok::Var => "t-var",
            Tok::Heredoc => "t-hd",
            Tok::Directive => "t-dir",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub text: String,
}

/// Highlights a whole Dockerfile, one token list per line (`text.split('\n')`).
pub fn highlight(text: &str) -> Vec<Vec<Token>> {
    let mut out = Vec::new();
    let mut continuing = false;
    let mut heredocs: Vec<(String, bool)> = Vec::new();
    let mut pending: Vec<(String, bool)> = Vec::new();
    let mut in_directives = true;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some((word, chomp)) = heredocs.first().cloned() {
            let candidate = if chomp {
                line.trim_start_matches('\t')
            } else {
                line
            };
            if candidate == word {
                heredocs.remove(0);
            }
            out.push(vec![tok(Tok::Heredoc, line)]);
            continue;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') {
            let is_directive = in_directives && is_directive(trimmed);
            if !is_directive {
                in_directives = false;
            }
            out.push(vec![tok(
                if is_directive {
                    Tok::Directive
                } else {
                    Tok::Comment
                },
                line,
            )]);
            continue;
        }
        if !trimmed.is_empty() {
            in_directives = false;
        }
        let tokens = tokenize_line(line, !continuing);
        if !trimmed.is_empty() {
            continuing = ends_with_continuation(line);
            pending.extend(heredoc_words(line));
            if !continuing {
                heredocs = std::mem::take(&mut pending);
            }
        }
        out.push(tokens);
    }
    out
}

fn is_directive(comment: &str) -> bool {
    let body = comment.trim_start_matches('#').trim_start();
    let key: String = body
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let rest = body[key.len()..].trim_start();
    matches!(
        key.to_ascii_lowercase().as_str(),
        "syntax" | "escape" | "check"
    ) && rest.starts_with('=')
}

fn ends_with_continuation(line: &str) -> bool {
    line.trim_end().ends_with('\\') || line.trim_end().ends_with('`')
}

/// Heredoc delimiters opened on a line: `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`.
pub fn heredoc_words(line: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'<' && b[i + 1] == b'<' && (i + 2 >= b.len() || b[i + 2] != b'<') {
            let mut j = i + 2;
            let chomp = j < b.len() && b[j] == b'-';
            if chomp {
                j += 1;
            }
            let quote = if j < b.len() && (b[j] == b'"' || b[j] == b'\'') {
                j += 1;
                Some(b[j - 1])
            } else {
                None
            };
            let start = j;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if j > start && (quote.is_none() || (j < b.len() && Some(b[j]) == quote)) {
                out.push((line[start..j].to_string(), chomp));
            }
            i = j.max(i + 2);
        } else {
            i += 1;
        }
    }
    out
}

fn tok(t: Tok, s: &str) -> Token {
    Token {
        tok: t,
        text: s.to_string(),
    }
}

fn push(out: &mut Vec<Token>, t: Tok, s: &str) {
    if s.is_empty() {
        return;
    }
    match out.last_mut() {
        Some(last) if last.tok == t => last.text.push_str(s),
        _ => out.push(tok(t, s)),
    }
}

/// Tokenises one instruction line (`first`: it starts an instruction, so its first word is
/// the keyword).
fn tokenize_line(line: &str, first: bool) -> Vec<Token> {
    let mut out = Vec::new();
    let mut rest = line;
    if first {
        let ws = rest.len() - rest.trim_start().len();
        push(&mut out, Tok::Plain, &rest[..ws]);
        rest = &rest[ws..];
        let kw_len = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
        push(&mut out, Tok::Keyword, &rest[..kw_len]);
        rest = &rest[kw_len..];
    }
    let mut chars = rest.char_indices().peekable();
    let mut plain_start = 0;
    let mut at_word_start = true;
    while let Some((i, c)) = chars.next() {
        let (t, end) = match c {
            '"' | '\'' => {
                let mut end = rest.len();
                let mut escaped = false;
                for (j, d) in rest[i + 1..].char_indices() {
                    if escaped {
                        escaped = false;
                    } else if d == '\\' && c == '"' {
                        escaped = true;
                    } else if d == c {
                        end = i + 1 + j + 1;
                        break;
                    }
                }
                (Tok::Str, end)
            }
            '$' => {
                let after = &rest[i + 1..];
                let len = if let Some(inner) = after.strip_prefix('{') {
                    inner.find('}').map(|p| p + 2).unwrap_or(after.len())
                } else {
                    after
                        .find(|d: char| !(d.is_ascii_alphanumeric() || d == '_'))
                        .unwrap_or(after.len())
                };
                if len == 0 {
                    at_word_start = false;
                    continue;
                }
                (Tok::Var, i + 1 + len)
            }
            '-' if at_word_start && rest[i..].starts_with("--") => {
                let end = rest[i..]
                    .find(char::is_whitespace)
                    .map(|p| i + p)
                    .unwrap_or(rest.len());
                (Tok::Flag, end)
            }
            _ => {
                at_word_start = c.is_whitespace();
                continue;
            }
        };
        push(&mut out, Tok::Plain, &rest[plain_start..i]);
        push(&mut out, t, &rest[i..end]);
        plain_start = end;
        while chars.peek().is_some_and(|(j, _)| *j < end) {
            chars.next();
        }
        at_word_start = false;
    }
    push(&mut out, Tok::Plain, &rest[plain_start..]);
    out
}

/// A styled run of a line: token class plus an optional diagnostic mark.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    pub tok: Tok,
    /// `Some(index into the line's marks)` when a diagnostic covers this run.
    pub mark: Option<usize>,
    pub text: String,
}

/// Splits a line's tokens at diagnostic boundaries. `marks` are `(start_col, end_col)` in
/// 1-based characters, end exclusive; an empty range marks one character (or the line end).
pub fn split_marks(tokens: &[Token], marks: &[(u32, u32)]) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    let mut col: u32 = 1;
    for t in tokens {
        for ch in t.text.chars() {
            let mark = marks.iter().position(|&(s, e)| {
                let e = if e <= s { s + 1 } else { e };
                col >= s && col < e
            });
            match out.last_mut() {
                Some(p) if p.tok == t.tok && p.mark == mark => p.text.push(ch),
                _ => out.push(Piece {
                    tok: t.tok,
                    mark,
                    text: ch.to_string(),
                }),
            }
            col += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(line: &[Token]) -> Vec<(Tok, &str)> {
        line.iter().map(|t| (t.tok, t.text.as_str())).collect()
    }

    #[test]
    fn tokens_concatenate_to_the_input() {
        let text = "# syntax=docker/dockerfile:1\nFROM a AS b\nRUN --mount=type=secret,id=x \\\n  echo \"$HOME ${X:-y}\" 'q' \\\n  && true\n\nCOPY <<EOF /x\nhello $X\nEOF\n# done\nRUN echo ünï \"unterminated\n";
        let lines = highlight(text);
        assert_eq!(lines.len(), text.split('\n').count());
        for (tokens, line) in lines.iter().zip(text.split('\n')) {
            let joined: String = tokens.iter().map(|t| t.text.as_str()).collect();
            assert_eq!(joined, line);
        }
        assert_eq!(lines[0][0].tok, Tok::Directive);
        assert_eq!(lines[1][0], tok(Tok::Keyword, "FROM"));
        assert_eq!(
            classes(&lines[2])[..4],
            [
                (Tok::Keyword, "RUN"),
                (Tok::Plain, " "),
                (Tok::Flag, "--mount=type=secret,id=x"),
                (Tok::Plain, " \\"),
            ]
        );
        // A continuation line has no keyword.
        assert_eq!(lines[3][0].tok, Tok::Plain);
        assert!(lines[3].contains(&tok(Tok::Str, "\"$HOME ${X:-y}\"")));
        assert_eq!(lines[4][0].tok, Tok::Plain);
        assert_eq!(lines[7], vec![tok(Tok::Heredoc, "hello $X")]);
        assert_eq!(lines[8], vec![tok(Tok::Heredoc, "EOF")]);
        assert_eq!(lines[9][0].tok, Tok::Comment);
        assert_eq!(lines[10][0], tok(Tok::Keyword, "RUN"));
    }

    #[test]
    fn variables_and_flags() {
        let l = tokenize_line("ENV A=$B C=${D}x --notflag", true);
        assert!(l.contains(&tok(Tok::Var, "$B")));
        assert!(l.contains(&tok(Tok::Var, "${D}")));
        assert!(l.contains(&tok(Tok::Flag, "--notflag")));
        let l = tokenize_line("RUN a--b $ $", true);
        assert!(!l.iter().any(|t| t.tok == Tok::Flag || t.tok == Tok::Var));
    }

    #[test]
    fn heredoc_delimiters() {
        assert_eq!(
            heredoc_words("RUN <<EOF cat <<-'END' x <<< y"),
            vec![("EOF".to_string(), false), ("END".to_string(), true)]
        );
        let lines = highlight("RUN <<-X\n\tbody\n\tX\nRUN true");
        assert_eq!(lines[2][0].tok, Tok::Heredoc);
        assert_eq!(lines[3][0].tok, Tok::Keyword);
    }

    #[test]
    fn marks_split_tokens_by_column() {
        let tokens = tokenize_line("FROM alpine", true);
        let pieces = split_marks(&tokens, &[(6, 12)]);
        let summary: Vec<(Tok, Option<usize>, &str)> = pieces
            .iter()
            .map(|p| (p.tok, p.mark, p.text.as_str()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (Tok::Keyword, None, "FROM"),
                (Tok::Plain, None, " "),
                (Tok::Plain, Some(0), "alpine"),
            ]
        );
        // An empty range still marks one character.
        let pieces = split_marks(&tokens, &[(1, 1)]);
        assert_eq!(pieces[0].text, "F");
        assert_eq!(pieces[0].mark, Some(0));
    }

    #[test]
    fn linear_on_long_input() {
        // 20k lines with continuations and heredocs: must complete instantly, not quadratically.
        let text = "RUN a \\\n  b <<EOF\nx\nEOF\n".repeat(5000);
        assert_eq!(highlight(&text).len(), 20001);
    }
}
