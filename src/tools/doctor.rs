//! `org-insights doctor`: everything the first scheduled run needs,
//! checked before it, so that a new setup fails in front of the admin and
//! not at six in the morning: the configuration, every secret variable, the
//! bundle, the drop folder and the output folder, and with `--connect` the
//! org API key and the mail login (no mail is sent).

use std::path::Path;

use chrono::Utc;

use crate::bundle;
use crate::config::{Config, DailySource};
use crate::email;
use crate::import;
use crate::pipeline;
use crate::problems::{BadInput, Problem, Problems};
use crate::pull;
use crate::review::privacy::Privacy;

/// One line of the checklist: what was checked, and how it went.
struct Check {
    what: &'static str,
    outcome: Outcome,
}

/// How a check went, in words for the admin.
enum Outcome {
    /// What was found.
    Passed(String),
    /// What is wrong, and where.
    Failed(String),
}

impl From<Result<String, String>> for Outcome {
    fn from(result: Result<String, String>) -> Self {
        match result {
            Ok(found) => Outcome::Passed(found),
            Err(wrong) => Outcome::Failed(wrong),
        }
    }
}

/// Runs every check, prints the checklist, and fails listing the checks
/// that did not pass.
pub fn run(config: &Config, config_file: &str, connect: bool) -> Result<(), BadInput> {
    let mut checks = vec![Check {
        what: "configuration",
        outcome: Outcome::Passed(config_file.to_string()),
    }];
    checks.extend(secrets(config));
    checks.push(bundle_check(config));
    if let Some(from) = config.import.as_ref().and_then(|i| i.from.as_ref()) {
        checks.push(Check {
            what: "drop folder",
            outcome: drop_folder(from),
        });
    }
    checks.push(output_check(&config.out_dir));
    checks.push(Check {
        what: "schedule",
        outcome: Outcome::Passed(match config.schedule.next_after(Utc::now()) {
            Some(at) => format!(
                "{} ({}): next run {}",
                config.schedule.expression(),
                config.schedule.timezone(),
                at.with_timezone(&config.schedule.timezone()).to_rfc3339()
            ),
            None => format!("{}: no future run", config.schedule.expression()),
        }),
    });
    if connect {
        checks.extend(connections(config));
    }

    let mut problems = Problems::default();
    for check in &checks {
        match &check.outcome {
            Outcome::Passed(found) => println!("ok      {}: {found}", check.what),
            Outcome::Failed(wrong) => {
                println!("FAILED  {}: {wrong}", check.what);
                problems.push(Problem::file(check.what, wrong.clone()));
            }
        }
    }
    if !connect {
        println!("(add --connect to try the org API key and the mail login too)");
    }
    match problems.into_result() {
        Ok(()) => Ok(()),
        Err(bad) => Err(bad.placed("the setup")),
    }
}

/// The drop folder can be read; files in it that are no export are named.
fn drop_folder(from: &Path) -> Outcome {
    match import::Waiting::scan(from) {
        Ok(waiting) if waiting.unknown.is_empty() => {
            Outcome::Passed(format!("{} can be read", from.display()))
        }
        Ok(waiting) => {
            let names = waiting.unknown_names();
            Outcome::Passed(format!(
                "{} can be read; these files are no export of admin.atlassian.com and stay there: {}",
                from.display(),
                names.join(", ")
            ))
        }
        Err(err) => Outcome::Failed(format!("{} cannot be read: {err:#}", from.display())),
    }
}

/// Every secret the configuration names, read from the environment.
fn secrets(config: &Config) -> Vec<Check> {
    let mut checks = Vec::new();
    let check = |what, read: Result<Option<String>, BadInput>| Check {
        what,
        outcome: match read {
            Ok(_) => Outcome::Passed("set".to_string()),
            Err(bad) => Outcome::Failed(first_problem(&bad)),
        },
    };
    if let Some(settings) = &config.email {
        if settings.password_env.is_some() {
            checks.push(check("SMTP password", settings.password()));
        }
        if settings.oauth2.is_some() {
            checks.push(check("OAuth 2.0 client secret", settings.client_secret()));
        }
    }
    if let Some(atlassian) = &config.atlassian {
        checks.push(check("org API key", atlassian.api_key().map(Some)));
    }
    if config.privacy.hash_key_env.is_some() {
        checks.push(check(
            "hash key",
            Privacy::configured(&config.privacy).map(|_| None),
        ));
    }
    checks
}

/// The bundle passes the check; or there is none yet and a source will
/// write it.
fn bundle_check(config: &Config) -> Check {
    let dir = &config.data_dir;
    let source = config.source == DailySource::Api
        || config.import.as_ref().is_some_and(|i| i.from.is_some());
    let outcome = if bundle::exists(dir) {
        pipeline::check(dir)
            .map(|rows| {
                let rows: Vec<String> = rows
                    .iter()
                    .map(|(table, n)| format!("{} {n} rows", table.name()))
                    .collect();
                format!("{}: OK ({})", dir.display(), rows.join(", "))
            })
            .map_err(|err| format!("{}: {err:#}", dir.display()))
    } else if source {
        Ok(format!(
            "{}: none yet; the first run writes it from its source",
            dir.display()
        ))
    } else {
        Err(format!(
            "{}: no bundle (an accounts table); import or pull one first",
            dir.display()
        ))
    };
    Check {
        what: "bundle",
        outcome: outcome.into(),
    }
}

/// The output folder (or the folder it will be made in) takes a file.
fn output_check(out: &Path) -> Check {
    let absolute = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
    let existing = absolute.ancestors().find(|p| p.exists()).unwrap_or(out);
    let outcome = if !existing.is_dir() {
        Err(format!("{} is a file, not a folder", existing.display()))
    } else {
        match tempfile::Builder::new()
            .prefix(".org-insights-doctor-")
            .tempfile_in(existing)
        {
            Ok(_) if existing == absolute => Ok(format!("{} can be written", out.display())),
            Ok(_) => Ok(format!(
                "{} will be made in {}, which can be written",
                out.display(),
                existing.display()
            )),
            Err(err) => Err(format!("{} cannot be written: {err}", existing.display())),
        }
    };
    Check {
        what: "output folder",
        outcome: outcome.into(),
    }
}

/// The org API key and the mail login, tried for real.
fn connections(config: &Config) -> Vec<Check> {
    let mut checks = Vec::new();
    if let Some(atlassian) = &config.atlassian {
        let outcome = atlassian
            .api_key()
            .map_err(|bad| first_problem(&bad))
            .and_then(|key| pull::try_key(atlassian, &key).map_err(|err| format!("{err:#}")));
        checks.push(Check {
            what: "Atlassian's API",
            outcome: outcome.into(),
        });
    }
    if let Some(settings) = &config.email {
        checks.push(Check {
            what: "mail server",
            outcome: email::check_login(settings)
                .map(|()| {
                    format!(
                        "{}:{} accepted the login (no mail sent; `org-insights test-mail` sends one)",
                        settings.smtp_host, settings.smtp_port
                    )
                })
                .map_err(|err| format!("{err:#}"))
                .into(),
        });
    }
    checks
}

fn first_problem(bad: &BadInput) -> String {
    bad.0
        .listed()
        .first()
        .map(|p| p.expected.clone())
        .unwrap_or_else(|| bad.to_string())
}
