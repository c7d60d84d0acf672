//! `layerlab parse FILE|- [--format text|json]`
//!
//! Text: one line per instruction (line, stage, keyword, summary). JSON: the whole
//! [`Dockerfile`] (nodes, typed instructions, stages, diagnostics, all with spans).
//! Diagnostics go to stderr as `FILE:LINE:COL: error: MESSAGE`.
//! Exit codes: 0 parsed without errors, 1 the Dockerfile has errors, 2 usage or I/O error.

use layerlab_engine::ast::{Command, CommandLine, Dockerfile, Instruction};
use layerlab_engine::{parse, Severity};
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

const USAGE: &str = "usage: layerlab parse FILE|- [--format text|json]";

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

/// Reads the file (or stdin for `-`) as UTF-8, replacing invalid bytes.
fn read_bytes(path: &str) -> Result<Vec<u8>, String> {
    if path == "-" {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut v)
            .map_err(|e| format!("<stdin>: {e}"))?;
        Ok(v)
    } else {
        std::fs::read(path).map_err(|e| format!("{path}: {e}"))
    }
}

pub fn run(args: &[String]) -> ExitCode {
    let mut file: Option<String> = None;
    let mut json = false;
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
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            s if file.is_none() && (s == "-" || !s.starts_with('-')) => file = Some(s.to_string()),
            _ => return usage(),
        }
    }
    let Some(file) = file else { return usage() };
    let shown = if file == "-" {
        "<stdin>"
    } else {
        file.as_str()
    };
    let bytes = match read_bytes(&file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("layerlab: {e}");
            return ExitCode::from(2);
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{shown}: warning: not valid UTF-8; invalid bytes replaced with U+FFFD");
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }
    };
    let df = parse(&text);

    let out = if json {
        match serde_json::to_string_pretty(&df) {
            Ok(s) => s + "\n",
            Err(e) => {
                eprintln!("layerlab: cannot serialise the parse result: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        render_text(&df)
    };
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return ExitCode::from(2);
    }

    let mut stderr = String::new();
    for d in &df.diagnostics {
        let sev = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(
            stderr,
            "{shown}:{}:{}: {sev}: {}",
            d.span.line, d.span.col, d.message
        );
    }
    eprint!("{stderr}");
    if df.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `LINE  STAGE  KEYWORD  summary`, one line per instruction.
pub fn render_text(df: &Dockerfile) -> String {
    let stage_label = |i: &Instruction| -> String {
        match i.stage {
            None => "-".to_string(),
            Some(s) => match df.stages.get(s).and_then(|st| st.name.as_deref()) {
                Some(n) => format!("{s}:{n}"),
                None => s.to_string(),
            },
        }
    };
    let labels: Vec<String> = df.instructions.iter().map(stage_label).collect();
    let lines: Vec<String> = df
        .instructions
        .iter()
        .map(|i| {
            if i.span.end_line > i.span.line {
                format!("{}-{}", i.span.line, i.span.end_line)
            } else {
                i.span.line.to_string()
            }
        })
        .collect();
    let width = |v: &[String]| v.iter().map(|l| l.chars().count()).max().unwrap_or(1);
    let line_w = width(&lines);
    let stage_w = width(&labels);
    let kw_w = df
        .instructions
        .iter()
        .map(|i| i.keyword.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = String::new();
    for ((ins, label), lines) in df.instructions.iter().zip(&labels).zip(&lines) {
        let _ = writeln!(
            out,
            "{lines:>line_w$}  {label:<stage_w$}  {kw:<kw_w$}  {summary}",
            kw = ins.keyword,
            summary = summary(ins),
        );
    }
    out
}

fn shorten(s: &str, max: usize) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut t: String = one_line.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn cmdline(c: &CommandLine) -> String {
    match c {
        CommandLine::Shell(s) => shorten(s, 100),
        CommandLine::Exec(v) => shorten(
            &serde_json::to_string(v).unwrap_or_else(|_| format!("{v:?}")),
            100,
        ),
    }
}

/// A short human summary of a typed instruction.
pub fn summary(ins: &Instruction) -> String {
    match &ins.command {
        Command::From(f) => {
            let mut s = f.image.clone();
            if let Some(n) = &f.name {
                let _ = write!(s, " AS {n}");
            }
            if let Some(p) = &f.platform {
                let _ = write!(s, "  [platform {p}]");
            }
            s
        }
        Command::Run(r) => {
            let mut s = cmdline(&r.command);
            let mut extra = Vec::new();
            for m in &r.mounts {
                let mut d = m.kind.clone();
                if let Some(t) = &m.target {
                    let _ = write!(d, ":{t}");
                }
                extra.push(format!("mount {d}"));
            }
            for h in &r.heredocs {
                let n = h.content.lines().count();
                let plural = if n == 1 { "" } else { "s" };
                extra.push(format!("heredoc {} ({n} line{plural})", h.name));
            }
            if let Some(n) = &r.network {
                extra.push(format!("network {n}"));
            }
            if let Some(x) = &r.security {
                extra.push(format!("security {x}"));
            }
            if !extra.is_empty() {
                let _ = write!(s, "  [{}]", extra.join(", "));
            }
            s
        }
        Command::Copy(c) => {
            let mut srcs: Vec<String> =
                c.heredocs.iter().map(|h| format!("<<{}", h.name)).collect();
            srcs.extend(c.sources.iter().cloned());
            let mut s = format!("{} -> {}", shorten(&srcs.join(" "), 80), c.dest);
            let mut extra = Vec::new();
            if let Some(f) = &c.from {
                extra.push(format!("from {f}"));
            }
            if let Some(o) = &c.chown {
                extra.push(format!("chown {o}"));
            }
            if let Some(m) = &c.chmod {
                extra.push(format!("chmod {m}"));
            }
            if c.link {
                extra.push("link".into());
            }
            if c.parents {
                extra.push("parents".into());
            }
            for e in &c.exclude {
                extra.push(format!("exclude {e}"));
            }
            if let Some(x) = &c.checksum {
                extra.push(format!("checksum {x}"));
            }
            if !extra.is_empty() {
                let _ = write!(s, "  [{}]", extra.join(", "));
            }
            s
        }
        Command::Env { pairs } | Command::Label { pairs } => shorten(
            &pairs
                .iter()
                .map(|p| format!("{}={}", p.key, p.value))
                .collect::<Vec<_>>()
                .join(" "),
            100,
        ),
        Command::Arg { args } => args
            .iter()
            .map(|a| match &a.default {
                Some(d) => format!("{}={d}", a.name),
                None => a.name.clone(),
            })
            .collect::<Vec<_>>()
            .join(" "),
        Command::Workdir { path } => path.clone(),
        Command::User { user } => user.clone(),
        Command::Shell { argv } => cmdline(&CommandLine::Exec(argv.clone())),
        Command::Cmd { command } | Command::Entrypoint { command } => cmdline(command),
        Command::Expose { ports } => ports.join(" "),
        Command::Volume { paths } => paths.join(" "),
        Command::Healthcheck(h) => match &h.command {
            None => "NONE".into(),
            Some(c) => format!("CMD {}", cmdline(c)),
        },
        Command::Stopsignal { signal } => signal.clone(),
        Command::Maintainer { name } => name.clone(),
        Command::Onbuild { trigger } => match trigger.command {
            Command::Invalid { .. } => summary(trigger),
            _ => format!("{} {}", trigger.keyword, summary(trigger)),
        },
        Command::Invalid { .. } => format!("(invalid) {}", shorten(&ins.text, 90)),
    }
}
