//! `layerlab export` (stub: being written).

use std::process::ExitCode;

pub fn run(_args: &[String]) -> ExitCode {
    eprintln!("layerlab export: not implemented yet");
    ExitCode::from(2)
}
