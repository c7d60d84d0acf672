//! Expand an arbitrary word against a small environment with both escape characters.
#![no_main]

use arbitrary::Arbitrary;
use layerlab_engine::shell::{process_word, process_words};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    word: String,
    env: Vec<(String, String)>,
    backtick: bool,
}

fuzz_target!(|input: Input| {
    let escape = if input.backtick { '`' } else { '\\' };
    // Keep names interesting: a few fixed ones plus whatever the fuzzer made.
    let mut env = vec![
        ("A".to_string(), "a b".to_string()),
        ("E".to_string(), String::new()),
        ("P".to_string(), "*?/\\".to_string()),
    ];
    env.extend(input.env.into_iter().take(8));
    let word = input.word.as_str();

    let single = process_word(word, &env, escape);
    match &single {
        Ok(r) => {
            assert!(r.used.is_disjoint(&r.unset), "a name both used and unset");
            // A word with nothing special in it comes back unchanged.
            let special = |c: char| matches!(c, '$' | '\'' | '"' | '\u{FEFF}') || c == escape;
            if !word.contains(special) {
                assert_eq!(r.value, word);
            }
        }
        Err(e) => {
            assert!(
                e.offset <= word.len() && word.is_char_boundary(e.offset),
                "{e:?}"
            );
            assert!(!e.message.is_empty());
        }
    }
    let split = process_words(word, &env, escape);
    match &split {
        Ok((words, r)) => {
            assert_eq!(r.value, words.join(" "));
            assert!(
                words.iter().all(|w| !w.is_empty()),
                "empty word in {words:?}"
            );
        }
        Err(e) => assert!(e.offset <= word.len(), "{e:?}"),
    }
    // Both entry points run the same lexer: they agree on success and on names.
    match (&single, &split) {
        (Ok(a), Ok((_, b))) => assert!(a.used == b.used && a.unset == b.unset),
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("process_word and process_words disagree: {single:?} {split:?}"),
    }
});
