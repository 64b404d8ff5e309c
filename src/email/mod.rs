//! The email digest: the headline figures with their change since the
//! previous report, what needs attention, and where the full report is.
//! Mail clients show neither SVG nor scripts, so the digest is text and
//! plain HTML tables; the self-contained report can travel as an attachment.

mod auth;
mod digest;
pub mod failure;
mod send;
mod trigger;
mod xoauth2;

use crate::config::EmailConfig;
use crate::pipeline::RunOutcome;

pub use digest::Digest;
pub use send::check_login;
pub use trigger::{decide, Decision, Evidence};

/// Sends one short plain-text message to `[email] to`, to try the mail
/// settings before the first scheduled run (`org-insights test-mail`).
pub fn send_test(settings: &EmailConfig) -> anyhow::Result<()> {
    let text = format!(
        "This is a test message from org-insights {} on {}.\n\n         It went through {}:{} with the settings of [email]; the digest and \
         any failure mail will take the same way.\n",
        env!("CARGO_PKG_VERSION"),
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        settings.smtp_host,
        settings.smtp_port,
    );
    send::send_text(settings, &settings.to, "org-insights: test message", text)?;
    tracing::info!(recipients = settings.to.len(), "test message sent");
    Ok(())
}

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
