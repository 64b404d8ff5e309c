//! The configuration file (TOML). Every key and value is checked when the
//! program starts: an unknown key, a bad cron expression, an unknown time
//! zone or an address that does not parse is an error naming the file, so a
//! typo never surfaces at six in the morning.

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;

use crate::problems::{BadInput, Expected, Problem};

mod atlassian;
mod email;
mod schedule;
mod settings;

pub use atlassian::AtlassianConfig;
use atlassian::{atlassian_config, RawAtlassian};
use email::{email_config, RawEmail};
pub use email::{EmailConfig, OAuth2, SmtpAuth, TlsMode};
pub use schedule::Schedule;
pub use settings::{
    Access, AccessReview, DailySource, Exception, NameMode, Reclaim, Retention, SendWhen, Target,
    Thresholds, Tokens,
};

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_FILE: &str = "org-insights.toml";
/// Every day at 06:00.
pub const DEFAULT_CRON: &str = "0 0 6 * * *";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    data_dir: Option<PathBuf>,
    out_dir: Option<PathBuf>,
    #[serde(default)]
    schedule: RawSchedule,
    email: Option<RawEmail>,
    #[serde(default)]
    output: RawOutput,
    import: Option<RawImport>,
    #[serde(default)]
    thresholds: Thresholds,
    #[serde(default)]
    privacy: PrivacyConfig,
    #[serde(default)]
    seat_reclaim: RawSeatReclaim,
    #[serde(default)]
    exceptions: Vec<RawException>,
    atlassian: Option<RawAtlassian>,
    #[serde(default)]
    input: RawInput,
    reclaim: Option<Reclaim>,
    tokens: Option<Tokens>,
    #[serde(default)]
    access_review: AccessReview,
}

/// `[input]`: how much of a table may be set aside.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    max_bad_rows_percent: Option<f64>,
    #[serde(default)]
    source: DailySource,
}

/// Bad rows a table may set aside, as a percentage of its rows, before
/// the run stops instead (`[input] max_bad_rows_percent`).
pub const DEFAULT_MAX_BAD_ROWS_PERCENT: f64 = 1.0;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeatReclaim {
    skip_added_within_days: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    account: Option<String>,
    domain: Option<String>,
    reason: Option<String>,
    owner: Option<String>,
    expires: Option<DateValue>,
}

/// A TOML date (`2026-12-31`) or the same date quoted.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum DateValue {
    Date(toml::value::Datetime),
    Text(String),
}

impl DateValue {
    /// The date, or an error saying that `what` is to be one.
    pub fn date(self, what: &str) -> Result<chrono::NaiveDate, Expected> {
        let text = match self {
            DateValue::Date(date) => date.to_string(),
            DateValue::Text(text) => text,
        };
        chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map_err(|_| Expected(format!("{what} to be a date as YYYY-MM-DD, not '{text}'")))
    }
}

/// `[privacy]`: how names and emails appear; the hash key stays in the
/// environment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyConfig {
    #[serde(default)]
    pub names: NameMode,
    pub hash_key_env: Option<String>,
}

/// Seats of accounts added fewer days ago are left out of seat reclaim.
pub const DEFAULT_SKIP_ADDED_WITHIN_DAYS: u64 = 30;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImport {
    from: Option<PathBuf>,
    #[serde(default)]
    verified_domains: Vec<String>,
    managed_max_age_days: Option<u64>,
    strict_columns: Option<bool>,
    max_drop_percent: Option<u64>,
}

/// Days the SSO and 2SV of a managed accounts export hold for the
/// imports without one (`[import] managed_max_age_days`).
pub const DEFAULT_MANAGED_MAX_AGE_DAYS: u64 = 30;

/// Percent fewer accounts with access an import takes without
/// `--accept-drop` (`[import] max_drop_percent`).
pub const DEFAULT_MAX_DROP_PERCENT: u64 = 20;

/// `[import]`: a drop folder of Atlassian's exports, imported into
/// `data_dir` before each scheduled run and each `--run-now`, and the
/// organization's verified domains, for every import.
#[derive(Debug, Clone)]
pub struct ImportConfig {
    /// `None`: no drop folder; `verified_domains` still serve `import`.
    pub from: Option<PathBuf>,
    pub verified_domains: Vec<String>,
    /// How long an import without the managed accounts export keeps the
    /// SSO and 2SV of the last one.
    pub managed_max_age_days: u64,
    /// Refuse a managed accounts export column that looks like a product
    /// but names none (default true).
    pub strict_columns: bool,
    /// The largest drop in accounts with access an import takes unasked.
    pub max_drop_percent: u64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    private: Option<bool>,
    keep_daily: Option<u32>,
    keep_monthly: Option<u32>,
    templates: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    cron: Option<String>,
    timezone: Option<String>,
    catch_up: Option<bool>,
}

/// A secret from the environment variable `variable`, which `key` of the
/// configuration names; a missing or blank one is an error at start.
pub fn secret_from_env(variable: &str, what: &str, key: &str) -> Result<String, BadInput> {
    std::env::var(variable)
        .ok()
        .filter(|secret| !secret.trim().is_empty())
        .ok_or_else(|| {
            BadInput::about(
                "the environment",
                Problem::file(
                    "environment",
                    format!(
                        "{what} in the environment variable {variable} ({key}), which is not set"
                    ),
                ),
            )
        })
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub out_dir: PathBuf,
    pub schedule: Schedule,
    /// At start, run at once when the newest report missed a scheduled run.
    pub catch_up: bool,
    /// `None` when the file has no `[email]` table.
    pub email: Option<EmailConfig>,
    /// Who may read the reports (`[output] private`).
    pub access: Access,
    /// Which dated reports the output folder keeps.
    pub retention: Retention,
    /// A folder of templates overriding the built-in ones of the same name.
    pub templates: Option<PathBuf>,
    pub import: Option<ImportConfig>,
    /// Where the recommendations call for action (`[thresholds]`).
    pub thresholds: Thresholds,
    pub privacy: PrivacyConfig,
    /// `[seat_reclaim] skip_added_within_days`.
    pub skip_added_within_days: u64,
    pub exceptions: Vec<Exception>,
    /// `None` when the file has no `[atlassian]` table.
    pub atlassian: Option<AtlassianConfig>,
    /// `[input] max_bad_rows_percent`.
    pub max_bad_rows_percent: f64,
    /// `[input] source`.
    pub source: DailySource,
    /// `None` when the file has no `[reclaim]` table.
    pub reclaim: Option<Reclaim>,
    /// `[tokens]`, its defaults when the file has none.
    pub tokens: Tokens,
    pub access_review: AccessReview,
}

/// The schedule of a configuration without `[schedule]`.
// DEFAULT_CRON is a constant, not input: `default_schedule_parses` holds it.
#[allow(clippy::expect_used)]
fn default_schedule() -> Schedule {
    Schedule::parse(DEFAULT_CRON, Tz::UTC).expect("the default cron expression parses")
}

/// Where and how the digest is sent. The password itself is never stored
impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("data"),
            out_dir: PathBuf::from("reports"),
            schedule: default_schedule(),
            catch_up: true,
            email: None,
            access: Access::Private,
            retention: Retention::default(),
            templates: None,
            import: None,
            thresholds: Thresholds::default(),
            privacy: PrivacyConfig::default(),
            skip_added_within_days: DEFAULT_SKIP_ADDED_WITHIN_DAYS,
            exceptions: Vec::new(),
            atlassian: None,
            max_bad_rows_percent: DEFAULT_MAX_BAD_ROWS_PERCENT,
            source: DailySource::default(),
            reclaim: None,
            tokens: Tokens::default(),
            access_review: AccessReview::default(),
        }
    }
}

/// Loads `explicit`, else [`DEFAULT_FILE`] in the current directory when it
/// exists, else the defaults. Relative paths in a file are taken from the
/// file's own directory, so the job behaves the same from any working
/// directory (cron, systemd).
pub fn load(explicit: Option<&Path>) -> Result<Config, BadInput> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None if Path::new(DEFAULT_FILE).exists() => PathBuf::from(DEFAULT_FILE),
        None => return Ok(Config::default()),
    };
    let display = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|err| {
        BadInput::about(
            "the configuration",
            Problem::file(&display, format!("a readable configuration file ({err})")),
        )
    })?;
    parse(&text, &display, path.parent().unwrap_or(Path::new("")))
}

/// `[schedule]`'s cron expression in its time zone, or what was expected.
fn schedule_of(raw: &RawSchedule) -> Result<Schedule, String> {
    let timezone = match &raw.timezone {
        Some(name) => name.parse::<Tz>().map_err(|_| {
            format!(
                "[schedule] timezone to be an IANA time zone such as Europe/Berlin, not '{name}'"
            )
        })?,
        None => Tz::UTC,
    };
    let cron = raw.cron.as_deref().unwrap_or(DEFAULT_CRON);
    Schedule::parse(cron, timezone).map_err(|err| {
        format!("[schedule] cron to be six fields, seconds first, such as \"0 0 6 * * *\" ({err})")
    })
}

/// The settings that must lie in a range, checked; returns `[input]
/// max_bad_rows_percent`.
fn checked_limits(raw: &RawConfig) -> Result<f64, String> {
    if raw.privacy.names == NameMode::Hash && raw.privacy.hash_key_env.is_none() {
        return Err(
            "[privacy] hash_key_env, the environment variable holding the key, when names = \"hash\"".to_string(),
        );
    }
    if let Some(key) = raw.thresholds.out_of_range().first() {
        return Err(format!(
            "[thresholds] {key} to be a percentage from 0 to 100 (an increase may exceed 100)"
        ));
    }
    let max_bad_rows_percent = raw
        .input
        .max_bad_rows_percent
        .unwrap_or(DEFAULT_MAX_BAD_ROWS_PERCENT);
    if !(0.0..=100.0).contains(&max_bad_rows_percent) {
        return Err(format!(
            "[input] max_bad_rows_percent to be a percentage from 0 to 100, not {max_bad_rows_percent}"
        ));
    }
    if raw.access_review.every_days == 0 {
        return Err("[access_review] every_days of at least 1".to_string());
    }
    if raw.tokens.is_some_and(|t| t.idle_days == 0) {
        return Err("[tokens] idle_days of at least 1".to_string());
    }
    if let Some(reclaim) = &raw.reclaim {
        if reclaim.idle_days == 0 || !(0.0..=100.0).contains(&reclaim.max_percent) {
            return Err(
                "[reclaim] idle_days of at least 1 and max_percent from 0 to 100".to_string(),
            );
        }
    }
    Ok(max_bad_rows_percent)
}

fn parse(text: &str, display: &str, base: &Path) -> Result<Config, BadInput> {
    let bad =
        |expected: String| BadInput::about("the configuration", Problem::file(display, expected));
    let mut raw: RawConfig = toml::from_str(text)
        .map_err(|err| bad(format!("valid configuration: {}", err.to_string().trim())))?;
    let defaults = Config::default();

    let schedule = schedule_of(&raw.schedule).map_err(bad)?;
    let exceptions = std::mem::take(&mut raw.exceptions)
        .into_iter()
        .enumerate()
        .map(|(i, raw)| exception(i + 1, raw))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|expected| bad(expected.0))?;
    let max_bad_rows_percent = checked_limits(&raw).map_err(bad)?;
    if raw.input.source == DailySource::Api && raw.atlassian.is_none() {
        return Err(bad(
            "an [atlassian] table (base_url, api_key_env) with [input] source = \"api\""
                .to_string(),
        ));
    }
    let email = raw
        .email
        .map(|email| email_config(email, base))
        .transpose()
        .map_err(|expected| bad(expected.0))?;
    let atlassian = raw
        .atlassian
        .map(atlassian_config)
        .transpose()
        .map_err(|expected| bad(expected.0))?;

    Ok(Config {
        data_dir: base.join(raw.data_dir.unwrap_or(defaults.data_dir)),
        out_dir: base.join(raw.out_dir.unwrap_or(defaults.out_dir)),
        schedule,
        catch_up: raw.schedule.catch_up.unwrap_or(defaults.catch_up),
        email,
        access: match raw.output.private {
            Some(false) => Access::Shared,
            _ => Access::Private,
        },
        retention: Retention {
            keep_daily: raw.output.keep_daily,
            keep_monthly: raw.output.keep_monthly,
        },
        templates: raw.output.templates.map(|dir| base.join(dir)),
        import: raw.import.map(|import| ImportConfig {
            from: import.from.map(|from| base.join(from)),
            verified_domains: import.verified_domains,
            managed_max_age_days: import
                .managed_max_age_days
                .unwrap_or(DEFAULT_MANAGED_MAX_AGE_DAYS),
            strict_columns: import.strict_columns.unwrap_or(true),
            max_drop_percent: import.max_drop_percent.unwrap_or(DEFAULT_MAX_DROP_PERCENT),
        }),
        thresholds: raw.thresholds,
        privacy: raw.privacy,
        skip_added_within_days: raw
            .seat_reclaim
            .skip_added_within_days
            .unwrap_or(DEFAULT_SKIP_ADDED_WITHIN_DAYS),
        exceptions,
        atlassian,
        max_bad_rows_percent,
        source: raw.input.source,
        reclaim: raw.reclaim,
        tokens: raw.tokens.unwrap_or_default(),
        access_review: raw.access_review,
    })
}

/// The `n`th `[[exceptions]]` entry: one of `account` or `domain`, and a
/// reason, an owner and an expiry date, so none is forgotten.
fn exception(n: usize, raw: RawException) -> Result<Exception, Expected> {
    let entry = format!("[[exceptions]] entry {n}");
    let filled = |value: Option<String>, key: &str, what: &str| {
        value
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("{entry}: {key}, {what}"))
    };
    let target = match (raw.account, raw.domain) {
        (Some(account), None) => Target::Account(account.trim().to_string()),
        (None, Some(domain)) => Target::Domain(domain.trim().to_lowercase()),
        _ => {
            return Err(Expected::from(format!(
                "{entry}: exactly one of account or domain"
            )))
        }
    };
    let expires = raw
        .expires
        .ok_or_else(|| format!("{entry}: expires, the last day the exception holds (YYYY-MM-DD)"))?
        .date(&format!("{entry}: expires"))?;
    Ok(Exception {
        target,
        reason: filled(raw.reason, "reason", "why the exception exists")?,
        owner: filled(raw.owner, "owner", "who answers for it")?,
        expires,
    })
}

/// A URL a secret may be sent to: https, or plain http to this machine's
/// loopback only (tests).
fn https_or_loopback(text: &str, key: &str) -> Result<reqwest::Url, Expected> {
    let url = reqwest::Url::parse(text)
        .map_err(|err| format!("{key} to be a URL, not '{text}' ({err})"))?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(Expected::from(format!(
            "{key} to be an https URL (http only on this machine's loopback), not '{text}'"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::atlassian::DEFAULT_API_KEY_ENV;
    use super::*;

    fn parse_ok(text: &str) -> Config {
        parse(text, "c.toml", Path::new("/etc/org")).unwrap()
    }

    fn parse_err(text: &str) -> String {
        parse(text, "c.toml", Path::new("/etc/org"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reads_paths_relative_to_the_file_and_the_schedule() {
        let config = parse_ok(
            "data_dir = \"in\"\nout_dir = \"/srv/out\"\n[schedule]\ncron = \"0 30 7 * * MON-FRI\"\ntimezone = \"Europe/Berlin\"\ncatch_up = false\n",
        );
        assert_eq!(config.data_dir, PathBuf::from("/etc/org/in"));
        assert_eq!(config.out_dir, PathBuf::from("/srv/out"));
        assert_eq!(config.schedule.timezone(), chrono_tz::Europe::Berlin);
        assert_eq!(config.schedule.expression(), "0 30 7 * * MON-FRI");
        assert!(!config.catch_up);
        assert!(config.email.is_none());
    }

    #[test]
    fn every_bad_value_is_named() {
        let err = parse_err("data_dri = \"x\"\n");
        assert!(err.contains("data_dri") && err.contains("c.toml"), "{err}");
        // Headed by where the problem is, not "the input".
        assert!(
            err.starts_with("1 problem(s) in the configuration:"),
            "{err}"
        );
        let err = parse_err("[input]\nmax_bad_rows_percent = -1\n");
        assert!(err.contains("max_bad_rows_percent"), "{err}");
        let err = parse_err("[schedule]\ntimezone = \"Mars/Base\"\n");
        assert!(err.contains("Mars/Base"), "{err}");
        let err = parse_err("[schedule]\ncron = \"0 6 * * *\"\n");
        assert!(err.contains("[schedule] cron"), "{err}");
        let err = parse_err("[schedule]\ncron = \"0 0 25 * * *\"\n");
        assert!(err.contains("[schedule] cron"), "{err}");
        let err =
            parse_err("[email]\nsmtp_host = \"h\"\nfrom = \"not an address\"\nto = [\"a@b.c\"]\n");
        assert!(
            err.contains("[email] from") && err.contains("not an address"),
            "{err}"
        );
        let err =
            parse_err("[email]\nsmtp_host = \"h\"\nfrom = \"a@b.c\"\nto = [\"x@y.z\", \"@@\"]\n");
        assert!(err.contains("[email] to") && err.contains("@@"), "{err}");
        let err = parse_err("[email]\nsmtp_host = \"h\"\nfrom = \"a@b.c\"\nto = []\n");
        assert!(err.contains("at least one recipient"), "{err}");
        let err = parse_err(
            "[email]\nsmtp_host = \"h\"\nfrom = \"a@b.c\"\nto = [\"x@y.z\"]\ntls = \"ssl\"\n",
        );
        assert!(err.contains("ssl"), "{err}");
        let err = parse_err(
            "[email]\nsmtp_host = \"h\"\nfrom = \"a@b.c\"\nto = [\"x@y.z\"]\nusername = \"u\"\n",
        );
        assert!(err.contains("password_env"), "{err}");
        let err = parse_err("[email]\nsmtp_host = \"h\"\nfrom = \"a@b.c\"\nto = [\"x@y.z\"]\nca_file = \"/nonexistent.pem\"\n");
        assert!(err.contains("ca_file"), "{err}");
        let err = parse_err("[email]\nsmtp_host = \"h\"\nfrom = \"a@b.c\"\nto = [\"x@y.z\"]\npassword = \"secret\"\n");
        assert!(err.contains("password"), "{err}");
        let err = parse_err("[thresholds]\nmanaged_two_step_min_percent = 120\n");
        assert!(
            err.contains("[thresholds] managed_two_step_min_percent"),
            "{err}"
        );
        let err = parse_err("[thresholds]\nmanaged_2sv = 90\n");
        assert!(err.contains("managed_2sv"), "{err}");
    }

    #[test]
    fn atlassian_defaults_and_refusals() {
        let config = parse_ok("[atlassian]\n");
        let atlassian = config.atlassian.unwrap();
        assert_eq!(atlassian.api_key_env, DEFAULT_API_KEY_ENV);
        assert_eq!(atlassian.base_url.as_str(), "https://api.atlassian.com/");
        assert_eq!((atlassian.org_id, atlassian.key_expires), (None, None));
        let config = parse_ok(
            "[atlassian]\norg_id = \"o1\"\nbase_url = \"http://127.0.0.1:8080\"\nkey_expires = 2027-11-01\n",
        );
        let atlassian = config.atlassian.unwrap();
        assert_eq!(atlassian.org_id.as_deref(), Some("o1"));
        assert_eq!(
            atlassian.key_expires,
            chrono::NaiveDate::from_ymd_opt(2027, 11, 1)
        );
        // The key never crosses a network in clear text.
        for url in ["http://api.example.com", "ftp://127.0.0.1", "not a url"] {
            let err = parse_err(&format!("[atlassian]\nbase_url = \"{url}\"\n"));
            assert!(
                err.contains("[atlassian] base_url") && err.contains(url),
                "{err}"
            );
        }
        assert!(parse_ok("[atlassian]\nbase_url = \"http://localhost:9\"\n")
            .atlassian
            .is_some());
        let err = parse_err("[atlassian]\nkey_expires = \"soon\"\n");
        assert!(err.contains("key_expires") && err.contains("soon"), "{err}");
        let err = parse_err("[atlassian]\napi_key = \"secret\"\n");
        assert!(err.contains("api_key"), "{err}");
        let err = parse_err("[atlassian]\norg_id = \" \"\n");
        assert!(err.contains("[atlassian] org_id"), "{err}");
    }

    #[test]
    fn smtp_logins_and_oauth2_sources_are_checked() {
        let email = "[email]\nsmtp_host = \"h\"\nfrom = \"r@example.com\"\nto = [\"x@y.z\"]\n";
        let grant = "[email.oauth2]\ntoken_url = \"https://login.example.com/t\"\nclient_id = \"c\"\nclient_secret_env = \"S\"\nscope = \"s\"\n";
        let config = parse_ok(&format!("{email}auth = \"xoauth2\"\n{grant}"));
        let settings = config.email.unwrap();
        // The sender's mailbox logs in when no username is set.
        assert_eq!(settings.username.as_deref(), Some("r@example.com"));
        assert!(matches!(
            settings.oauth2,
            Some(OAuth2::ClientCredentials { ref client_secret_env, .. }) if client_secret_env == "S"
        ));
        let config = parse_ok(&format!(
            "{email}auth = \"xoauth2\"\n[email.oauth2]\ntoken_command = [\"az\", \"account\"]\n"
        ));
        assert_eq!(
            config.email.unwrap().oauth2,
            Some(OAuth2::Command {
                program: "az".into(),
                args: vec!["account".into()]
            })
        );
        let refusals = [
            (format!("{email}auth = \"xoauth2\"\n"), "[email.oauth2]"),
            (format!("{email}{grant}"), "auth = \"xoauth2\""),
            (format!("{email}auth = \"plain\"\n"), "[email] username"),
            (
                format!("{email}auth = \"xoauth2\"\npassword_env = \"P\"\n{grant}"),
                "password_env",
            ),
            (
                format!("{email}auth = \"xoauth2\"\n{grant}token_command = [\"x\"]\n"),
                "exactly one of token_command",
            ),
            (
                format!("{email}auth = \"xoauth2\"\n[email.oauth2]\ntoken_url = \"http://login.example.com/t\"\nclient_id = \"c\"\nclient_secret_env = \"S\"\nscope = \"s\"\n"),
                "token_url to be an https URL",
            ),
            (
                format!("{email}auth = \"xoauth2\"\n[email.oauth2]\ntoken_url = \"https://l.example.com\"\nclient_id = \"c\"\nscope = \"s\"\n"),
                "client_secret_env",
            ),
            (format!("{email}auth = \"xoauth2\"\n[email.oauth2]\ntoken_command = []\n"), "token_command to name a program"),
            (format!("{email}auth = \"cram-md5\"\n"), "cram-md5"),
        ];
        for (text, expected) in refusals {
            let err = parse_err(&text);
            assert!(err.contains(expected), "{expected}: {err}");
        }
    }

    #[test]
    fn one_address_alone_and_an_import_without_a_drop_folder() {
        let email = "[email]\nsmtp_host = \"h\"\nfrom = \"a@b.c\"\n";
        let config = parse_ok(&format!(
            "{email}to = \"it@acme.com\"\nfailures_to = \"oncall@acme.com\"\n"
        ));
        let email = config.email.unwrap();
        assert_eq!(email.to.len(), 1);
        assert_eq!(email.to[0].email.to_string(), "it@acme.com");
        assert_eq!(
            email.failure_recipients()[0].email.to_string(),
            "oncall@acme.com"
        );
        let config = parse_ok("[import]\nverified_domains = [\"acme.com\"]\n");
        let import = config.import.unwrap();
        assert_eq!(import.from, None);
        assert_eq!(import.verified_domains, vec!["acme.com".to_string()]);
        assert_eq!(import.managed_max_age_days, DEFAULT_MANAGED_MAX_AGE_DAYS);
        assert_eq!(
            parse_ok("").max_bad_rows_percent,
            DEFAULT_MAX_BAD_ROWS_PERCENT
        );
    }

    #[test]
    fn default_schedule_parses() {
        assert!(Schedule::parse(DEFAULT_CRON, Tz::UTC).is_ok());
        let _ = Config::default();
    }

    #[test]
    fn thresholds_default_when_left_out() {
        let config = parse_ok("[thresholds]\nexternal_policy_min_percent = 90\n");
        assert_eq!(config.thresholds.external_policy_min_percent, 90.0);
        assert_eq!(config.thresholds.managed_two_step_min_percent, 95.0);
        assert_eq!(parse_ok("").thresholds, Thresholds::default());
    }

    #[test]
    fn email_defaults_follow_the_tls_mode() {
        let config = parse_ok(
            "[email]\nenabled = true\nsmtp_host = \"smtp.example.com\"\nfrom = \"Org insights <r@example.com>\"\nto = [\"it@example.com\"]\n",
        );
        let email = config.email.unwrap();
        assert!(email.enabled && email.attach_report);
        assert_eq!((email.tls, email.smtp_port), (TlsMode::Starttls, 587));
        assert_eq!(email.from.name.as_deref(), Some("Org insights"));
        let config = parse_ok(
            "[email]\nsmtp_host = \"h\"\ntls = \"tls\"\nfrom = \"r@example.com\"\nto = [\"it@example.com\"]\n",
        );
        assert_eq!(config.email.unwrap().smtp_port, 465);
    }

    #[test]
    fn the_example_file_is_valid() {
        let config = parse_ok(include_str!("../../org-insights.example.toml"));
        assert_eq!(config.schedule.expression(), "0 0 6 * * *");
        let email = config.email.unwrap();
        assert!(!email.enabled);
        assert_eq!(
            email.password_env.as_deref(),
            Some("ORG_INSIGHTS_SMTP_PASSWORD")
        );
        assert_eq!((email.send, email.include_names), (SendWhen::Always, false));
        // The example documents the defaults.
        assert_eq!(config.thresholds, Thresholds::default());
        assert_eq!(
            config.skip_added_within_days,
            DEFAULT_SKIP_ADDED_WITHIN_DAYS
        );
        assert_eq!(config.privacy.names, NameMode::Show);
    }
}
