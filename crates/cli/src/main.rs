//! `layerlab`: the native command-line shell around the engine.
//!
//! Subcommands live one per file; this file only dispatches.

mod parse_cmd;

use std::process::ExitCode;

const USAGE: &str = "usage: layerlab <command> [options]

commands:
  parse FILE|-  [--format text|json]   print the instructions (or the AST as JSON)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest = &args[1..];
    match cmd.as_str() {
        "parse" => parse_cmd::run(rest),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        "-V" | "--version" => {
            println!("layerlab {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("layerlab: unknown command '{other}'\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
