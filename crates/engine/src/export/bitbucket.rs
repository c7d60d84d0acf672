use super::plan::Plan;
use super::{Export, ExportError};

pub fn generate(_plan: &Plan, _out: &mut Export) -> Result<(), ExportError> {
    Err(ExportError::new("ci", "not implemented yet"))
}
