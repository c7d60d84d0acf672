//! Read an arbitrary .dockerignore, build a matcher and match arbitrary paths; also Go's
//! filepath.Match on arbitrary pattern/name pairs.
#![no_main]

use arbitrary::Arbitrary;
use layerlab_engine::ignore::{clean_path, filepath_match, read_ignore_file, PatternMatcher};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    file: String,
    paths: Vec<String>,
    glob: String,
}

fuzz_target!(|input: Input| {
    let patterns = read_ignore_file(&input.file);
    for p in &patterns {
        assert!(!p.contains('\n') && !p.is_empty(), "bad pattern line {p:?}");
    }
    for path in input.paths.iter().take(16) {
        let _ = filepath_match(&input.glob, path);
    }
    // Differential check: for globs made only of literals, `*` and `?` (no `**`, classes,
    // escapes), moby's regexp path and Go's filepath.Match accept the same names.
    let glob = input.glob.as_str();
    let simple = !glob.is_empty()
        && !glob.contains("**")
        && !glob.contains(|c: char| {
            matches!(c, '[' | ']' | '\\' | '^' | '!' | '\u{FEFF}') || c.is_whitespace()
        })
        && clean_path(glob) == glob;
    if simple {
        let pm = PatternMatcher::new(&[glob.to_string()]).expect("simple glob rejected");
        for path in input.paths.iter().take(16) {
            assert_eq!(
                pm.matches_exact(path).unwrap(),
                filepath_match(glob, path).unwrap(),
                "glob {glob:?} path {path:?}"
            );
        }
    }
    let Ok(pm) = PatternMatcher::new(&patterns) else {
        return;
    };
    assert!(pm.patterns().len() <= patterns.len());
    // The batch matcher (per-directory memo, literal prefilter, sibling shortcuts) answers
    // like the plain one; paths are asked in order, so siblings reuse their parent's state.
    let mut batch = pm.batch();
    for path in input.paths.iter().take(16) {
        assert_eq!(
            batch.matches_or_parent_matches(path),
            pm.matches_or_parent_matches(path).unwrap_or(false),
            "batch on {path:?} {:?}",
            pm.patterns()
        );
    }
    for path in input.paths.iter().take(16) {
        let m = pm.matches_or_parent_matches(path);
        let d = pm.deciding_pattern(path);
        match (&m, &d) {
            (Ok(m), Ok(d)) => {
                // The deciding pattern is an inclusion exactly when the path is matched.
                let by_decider = d.is_some_and(|i| !pm.patterns()[i].starts_with('!'));
                assert_eq!(*m, by_decider, "{path:?} {:?}", pm.patterns());
            }
            (Err(_), Err(_)) => {}
            _ => panic!("matches and deciding_pattern disagree on errors"),
        }
        let _ = pm.matches(path);
    }
});
