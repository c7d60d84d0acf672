//! BuildKit-compatible `AST.Dump()` of the raw nodes. (Stub: being written.)

use crate::ast::Dockerfile;

/// One line per node: `(keyword ["--flag"] "arg" ...)`, exactly as BuildKit's `Node.Dump()`.
pub fn dump(_df: &Dockerfile) -> String {
    String::new()
}
