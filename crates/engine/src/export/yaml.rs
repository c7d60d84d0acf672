//! YAML scalar quoting (pipelines.md §15.1).
//!
//! Every value that did not come from a fixed template is written as a single-quoted
//! scalar: `'` is doubled and nothing else is an escape, so `: `, ` #`, `&`, `*`, `!`,
//! `${{`, leading `-`/`?`, `yes`/`on`/`0123` all stay one plain string in YAML 1.1 and 1.2
//! parsers. Single-quoted scalars fold line breaks, so anything a YAML parser treats as a
//! line break (LF, CR, NEL, LS, PS) is refused, as are characters outside YAML's printable
//! set (C0/C1 controls except TAB, U+FEFF, U+FFFE, U+FFFF).

/// Why a value cannot be written as one YAML scalar line, or `None` when it can.
pub fn unrepresentable(s: &str) -> Option<String> {
    for c in s.chars() {
        let why = match c {
            '\n' => "a newline",
            '\r' => "a carriage return",
            '\u{85}' => "a NEL line break (U+0085)",
            '\u{2028}' => "a line separator (U+2028)",
            '\u{2029}' => "a paragraph separator (U+2029)",
            '\0' => "a NUL byte",
            '\u{feff}' => "a byte-order mark (U+FEFF)",
            '\t' => continue,
            c if (c as u32) < 0x20 || (0x7f..=0x9f).contains(&(c as u32)) => {
                return Some(format!("a control character (U+{:04X})", c as u32))
            }
            '\u{fffe}' | '\u{ffff}' => "a non-character (U+FFFE/U+FFFF)",
            _ => continue,
        };
        return Some(why.to_string());
    }
    None
}

/// Single-quoted YAML scalar. Callers must have checked [`unrepresentable`] first; this
/// function never produces invalid YAML for representable input.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// A literal block scalar (`|`) holding `body` (trusted, generated text), indented by
/// `indent` spaces. The body's first line must not start with a space (we generate it).
pub fn block(body: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::from("|\n");
    for line in body.lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            out.push_str(&pad);
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_double_the_apostrophe() {
        assert_eq!(quote("it's"), "'it''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a: b #c"), "'a: b #c'");
    }

    #[test]
    fn line_breaks_are_refused() {
        assert!(unrepresentable("a\nb").unwrap().contains("newline"));
        assert!(unrepresentable("a\u{2028}b").is_some());
        assert!(unrepresentable("a\u{85}b").is_some());
        assert!(unrepresentable("a\u{1b}b").is_some());
        assert_eq!(unrepresentable("tab\tok é ✓"), None);
    }
}
