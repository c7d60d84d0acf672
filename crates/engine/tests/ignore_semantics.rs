//! `.dockerignore` behaviour beyond the shared tables: file reading details, rule order and
//! parent directories, moby's regexp quirks, errors, and odd input. Needs no `../shared`.

use layerlab_engine::ignore::{
    clean_path, dir_path, filepath_match, match_kind, read_ignore_file, PatternMatcher, BAD_PATTERN,
};

fn pm(patterns: &[&str]) -> PatternMatcher {
    let owned: Vec<String> = patterns.iter().map(|s| s.to_string()).collect();
    PatternMatcher::new(&owned).unwrap_or_else(|e| panic!("{patterns:?}: {e}"))
}

fn excluded(patterns: &[&str], path: &str) -> bool {
    pm(patterns).matches_or_parent_matches(path).unwrap()
}

#[test]
fn reading_the_file() {
    let text = "\u{FEFF}# comment\r\nnode_modules\r\n  # not a comment\n\n   \n/abs/path/\n!/keep/../me\n! spaced \n!\n./a/./b//c\n/\ntrailing   \nlast";
    assert_eq!(
        read_ignore_file(text),
        vec![
            "node_modules",
            "# not a comment",
            "abs/path",
            "!me",
            "!spaced",
            "!",
            "a/b/c",
            "/",
            "trailing",
            "last",
        ]
    );
    // A byte-order mark only counts at the very start.
    assert_eq!(read_ignore_file("a\n\u{FEFF}b"), vec!["a", "\u{FEFF}b"]);
    assert!(read_ignore_file("").is_empty());
    assert!(read_ignore_file("\n\n# x\n").is_empty());
}

#[test]
fn later_rules_win_and_parents_count() {
    assert!(excluded(&["node_modules"], "node_modules/a/b.js"));
    assert!(!excluded(&["node_modules"], "src/node_modules/a.js"));
    assert!(excluded(&["**/node_modules"], "src/node_modules/a.js"));
    assert!(!excluded(&["*.md", "!README.md"], "README.md"));
    assert!(excluded(&["!README.md", "*.md"], "README.md"));
    // `*.md` is anchored at the context root.
    assert!(!excluded(&["*.md"], "docs/a.md"));
    assert!(excluded(&["**/*.md"], "docs/a.md"));
    // Re-including a file inside an excluded directory works for that file only.
    let m = pm(&["docs", "!docs/keep.md"]);
    assert!(!m.matches_or_parent_matches("docs/keep.md").unwrap());
    assert!(m.matches_or_parent_matches("docs/other.md").unwrap());
    // Everything but one directory.
    let m = pm(&["*", "!src"]);
    assert!(!m.matches_or_parent_matches("src/main.rs").unwrap());
    assert!(m.matches_or_parent_matches("Cargo.toml").unwrap());
    assert!(m.exclusions());
    assert!(!pm(&["a", "b"]).exclusions());
}

#[test]
fn deciding_pattern_explains_the_verdict() {
    let m = pm(&["*.log", "build", "!build/keep.log", " ", "tmp/**"]);
    assert_eq!(
        m.patterns(),
        ["*.log", "build", "!build/keep.log", "tmp/**"]
    );
    assert_eq!(m.deciding_pattern("x.log").unwrap(), Some(0));
    assert_eq!(m.deciding_pattern("build/a/b").unwrap(), Some(1));
    assert_eq!(m.deciding_pattern("build/keep.log").unwrap(), Some(2));
    assert_eq!(m.deciding_pattern("tmp/x").unwrap(), Some(3));
    assert_eq!(m.deciding_pattern("src/x.rs").unwrap(), None);
}

#[test]
fn simple_globs_agree_with_filepath_match() {
    // With only literals, `*` and `?` (no `**`, classes or escapes), moby's regexp and Go's
    // filepath.Match are the same language; MatchesExact must agree with filepath.Match.
    let alphabet = ["a", "b", "/", "*", "?", "."];
    let mut pats = vec![String::new()];
    for _ in 0..4 {
        let mut next = Vec::new();
        for p in &pats {
            for c in alphabet {
                next.push(format!("{p}{c}"));
            }
        }
        pats.extend(next);
    }
    let names = [
        "", "a", "b", "ab", "a/b", "ba/a", "a.b", ".", "aa/bb", "a/", "/a", "ab/ab",
    ];
    let mut compared = 0;
    for p in pats.iter().filter(|p| !p.contains("**") && !p.is_empty()) {
        // moby cleans the pattern first; compare on cleaned patterns only.
        if clean_path(p) != *p || p.starts_with('!') {
            continue;
        }
        let m = pm(&[p]);
        for n in names {
            assert_eq!(
                m.matches_exact(n).unwrap(),
                filepath_match(p, n).unwrap(),
                "pattern {p:?} name {n:?}"
            );
            compared += 1;
        }
    }
    assert!(compared > 5_000, "{compared}");
}

#[test]
fn deprecated_matches_only_checks_one_parent() {
    let m = pm(&["**/x"]);
    assert!(m.matches_or_parent_matches("x/y/z").unwrap());
    assert!(!m.matches("x/y/z").unwrap());
}

#[test]
fn moby_regexp_quirks_are_kept() {
    // Clean runs before the `!` is looked at: "!dir/.." cleans to ".", an inclusion.
    assert_eq!(pm(&["!dir/../x"]).patterns(), ["x"]);
    assert!(!pm(&["!dir/../x"]).exclusions());
    // `**file` is a suffix match on the raw string.
    assert!(excluded(&["**file"], "dirfile"));
    assert_eq!(match_kind("**file").0, "suffixMatch");
    // A user's `[` opens a regexp class that swallows the translated `*`.
    assert_eq!(match_kind("[*]"), ("regexpMatch", "^[[^/]*]$".to_string()));
    assert!(excluded(&["[*]"], "]"));
    assert!(!excluded(&["[*]"], "*"));
    // `\d` is a digit class once the pattern is a regexp.
    assert!(excluded(&["\\d"], "5"));
    assert!(!excluded(&["\\d"], "d"));
    // A stray `^` is an anchor in a regexp pattern, a plain character in an exact one.
    assert!(excluded(&["a^b"], "a^b"));
    assert!(!excluded(&["a^b*"], "a^bc"));
    // `**` is `.*` in a regexp, which does not match a newline.
    assert!(!excluded(&["a/**/b"], "a/x\ny/b"));
    assert!(excluded(&["a/**"], "a/x\ny"));
    // `?` and `[^x]` do match a newline.
    assert!(excluded(&["a?b"], "a\nb"));
}

#[test]
fn errors() {
    let err = PatternMatcher::new(&["!".to_string()]).unwrap_err();
    assert_eq!(err.message, "illegal exclusion pattern: \"!\"");
    for bad in ["[", "a[", "[]a]", "[x-]", "\\", "ok/[^"] {
        let err = PatternMatcher::new(&[bad.to_string()]).unwrap_err();
        assert_eq!(err.message, BAD_PATTERN, "{bad:?}");
    }
    // Accepted by filepath.Match but not a valid regexp: every evaluation fails...
    let m = pm(&["[z-a]x"]);
    assert!(m.matches_or_parent_matches("zx").is_err());
    assert!(m.matches_or_parent_matches("zx").is_err());
    // ...but only when the rule is evaluated at all.
    let m = pm(&["a", "[z-a]x"]);
    assert_eq!(m.matches_or_parent_matches("a"), Ok(true));
}

#[test]
fn filepath_match_edge_cases() {
    let t = |p: &str, n: &str| filepath_match(p, n).unwrap();
    assert!(t("*", ""));
    assert!(t("", ""));
    assert!(!t("", "a"));
    assert!(!t("*", "a/b"));
    assert!(t("*/*", "a/b"));
    assert!(t("a\\*", "a*"));
    assert!(t("[^a-c]", "é"));
    assert!(t("*é", "aé"));
    assert!(t("?", "é"));
    assert!(!t("a*b", "a/b"));
    // A mismatch before the syntax error is still an error.
    assert!(filepath_match("x[", "y").is_err());
    assert!(filepath_match("*[", "").is_err());
}

#[test]
fn paths() {
    assert_eq!(clean_path("a/b/../../.."), "..");
    assert_eq!(clean_path("//a//"), "/a");
    assert_eq!(dir_path("a/b/"), "a/b");
    assert_eq!(dir_path("/a"), "/");
}

#[test]
fn odd_input_never_panics() {
    let pieces = [
        "*",
        "**",
        "?",
        "[",
        "]",
        "^",
        "!",
        "\\",
        "/",
        "-",
        "a",
        "é",
        ".",
        "..",
        "(",
        "$",
        " ",
        "\u{FEFF}",
        "[:alpha:]",
        "\\d",
        "\\Q",
        "\\x4",
        "{",
    ];
    let mut pats = vec![String::new()];
    for _ in 0..3 {
        let mut next = Vec::new();
        for s in &pats {
            for p in pieces {
                next.push(format!("{s}{p}"));
            }
        }
        pats.extend(next);
    }
    let paths = [
        "",
        ".",
        "/",
        "a",
        "a/b",
        "é/a",
        "]",
        "a\nb",
        "[",
        "a/b/c/d/e",
    ];
    for p in &pats {
        let _ = filepath_match(p, p);
        for path in paths {
            let _ = filepath_match(p, path);
        }
        if let Ok(m) = PatternMatcher::new(std::slice::from_ref(p)) {
            for path in paths {
                let a = m.matches_or_parent_matches(path);
                let b = m.deciding_pattern(path);
                assert_eq!(a.is_ok(), b.is_ok(), "{p:?} {path:?}");
                let _ = m.matches(path);
            }
        }
    }
    let _ = read_ignore_file(&pats.join("\n"));
}

#[test]
fn long_inputs_stay_tractable() {
    // Many stars against a long name that almost matches: O(pattern × name) steps, no
    // exponential backtracking (not timed here; docs/FUZZING.md has measurements).
    let pattern = format!("{}b", "*a".repeat(200));
    let name = "a".repeat(5_000);
    assert!(!filepath_match(&pattern, &name).unwrap());
    let m = pm(&[&pattern]);
    assert!(!m.matches_or_parent_matches(&name).unwrap());
    let deep = "d/".repeat(2_000) + "f";
    assert!(pm(&["**/f"]).matches_or_parent_matches(&deep).unwrap());
    assert!(!pm(&["x*y"]).matches_or_parent_matches(&deep).unwrap());
}

#[test]
fn batch_matcher_agrees_with_matches_or_parent_matches() {
    // Pattern lists drawn from pieces that reach every match kind (exact, prefix, suffix,
    // regexp), exclusions, invalid patterns and literal-free patterns; paths that share
    // directories so that the per-directory memo is exercised, plus odd paths.
    let pieces = [
        "a", "b", "ab", "*", "**", "?", "/", "!", "[ab]", "[", "\\", "é", ".", "..", "^", "\\d",
        "x.txt", "**/", "dir", "b/c", "c", "/c", "b/", "/**",
    ];
    let paths = [
        "a",
        "b",
        "ab",
        "a/b",
        "a/b/c",
        "a/b/ab",
        "b/a",
        "b/c/x.txt",
        "dir/a/b",
        "dir/ab/x.txt",
        "x.txt",
        "é/a",
        "a/é/b",
        "/a/b",
        "/x",
        "../a",
        "a//b",
        "a/b/",
        "",
        ".",
        "1/2",
        "a1/b",
        "abab/bab/ab",
        // Siblings whose names may or may not complete a literal begun in their directory
        // (`b/c` in `a/b/c` but not in `a/xb/c`), for the per-directory shortcut.
        "x/b/c",
        "x/b/cc",
        "x/b/d",
        "x/b/ab",
        "a/xb/c",
        "a/xb/d",
        "b/cc",
        "b/d",
        "dir/b/c.txt",
        "dir/b/x.txt",
        "dir/b/c",
        "ab/c",
        "ab/d",
        // Directories sharing a longer or shorter part of the previous one's chain.
        "a/b/c/d/e",
        "a/b/c/d/f",
        "a/b/x/y",
        "a/bc/d",
        "a/b/c/e",
        "a/b",
        "/a/b/c",
        "/a/x",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut checked = 0;
    for _ in 0..3000 {
        let count = 1 + next(5);
        let patterns: Vec<String> = (0..count)
            .map(|_| {
                let len = 1 + next(4);
                (0..len).map(|_| pieces[next(pieces.len())]).collect()
            })
            .collect();
        let Ok(m) = PatternMatcher::new(&patterns) else {
            continue;
        };
        let mut batch = m.batch();
        for path in paths {
            assert_eq!(
                batch.matches_or_parent_matches(path),
                m.matches_or_parent_matches(path).unwrap_or(false),
                "{patterns:?} {path:?}"
            );
            checked += 1;
        }
    }
    assert!(checked > 10_000, "{checked}");
}
