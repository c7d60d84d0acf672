//! BuildKit shell-lexer vectors (`shared/conformance/buildkit-parser/shell/`).
//!
//! Every `envVarTest` row for platforms `A` and `U` is asserted, and every `wordsTest` row.
//! The `W` (Windows-only) rows are skipped: on Windows BuildKit compares variable names
//! case-insensitively (`$pwd` finds `PWD`); layerlab models Linux builds, where names are
//! case-sensitive. Their Unix counterparts are the `U` rows, which are asserted.
//!
//! The data is read from `../shared` next to the repository; without it the tests print SKIP
//! and pass.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use layerlab_engine::shell::{process_word, process_words, EnvLookup};

fn shared_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
    let shell = dir.join("conformance/buildkit-parser/shell");
    if shell.is_dir() {
        Some(shell)
    } else {
        eprintln!(
            "SKIP: {} not found; the shell conformance vectors were not run",
            shell.display()
        );
        None
    }
}

fn read(dir: &std::path::Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("reading {name}: {e}"))
}

#[test]
fn env_var_test_vectors() {
    let Some(dir) = shared_dir() else { return };
    let text = read(&dir, "envVarTest");
    let pairs: Vec<(String, String)> = [
        ("PWD", "/home"),
        ("SHELL", "bash"),
        ("KOREAN", "한국어"),
        ("NULL", ""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let btree: BTreeMap<String, String> = pairs.iter().cloned().collect();
    let hash: HashMap<String, String> = pairs.iter().cloned().collect();
    let envs: [&dyn EnvLookup; 3] = [&pairs, &btree, &hash];

    let (mut checked, mut skipped_windows, mut failures) = (0, 0, Vec::new());
    for (lineno, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.trim().split('|').collect();
        assert_eq!(fields.len(), 3, "line {}: {line:?}", lineno + 1);
        let (platform, input, expected) = (fields[0].trim(), fields[1].trim(), fields[2].trim());
        match platform {
            "A" | "U" => {}
            "W" => {
                skipped_windows += 1;
                continue;
            }
            other => panic!("line {}: unknown platform {other:?}", lineno + 1),
        }
        checked += 1;
        for env in envs {
            let got = process_word(input, env, '\\');
            let ok = match (&got, expected) {
                (Err(_), "error") => true,
                (Ok(e), exp) => exp != "error" && e.value == exp,
                (Err(_), _) => false,
            };
            if !ok {
                failures.push(format!(
                    "line {}: {input:?} expected {expected:?}, got {got:?}",
                    lineno + 1
                ));
                break;
            }
        }
    }
    eprintln!(
        "envVarTest: {checked} rows checked ({} passed), {skipped_windows} Windows-only rows skipped",
        checked - failures.len()
    );
    assert_eq!(checked, 228, "envVarTest row count changed");
    assert_eq!(
        skipped_windows, 2,
        "the Windows rows changed; review the skip"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn words_test_vectors() {
    let Some(dir) = shared_dir() else { return };
    let text = read(&dir, "wordsTest");
    let mut env: Vec<(String, String)> = Vec::new();
    let (mut checked, mut failures) = (0, Vec::new());
    for (lineno, line) in text.lines().enumerate() {
        if line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("ENV ") {
            let rest = rest.trim_start_matches(' ');
            let (k, v) = rest.split_once('=').unwrap_or((rest, ""));
            env.push((k.to_string(), v.to_string()));
            continue;
        }
        let fields: Vec<&str> = line.split('|').collect();
        assert_eq!(fields.len(), 2, "line {}: {line:?}", lineno + 1);
        let input = fields[0].trim();
        let expected: Vec<&str> = fields[1].trim_start_matches(' ').split(',').collect();
        checked += 1;
        let got = match process_words(input, &env, '\\') {
            Ok((words, expanded)) => {
                assert_eq!(expanded.value, words.join(" "));
                words
            }
            Err(_) => vec!["error".to_string()],
        };
        if got != expected {
            failures.push(format!(
                "line {}: {input:?} expected {expected:?}, got {got:?}",
                lineno + 1
            ));
        }
    }
    eprintln!(
        "wordsTest: {checked} rows checked ({} passed)",
        checked - failures.len()
    );
    assert_eq!(checked, 24, "wordsTest row count changed");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
