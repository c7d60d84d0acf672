//! `layerlab`: the native command-line shell around the engine.
//!
//! Subcommands live one per file (`<name>_cmd.rs`, each with `pub fn run(&[String]) -> ExitCode`);
//! this file only dispatches. Exit codes: 0 success, 1 the input has errors (or a gate
//! failed), 2 usage or I/O error.

mod advise_cmd;
mod check_cmd;
mod export_cmd;
mod parse_cmd;
mod simulate_cmd;

use std::process::ExitCode;

/// The CLI's allocator (see Cargo.toml); the engine itself does not choose one.
#[global_allocator]
static GLOBAL: layerlab_alloc::Mi = layerlab_alloc::Mi;

const USAGE: &str = "usage: layerlab <command> [options]

commands:
  parse FILE|- [--format text|json]        print the instructions (or the AST as JSON)
  simulate SCENARIO.json|- [--format text|json]
                                           which steps each builder caches or rebuilds, and why
  check [--file Dockerfile] [--context DIR] (--changed PATH... | --since GITREF)
        [--fail-if-rebuilt LINE|STAGE]     pre-flight a real repository
  advise SCENARIO.json|- [--format text|json] [--apply RULE]
                                           cache-hostile patterns, their cost and fixes
  export SCENARIO.json|- --ci github|azure|gitlab|bitbucket|circleci|jenkins|cloudbuild|codebuild|shell|make|bake
         [--image NAME] [--registry HOST] [--backend B] [--target T]... [--platform P]...
                                           buildx command and CI pipeline snippet
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
        "simulate" => simulate_cmd::run(rest),
        "check" => check_cmd::run(rest),
        "advise" => advise_cmd::run(rest),
        "export" => export_cmd::run(rest),
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
