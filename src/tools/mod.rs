//! Commands beside the report: the setup checklist (`doctor`) and
//! synthetic bundles for tests and benchmarks (`generate`).

pub mod doctor;
pub mod generate;
