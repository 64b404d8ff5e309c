//! The email digest: the headline figures with their change since the
//! previous report, what needs attention, and where the full report is.
//! Mail clients show neither SVG nor scripts, so the digest is text and
//! plain HTML tables; the self-contained report can travel as an attachment.

mod auth;
mod digest;
mod send;
mod trigger;

use crate::config::EmailConfig;
use crate::pipeline::RunOutcome;

pub use digest::{build, Digest};
pub use trigger::{decide, Decision, Evidence};

/// Builds the digest of `outcome` and sends it, retrying on failure; `why`
/// is the reason `[email] send` gave, for the subject.
pub fn send_digest(
    settings: &EmailConfig,
    outcome: &RunOutcome,
    why: Option<&str>,
) -> anyhow::Result<()> {
    let digest = digest::build(settings, outcome, why)?;
    send::send(settings, &digest)
}
