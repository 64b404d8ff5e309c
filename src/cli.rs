//! The command line: flags as clap parses them, and what each command does.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use crate::config;
use crate::pipeline::{self, RunRequest};
use crate::problems::{BadInput, Problem};

/// Security and usage insights of an Atlassian organization, computed offline
/// from the admin's export bundle into a static HTML report.
#[derive(Debug, Parser)]
#[command(name = "org-insights", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (TOML). Default: org-insights.toml in the current
    /// directory when it exists, else data_dir ./data and out_dir ./reports.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Run the report once now with the settings of the configuration file.
    #[arg(long)]
    pub run_now: bool,

    /// Log line format on standard error. RUST_LOG sets the level (default info).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load the bundle, compute every insight and write the report once, now.
    Run(RunArgs),
    /// Check a bundle against the data contract and list every problem,
    /// writing nothing.
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Directory of the export bundle (accounts.csv, activity.parquet, ...).
    /// Default: data_dir of the configuration.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,

    /// Directory that receives <as_of>/, latest and history.csv.
    /// Default: out_dir of the configuration.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Report date (YYYY-MM-DD). Default: the latest activity date, else
    /// today in the configured time zone.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Directory of the export bundle. Default: data_dir of the configuration.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("expected a date as YYYY-MM-DD, not '{text}'"))
}

/// Runs what the command line asks for.
pub fn execute(cli: Cli) -> anyhow::Result<()> {
    let config = config::load(cli.config.as_deref())?;
    match cli.command {
        Some(Command::Run(args)) => {
            let request = RunRequest {
                data_dir: args.data.unwrap_or(config.data_dir),
                out_dir: args.out.unwrap_or(config.out_dir),
                as_of: args.as_of,
                timezone: config.timezone,
            };
            let outcome = pipeline::run(&request)?;
            println!("{}", outcome.report_dir.join("index.html").display());
            Ok(())
        }
        Some(Command::Check(args)) => {
            let data_dir = args.data.unwrap_or(config.data_dir);
            let rows = pipeline::check(&data_dir)?;
            let counts: Vec<String> = rows
                .iter()
                .map(|(t, n)| format!("{} {n} rows", t.name()))
                .collect();
            println!("{}: OK ({})", data_dir.display(), counts.join(", "));
            Ok(())
        }
        None if cli.run_now => {
            let request = RunRequest {
                data_dir: config.data_dir,
                out_dir: config.out_dir,
                as_of: None,
                timezone: config.timezone,
            };
            let outcome = pipeline::run(&request)?;
            println!("{}", outcome.report_dir.join("index.html").display());
            Ok(())
        }
        None => Err(BadInput::single(Problem::file(
            "command line",
            "a command (run, check) or --run-now; see org-insights --help",
        ))
        .into()),
    }
}
