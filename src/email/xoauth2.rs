//! One SMTP session that logs in with SASL XOAUTH2, on lettre's own
//! connection. lettre's XOAUTH2 mechanism aborts when the server answers
//! with a challenge, and that is how Google refuses a token: a `334` whose
//! text is base64 JSON (`{"status":"400","schemes":"Bearer","scope":…}`),
//! to which the client must send an empty line before the `535` comes
//! (developers.google.com/gmail/imap/xoauth2-protocol, "Error response").
//! Microsoft 365 answers `535 5.7.3` at once. Both are a refused token
//! here, in the server's own words.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use lettre::transport::smtp::authentication::Mechanism;
use lettre::transport::smtp::client::{SmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use lettre::Message;
use serde::Deserialize;

use super::auth::Login;
use crate::config::{EmailConfig, TlsMode};

/// Why the session failed.
pub enum Failed {
    /// The server refused the access token, in its words (the caller
    /// removes secrets).
    TokenRefused(String),
    /// The server does not offer XOAUTH2.
    Unsupported(String),
    /// Anything else lettre reports.
    Smtp(lettre::transport::smtp::Error),
}

impl From<lettre::transport::smtp::Error> for Failed {
    fn from(err: lettre::transport::smtp::Error) -> Self {
        Failed::Smtp(err)
    }
}

/// Connects (TLS as `[email] tls` says), logs in with `login`'s token and
/// sends `message` (with none, only logs in).
pub fn send(
    settings: &EmailConfig,
    tls: Option<&TlsParameters>,
    login: &Login,
    message: Option<&Message>,
) -> Result<(), Failed> {
    let hello = ClientId::default();
    let server = (settings.smtp_host.as_str(), settings.smtp_port);
    let wrapper = tls.filter(|_| settings.tls == TlsMode::Tls);
    let mut connection =
        SmtpConnection::connect(server, Some(settings.timeout), &hello, wrapper, None)?;
    if let (TlsMode::Starttls, Some(tls)) = (settings.tls, tls) {
        // Required: a server that does not offer STARTTLS is refused.
        connection.starttls(tls, &hello)?;
    }
    let sent = authenticate(&mut connection, &login.username, &login.secret).and_then(|()| {
        if let Some(message) = message {
            connection.send(message.envelope(), &message.formatted())?;
        }
        Ok(())
    });
    match &sent {
        Ok(()) => {
            let _ = connection.quit();
        }
        Err(_) => connection.abort(),
    }
    sent
}

/// The XOAUTH2 exchange: the initial response, and for a challenge the
/// empty line that lets the server give its final refusal.
fn authenticate(connection: &mut SmtpConnection, user: &str, token: &str) -> Result<(), Failed> {
    if !connection
        .server_info()
        .supports_auth_mechanism(Mechanism::Xoauth2)
    {
        return Err(Failed::Unsupported(
            "the server does not offer XOAUTH2 after TLS: check [email] auth and smtp_host"
                .to_string(),
        ));
    }
    let initial = BASE64.encode(format!("user={user}\x01auth=Bearer {token}\x01\x01"));
    let refusal = |err: lettre::transport::smtp::Error| match err.status() {
        Some(_) => Failed::TokenRefused(format!("the server refused the access token: {err}")),
        None => Failed::Smtp(err),
    };
    let response = connection
        .command(format!("AUTH XOAUTH2 {initial}\r\n"))
        .map_err(refusal)?;
    if response.has_code(235) {
        return Ok(());
    }
    if !response.has_code(334) {
        return Err(Failed::TokenRefused(format!(
            "the server answered the access token with {}",
            words_of(&response)
        )));
    }
    let challenge = challenge_words(&response);
    match connection.command("\r\n") {
        Ok(done) if done.has_code(235) => Ok(()),
        Ok(other) => Err(Failed::TokenRefused(format!(
            "{challenge}; then {}",
            words_of(&other)
        ))),
        Err(err) if err.status().is_some() => {
            Err(Failed::TokenRefused(format!("{challenge}; then {err}")))
        }
        Err(err) => Err(Failed::Smtp(err)),
    }
}

/// The JSON of a `334` challenge (RFC 7628 section 3.2.2).
#[derive(Deserialize)]
struct Challenge {
    status: Option<String>,
    scope: Option<String>,
}

/// A challenge in words: "the server refused the access token: status
/// 400 (scope https://mail.google.com/)".
fn challenge_words(response: &Response) -> String {
    let decoded = response
        .first_line()
        .and_then(|line| BASE64.decode(line.trim()).ok())
        .and_then(|json| serde_json::from_slice::<Challenge>(&json).ok());
    match decoded {
        Some(Challenge {
            status: Some(status),
            scope,
        }) => format!(
            "the server refused the access token: status {status}{}",
            scope.map(|s| format!(" (scope {s})")).unwrap_or_default()
        ),
        _ => "the server refused the access token".to_string(),
    }
}

fn words_of(response: &Response) -> String {
    format!(
        "{} {}",
        response.code(),
        response.message().collect::<Vec<_>>().join(" ")
    )
}
