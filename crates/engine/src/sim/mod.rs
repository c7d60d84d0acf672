//! The cache simulator: derive each step's cache-key inputs for build A and build B under each
//! builder's rules, then diff them. (Being written.)

use crate::report::Report;
use crate::scenario::Scenario;

/// Simulates build B of the scenario under the classic builder and BuildKit.
pub fn simulate(_scenario: &Scenario) -> Report {
    Report::default()
}
