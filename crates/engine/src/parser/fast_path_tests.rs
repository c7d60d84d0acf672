//! The parser's fast paths against the straightforward code they replaced (kept here as
//! the reference): every case and a few thousand generated strings must agree.

use super::node::{extract_builder_flags, parse_words, Kw};

/// A small deterministic generator (xorshift) of strings over an alphabet that hits every
/// branch: quotes, both escape tokens, ASCII and Unicode white space, `-`, `=`, `<`,
/// multi-byte characters, line endings.
fn generated(count: usize) -> Vec<String> {
    const ALPHA: &[&str] = &[
        "a", "B", "-", "--", "=", "'", "\"", "\\", "`", " ", "\t", "\n", "\r", "\x0b", "\x0c",
        "\u{a0}", "\u{3000}", "\u{85}", "é", "€", "𝄞", "<", "<<", ",", "$", "x=y", "--f=v",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            let len = (next() % 12) as usize;
            (0..len)
                .map(|_| ALPHA[(next() % ALPHA.len() as u64) as usize])
                .collect()
        })
        .collect()
}

fn inputs() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        " ",
        "--",
        "-- x",
        "--a",
        "--a b",
        "--from=\"a b\" --x=\\y -- --not-a-flag z",
        "--chown=ü:ü src dst",
        "--mount=type=cache,target=/cache echo 5",
        "--a='' b",
        "--a=\"unterminated",
        "--a=x\\",
        "--a=\"x\\",
        "-\"-\" b",
        "--a\u{a0}b",
        "--a\u{3000}--b c",
        "foo bar 'abc xyz'",
        "a \\",
        "ab\\",
        "\"ab\\",
        "'' x",
        "a\\\"b c",
        "a` b",
        "\\",
        "\\é x",
        "'a\\' b",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend(generated(5000));
    v
}

// --- the reference implementations (the code before the fast paths) -------------------

fn char_at(s: &str, pos: usize) -> Option<char> {
    s.get(pos..).and_then(|r| r.chars().next())
}

fn ref_extract_builder_flags(line: &str, esc: char) -> (&str, Vec<String>) {
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

fn ref_parse_words(rest: &str, esc: char) -> Vec<String> {
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

fn ref_kw_upper(word: &str) -> Option<&'static str> {
    let lower = word.to_ascii_lowercase();
    super::typed::INSTRUCTIONS
        .iter()
        .copied()
        .find(|k| k.to_ascii_lowercase() == lower)
}

// --- the comparisons ---------------------------------------------------------------------

#[test]
fn builder_flags_match_the_reference() {
    for s in inputs() {
        for esc in ['\\', '`'] {
            assert_eq!(
                extract_builder_flags(&s, esc),
                ref_extract_builder_flags(&s, esc),
                "{s:?} {esc:?}"
            );
        }
    }
}

#[test]
fn words_match_the_reference() {
    for s in inputs() {
        for esc in ['\\', '`'] {
            assert_eq!(
                parse_words(&s, esc),
                ref_parse_words(&s, esc),
                "{s:?} {esc:?}"
            );
        }
    }
}

#[test]
fn trims_match_str_trim() {
    for s in inputs() {
        assert_eq!(super::trim_ws(&s), s.trim(), "{s:?}");
        assert_eq!(super::trim_start_ws(&s), s.trim_start(), "{s:?}");
    }
}

#[test]
fn heredoc_marker_matches_contains() {
    for s in inputs() {
        assert_eq!(super::has_heredoc_marker(&s), s.contains("<<"), "{s:?}");
    }
}

#[test]
fn line_starts_match_a_char_search() {
    let mut all = inputs();
    all.push("a\nbb\nccc\ndddd\neeeee\nffffff\nggggggg\nhhhhhhhh\n\n\n".into());
    all.push("x".repeat(40) + "\n" + &"\u{a0}\n".repeat(9) + "\n");
    for s in all {
        let mut want = Vec::new();
        for (i, _) in s.match_indices('\n') {
            want.push(i + 1);
        }
        let mut got = Vec::new();
        super::source::push_line_starts(s.as_bytes(), &mut got);
        assert_eq!(got, want, "{s:?}");
    }
}

#[test]
fn keywords_match_a_lower_case_lookup() {
    let mut words: Vec<String> = super::typed::INSTRUCTIONS
        .iter()
        .flat_map(|k| {
            [
                k.to_string(),
                k.to_ascii_lowercase(),
                k[..k.len() - 1].to_string(),
            ]
        })
        .collect();
    words.extend(["rUn", "RUNX", "ṘUN", "", "x", "healthcheckx", "ＲＵＮ"].map(String::from));
    words.extend(generated(2000));
    for w in words {
        assert_eq!(Kw::of(&w).upper(), ref_kw_upper(&w), "{w:?}");
    }
}

#[test]
fn char_counts_match_chars_count() {
    let mut all = inputs();
    // Long runs of multi-byte characters (the word-at-a-time sums must not overflow).
    for n in [1, 7, 8, 9, 63, 64, 247, 248, 249, 255, 256, 1000] {
        all.push("\u{fffd}".repeat(n));
        all.push("é".repeat(n) + "x");
        all.push("𝄞".repeat(n) + &"a".repeat(n));
    }
    for s in all {
        assert_eq!(super::source::count_chars(&s), s.chars().count(), "{s:?}");
    }
}

// The word loop is native only (wasm's `plain_end` is the byte loop itself).
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn plain_runs_match_the_byte_loop() {
    use super::node::{plain_end, plain_end_bytes, plain_end_words};
    let mut cases = inputs();
    // Long plain runs with every stop byte at every position of a word.
    for stop in [
        "'", "\"", "\\", "`", " ", "\x7f", "\u{80}", "é", "\x20", "\x00", "!",
    ] {
        for at in 0..20 {
            cases.push(format!("{}{stop}{}", "a".repeat(at), "~".repeat(20 - at)));
        }
    }
    for s in &cases {
        let b = s.as_bytes();
        for esc in [b'\\', b'`'] {
            for i in 0..=b.len() {
                let want = plain_end_bytes(b, i, esc);
                assert_eq!(plain_end(b, i, esc), want, "{s:?} from {i}");
                // The word loop stops at or before the answer, never past it.
                let w = plain_end_words(b, i, esc);
                assert!(
                    w <= want && plain_end_bytes(b, w, esc) == want,
                    "{s:?} from {i}"
                );
            }
        }
    }
}

/// A repeated `--mount` value reuses the last one parsed: every mount must still equal
/// the general path's `parse_mount` of its value, through repeats, changes, errors and
/// ONBUILD triggers.
#[test]
fn repeated_mounts_match_parse_mount() {
    use crate::ast::Command;
    let text = "FROM a\n\
        RUN --mount=type=cache,target=/c echo 1\n\
        RUN --mount=type=cache,target=/c echo 2\n\
        RUN --mount=type=cache,target=/d --mount=type=cache,target=/c echo 3\n\
        RUN --mount=type=bogus,target=/c echo 4\n\
        RUN --mount=type=cache,target=/c --mount=type=secret,id=x echo 5\n\
        ONBUILD RUN --mount=type=secret,id=x echo 6\n\
        RUN --mount=type=secret,id=x --mount=\"type=bind,source=a,b\",target=/e echo 7\n\
        RUN --mount=type=secret,id=x echo 8\n";
    let df = super::parse(text);
    let mut seen = 0;
    for ins in &df.instructions {
        let cmd = match &ins.command {
            Command::Onbuild { trigger } => &trigger.command,
            c => c,
        };
        if let Command::Run(r) = cmd {
            for m in &r.mounts {
                assert_eq!(
                    *m,
                    super::typed::parse_mount(&m.raw).unwrap(),
                    "{}",
                    ins.text
                );
                seen += 1;
            }
        }
    }
    assert_eq!(seen, 8);
    assert_eq!(df.diagnostics.len(), 2, "{:?}", df.diagnostics);
}
