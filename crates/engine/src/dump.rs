//! BuildKit-compatible `AST.Dump()` of the raw nodes, and Go's `strconv.Quote`.

use crate::ast::{Dockerfile, Node};
use std::fmt::Write as _;

/// One line per node: `(keyword ["--flag"] "arg" ...)`, exactly as BuildKit's `Node.Dump()`
/// of the root (lines joined with `\n`, no trailing newline).
pub fn dump(df: &Dockerfile) -> String {
    let mut out = String::new();
    for (i, n) in df.nodes.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push('(');
        dump_node(n, &mut out);
        out.push(')');
    }
    out
}

/// The dump of one node without the surrounding parentheses.
pub fn dump_node(n: &Node, out: &mut String) {
    out.push_str(&n.keyword);
    if !n.flags.is_empty() {
        out.push_str(" [");
        for (i, f) in n.flags.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            push_go_quoted(f, out);
        }
        out.push(']');
    }
    if let Some(inner) = &n.inner {
        out.push_str(" (");
        dump_node(inner, out);
        out.push(')');
    }
    for a in &n.args {
        out.push(' ');
        push_go_quoted(a, out);
    }
}

/// Go `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_go_quoted(s, &mut out);
    out
}

fn push_go_quoted(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
}

/// Go `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols and U+0020.
/// Approximated without Unicode tables: controls, non-ASCII spaces, format characters,
/// private use and noncharacters are not printable; everything else is.
fn is_go_printable(c: char) -> bool {
    let u = c as u32;
    if u < 0x80 {
        return (0x20..0x7f).contains(&u);
    }
    !matches!(u,
        0x80..=0xa0
        | 0xad
        | 0x600..=0x605
        | 0x61c
        | 0x6dd
        | 0x70f
        | 0x890..=0x891
        | 0x8e2
        | 0x1680
        | 0x180e
        | 0x2000..=0x200f
        | 0x2028..=0x202f
        | 0x205f..=0x206f
        | 0x3000
        | 0xd800..=0xf8ff
        | 0xfdd0..=0xfdef
        | 0xfeff
        | 0xfff0..=0xfffb
        | 0x110bd
        | 0x110cd
        | 0x13430..=0x1343f
        | 0x1bca0..=0x1bca3
        | 0x1d173..=0x1d17a
        | 0xe0000..=0xe0fff
        | 0xf0000..=0x10ffff
    ) && (u & 0xfffe) != 0xfffe
}

#[cfg(test)]
mod tests {
    use super::go_quote;

    #[test]
    fn quotes_like_go() {
        assert_eq!(go_quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(go_quote("\u{0}\n\t"), r#""\x00\n\t""#);
        assert_eq!(go_quote("♥☃"), "\"♥☃\"");
        assert_eq!(go_quote("\u{a0}\u{feff}"), r#""\u00a0\ufeff""#);
        assert_eq!(go_quote("\u{7f}"), r#""\x7f""#);
    }
}
