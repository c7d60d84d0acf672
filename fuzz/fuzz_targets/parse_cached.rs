//! Differential: parsing text B through a cache filled by text A must give exactly a fresh
//! parse of B. The input is split at its first NUL byte (A before, B after; without one,
//! B is A with its first line moved to the end).
#![no_main]

use layerlab_engine::parser::{parse_cached, ParseCache};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (a, b) = match text.split_once('\0') {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => {
            let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
            (text.to_string(), format!("{rest}\n{first}"))
        }
    };
    let mut cache = ParseCache::default();
    let _ = parse_cached(&a, &mut cache);
    let cached = parse_cached(&b, &mut cache);
    assert!(cached == layerlab_engine::parse(&b), "parse_cached differs");
});
