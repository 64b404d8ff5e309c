//! How the digest logs in to the SMTP server: with a password (PLAIN or
//! LOGIN, `[email] auth`), or with an OAuth 2.0 access token (SASL
//! XOAUTH2) from a client-credentials grant or from a command, which is
//! what Microsoft 365 and Google Workspace accept once password logins are
//! off. A token from the grant is kept until shortly before it expires, so
//! a schedule asks for one only when the last has run out.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use serde::Deserialize;

use crate::config::{EmailConfig, OAuth2, SmtpAuth};
use crate::support::blocking;

/// What one connection logs in with.
pub struct Login {
    pub credentials: Credentials,
    /// Who logs in (for XOAUTH2, the mailbox).
    pub username: String,
    pub mechanisms: Vec<Mechanism>,
    /// The password or token, to be kept out of every message.
    pub secret: String,
}

/// Why no login could be made: an error for the digest's failure (exit 3),
/// its text free of secrets.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LoginFailed(pub String);

/// The login `settings` ask for (`None`: the server is used without one).
/// `fresh` forgets a kept token first: the server refused the last one.
pub fn login(settings: &EmailConfig, fresh: bool) -> Result<Option<Login>, LoginFailed> {
    let Some(username) = settings.username.clone() else {
        return Ok(None);
    };
    let mechanisms = match settings.auth {
        SmtpAuth::Auto => vec![Mechanism::Plain, Mechanism::Login],
        SmtpAuth::Plain => vec![Mechanism::Plain],
        SmtpAuth::Login => vec![Mechanism::Login],
        SmtpAuth::Xoauth2 => vec![Mechanism::Xoauth2],
    };
    let secret = match (&settings.oauth2, settings.auth) {
        (Some(source), SmtpAuth::Xoauth2) => access_token(settings, source, fresh)?,
        _ => settings
            .password()
            .map_err(|err| LoginFailed(err.to_string()))?
            .unwrap_or_default(),
    };
    Ok(Some(Login {
        credentials: Credentials::new(username.clone(), secret.clone()),
        username,
        mechanisms,
        secret,
    }))
}

/// `text` with every occurrence of each secret replaced.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(text.to_string(), |text, secret| {
            text.replace(secret, "[redacted]")
        })
}

/// A token of the client-credentials grant, kept for the next sends.
struct KeptToken {
    /// Which grant it came from (token URL, client id and scope).
    grant: String,
    token: String,
    usable_until: Instant,
}

static KEPT: Mutex<Option<KeptToken>> = Mutex::new(None);

fn access_token(
    settings: &EmailConfig,
    source: &OAuth2,
    fresh: bool,
) -> Result<String, LoginFailed> {
    match source {
        OAuth2::Command { program, args } => run_token_command(program, args, settings.timeout),
        OAuth2::ClientCredentials {
            token_url,
            client_id,
            scope,
            ..
        } => {
            let grant = format!("{token_url} {client_id} {scope}");
            let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(token) = kept
                .as_ref()
                .filter(|k| !fresh && k.grant == grant && Instant::now() < k.usable_until)
            {
                return Ok(token.token.clone());
            }
            let secret = settings
                .client_secret()
                .map_err(|err| LoginFailed(err.to_string()))?
                .unwrap_or_default();
            let (token, lifetime) =
                fetch_token(token_url, client_id, &secret, scope, settings.timeout)?;
            *kept = Some(KeptToken {
                grant,
                token: token.clone(),
                usable_until: Instant::now() + usable_for(lifetime),
            });
            Ok(token)
        }
    }
}

/// How long a token that lives `lifetime` is used: until a minute before
/// it expires, or a fifth of its life before for a short-lived one.
fn usable_for(lifetime: Duration) -> Duration {
    lifetime.saturating_sub((lifetime / 5).min(Duration::from_secs(60)))
}

#[derive(Deserialize)]
struct Granted {
    access_token: String,
    /// Seconds; some servers send it as a string.
    expires_in: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Refused {
    error: String,
    error_description: Option<String>,
}

/// Without `expires_in`, a token is taken to live an hour (the usual).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// POSTs the client-credentials grant (RFC 6749 section 4.4) to `url`.
fn fetch_token(
    url: &reqwest::Url,
    client_id: &str,
    secret: &str,
    scope: &str,
    timeout: Duration,
) -> Result<(String, Duration), LoginFailed> {
    let failed = |detail: String| {
        LoginFailed(redact(
            &format!("getting an access token from {url} failed: {detail}"),
            &[secret],
        ))
    };
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret),
        ("scope", scope),
    ];
    let exchange = async {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .build()?;
        let response = client.post(url.clone()).form(&form).send().await?;
        let status = response.status();
        Ok::<_, reqwest::Error>((status, response.bytes().await?))
    };
    let (status, body) = blocking::block_on(exchange)
        .map_err(|err| failed(err.to_string()))?
        .map_err(|err| failed(err.without_url().to_string()))?;
    if !status.is_success() {
        return Err(match serde_json::from_slice::<Refused>(&body) {
            Ok(refused) => failed(format!(
                "the token endpoint refused ({status}): {}{}",
                refused.error,
                refused
                    .error_description
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            )),
            Err(_) => failed(format!("the token endpoint answered {status}")),
        });
    }
    let granted: Granted = serde_json::from_slice(&body)
        .map_err(|err| failed(format!("the answer has no access_token ({err})")))?;
    let lifetime = match granted.expires_in {
        Some(serde_json::Value::Number(n)) => n.as_u64().map(Duration::from_secs),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok().map(Duration::from_secs),
        _ => None,
    }
    .unwrap_or(DEFAULT_LIFETIME);
    Ok((granted.access_token, lifetime))
}

/// Runs `program` (no shell) and takes the token it prints on standard
/// output; a program that fails or takes longer than `timeout` is an
/// error with its exit code and standard error.
fn run_token_command(
    program: &str,
    args: &[String],
    timeout: Duration,
) -> Result<String, LoginFailed> {
    let failed = |detail: String| LoginFailed(format!("token_command {program} {detail}"));
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| failed(format!("could not be started: {err}")))?;
    // Read both pipes while the program runs, so a full pipe cannot stall it.
    let read = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = read(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = read(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failed(format!(
                    "did not finish within {} s: stopped",
                    timeout.as_secs()
                )));
            }
            Err(err) => return Err(failed(format!("could not be waited for: {err}"))),
        }
    };
    let token = stdout.join().unwrap_or_default().trim().to_string();
    let errors = stderr.join().unwrap_or_default();
    let errors = last_chars(errors.trim(), 500);
    if !status.success() {
        let code = status
            .code()
            .map(|c| format!("exit code {c}"))
            .unwrap_or_else(|| "a signal".to_string());
        return Err(failed(format!(
            "failed with {code}: {}",
            redact(&errors, &[&token])
        )));
    }
    if token.is_empty() {
        return Err(failed(format!("printed no token: {errors}")));
    }
    Ok(token)
}

/// The last `n` characters of `text`, where an error usually is.
fn last_chars(text: &str, n: usize) -> String {
    let count = text.chars().count();
    text.chars().skip(count.saturating_sub(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_used_until_shortly_before_they_expire() {
        assert_eq!(
            usable_for(Duration::from_secs(3600)),
            Duration::from_secs(3540)
        );
        assert_eq!(usable_for(Duration::from_secs(10)), Duration::from_secs(8));
        assert_eq!(usable_for(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn secrets_are_redacted_wherever_they_stand() {
        assert_eq!(
            redact("535 bad token tok-123 for tok-123", &["tok-123", ""]),
            "535 bad token [redacted] for [redacted]"
        );
        assert_eq!(last_chars("abcdef", 3), "def");
    }
}
