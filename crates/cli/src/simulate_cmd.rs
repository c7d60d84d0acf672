//! `layerlab simulate SCENARIO.json|- [--format text|json] [--builder classic|buildkit]`

use layerlab_engine::report::{BuilderReport, Status};
use layerlab_engine::Scenario;
use std::process::ExitCode;

pub fn read_input(path: &str) -> Result<String, String> {
    if path == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| format!("<stdin>: {e}"))?;
        Ok(s)
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: layerlab simulate SCENARIO.json|- [--format text|json] [--builder classic|buildkit] [--engine current|20.10]");
    ExitCode::from(2)
}

pub fn run(args: &[String]) -> ExitCode {
    let mut file = None;
    let mut json = false;
    let mut only: Option<String> = None;
    let mut engine = layerlab_engine::Engine::Modern;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--format" => match it.next().map(String::as_str) {
                Some("json") => json = true,
                Some("text") => json = false,
                _ => return usage(),
            },
            "--format=json" => json = true,
            "--format=text" => json = false,
            "--engine" => match it.next().map(String::as_str) {
                Some("20.10") => engine = layerlab_engine::Engine::Docker2010,
                Some("current") | Some("modern") => engine = layerlab_engine::Engine::Modern,
                _ => return usage(),
            },
            "--builder" => match it.next() {
                Some(b) if b == "classic" || b == "buildkit" => only = Some(b.clone()),
                _ => return usage(),
            },
            "-h" | "--help" => {
                usage();
                return ExitCode::SUCCESS;
            }
            s if file.is_none() && (s == "-" || !s.starts_with('-')) => file = Some(s.to_string()),
            _ => return usage(),
        }
    }
    let Some(file) = file else { return usage() };
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
    let report = layerlab_engine::simulate_with(&scenario, layerlab_engine::SimOptions { engine });
    for d in &report.diagnostics {
        eprintln!(
            "{shown}: Dockerfile:{}:{}: {}: {}",
            d.span.line,
            d.span.col,
            match d.severity {
                layerlab_engine::Severity::Error => "error",
                layerlab_engine::Severity::Warning => "warning",
            },
            d.message
        );
    }
    if json {
        let mut v = serde_json::to_value(&report).expect("report serialises");
        if let Some(b) = &only {
            if let Some(builders) = v.get_mut("builders").and_then(|x| x.as_object_mut()) {
                builders.retain(|k, _| k == b);
            }
        }
        emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&v).expect("json")
        ));
    } else {
        let lines: Vec<&str> = scenario.dockerfile_b().lines().collect();
        for (name, rep) in [
            ("classic", &report.builders.classic),
            ("buildkit", &report.builders.buildkit),
        ] {
            if only.as_deref().is_some_and(|o| o != name) {
                continue;
            }
            print_table(rep, &lines);
        }
    }
    ExitCode::SUCCESS
}

/// Writes to stdout; a closed pipe (`| head`) ends the output quietly instead of panicking.
pub fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}

fn print_table(rep: &BuilderReport, lines: &[&str]) {
    let mut out = String::new();
    table_text(rep, lines, &mut out);
    emit(&out);
}

fn table_text(rep: &BuilderReport, lines: &[&str], out: &mut String) {
    use std::fmt::Write as _;
    let _ = writeln!(out, "{}", rep.summary);
    for s in &rep.steps {
        let mark = match s.status {
            Status::Cached => "cached ",
            Status::Rebuilt => "REBUILT",
            Status::NotRun => "not run",
            Status::Metadata => "  meta ",
        };
        let text = lines
            .get(s.line as usize - 1)
            .map(|l| l.trim())
            .unwrap_or("");
        let text: String = text.chars().take(60).collect();
        let _ = writeln!(out, "  {mark} {:>4} | {text}", s.line);
        if s.status == Status::Rebuilt || s.status == Status::Cached {
            for r in &s.reasons {
                let at = r.line.map(|l| format!(" (line {l})")).unwrap_or_default();
                let _ = writeln!(out, "                 ↳ {}{at}", r.message);
            }
        }
    }
    for e in &rep.errors {
        let _ = writeln!(out, "  error: line {}: {}", e.span.line, e.message);
    }
    let _ = writeln!(out);
}
