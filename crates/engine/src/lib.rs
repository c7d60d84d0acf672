//! layerlab engine: a pure pipeline from Dockerfile text to cache verdicts.
//!
//! parse ([`parser`]) → expand ([`shell`]) → build graph → derive cache keys per builder →
//! diff two builds → verdicts with reasons → advice → export.
//!
//! Invariants (see `docs/ARCHITECTURE.md`): no I/O, no clock, no web types; compiles for
//! native and `wasm32-unknown-unknown`; never panics on any input; parsing never fails (it
//! returns a tree plus diagnostics); natively, large simulations use two threads
//! ([`share`]) and give exactly the one-thread result.

pub mod advice;
pub mod ast;
pub mod dump;
pub mod export;
pub mod ignore;
pub mod json;
pub mod order;
pub mod parser;
pub mod report;
pub mod scenario;
pub mod share;
pub mod shell;
pub mod sim;
pub mod stress;
pub mod syntax;

pub use ast::Dockerfile;
pub use parser::parse;
pub use report::Report;
pub use scenario::Scenario;
pub use share::Shared;
pub use sim::{simulate, simulate_cached, simulate_with, Engine, SimCache, SimOptions, Simulated};
pub use syntax::{Diagnostic, Severity, Span};
