//! `layerlab export SCENARIO.json|- --ci NAME [--image NAME] [--registry HOST]
//! [--backend registry|gha|local|inline|s3|azblob] [--target T]... [--platform P]...`
//!
//! Prints the `docker buildx build` command, then each generated file after a
//! `==> PATH <==` header line; notes (what to set up in the CI) go to stderr as `note: …`.
//! Exit 1 with `error: FIELD: MESSAGE` when a value cannot be represented safely or the
//! scenario is invalid; 2 on usage or I/O errors.

use layerlab_engine::export::{export, Ci, ExportOptions};
use layerlab_engine::Scenario;
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "usage: layerlab export SCENARIO.json|- --ci github|azure|gitlab|bitbucket|circleci|jenkins|cloudbuild|codebuild|shell|make|bake
       [--image NAME] [--registry HOST] [--backend registry|gha|local|inline|s3|azblob]
       [--target STAGE]... [--platform OS/ARCH]... [--dockerfile PATH] [--context DIR]
       [--default-branch NAME]";

fn usage(msg: &str) -> ExitCode {
    if !msg.is_empty() {
        eprintln!("layerlab export: {msg}");
    }
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

fn read_input(path: &str) -> Result<String, String> {
    if path == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| format!("<stdin>: {e}"))?;
        Ok(s)
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
    }
}

pub fn run(args: &[String]) -> ExitCode {
    let mut file: Option<String> = None;
    let mut ci: Option<String> = None;
    let mut o = ExportOptions::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        // --flag value and --flag=value
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let takes_value = matches!(
            flag,
            "--ci"
                | "--image"
                | "--registry"
                | "--backend"
                | "--target"
                | "--platform"
                | "--dockerfile"
                | "--context"
                | "--default-branch"
        );
        if takes_value {
            let value = match inline.or_else(|| it.next().cloned()) {
                Some(v) => v,
                None => return usage(&format!("{flag} needs a value")),
            };
            match flag {
                "--ci" => ci = Some(value),
                "--image" => o.image = Some(value),
                "--registry" => o.registry = Some(value),
                "--backend" => o.backend = Some(value),
                "--target" => o.targets.push(value),
                "--platform" => o.platforms.push(value),
                "--dockerfile" => o.dockerfile = Some(value),
                "--context" => o.context = Some(value),
                _ => o.default_branch = Some(value),
            }
            continue;
        }
        match a.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            s if file.is_none() && (s == "-" || !s.starts_with('-')) => file = Some(s.to_string()),
            s => return usage(&format!("unexpected argument '{}'", s.escape_debug())),
        }
    }
    let Some(file) = file else {
        return usage("missing SCENARIO.json (or - for stdin)");
    };
    let Some(ci) = ci else {
        return usage("missing --ci");
    };
    let ci: Ci = match ci.parse() {
        Ok(c) => c,
        Err(e) => return usage(&e.to_string()),
    };
    let text = match read_input(&file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("layerlab: {e}");
            return ExitCode::from(2);
        }
    };
    let shown = if file == "-" {
        "<stdin>"
    } else {
        file.as_str()
    };
    let scenario = match Scenario::from_json(&text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{shown}:{e}");
            return ExitCode::from(1);
        }
    };
    let df = layerlab_engine::parse(&scenario.dockerfile);
    let options = ExportOptions::from_scenario(&scenario).overridden_by(o);
    let result = match export(&df, &scenario, &options, ci) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}: {}", e.field, e.message);
            return ExitCode::from(1);
        }
    };
    let mut out = String::new();
    out.push_str("==> docker buildx build <==\n");
    out.push_str(&result.buildx_command);
    for (path, content) in &result.files {
        out.push_str(&format!("\n==> {path} <==\n"));
        out.push_str(content);
    }
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return ExitCode::from(2);
    }
    for n in &result.notes {
        eprintln!("note: {n}");
    }
    ExitCode::SUCCESS
}
