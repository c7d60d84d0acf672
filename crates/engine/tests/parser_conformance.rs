//! The parser against BuildKit's own test data (`../shared/conformance/buildkit-parser`) and
//! the real-world corpus (`../shared/corpus/real-world`). The data is not part of the repo:
//! when `../shared` is missing every test prints SKIP and passes.

use layerlab_engine::ast::{Command, CommandLine};
use layerlab_engine::dump::dump;
use layerlab_engine::parser::{
    chomp_heredoc_content, copy_source_data, heredocs_from_line, parse_heredoc_word,
};
use layerlab_engine::{parse, Severity};
use serde_json::Value;
use std::fs;
use std::path::PathBuf;

fn shared() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
    if p.is_dir() {
        Some(p)
    } else {
        println!(
            "SKIP: {} not found; the BuildKit conformance data lives outside the repo",
            p.display()
        );
        None
    }
}

fn buildkit(sub: &str) -> Option<PathBuf> {
    let p = shared()?.join("conformance/buildkit-parser").join(sub);
    if p.exists() {
        Some(p)
    } else {
        println!("SKIP: {} not found", p.display());
        None
    }
}

fn read(p: &PathBuf) -> String {
    let bytes = fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    String::from_utf8(bytes).unwrap_or_else(|e| panic!("{}: not UTF-8: {e}", p.display()))
}

fn sorted_dirs(p: &PathBuf) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(p)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

fn errors(text: &str) -> Vec<String> {
    parse(text)
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{}:{}: {}", d.span.line, d.span.col, d.message))
        .collect()
}

#[test]
fn testfiles_dump_exactly_like_buildkit() {
    let Some(dir) = buildkit("testfiles") else {
        return;
    };
    let cases = sorted_dirs(&dir);
    assert_eq!(cases.len(), 33, "expected the 33 upstream cases");
    let mut failures = Vec::new();
    for case in &cases {
        let input = read(&case.join("Dockerfile"));
        let expected = read(&case.join("result"));
        let df = parse(&input);
        let got = dump(&df) + "\n";
        if got != expected {
            failures.push(format!(
                "{}:\n--- expected\n{expected}--- got\n{got}",
                case.display()
            ));
        }
        // A valid file must also produce the same number of typed instructions.
        assert_eq!(df.nodes.len(), df.instructions.len(), "{}", case.display());
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn testfiles_negative_are_rejected() {
    let Some(dir) = buildkit("testfiles-negative") else {
        return;
    };
    let cases = sorted_dirs(&dir);
    assert_eq!(cases.len(), 4);
    for case in &cases {
        let input = read(&case.join("Dockerfile"));
        let df = parse(&input);
        assert!(
            df.has_errors(),
            "{} must be rejected, got no error",
            case.display()
        );
        for d in &df.diagnostics {
            assert!(d.span.line >= 1 && d.span.col >= 1, "{d:?}");
        }
    }
}

#[test]
fn testfile_line_numbers() {
    let Some(dir) = buildkit("testfile-line") else {
        return;
    };
    let df = parse(&read(&dir.join("Dockerfile")));
    assert!(!df.has_errors(), "{:?}", df.diagnostics);
    let tsv = read(&dir.join("expected-lines.tsv"));
    let mut expected = Vec::new();
    for line in tsv.lines().skip(1) {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<u32> = line.split('\t').map(|x| x.parse().unwrap()).collect();
        expected.push((f[1], f[2]));
    }
    let got: Vec<(u32, u32)> = df
        .nodes
        .iter()
        .map(|n| (n.span.line, n.span.end_line))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(got, vec![(5, 5), (11, 12), (17, 31)]);
}

fn load_cases(name: &str) -> Option<Vec<Value>> {
    let p = buildkit("heredoc")?.join(name);
    let v: Value = serde_json::from_str(&read(&p)).unwrap();
    Some(v["cases"].as_array().unwrap().clone())
}

#[test]
fn heredoc_parser_vectors() {
    let Some(cases) = load_cases("parser.json") else {
        return;
    };
    let mut checked = 0;
    for c in &cases {
        let id = c["id"].as_str().unwrap();
        match c["kind"].as_str().unwrap() {
            "ast-heredocs" => {
                let df = parse(c["dockerfile"].as_str().unwrap());
                let node_errors: Vec<_> = df
                    .diagnostics
                    .iter()
                    .filter(|d| {
                        d.severity == Severity::Error
                            && matches!(
                                d.code.as_str(),
                                "unterminated-heredoc" | "invalid-heredoc" | "syntax"
                            )
                    })
                    .collect();
                assert!(node_errors.is_empty(), "{id}: {node_errors:?}");
                for ch in c["children"].as_array().unwrap() {
                    let idx = ch["child_index"].as_u64().unwrap() as usize;
                    let node = &df.nodes[idx];
                    if let Some(kw) = ch["instruction"].as_str() {
                        assert_eq!(node.keyword, kw.to_lowercase(), "{id} child {idx}");
                    }
                    let want = match &ch["heredocs"] {
                        Value::Null => vec![],
                        Value::Array(a) => a.clone(),
                        _ => panic!(),
                    };
                    assert_eq!(node.heredocs.len(), want.len(), "{id} child {idx}");
                    for (h, w) in node.heredocs.iter().zip(&want) {
                        assert_eq!(h.name, w["name"].as_str().unwrap(), "{id} child {idx}");
                        assert_eq!(h.content, w["content"].as_str().unwrap(), "{id} {idx}");
                        assert_eq!(h.expand, w["expand"].as_bool().unwrap(), "{id} {idx}");
                        assert_eq!(h.chomp, w["chomp"].as_bool().unwrap(), "{id} {idx}");
                        assert_eq!(
                            u64::from(h.file_descriptor),
                            w["file_descriptor"].as_u64().unwrap(),
                            "{id} {idx}"
                        );
                    }
                    checked += 1;
                }
            }
            "chomp" => {
                assert_eq!(
                    chomp_heredoc_content(c["input"].as_str().unwrap()),
                    c["expected"].as_str().unwrap(),
                    "{id}"
                );
                checked += 1;
            }
            "parse-heredoc-word" => {
                let r = parse_heredoc_word(c["word"].as_str().unwrap());
                match c["expected"].as_str().unwrap() {
                    "heredoc" => {
                        let h = r.unwrap_or_else(|e| panic!("{id}: {e}")).expect(id);
                        assert_eq!(h.name, c["expected_name"].as_str().unwrap(), "{id}");
                    }
                    "error" => assert!(r.is_err(), "{id}: {r:?}"),
                    "none" => assert_eq!(r, Ok(None), "{id}"),
                    other => panic!("{id}: unknown expectation {other}"),
                }
                checked += 1;
            }
            "heredocs-from-line" => {
                let line = c["line"].as_str().unwrap();
                let got: Vec<String> = heredocs_from_line(line)
                    .unwrap_or_else(|e| panic!("{id}: {e}"))
                    .into_iter()
                    .map(|h| h.name)
                    .collect();
                let want: Vec<String> = match &c["expected_names"] {
                    Value::Null => vec![],
                    v => v
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| s.as_str().unwrap().to_string())
                        .collect(),
                };
                if line == "RUN <<- EOF" {
                    // Upstream quirk (docs/PARSER.md): BuildKit's word lexer splits `<<-`
                    // from `EOF`, so its heredocsFromLine returns nothing here; the upstream
                    // test only compares the names it returns. We match BuildKit.
                    assert!(got.is_empty(), "{id}: {got:?}");
                } else {
                    assert_eq!(got, want, "{id}");
                }
                checked += 1;
            }
            other => panic!("{id}: unknown kind {other}"),
        }
    }
    assert_eq!(checked, 30 + 1 + 20 + 10);
}

#[test]
fn heredoc_instruction_vectors() {
    let Some(cases) = load_cases("instructions.json") else {
        return;
    };
    for c in &cases {
        let id = c["id"].as_str().unwrap();
        let df = parse(c["dockerfile"].as_str().unwrap());
        let ins = &df.instructions[0];
        match c["kind"].as_str().unwrap() {
            "instruction-error" => {
                let want = c["expected_error_contains"].as_str().unwrap();
                assert!(
                    df.diagnostics.iter().any(|d| d.message.contains(want)),
                    "{id}: {:?}",
                    df.diagnostics
                );
                assert!(matches!(ins.command, Command::Invalid { .. }), "{id}");
            }
            "copy-sources" => {
                let Command::Copy(cp) = &ins.command else {
                    panic!("{id}: {:?}", ins.command)
                };
                assert_eq!(cp.dest, c["dest_path"].as_str().unwrap(), "{id}");
                let want_paths: Vec<&str> = match &c["source_paths"] {
                    Value::Null => vec![],
                    v => v
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| s.as_str().unwrap())
                        .collect(),
                };
                assert_eq!(cp.sources, want_paths, "{id}");
                let want_docs = match &c["source_contents"] {
                    Value::Null => vec![],
                    v => v.as_array().unwrap().clone(),
                };
                assert_eq!(cp.heredocs.len(), want_docs.len(), "{id}");
                for (h, w) in cp.heredocs.iter().zip(&want_docs) {
                    assert_eq!(h.name, w["path"].as_str().unwrap(), "{id}");
                    assert_eq!(copy_source_data(h), w["data"].as_str().unwrap(), "{id}");
                    assert_eq!(h.expand, w["expand"].as_bool().unwrap(), "{id}");
                }
            }
            "run-command" => {
                let Command::Run(run) = &ins.command else {
                    panic!("{id}: {:?}", ins.command)
                };
                let (prepend, cmd): (bool, Vec<String>) = match &run.command {
                    CommandLine::Shell(s) => (true, vec![s.clone()]),
                    CommandLine::Exec(v) => (false, v.clone()),
                };
                assert_eq!(prepend, c["prepend_shell"].as_bool().unwrap(), "{id}");
                let want: Vec<&str> = c["cmd_line"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap())
                    .collect();
                assert_eq!(cmd, want, "{id}");
                let want_files = match &c["files"] {
                    Value::Null => vec![],
                    v => v.as_array().unwrap().clone(),
                };
                assert_eq!(run.heredocs.len(), want_files.len(), "{id}");
                for (h, w) in run.heredocs.iter().zip(&want_files) {
                    assert_eq!(h.name, w["name"].as_str().unwrap(), "{id}");
                    assert_eq!(h.content, w["data"].as_str().unwrap(), "{id}");
                    assert_eq!(h.chomp, w["chomp"].as_bool().unwrap(), "{id}");
                }
            }
            other => panic!("{id}: unknown kind {other}"),
        }
    }
}

/// Every Dockerfile text of the end-to-end heredoc builds is accepted by BuildKit.
#[test]
fn heredoc_integration_dockerfiles_parse() {
    let Some(cases) = load_cases("integration.json") else {
        return;
    };
    for c in &cases {
        let id = c["id"].as_str().unwrap();
        for key in ["dockerfile", "child_dockerfile"] {
            if let Some(text) = c[key].as_str() {
                let errs = errors(text);
                assert!(errs.is_empty(), "{id} {key}: {errs:?}");
            }
        }
    }
}

#[test]
fn real_world_corpus_parses_without_errors() {
    let Some(sh) = shared() else {
        return;
    };
    let dir = sh.join("corpus/real-world");
    if !dir.is_dir() {
        println!("SKIP: {} not found", dir.display());
        return;
    }
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    files.sort();
    assert!(files.len() >= 390, "corpus has {} files", files.len());
    let mut failures = Vec::new();
    for f in &files {
        let text = read(f);
        let df = parse(&text);
        let errs: Vec<String> = df
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| format!("{}:{}: {}", d.span.line, d.span.col, d.message))
            .collect();
        if !errs.is_empty() {
            failures.push(format!("{}: {errs:?}", f.display()));
        }
        assert!(!df.stages.is_empty(), "{}: no stages", f.display());
        assert_eq!(df.nodes.len(), df.instructions.len());
    }
    assert!(
        failures.is_empty(),
        "{} of {} files have errors:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
