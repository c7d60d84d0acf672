//! Shell-lexer behaviour that the shared vectors do not cover: used/unset tracking, pattern
//! removal and substitution (cases modelled on BuildKit's `lex_test.go`), the backtick escape,
//! error offsets, resource limits and odd input. Needs no `../shared`.

use std::collections::BTreeMap;

use layerlab_engine::shell::{process_word, process_words, Expanded, Names, MAX_NESTING};

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn set(names: &[&str]) -> Names {
    names.iter().map(|s| s.to_string()).collect()
}

fn word(input: &str, pairs: &[(&str, &str)]) -> Result<Expanded, String> {
    process_word(input, &env(pairs), '\\').map_err(|e| e.message)
}

/// (input, env, expected value or None for an error, used, unset)
type Case<'a> = (
    &'a str,
    &'a [(&'a str, &'a str)],
    Option<&'a str>,
    &'a [&'a str],
    &'a [&'a str],
);

#[test]
fn expansion_with_used_and_unset_names() {
    let foo_bar: &[(&str, &str)] = &[("FOO", "xxx"), ("BAR", "")];
    let cases: &[Case] = &[
        ("x", &[("DUMMY", "dummy")], Some("x"), &[], &[]),
        ("x ${UNUSED}", &[("DUMMY", "dummy")], Some("x "), &[], &["UNUSED"]),
        ("x ${FOO}", &[("FOO", "y")], Some("x y"), &["FOO"], &[]),
        ("${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}", foo_bar, Some("xxx  ccc"), &["FOO", "BAR"], &["BAZ"]),
        ("${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}", foo_bar, Some("xxx bbb ccc"), &["FOO", "BAR"], &["BAZ"]),
        ("${FOO:-}", foo_bar, Some("xxx"), &["FOO"], &[]),
        ("${FOO:-}", &[], Some(""), &[], &["FOO"]),
        ("${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}", foo_bar, Some("aaa bbb "), &["FOO", "BAR"], &["BAZ"]),
        ("${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}", foo_bar, Some("aaa  "), &["FOO", "BAR"], &["BAZ"]),
        ("${FOO?aaa}", foo_bar, Some("xxx"), &["FOO"], &[]),
        ("${BAR?bbb}", foo_bar, Some(""), &["BAR"], &[]),
        ("${BAZ?ccc}", foo_bar, None, &[], &[]),
        ("${FOO:?aaa}", foo_bar, Some("xxx"), &["FOO"], &[]),
        ("${BAR:?bbb}", foo_bar, None, &[], &[]),
        ("${BAZ:?ccc}", foo_bar, None, &[], &[]),
        ("${BAZ:?}", foo_bar, None, &[], &[]),
        ("${FOO=aaa}", foo_bar, None, &[], &[]),
        ("${FOO=:aaa}", foo_bar, None, &[], &[]),
        ("${FOO=}", &[], None, &[], &[]),
        // Pattern removal. `}` must be escaped inside ${}; regex metacharacters are literal.
        ("${FOO#()[]{\\}^$.\\*\\?|\\\\}", &[("FOO", "()[]{}^$.*?|\\x")], Some("x"), &["FOO"], &[]),
        ("${FOO%%\\**}", &[("FOO", "xx**")], Some("xx"), &["FOO"], &[]),
        ("${FOO#*x*y}", &[("FOO", "xxyy")], Some("y"), &["FOO"], &[]),
        ("${FOO#*}", &[("FOO", "xxyy")], Some("xxyy"), &["FOO"], &[]),
        ("${FOO#$BAR}", &[("FOO", "xxyy"), ("BAR", "x")], Some("xyy"), &["FOO", "BAR"], &[]),
        ("${FOO#$BAR}", &[("FOO", "xxyy"), ("BAR", "")], Some("xxyy"), &["FOO", "BAR"], &[]),
        ("${FOO#}", &[("FOO", "xxyy")], Some("xxyy"), &["FOO"], &[]),
        ("${FOO##*x}", &[("FOO", "xxyy")], Some("yy"), &["FOO"], &[]),
        ("${FOO##}", &[("FOO", "xxyy")], Some("xxyy"), &["FOO"], &[]),
        ("${FOO#?\\?}", &[("FOO", "???y")], Some("?y"), &["FOO"], &[]),
        ("${ABC:-.}${FOO%x}${ABC:-.}", &[("FOO", "xxyy")], Some(".xxyy."), &["FOO"], &["ABC"]),
        ("${FOO%%\\**\\*}", &[("FOO", "a***yy*")], Some("a"), &["FOO"], &[]),
        ("${FOO%}", &[("FOO", "xxyy")], Some("xxyy"), &["FOO"], &[]),
        ("${FOO%%$BAR}", &[("FOO", "xxyy"), ("BAR", "")], Some("xxyy"), &["FOO", "BAR"], &[]),
        ("${FOO%y*}", &[("FOO", "xyxy")], Some("xyx"), &["FOO"], &[]),
        ("${FOO%%y*}", &[("FOO", "xyxy")], Some("x"), &["FOO"], &[]),
        ("${FOO##*/}", &[("FOO", "/usr/local/bin/tool")], Some("tool"), &["FOO"], &[]),
        ("${FOO%/*}", &[("FOO", "/usr/local/bin/tool")], Some("/usr/local/bin"), &["FOO"], &[]),
        // Substitution.
        (
            "${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}",
            &[("FOO", "/foo*/*/*.txt"), ("NEEDLE", "\\*/")],
            Some("/foo.*/*.txt - /foo..*.txt"),
            &["FOO", "NEEDLE"],
            &[],
        ),
        (
            "${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}",
            &[("FOO", "/tmp/tmp/bar.txt"), ("NEEDLE", "/tmp")],
            Some("/tmp/bar.txt - /bar.txt"),
            &["FOO", "NEEDLE"],
            &[],
        ),
        (
            "${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}",
            &[("FOO", "/a/foo/b/c.txt"), ("NEEDLE", "/?/"), ("REPLACEMENT", "/")],
            Some("/foo/b/c.txt - /foo/c.txt"),
            &["FOO", "NEEDLE", "REPLACEMENT"],
            &[],
        ),
        (
            "${FOO/$NEEDLE/$REPLACEMENT}",
            &[("FOO", "http://google.de"), ("NEEDLE", "http://"), ("REPLACEMENT", "https://")],
            Some("https://google.de"),
            &["FOO", "NEEDLE", "REPLACEMENT"],
            &[],
        ),
        ("${FOO//\\//\\/}", &[("FOO", "/tmp/foo.txt")], Some("\\/tmp\\/foo.txt"), &["FOO"], &[]),
        ("${FOO/$BAR/ww}", &[("FOO", "xxyy"), ("BAR", "")], Some("wwxxyy"), &["FOO", "BAR"], &[]),
        ("${FOO//ww}", &[("FOO", "xxyy")], None, &[], &[]),
        ("${FOO//}", &[("FOO", "xxyy")], None, &[], &[]),
        ("${FOO///}", &[("FOO", "xxyy")], Some("xxyy"), &["FOO"], &[]),
        ("${FOO///}", &[], Some(""), &[], &["FOO"]),
        // Go's ReplaceAllString: `$0` is the match in `//` but `/` splices literally.
        ("${FOO//o/<\\$0>}", &[("FOO", "foo")], Some("f<\\o><\\o>"), &["FOO"], &[]),
        ("${FOO/o/<\\$0>}", &[("FOO", "foo")], Some("f<\\$0>o"), &["FOO"], &[]),
        // `*` does not cross a newline (Go's `.`).
        ("${FOO#*b}", &[("FOO", "a\nb")], Some("a\nb"), &["FOO"], &[]),
        ("${FOO//*/x}", &[("FOO", "ab\ncd")], Some("x\nx"), &["FOO"], &[]),
        // Release file name pattern from BuildKit's tests.
        (
            "something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz",
            &[("VERSION", "v1.2.3"), ("TARGETOS", "linux"), ("TARGETARCH", "arm"), ("TARGETVARIANT", "v7")],
            Some("something-v1.2.3.linux-arm-v7.tar.gz"),
            &["VERSION", "TARGETOS", "TARGETARCH", "TARGETVARIANT"],
            &[],
        ),
        (
            "something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz",
            &[("VERSION", "v1.2.3"), ("TARGETOS", "linux"), ("TARGETARCH", "amd64")],
            Some("something-v1.2.3.linux-amd64.tar.gz"),
            &["VERSION", "TARGETOS", "TARGETARCH"],
            &["TARGETVARIANT"],
        ),
    ];
    for (input, pairs, expected, used, unset) in cases {
        let got = word(input, pairs);
        match expected {
            None => assert!(got.is_err(), "{input:?}: expected an error, got {got:?}"),
            Some(expected) => {
                let got = got.unwrap_or_else(|e| panic!("{input:?}: unexpected error {e}"));
                assert_eq!(&got.value, expected, "{input:?}");
                assert_eq!(got.used, set(used), "{input:?} used");
                assert_eq!(got.unset, set(unset), "{input:?} unset");
            }
        }
    }
}

#[test]
fn mandatory_variables_report_the_message() {
    let set_env = [("VAR", "plain"), ("ARG", "x")];
    let empty_env = [("VAR", ""), ("ARG", "x")];
    let unset_env = [("ARG", "x")];
    let no_empty = "${VAR:?message here$ARG}";
    let no_unset = "${VAR?message here$ARG}";
    assert_eq!(word(no_empty, &set_env).unwrap().value, "plain");
    assert_eq!(
        word(no_empty, &empty_env).unwrap_err(),
        "VAR: message herex"
    );
    assert_eq!(
        word(no_empty, &unset_env).unwrap_err(),
        "VAR: message herex"
    );
    assert_eq!(word(no_unset, &set_env).unwrap().value, "plain");
    assert_eq!(word(no_unset, &empty_env).unwrap().value, "");
    assert_eq!(
        word(no_unset, &unset_env).unwrap_err(),
        "VAR: message herex"
    );
    assert_eq!(
        word("${VAR:?}", &empty_env).unwrap_err(),
        "VAR: is not allowed to be empty"
    );
    assert_eq!(
        word("${VAR?}", &unset_env).unwrap_err(),
        "VAR: is not allowed to be unset"
    );
}

#[test]
fn positional_and_special_parameters_are_reported_unset() {
    let got = word("$1${@}$#x", &[]).unwrap();
    assert_eq!(got.value, "x");
    assert_eq!(got.unset, set(&["1", "@", "#"]));
    assert!(got.used.is_empty());
}

#[test]
fn backtick_escape() {
    let e = env(&[("A", "1")]);
    let w = |s: &str| process_word(s, &e, '`').map(|x| x.value);
    assert_eq!(w("a`$A").unwrap(), "a$A");
    assert_eq!(w("a\\$A").unwrap(), "a\\1");
    assert_eq!(w("\"a`\"b\"").unwrap(), "a\"b");
    assert_eq!(w("\"a\\\"").unwrap(), "a\\");
    assert_eq!(w("C:\\path\\$A").unwrap(), "C:\\path\\1");
    assert_eq!(w("x``").unwrap(), "x`");
    assert_eq!(w("x`").unwrap(), "x");
    let (words, _) = process_words("a` b c", &e, '`').unwrap();
    assert_eq!(words, vec!["a b", "c"]);
}

#[test]
fn words_split_expansions_but_not_quotes() {
    let e = env(&[("V", " a  b "), ("E", "")]);
    let (words, exp) = process_words("x$V'y z'\"$V\" $E \"\"", &e, '\\').unwrap();
    assert_eq!(words, vec!["x", "a", "b", "y z a  b "]);
    assert_eq!(exp.value, "x a b y z a  b ");
    assert_eq!(exp.used, set(&["E", "V"]));
    // An empty quoted string alone makes no word (BuildKit drops empty words).
    assert_eq!(
        process_words("\"\"", &e, '\\').unwrap().0,
        Vec::<String>::new()
    );
    assert_eq!(
        process_words("   ", &e, '\\').unwrap().0,
        Vec::<String>::new()
    );
}

#[test]
fn errors_carry_the_offset_of_the_failing_construct() {
    let e = env(&[]);
    let off = |s: &str| process_word(s, &e, '\\').unwrap_err().offset;
    assert_eq!(off("ab'cd"), 2);
    assert_eq!(off("ab\"cd"), 2);
    assert_eq!(off("abc${}"), 3);
    assert_eq!(off("a${X:-${Y"), 1);
    assert_eq!(off("a${X:-${}}"), 6);
    assert_eq!(off("안녕${.}"), 6);
    assert_eq!(off("x${X/a"), 1);
    assert_eq!(off("x${X#\\q}"), 1);
    let err = process_word("x${X:=1}", &e, '\\').unwrap_err();
    assert_eq!(err.message, "unsupported modifier (:=) in substitution");
    assert_eq!(
        err.to_string(),
        "unsupported modifier (:=) in substitution (at byte 1)"
    );
    assert_eq!(
        process_word("${X#\\q}", &e, '\\').unwrap_err().message,
        "invalid pattern (\\q) in substitution: invalid escape '\\q'"
    );
}

#[test]
fn nesting_is_bounded() {
    let e = env(&[]);
    let nested = |depth: usize| format!("{}x{}", "${A:-".repeat(depth), "}".repeat(depth));
    assert_eq!(
        process_word(&nested(MAX_NESTING), &e, '\\').unwrap().value,
        "x"
    );
    let err = process_word(&nested(MAX_NESTING + 1), &e, '\\').unwrap_err();
    assert!(err.message.contains("nested"), "{err}");
    // Far deeper than the limit: an error, not a stack overflow.
    assert!(process_word(&nested(200_000), &e, '\\').is_err());
}

#[test]
fn work_is_bounded() {
    // 2^16-byte value, replaced at each of its 2^16 + 1 empty matches by itself: 2^32 bytes.
    let big = "a".repeat(1 << 16);
    let e = env(&[("B", &big)]);
    let err = process_word("${B///$B}", &e, '\\').unwrap_err();
    assert!(err.message.contains("too large"), "{err}");
    // Many references to a large value.
    let err = process_word(&"$B".repeat(1000), &e, '\\').unwrap_err();
    assert!(err.message.contains("too large"), "{err}");
    // The allowance grows with the word: a 1 MiB plain word is fine.
    let long = "x".repeat(1 << 20);
    assert_eq!(process_word(&long, &e, '\\').unwrap().value.len(), 1 << 20);
    // A large but reasonable pattern removal still works.
    let got = process_word("${B%%a*}", &e, '\\').unwrap();
    assert_eq!(got.value, "");
}

#[test]
fn odd_input_never_panics() {
    let e = env(&[("A", "x y"), ("E", "")]);
    let pieces = [
        "$", "{", "}", ":", "-", "+", "?", "#", "%", "/", "\\", "`", "'", "\"", "A", "E", " ", "*",
        "\n", "é", "\u{FEFF}", "0", "@",
    ];
    // Every string of up to 3 pieces, plus pseudo-random strings of up to 16 pieces.
    let mut inputs = vec![String::new()];
    for _ in 0..3 {
        let mut next = Vec::new();
        for s in &inputs {
            for p in pieces {
                next.push(format!("{s}{p}"));
            }
        }
        inputs.extend(next);
        inputs.sort();
        inputs.dedup();
    }
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..20_000 {
        let mut s = String::new();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        for k in 0..(seed % 17) {
            s.push_str(pieces[((seed >> (k * 3 + 5)) as usize ^ k as usize) % pieces.len()]);
        }
        inputs.push(s);
    }
    for input in &inputs {
        for escape in ['\\', '`'] {
            if let Ok(r) = process_word(input, &e, escape) {
                assert!(r.used.is_disjoint(&r.unset));
            }
            let _ = process_words(input, &e, escape);
            if let Err(err) = process_word(input, &e, escape) {
                assert!(err.offset <= input.len(), "{input:?}: {err:?}");
                assert!(input.is_char_boundary(err.offset), "{input:?}: {err:?}");
            }
        }
    }
}
