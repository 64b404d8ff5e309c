//! Sending the digest over SMTP with lettre: plain, STARTTLS (required, no
//! downgrade) or implicit TLS, an optional extra trusted CA, the login of
//! [`auth`], a timeout on every connection, and three tries with a growing
//! pause between them for what may pass (a refusal is reported at once).

use std::time::Duration;

use anyhow::Context as _;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use super::{auth, Digest};
use crate::config::{EmailConfig, SmtpAuth, TlsMode};

const TRIES: u32 = 3;
const FIRST_PAUSE: Duration = Duration::from_secs(1);

pub fn send(settings: &EmailConfig, digest: &Digest) -> anyhow::Result<()> {
    let message = message(settings, digest)?;
    let server = format!("{}:{}", settings.smtp_host, settings.smtp_port);
    let mut pause = FIRST_PAUSE;
    let mut attempt = 1;
    let mut fresh_token = false;
    loop {
        let login = auth::login(settings, fresh_token)?;
        let secret = login.as_ref().map(|l| l.secret.clone()).unwrap_or_default();
        let transport = transport(settings, login)?;
        let err = match transport.send(&message) {
            Ok(_) => {
                tracing::info!(recipients = settings.to.len(), "digest sent");
                return Ok(());
            }
            Err(err) => err,
        };
        let reply = auth::redact(&err.to_string(), &[&secret]);
        let refused_login = err.status().is_some_and(|code| code.to_string() == "535");
        // A token the server refuses may have been revoked or expired
        // early: one fresh token, one more try.
        if refused_login && settings.auth == SmtpAuth::Xoauth2 && !fresh_token {
            tracing::warn!(error = %reply, "the server refused the access token; trying a fresh one");
            fresh_token = true;
            continue;
        }
        // A refusal (a wrong password, a rejected sender) is the same on
        // every try: it is reported at once.
        if err.is_permanent() || attempt >= TRIES {
            let tries = if err.is_permanent() {
                String::new()
            } else {
                format!(" {TRIES} times")
            };
            return Err(anyhow::anyhow!(
                "sending through {server} failed{tries}: {}",
                if refused_login {
                    format!("the server refused the login: {reply}")
                } else {
                    reply
                }
            ));
        }
        tracing::warn!(attempt, error = %reply, "sending the digest failed; trying again");
        std::thread::sleep(pause);
        pause *= 2;
        attempt += 1;
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

fn transport(settings: &EmailConfig, login: Option<auth::Login>) -> anyhow::Result<SmtpTransport> {
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
    if let Some(login) = login {
        builder = builder
            .credentials(login.credentials)
            .authentication(login.mechanisms);
    }
    Ok(builder.build())
}
