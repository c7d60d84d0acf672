//! `layerlab advise SCENARIO.json|- [--format text|json] [--apply RULE]`
//!
//! Prints the cache advice for a scenario (what, what it costs here, the fix, the matching
//! BuildKit check or hadolint rule), or with `--apply RULE` the scenario rewritten by that
//! rule's fix, as JSON, ready for `layerlab simulate`. Exit codes: 0 (also when there is
//! advice), 1 invalid scenario or nothing to apply, 2 usage or I/O error.

use layerlab_engine::advice::{self, Advice};
use layerlab_engine::Scenario;
use std::io::Read;
use std::process::ExitCode;

const USAGE: &str = "usage: layerlab advise SCENARIO.json|- [--format text|json] [--apply RULE]";

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    eprintln!("rules: {}", advice::rule_ids().join(", "));
    ExitCode::from(2)
}

fn read_input(path: &str) -> Result<String, String> {
    if path == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("<stdin>: {e}"))?;
        Ok(s)
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
    }
}

pub fn run(args: &[String]) -> ExitCode {
    let mut file = None;
    let mut json = false;
    let mut apply: Option<String> = None;
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
            "--apply" => match it.next() {
                Some(r) => apply = Some(r.clone()),
                None => return usage(),
            },
            s if s.starts_with("--apply=") => apply = Some(s["--apply=".len()..].to_string()),
            "-h" | "--help" => {
                println!("{USAGE}");
                println!("rules: {}", advice::rule_ids().join(", "));
                return ExitCode::SUCCESS;
            }
            s if file.is_none() && (s == "-" || !s.starts_with('-')) => file = Some(s.to_string()),
            _ => return usage(),
        }
    }
    let Some(file) = file else { return usage() };
    if let Some(r) = &apply {
        if advice::rule_title(r).is_none() {
            eprintln!("layerlab advise: unknown rule '{r}'");
            return usage();
        }
    }
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
    for d in &layerlab_engine::parse(scenario.dockerfile_b()).diagnostics {
        let sev = match d.severity {
            layerlab_engine::Severity::Error => "error",
            layerlab_engine::Severity::Warning => "warning",
        };
        eprintln!(
            "{shown}: Dockerfile:{}:{}: {sev}: {}",
            d.span.line, d.span.col, d.message
        );
    }
    if let Some(rule) = apply {
        return match advice::apply(&scenario, &rule) {
            Some(s) => {
                println!("{}", s.to_json_pretty());
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("layerlab advise: rule {rule} has nothing to rewrite in {shown}");
                ExitCode::from(1)
            }
        };
    }
    let list = advice::advise(&scenario);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&list).expect("advice serialises")
        );
    } else {
        print_text(&list, shown);
    }
    ExitCode::SUCCESS
}

fn lines(v: &[u32]) -> String {
    let list = v
        .iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if v.len() == 1 {
        format!("line {list}")
    } else {
        format!("lines {list}")
    }
}

fn print_text(list: &[Advice], shown: &str) {
    if list.is_empty() {
        println!("no advice: layerlab found none of its cache-hostile patterns");
        return;
    }
    for (i, a) in list.iter().enumerate() {
        if i > 0 {
            println!();
        }
        let at = a
            .line
            .map(|l| format!("line {l}"))
            .unwrap_or_else(|| "cache setup".into());
        println!("[{}] {at}: {} ({})", a.severity.as_str(), a.title, a.rule);
        println!("  {}", a.message);
        let cost = match (a.cost_buildkit.is_empty(), a.cost_classic.is_empty()) {
            (true, true) => "no rebuilds in this scenario".to_string(),
            (false, true) => format!("BuildKit rebuilds {}", lines(&a.cost_buildkit)),
            (true, false) => format!("classic rebuilds {}", lines(&a.cost_classic)),
            (false, false) => format!(
                "BuildKit rebuilds {}; classic rebuilds {}",
                lines(&a.cost_buildkit),
                lines(&a.cost_classic)
            ),
        };
        println!("  cost: {cost}");
        println!("  fix: {}", a.fix);
        println!(
            "  equivalent: {}",
            a.equivalent
                .as_deref()
                .unwrap_or("none (no BuildKit check or hadolint rule)")
        );
        if a.rewrite.is_some() {
            println!("  rewrite: layerlab advise {shown} --apply {}", a.rule);
        }
    }
}
