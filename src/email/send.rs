//! Sending the digest over SMTP with lettre: plain, STARTTLS (required, no
//! downgrade) or implicit TLS, an optional extra trusted CA, a timeout on
//! every connection, and three tries with a growing pause between them.

use std::time::Duration;

use anyhow::Context as _;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use super::Digest;
use crate::config::{EmailConfig, TlsMode};

const TRIES: u32 = 3;
const FIRST_PAUSE: Duration = Duration::from_secs(1);

pub fn send(settings: &EmailConfig, digest: &Digest) -> anyhow::Result<()> {
    let message = message(settings, digest)?;
    let transport = transport(settings)?;
    let mut pause = FIRST_PAUSE;
    let mut attempt = 1;
    loop {
        match transport.send(&message) {
            Ok(_) => {
                tracing::info!(recipients = settings.to.len(), "digest sent");
                return Ok(());
            }
            Err(err) if attempt < TRIES => {
                tracing::warn!(attempt, error = %err, "sending the digest failed; trying again");
                std::thread::sleep(pause);
                pause *= 2;
                attempt += 1;
            }
            Err(err) => {
                return Err(err).with_context(|| {
                    format!(
                        "sending through {}:{} failed {TRIES} times",
                        settings.smtp_host, settings.smtp_port
                    )
                })
            }
        }
    }
}

fn message(settings: &EmailConfig, digest: &Digest) -> anyhow::Result<Message> {
    let mut builder = Message::builder()
        .from(settings.from.clone())
        .subject(digest.subject.clone());
    for recipient in &settings.to {
        builder = builder.to(recipient.clone());
    }
    let text = MultiPart::alternative_plain_html(digest.text.clone(), digest.html.clone());
    let body = match &digest.attachment {
        Some((name, bytes)) => MultiPart::mixed()
            .multipart(text)
            .singlepart(Attachment::new(name.clone()).body(bytes.clone(), ContentType::TEXT_HTML)),
        None => text,
    };
    builder
        .multipart(body)
        .context("building the digest message")
}

fn transport(settings: &EmailConfig) -> anyhow::Result<SmtpTransport> {
    let host = settings.smtp_host.as_str();
    let tls_parameters = || -> anyhow::Result<TlsParameters> {
        let mut builder = TlsParameters::builder(host.to_string());
        if let Some(pem) = &settings.ca_pem {
            builder = builder.add_root_certificate(
                Certificate::from_pem(pem).context("reading the CA certificate of ca_file")?,
            );
        }
        builder.build().context("setting up TLS")
    };
    let mut builder = SmtpTransport::builder_dangerous(host)
        .port(settings.smtp_port)
        .timeout(Some(settings.timeout));
    builder = match settings.tls {
        TlsMode::None => builder,
        TlsMode::Starttls => builder.tls(Tls::Required(tls_parameters()?)),
        TlsMode::Tls => builder.tls(Tls::Wrapper(tls_parameters()?)),
    };
    if let (Some(username), Some(password)) = (&settings.username, settings.password()?) {
        builder = builder.credentials(Credentials::new(username.clone(), password));
    }
    Ok(builder.build())
}
