//! Value types shared by every stage of the pipeline: positions, spans and diagnostics.
//!
//! Invariant: these are plain data. Nothing here does I/O or allocation-heavy work.

use serde::{Deserialize, Serialize};

/// Maximum accepted size of any single input text (Dockerfile, .dockerignore, share state).
/// Bigger inputs get a clear error instead of a slow analysis.
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;

/// A region of the source text. Lines and columns are 1-based; columns count characters
/// (Unicode scalar values), byte offsets index the original `&str`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// 1-based line of `start`.
    pub line: u32,
    /// 1-based column (in characters) of `start`.
    pub col: u32,
    /// 1-based line of the last character (inclusive).
    pub end_line: u32,
    /// 1-based column just past the last character on `end_line`.
    pub end_col: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A problem found in the input. Analysis continues past errors: a diagnostic never aborts
/// the pipeline, it only marks the affected instruction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable machine-readable code, e.g. `unknown-instruction`, `unterminated-heredoc`.
    pub code: String,
    pub message: String,
    pub span: Span,
}

impl Diagnostic {
    pub fn error(code: &str, message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code: code.to_string(),
            message: message.into(),
            span,
        }
    }
    pub fn warning(code: &str, message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            code: code.to_string(),
            message: message.into(),
            span,
        }
    }
}
