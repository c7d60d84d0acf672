//! `layerlab simulate` (stub: being written).

use std::process::ExitCode;

pub fn run(_args: &[String]) -> ExitCode {
    eprintln!("layerlab simulate: not implemented yet");
    ExitCode::from(2)
}
