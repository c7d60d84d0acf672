//! `parse_cached` must give exactly `parse`'s result, whatever the previous text was: every
//! Dockerfile of the scenarios (and of the shared corpus and BuildKit's parser test files,
//! when `../shared` is there) is parsed through one cache while it is edited the way a user
//! types: characters inserted and deleted anywhere, lines duplicated, moved and removed,
//! continuations and heredocs added. Each result is compared with a fresh `parse`.

use layerlab_engine::parser::{parse_cached, ParseCache};
use layerlab_engine::{parse, Scenario};
use std::path::{Path, PathBuf};

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One edit of the kinds typing and pasting make.
fn edit(text: &str, rng: &mut Rng) -> String {
    let mut t = text.to_string();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let line_start = |k: usize| lines[..k.min(lines.len())].concat().len();
    match rng.below(9) {
        0 | 1 => {
            let at = char_boundary(&t, rng.below(t.len() + 1));
            let c = ['x', ' ', '\\', '\n', '$', '"', '#', 'é', '<'][rng.below(9)];
            t.insert(at, c);
        }
        2 | 3 if !t.is_empty() => {
            let at = char_boundary(&t, rng.below(t.len()));
            let c = t[at..].chars().next().unwrap();
            t.replace_range(at..at + c.len_utf8(), "");
        }
        4 if !lines.is_empty() => {
            // Duplicate a line below itself.
            let k = rng.below(lines.len());
            t.insert_str(line_start(k + 1), &ensure_newline(lines[k]));
        }
        5 if !lines.is_empty() => {
            // Remove a line.
            let k = rng.below(lines.len());
            let s = line_start(k);
            t.replace_range(s..s + lines[k].len(), "");
        }
        6 if lines.len() > 1 => {
            // Move a line elsewhere.
            let k = rng.below(lines.len());
            let moved = ensure_newline(lines[k]);
            let s = line_start(k);
            t.replace_range(s..s + lines[k].len(), "");
            let rest: Vec<&str> = t.split_inclusive('\n').collect();
            let to = rest[..rng.below(rest.len() + 1)].concat().len();
            t.insert_str(to, &moved);
        }
        7 => {
            let k = rng.below(lines.len() + 1);
            let snippet = [
                "RUN echo a \\\n    && echo b\n",
                "COPY <<EOF /x\nhello\nEOF\n",
                "\n",
                "# comment\n",
                "ONBUILD RUN make\n",
                "FROM scratch AS again\n",
                "RUN --mount=type=cache,target=/c echo\n",
                "ARG V=1\n",
            ][rng.below(8)];
            t.insert_str(line_start(k), snippet);
        }
        _ => {
            // Indent or un-indent a line (columns move, text after it stays).
            if let Some(k) = (!lines.is_empty()).then(|| rng.below(lines.len())) {
                let s = line_start(k);
                if lines[k].starts_with(' ') {
                    t.remove(s);
                } else {
                    t.insert(s, ' ');
                }
            }
        }
    }
    t
}

fn ensure_newline(l: &str) -> String {
    if l.ends_with('\n') {
        l.to_string()
    } else {
        format!("{l}\n")
    }
}

fn check_file(name: &str, text: &str, seed: u64) -> usize {
    let mut cache = ParseCache::default();
    let mut rng = Rng(seed | 1);
    let mut t = text.to_string();
    let mut checked = 0;
    for round in 0..12 {
        let cached = parse_cached(&t, &mut cache);
        let fresh = parse(&t);
        assert!(
            cached == fresh,
            "{name}, edit {round}: parse_cached differs from parse for\n{t}\n--- cached:\n{cached:#?}\n--- parse:\n{fresh:#?}"
        );
        checked += 1;
        t = edit(&t, &mut rng);
    }
    checked
}

fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../..")
        .join(rel);
    p.exists().then_some(p)
}

#[test]
fn matches_a_fresh_parse_through_edits() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut texts: Vec<(String, String)> = Vec::new();
    for p in &files {
        let s = Scenario::from_json(&std::fs::read_to_string(p).unwrap()).unwrap();
        texts.push((p.display().to_string(), s.dockerfile.clone()));
        if let Some(b) = &s.change.dockerfile {
            texts.push((format!("{} (B)", p.display()), b.clone()));
        }
    }
    match shared("shared/corpus/real-world") {
        Some(d) => {
            let mut v: Vec<PathBuf> = std::fs::read_dir(d)
                .unwrap()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "Dockerfile"))
                .collect();
            v.sort();
            // Every fourth file keeps the test quick; the seed varies with the file.
            for p in v.iter().step_by(4) {
                if let Ok(t) = std::fs::read_to_string(p) {
                    texts.push((p.display().to_string(), t));
                }
            }
        }
        None => println!("SKIPPED the shared corpus: ../shared/corpus/real-world not found"),
    }
    match shared("shared/conformance/buildkit-parser/testfiles") {
        Some(d) => {
            for e in std::fs::read_dir(d).unwrap().flatten() {
                if let Ok(t) = std::fs::read_to_string(e.path().join("Dockerfile")) {
                    texts.push((e.path().display().to_string(), t));
                }
            }
        }
        None => println!("SKIPPED BuildKit's parser test files: ../shared/conformance not found"),
    }
    // Instructions with diagnostics of their own, which must move with them.
    texts.push((
        "diagnostics".into(),
        "FROM alpine AS a\nFORM alpine\nCOPY\nRUN\nEXPOSE 80/tcpx\nONBUILD FROM x\n\
         HEALTHCHECK --interval=abc CMD true\nADD --chmod=99999 a b\nMAINTAINER me\n\
         ENV\nRUN echo \\\n\n    continued\nCOPY --from= a b\nUSER\n"
            .into(),
    ));
    let mut checked = 0;
    for (i, (name, text)) in texts.iter().enumerate() {
        checked += check_file(name, text, 0x9e37_79b9_7f4a_7c15 ^ (i as u64 * 7919));
    }
    println!("{} Dockerfiles, {checked} parses compared", texts.len());
    assert!(checked > 1000, "too few parses compared: {checked}");
}

#[test]
fn reuses_unchanged_instructions_after_a_keystroke() {
    // Not a timing test: what is reused shows in the spans, which must follow the text.
    let mut cache = ParseCache::default();
    let a = "FROM alpine\nRUN echo one\nCOPY a b\n";
    let first = parse_cached(a, &mut cache);
    let b = "FROM alpine\nRUN echo one two\n\nCOPY a b\n";
    let second = parse_cached(b, &mut cache);
    assert_eq!(second, parse(b));
    assert_eq!(first.instructions[2].span.line, 3);
    assert_eq!(second.instructions[2].span.line, 4);
    assert_eq!(second.instructions[2].span.start, b.find("COPY").unwrap());
}
