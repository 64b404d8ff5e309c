//! The configuration file (TOML). Every key is checked: an unknown key or a
//! bad value is an error naming the file, so a typo never goes unnoticed.

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;

use crate::problems::{BadInput, Problem};

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_FILE: &str = "org-insights.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    data_dir: Option<PathBuf>,
    out_dir: Option<PathBuf>,
    #[serde(default)]
    schedule: RawSchedule,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    timezone: Option<String>,
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub out_dir: PathBuf,
    /// The zone in which "today" is taken when there is no activity.
    pub timezone: Tz,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("data"),
            out_dir: PathBuf::from("reports"),
            timezone: Tz::UTC,
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
        BadInput::single(Problem::file(
            &display,
            format!("a readable configuration file ({err})"),
        ))
    })?;
    parse(&text, &display, path.parent().unwrap_or(Path::new("")))
}

fn parse(text: &str, display: &str, base: &Path) -> Result<Config, BadInput> {
    let bad = |expected: String| BadInput::single(Problem::file(display, expected));
    let raw: RawConfig = toml::from_str(text)
        .map_err(|err| bad(format!("valid configuration: {}", err.to_string().trim())))?;
    let defaults = Config::default();
    let timezone = match raw.schedule.timezone {
        Some(name) => name.parse::<Tz>().map_err(|_| {
            bad(format!(
                "[schedule] timezone to be an IANA time zone such as Europe/Berlin, not '{name}'"
            ))
        })?,
        None => defaults.timezone,
    };
    Ok(Config {
        data_dir: base.join(raw.data_dir.unwrap_or(defaults.data_dir)),
        out_dir: base.join(raw.out_dir.unwrap_or(defaults.out_dir)),
        timezone,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_paths_relative_to_the_file_and_the_zone() {
        let config = parse(
            "data_dir = \"in\"\nout_dir = \"/srv/out\"\n[schedule]\ntimezone = \"Europe/Berlin\"\n",
            "c.toml",
            Path::new("/etc/org"),
        )
        .unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/etc/org/in"));
        assert_eq!(config.out_dir, PathBuf::from("/srv/out"));
        assert_eq!(config.timezone, chrono_tz::Europe::Berlin);
    }

    #[test]
    fn unknown_keys_and_zones_are_errors_naming_them() {
        let err = parse("data_dri = \"x\"\n", "c.toml", Path::new("")).unwrap_err();
        assert!(err.to_string().contains("data_dri"), "{err}");
        assert!(err.to_string().contains("c.toml"), "{err}");
        let err = parse(
            "[schedule]\ntimezone = \"Mars/Base\"\n",
            "c.toml",
            Path::new(""),
        )
        .unwrap_err();
        assert!(err.to_string().contains("Mars/Base"), "{err}");
    }
}
