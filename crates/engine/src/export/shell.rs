//! POSIX `sh` quoting (pipelines.md §15.2).
//!
//! Rule: a word made only of characters that no shell treats specially is written bare;
//! anything else is wrapped in single quotes, each `'` written as `'\''`. Inside single
//! quotes nothing is special (`$`, backticks, `\`, `"`, `#`, newlines), so the word the
//! shell sees is exactly the input. Callers reject NUL before quoting: a C string (argv,
//! environment) cannot carry it.

/// Characters that never need quoting in any position of a word.
fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '_' | '.' | '/' | ':' | '@' | '%' | '+' | ',' | '=' | '-')
}

/// Quotes `s` as one POSIX shell word.
///
/// `=` is plain except in the first word of a command (where `A=b` would be an
/// assignment); we never emit a user value in that position. `~` and `#` are quoted
/// because they are special at the start of a word.
pub fn quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(is_plain) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Joins words into one command line, each quoted.
pub fn join(words: &[String]) -> String {
    words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

/// True for a portable environment variable name (`[A-Za-z_][A-Za-z0-9_]*`).
pub fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_bare() {
        assert_eq!(quote("type=registry,ref=a/b:c"), "type=registry,ref=a/b:c");
        assert_eq!(quote("linux/amd64"), "linux/amd64");
    }

    #[test]
    fn specials_are_single_quoted() {
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("O'Brien"), "'O'\\''Brien'");
        assert_eq!(quote("$(id)"), "'$(id)'");
        assert_eq!(quote("~x"), "'~x'");
        assert_eq!(quote("#x"), "'#x'");
    }

    #[test]
    fn env_names() {
        assert!(is_env_name("PIP_INDEX"));
        assert!(is_env_name("_x1"));
        assert!(!is_env_name("1x"));
        assert!(!is_env_name("a-b"));
        assert!(!is_env_name(""));
    }
}
