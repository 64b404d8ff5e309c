//! The email digest: the headline figures with their change since the
//! previous report, what needs attention, and where the full report is.
//! Mail clients show neither SVG nor scripts, so the digest is text and
//! plain HTML tables; the self-contained report can travel as an attachment.

mod digest;
mod send;

use crate::config::EmailConfig;
use crate::pipeline::RunOutcome;

pub use digest::{build, Digest};

/// Builds the digest of `outcome` and sends it, retrying on failure.
pub fn send_digest(settings: &EmailConfig, outcome: &RunOutcome) -> anyhow::Result<()> {
    let digest = digest::build(settings, outcome)?;
    send::send(settings, &digest)
}
