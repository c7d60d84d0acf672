//! `layerlab parse FILE|- [--format text|json]` (stub: being written).

use std::process::ExitCode;

pub fn run(_args: &[String]) -> ExitCode {
    eprintln!("layerlab parse: not implemented yet");
    ExitCode::from(2)
}
