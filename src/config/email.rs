//! `[email]` and `[email.oauth2]`: where and how the digest (and the
//! failure mail) is sent. Checked at start like every other key; the
//! secrets themselves stay in the environment until a message is sent.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::Mailbox;
use serde::Deserialize;

use super::{https_or_loopback, secret_from_env, SendWhen};
use crate::problems::{BadInput, Expected};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEmail {
    #[serde(default)]
    enabled: bool,
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    tls: Option<TlsMode>,
    ca_file: Option<PathBuf>,
    username: Option<String>,
    password_env: Option<String>,
    from: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    to: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    failures_to: Vec<String>,
    attach_report: Option<bool>,
    timeout_seconds: Option<u64>,
    report_url: Option<String>,
    #[serde(default)]
    send: SendWhen,
    #[serde(default)]
    include_names: bool,
    #[serde(default)]
    alert_on_actions: Vec<String>,
    #[serde(default)]
    auth: SmtpAuth,
    oauth2: Option<RawOAuth2>,
}

/// A list of addresses, or one address alone (`to = "it@acme.com"`).
fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged, expecting = "an address or a list of addresses")]
    enum Addresses {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Addresses::deserialize(deserializer)? {
        Addresses::One(address) => vec![address],
        Addresses::Many(addresses) => addresses,
    })
}

/// `[email.oauth2]`: where an XOAUTH2 access token comes from, one of a
/// client-credentials grant or a command.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOAuth2 {
    token_url: Option<String>,
    client_id: Option<String>,
    client_secret_env: Option<String>,
    scope: Option<String>,
    token_command: Option<Vec<String>>,
}

/// How the digest logs in to the SMTP server (`[email] auth`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpAuth {
    /// With a username: what the server offers, PLAIN first, then LOGIN.
    #[default]
    Auto,
    Plain,
    Login,
    /// An OAuth 2.0 access token (SASL XOAUTH2) from `[email.oauth2]`.
    Xoauth2,
}

/// Where the XOAUTH2 access token comes from. Only the names of the
/// variables holding secrets are kept, never the secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuth2 {
    /// The client-credentials grant (RFC 6749 section 4.4).
    ClientCredentials {
        token_url: reqwest::Url,
        client_id: String,
        client_secret_env: String,
        scope: String,
    },
    /// A program that prints the token on standard output, run without a
    /// shell.
    Command { program: String, args: Vec<String> },
}

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain text: only for a relay on the same host or a test server.
    None,
    /// STARTTLS, required (no fallback to plain text); port 587 by default.
    Starttls,
    /// TLS from the first byte (SMTPS); port 465 by default.
    Tls,
}

impl TlsMode {
    fn default_port(self) -> u16 {
        match self {
            TlsMode::None => 25,
            TlsMode::Starttls => 587,
            TlsMode::Tls => 465,
        }
    }
}

/// here: it is read from the environment when a message is sent.
#[derive(Clone)]
pub struct EmailConfig {
    /// Send a digest after every scheduled run.
    pub enabled: bool,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub tls: TlsMode,
    /// PEM certificate of an extra trusted CA.
    pub ca_pem: Option<Vec<u8>>,
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
    /// Who is told when an unattended run fails (empty: `to`).
    pub failures_to: Vec<Mailbox>,
    pub attach_report: bool,
    pub timeout: Duration,
    /// Where `out_dir` is published, for the link in the digest.
    pub report_url: Option<String>,
    /// When a run mails the digest.
    pub send: SendWhen,
    /// Whether the digest (and its attachment) may show names and emails.
    pub include_names: bool,
    /// Audit log actions (`added_org_admin`, …) that mail the digest at
    /// once, whatever `send` says, when one happened since the last report.
    pub alert_on_actions: Vec<String>,
    pub auth: SmtpAuth,
    /// With `auth = "xoauth2"`: where the access token comes from.
    pub oauth2: Option<OAuth2>,
}

impl EmailConfig {
    /// The SMTP password from the environment, when a username is set.
    pub fn password(&self) -> Result<Option<String>, BadInput> {
        let (Some(_), Some(variable)) = (&self.username, &self.password_env) else {
            return Ok(None);
        };
        secret_from_env(variable, "the SMTP password", "[email] password_env").map(Some)
    }

    /// The OAuth 2.0 client secret from the environment, for the
    /// client-credentials grant.
    pub fn client_secret(&self) -> Result<Option<String>, BadInput> {
        let Some(OAuth2::ClientCredentials {
            client_secret_env, ..
        }) = &self.oauth2
        else {
            return Ok(None);
        };
        secret_from_env(
            client_secret_env,
            "the OAuth 2.0 client secret",
            "[email.oauth2] client_secret_env",
        )
        .map(Some)
    }

    /// Who hears of a failed unattended run: `failures_to`, else `to`.
    pub fn failure_recipients(&self) -> &[Mailbox] {
        if self.failures_to.is_empty() {
            &self.to
        } else {
            &self.failures_to
        }
    }

    /// Fails at start, not at the first send, when a secret is missing.
    pub fn check_secrets(&self) -> Result<(), BadInput> {
        self.password()?;
        self.client_secret().map(|_| ())
    }
}

impl std::fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailConfig")
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("tls", &self.tls)
            .field("to", &self.to.len())
            .finish_non_exhaustive()
    }
}

pub(super) fn email_config(mut raw: RawEmail, base: &Path) -> Result<EmailConfig, Expected> {
    let mailbox = |key: &str, text: &str| {
        text.parse::<Mailbox>()
            .map_err(|err| format!("[email] {key} to be an email address, not '{text}' ({err})"))
    };
    let smtp_host = raw
        .smtp_host
        .take()
        .filter(|h| !h.trim().is_empty())
        .ok_or("[email] smtp_host, the SMTP server to send through")?;
    let from = mailbox(
        "from",
        raw.from
            .as_deref()
            .ok_or("[email] from, the sender address")?,
    )?;
    if raw.to.is_empty() {
        return Err(Expected::from(
            "[email] to, a list of at least one recipient".to_string(),
        ));
    }
    let to = raw
        .to
        .iter()
        .map(|address| mailbox("to", address))
        .collect::<Result<Vec<_>, _>>()?;
    let failures_to = raw
        .failures_to
        .iter()
        .map(|address| mailbox("failures_to", address))
        .collect::<Result<Vec<_>, _>>()?;
    let oauth2 = raw.oauth2.take().map(oauth2_config).transpose()?;
    let username = smtp_login(&raw, oauth2.is_some(), &from)?;
    let ca_pem = raw
        .ca_file
        .as_ref()
        .map(|file| ca_pem(&base.join(file)))
        .transpose()?;
    let tls = raw.tls.unwrap_or(TlsMode::Starttls);
    Ok(EmailConfig {
        enabled: raw.enabled,
        smtp_host,
        smtp_port: raw.smtp_port.unwrap_or(tls.default_port()),
        tls,
        ca_pem,
        username,
        password_env: raw.password_env,
        from,
        to,
        failures_to,
        attach_report: raw.attach_report.unwrap_or(true),
        timeout: Duration::from_secs(raw.timeout_seconds.unwrap_or(30).max(1)),
        report_url: raw.report_url,
        send: raw.send,
        include_names: raw.include_names,
        alert_on_actions: raw
            .alert_on_actions
            .iter()
            .map(|a| a.trim().to_lowercase())
            .collect(),
        auth: raw.auth,
        oauth2,
    })
}

/// The SMTP login `auth` asks for: with XOAUTH2, the mailbox (the sender
/// unless `username` says otherwise) and a token source instead of a
/// password; with a password, `username` with `password_env`.
fn smtp_login(
    raw: &RawEmail,
    has_oauth2: bool,
    from: &Mailbox,
) -> Result<Option<String>, Expected> {
    if raw.auth == SmtpAuth::Xoauth2 {
        if !has_oauth2 {
            return Err(Expected::from(
                "[email.oauth2], where the access token comes from, when auth = \"xoauth2\""
                    .to_string(),
            ));
        }
        if raw.password_env.is_some() {
            return Err(Expected::from("no [email] password_env with auth = \"xoauth2\": the access token replaces the password".to_string()));
        }
        return Ok(Some(
            raw.username
                .clone()
                .unwrap_or_else(|| from.email.to_string()),
        ));
    }
    if has_oauth2 {
        return Err(Expected::from(
            "[email] auth = \"xoauth2\" with [email.oauth2]".to_string(),
        ));
    }
    if raw.auth != SmtpAuth::Auto && raw.username.is_none() {
        return Err(Expected::from(
            "[email] username, the SMTP login, when auth is plain or login".to_string(),
        ));
    }
    if raw.username.is_some() && raw.password_env.is_none() {
        return Err(Expected::from(
            "[email] password_env, the environment variable holding the SMTP password, when username is set"
                .to_string(),
        ));
    }
    Ok(raw.username.clone())
}

/// The PEM certificate of `[email] ca_file`, checked to be one.
fn ca_pem(path: &Path) -> Result<Vec<u8>, Expected> {
    let pem = std::fs::read(path).map_err(|err| {
        format!(
            "[email] ca_file to be a readable PEM file: {} ({err})",
            path.display()
        )
    })?;
    lettre::transport::smtp::client::Certificate::from_pem(&pem).map_err(|err| {
        format!(
            "[email] ca_file to hold a PEM certificate: {} ({err})",
            path.display()
        )
    })?;
    Ok(pem)
}

/// `[email.oauth2]`: exactly one of the client-credentials grant (all four
/// keys) or `token_command`.
fn oauth2_config(raw: RawOAuth2) -> Result<OAuth2, Expected> {
    let grant = [
        &raw.token_url,
        &raw.client_id,
        &raw.client_secret_env,
        &raw.scope,
    ];
    match (raw.token_command, grant.iter().any(|key| key.is_some())) {
        (Some(command), false) => {
            let mut command = command.into_iter();
            let program = command
                .next()
                .filter(|p| !p.trim().is_empty())
                .ok_or("[email.oauth2] token_command to name a program, as [\"program\", \"arg\", ...]")?;
            Ok(OAuth2::Command {
                program,
                args: command.collect(),
            })
        }
        (None, true) => {
            let required = |value: Option<String>, key: &str, what: &str| {
                value
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| format!("[email.oauth2] {key}, {what}"))
            };
            let token_url = required(raw.token_url, "token_url", "the token endpoint")?;
            Ok(OAuth2::ClientCredentials {
                token_url: https_or_loopback(&token_url, "[email.oauth2] token_url")?,
                client_id: required(raw.client_id, "client_id", "the application (client) id")?,
                client_secret_env: required(
                    raw.client_secret_env,
                    "client_secret_env",
                    "the environment variable holding the client secret",
                )?,
                scope: required(raw.scope, "scope", "the scope to ask for")?,
            })
        }
        _ => Err(Expected::from("[email.oauth2] to have exactly one of token_command, or token_url with client_id, client_secret_env and scope".to_string())),
    }
}
