//! Sending mail over SMTP with lettre: plain, STARTTLS (required, no
//! downgrade) or implicit TLS, an optional extra trusted CA, the login of
//! [`auth`], a timeout on every connection, and three tries with a growing
//! pause between them for what may pass. A refusal (a wrong password, a
//! refused token, an untrusted certificate) is the same on every try: it
//! is reported at once.

use std::time::Duration;

use anyhow::Context as _;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use super::{auth, xoauth2, Digest};
use crate::config::{EmailConfig, SmtpAuth, TlsMode};

const TRIES: u32 = 3;
const FIRST_PAUSE: Duration = Duration::from_secs(1);

/// Sends the digest to `[email] to`.
pub fn send(settings: &EmailConfig, digest: &Digest) -> anyhow::Result<()> {
    let message = digest_message(settings, digest)?;
    deliver(settings, &message)?;
    tracing::info!(recipients = settings.to.len(), "digest sent");
    Ok(())
}

/// Sends a plain-text message to `to`.
pub fn send_text(
    settings: &EmailConfig,
    to: &[Mailbox],
    subject: &str,
    text: String,
) -> anyhow::Result<()> {
    let mut builder = Message::builder()
        .from(settings.from.clone())
        .message_id(Some(message_id(&settings.from)))
        .subject(subject);
    for recipient in to {
        builder = builder.to(recipient.clone());
    }
    let message = builder
        .singlepart(SinglePart::plain(text))
        .context("building the message")?;
    deliver(settings, &message)
}

/// A `Message-ID` on the sender's domain: Gmail refuses mail without one,
/// and one on another domain (lettre's default is the machine's host name)
/// reads as spoofing to some filters.
fn message_id(from: &Mailbox) -> String {
    let unique = format!(
        "{:x}.{:016x}",
        chrono::Utc::now().timestamp_millis(),
        fastrand::u64(..)
    );
    format!("<{unique}.org-insights@{}>", from.email.domain())
}

/// Why one attempt to send failed, in words free of secrets.
enum Failure {
    /// The server refused the login (a 535, or a refused access token).
    LoginRefused(String),
    /// The server's certificate is not one to trust: the same next time.
    Certificate(String),
    /// Any other refusal the server gave with a permanent (5xx) reply.
    Refused(String),
    /// What may pass: a time-out, a dropped connection, a 4xx reply.
    Transient(String),
}

impl Failure {
    /// Sorts a lettre error; `secret` is removed from its words.
    fn of(err: &lettre::transport::smtp::Error, secret: &str) -> Self {
        let reply = auth::redact(&err.to_string(), &[secret]);
        if let Some(problem) = certificate_problem(err) {
            return Failure::Certificate(problem);
        }
        if err.status().is_some_and(|code| code.to_string() == "535") {
            Failure::LoginRefused(format!("the server refused the login: {reply}"))
        } else if err.is_permanent() {
            Failure::Refused(reply)
        } else {
            Failure::Transient(reply)
        }
    }
}

/// Connects to `[email]`'s server and logs in as a send would, then says
/// goodbye: no message is sent (`org-insights doctor --connect`).
pub fn check_login(settings: &EmailConfig) -> anyhow::Result<()> {
    deliver_or_check(settings, None)
}

/// Sends `message` through `[email]`'s server.
fn deliver(settings: &EmailConfig, message: &Message) -> anyhow::Result<()> {
    deliver_or_check(settings, Some(message))
}

/// Sends `message` (or, with none, only logs in): one fresh access token
/// and one more try when the server refuses a token, up to [`TRIES`] tries
/// for what may pass.
fn deliver_or_check(settings: &EmailConfig, message: Option<&Message>) -> anyhow::Result<()> {
    let server = format!("{}:{}", settings.smtp_host, settings.smtp_port);
    let doing = if message.is_some() {
        "sending through"
    } else {
        "logging in to"
    };
    let failed = |how: String| anyhow::anyhow!("{doing} {server} failed{how}");
    let mut pause = FIRST_PAUSE;
    let mut attempt = 1;
    let mut fresh_token = false;
    loop {
        let login = auth::login(settings, fresh_token)?;
        let failure = match attempt_once(settings, login, message) {
            Ok(()) => return Ok(()),
            Err(failure) => failure,
        };
        match failure {
            // A token the server refuses may have been revoked or expired
            // early: one fresh token, one more try.
            Failure::LoginRefused(reply) if settings.auth == SmtpAuth::Xoauth2 && !fresh_token => {
                tracing::warn!(error = %reply, "the server refused the access token; trying a fresh one");
                fresh_token = true;
            }
            Failure::LoginRefused(words) => return Err(failed(format!(": {words}"))),
            Failure::Certificate(problem) => return Err(failed(format!(": {problem}"))),
            Failure::Refused(reply) => return Err(failed(format!(": {reply}"))),
            Failure::Transient(reply) if attempt >= TRIES => {
                return Err(failed(format!(" {TRIES} times: {reply}")))
            }
            Failure::Transient(reply) => {
                tracing::warn!(attempt, error = %reply, "sending failed; trying again");
                std::thread::sleep(pause);
                pause *= 2;
                attempt += 1;
            }
        }
    }
}

/// One connection: lettre's transport, or for XOAUTH2 lettre's connection
/// with the login exchange of [`xoauth2`] (lettre's own aborts on the
/// challenge Google sends with a refusal).
fn attempt_once(
    settings: &EmailConfig,
    login: Option<auth::Login>,
    message: Option<&Message>,
) -> Result<(), Failure> {
    let secret = login.as_ref().map(|l| l.secret.clone()).unwrap_or_default();
    let setup = |err: anyhow::Error| Failure::Refused(format!("{err:#}"));
    match login {
        Some(login) if settings.auth == SmtpAuth::Xoauth2 => {
            let tls = tls_parameters(settings).map_err(setup)?;
            xoauth2::send(settings, tls.as_ref(), &login, message).map_err(|failed| match failed {
                xoauth2::Failed::TokenRefused(words) => {
                    Failure::LoginRefused(auth::redact(&words, &[&secret]))
                }
                xoauth2::Failed::Unsupported(words) => Failure::Refused(words),
                xoauth2::Failed::Smtp(err) => Failure::of(&err, &secret),
            })
        }
        login => {
            let transport = transport(settings, login).map_err(setup)?;
            match message {
                Some(message) => transport.send(message).map(|_| ()),
                // Connects, TLS, logs in, NOOP and QUIT.
                None => transport.test_connection().map(|_| ()),
            }
            .map_err(|err| Failure::of(&err, &secret))
        }
    }
}

fn digest_message(settings: &EmailConfig, digest: &Digest) -> anyhow::Result<Message> {
    let mut builder = Message::builder()
        .from(settings.from.clone())
        .message_id(Some(message_id(&settings.from)))
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

/// The TLS settings of `[email]` (`None` with `tls = "none"`): the
/// server's name, and the extra CA of `ca_file`.
fn tls_parameters(settings: &EmailConfig) -> anyhow::Result<Option<TlsParameters>> {
    if settings.tls == TlsMode::None {
        return Ok(None);
    }
    let mut builder = TlsParameters::builder(settings.smtp_host.clone());
    if let Some(pem) = &settings.ca_pem {
        builder = builder.add_root_certificate(
            Certificate::from_pem(pem).context("reading the CA certificate of ca_file")?,
        );
    }
    builder.build().map(Some).context("setting up TLS")
}

fn transport(settings: &EmailConfig, login: Option<auth::Login>) -> anyhow::Result<SmtpTransport> {
    let mut builder = SmtpTransport::builder_dangerous(settings.smtp_host.as_str())
        .port(settings.smtp_port)
        .timeout(Some(settings.timeout));
    builder = match (settings.tls, tls_parameters(settings)?) {
        (TlsMode::Starttls, Some(tls)) => builder.tls(Tls::Required(tls)),
        (TlsMode::Tls, Some(tls)) => builder.tls(Tls::Wrapper(tls)),
        _ => builder,
    };
    if let Some(login) = login {
        builder = builder
            .credentials(login.credentials)
            .authentication(login.mechanisms);
    }
    Ok(builder.build())
}

/// When `err` is a TLS handshake that refused the server's certificate,
/// what is wrong with it and what to do, naming `ca_file`.
fn certificate_problem(err: &lettre::transport::smtp::Error) -> Option<String> {
    use rustls::CertificateError;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = source {
        let rustls_error = current.downcast_ref::<rustls::Error>().or_else(|| {
            current
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(rustls::Error::InvalidCertificate(problem)) = rustls_error {
            return Some(match problem {
                // A CA of the same name that did not sign it: BadSignature.
                CertificateError::UnknownIssuer | CertificateError::BadSignature => "the server's certificate is signed by a CA this machine does not trust: if the server uses a private CA, set [email] ca_file to that CA's certificate (PEM)".to_string(),
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => "the server's certificate is for another host name: set [email] smtp_host to a name the certificate names (not an IP address or an alias), or give the server a certificate for this name; ca_file cannot fix this".to_string(),
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => "the server's certificate has expired: the server's administrator must renew it".to_string(),
                other => format!("the server's certificate was refused ({other:?}): check the server's certificate, and [email] ca_file for a private CA"),
            });
        }
        source = current.source();
    }
    None
}
