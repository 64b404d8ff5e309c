//! The command line: flags as clap parses them, and what each command does.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use crate::access_review;
use crate::config::{self, Config};
use crate::email;
use crate::error::Error;
use crate::import;
use crate::pipeline::RunControl;
use crate::pipeline::{self, RunRequest};
use crate::problems::{BadInput, Expected, Problem};
use crate::pull;
use crate::reclaim;
use crate::report::templates;
use crate::review::privacy::Privacy;
use crate::runner;
use crate::schedule;
use crate::tokens;
use crate::tools::doctor;
use crate::tools::generate::{self, OutputFormat};

/// Security and usage insights of an Atlassian organization, computed offline
/// from the admin's export bundle into a static HTML report.
#[derive(Debug, Parser)]
#[command(name = "org-insights", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (TOML). Default: org-insights.toml in the current
    /// directory when it exists, else data_dir ./data and out_dir ./reports.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Run the report once now with the settings of the configuration file
    /// (mailing the digest when [email] enabled = true). With `schedule`:
    /// run once at start, then follow the schedule.
    #[arg(long, global = true)]
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
    /// Run the report on the cron schedule of the configuration file until
    /// SIGINT or SIGTERM, mailing the digest when [email] enabled = true.
    Schedule,
    /// Turn the CSV exports of admin.atlassian.com into a bundle, adding
    /// each day's "last seen" dates to the activity history.
    Import(ImportArgs),
    /// Read the organization through Atlassian's Organizations REST API
    /// (the [atlassian] settings, the org API key in the environment) and
    /// write or update a bundle, adding each day's last-active dates to the
    /// activity history.
    Pull(PullArgs),
    /// Write a deterministic synthetic bundle (for benchmarks and demos):
    /// the same options and seed give the same files.
    Generate(GenerateArgs),
    /// Check everything the first scheduled run needs: the configuration,
    /// every secret variable, the bundle, the drop folder and the output
    /// folder; with --connect also the org API key and the mail login.
    Doctor(DoctorArgs),
    /// Send one short test message to [email] to with the mail settings.
    TestMail,
    /// Plan which idle accounts to suspend through Atlassian's API (the
    /// default: nothing changes), suspend them with --apply, or restore a
    /// day's suspensions with --undo.
    Reclaim(ReclaimArgs),
    /// Plan which user API tokens to revoke through Atlassian's API (the
    /// default: nothing changes), or revoke the plan's tokens with --apply.
    /// A revoked token cannot be restored.
    Tokens(TokensArgs),
    /// The periodic user access review: start one (review.csv for the
    /// reviewers to decide), see where it stands, or close it signed by the
    /// reviewer (the evidence an auditor tests).
    AccessReview(AccessReviewArgs),
}

#[derive(Debug, clap::Args)]
pub struct AccessReviewArgs {
    #[command(subcommand)]
    pub step: ReviewStep,
}

#[derive(Debug, clap::Subcommand)]
pub enum ReviewStep {
    /// Write <out_dir>/access-reviews/<as_of>/: review.csv, manifest.json
    /// and index.html. Refused while a review is open.
    Start {
        /// The review's date. Default: the latest activity date.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        as_of: Option<NaiveDate>,
    },
    /// The open review's decided and undecided rows per product.
    Status,
    /// Check every decision of the open review and write its evidence.
    Close {
        /// Who reviewed it, as the evidence names them.
        #[arg(long, value_name = "NAME", value_parser = clap::builder::NonEmptyStringValueParser::new())]
        reviewer: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct TokensArgs {
    /// Revoke the tokens of the plan, at most [tokens] max_per_run (only
    /// with [tokens] enabled = true).
    #[arg(long)]
    pub apply: bool,
    /// The plan file to carry out (default: the plan made now, written to
    /// <out_dir>/tokens/plan-<as_of>.csv).
    #[arg(long, value_name = "FILE", requires = "apply")]
    pub plan: Option<PathBuf>,
    /// The plan's report date. Default: the latest activity date.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date, conflicts_with = "plan")]
    pub as_of: Option<NaiveDate>,
}

#[derive(Debug, clap::Args)]
pub struct ReclaimArgs {
    /// Suspend the accounts of the plan, within the caps of [reclaim]
    /// (only with [reclaim] enabled = true).
    #[arg(long, conflicts_with = "undo")]
    pub apply: bool,
    /// Restore the accounts suspended on this day (UTC) that are still
    /// suspended.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub undo: Option<NaiveDate>,
    /// The plan's report date. Default: the latest activity date.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// With --apply: suspend the accounts of this plan file (one reclaim
    /// wrote, read by the admin) instead of a plan made now.
    #[arg(long, value_name = "FILE", requires = "apply")]
    pub plan: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// Also try the org API key (GET /admin/v1/orgs) and the mail login
    /// (connect, TLS, AUTH, QUIT; no mail is sent).
    #[arg(long)]
    pub connect: bool,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The users export (Directory > Users > Export users).
    #[arg(long, value_name = "FILE")]
    pub users: PathBuf,
    /// The managed accounts export (Directory > Managed accounts > Export
    /// accounts): who is managed, their two-step verification and SSO.
    #[arg(long, value_name = "FILE")]
    pub managed: Option<PathBuf>,
    /// The external users export (Security > External users > Export).
    #[arg(long, value_name = "FILE")]
    pub external: Option<PathBuf>,
    /// The organization's verified domains, comma-separated. Without
    /// --managed, accounts on them are taken as managed.
    #[arg(long, value_name = "DOMAINS", value_delimiter = ',')]
    pub verified_domains: Vec<String>,
    /// The bundle directory to write or update.
    #[arg(long, value_name = "DIR")]
    pub into: PathBuf,
    /// Import even when the export holds far fewer accounts with access
    /// than the bundle (more than [import] max_drop_percent fewer).
    #[arg(long)]
    pub accept_drop: bool,
}

#[derive(Debug, clap::Args)]
pub struct PullArgs {
    /// The bundle directory to write or update. Default: data_dir of the
    /// configuration.
    #[arg(long, value_name = "DIR")]
    pub into: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Number of accounts.
    #[arg(long, value_name = "N")]
    pub accounts: usize,
    /// Number of activity rows.
    #[arg(long, value_name = "M")]
    pub events: usize,
    /// Days of activity, ending on --end.
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u64).range(1..=3660))]
    pub days: u64,
    /// Seed of the random generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// File format of every table.
    #[arg(long, value_enum, default_value_t = OutputFormat::Parquet)]
    pub format: OutputFormat,
    /// The last day of activity (YYYY-MM-DD).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date, default_value = "2026-10-31")]
    pub end: NaiveDate,
    /// Directory to write the bundle into (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
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

    /// Also send the digest with the [email] settings of the configuration.
    /// If it cannot be sent, the report stays written and the exit code is 3.
    #[arg(long)]
    pub email: bool,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Directory of the export bundle. Default: data_dir of the configuration.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

fn parse_date(text: &str) -> Result<NaiveDate, Expected> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| Expected(format!("expected a date as YYYY-MM-DD, not '{text}'")))
}

/// Runs what the command line asks for.
pub fn execute(cli: Cli) -> Result<(), Error> {
    let config = config::load(cli.config.as_deref())?;
    if let Some(dir) = &config.templates {
        templates::use_overrides(dir)?;
    }
    // `run --run-now` would read as the scheduled run and be a plain one:
    // --run-now goes alone, or with schedule.
    if cli.run_now && !matches!(cli.command, None | Some(Command::Schedule)) {
        return Err(BadInput::about(
            "the command line",
            Problem::file(
                "command line",
                "--run-now alone (the scheduled run once: pull, report and digest) or with schedule; `run` is a run by hand",
            ),
        )
        .into());
    }
    match cli.command {
        Some(Command::Run(args)) => run(args, &config),
        Some(Command::Check(args)) => check(args, config),
        Some(Command::Schedule) => serve(config, cli.run_now),
        Some(Command::Import(args)) => import(args, &config),
        Some(Command::Pull(args)) => pull(args, &config),
        Some(Command::Generate(args)) => generate(args),
        Some(Command::Doctor(args)) => Ok(doctor::run(
            &config,
            &config_file(&cli.config),
            args.connect,
        )?),
        Some(Command::TestMail) => test_mail(&config),
        Some(Command::Reclaim(args)) => reclaim(args, &config),
        Some(Command::Tokens(args)) => tokens(args, &config),
        Some(Command::AccessReview(args)) => access_review(args.step, &config),
        None if cli.run_now => run_now(config),
        None => Err(BadInput::about(
            "the command line",
            Problem::file(
                "command line",
                "a command (run, check, schedule) or --run-now; see org-insights --help",
            ),
        )
        .into()),
    }
}

fn reclaim(args: ReclaimArgs, config: &Config) -> Result<(), Error> {
    if let Some(day) = args.undo {
        let done = reclaim::undo(config, day)?;
        println!(
            "restored {} account(s) suspended on {day}: {}",
            done.accounts.len(),
            done.accounts.join(", ")
        );
        for (account, why) in &done.skipped {
            println!("left out {account}: {why}");
        }
        return Ok(());
    }
    // Refused before anything is read when it could not be carried out.
    if args.apply {
        reclaim::switched_on(config)?;
    }
    let settings = config.reclaim.unwrap_or_default();
    let request = RunRequest {
        as_of: args.as_of,
        ..RunRequest::from_config(config, false)?
    };
    let plan = pipeline::reclaim_plan(&request, &settings)?;
    let file = match args.plan {
        Some(file) => file,
        None => {
            let file = reclaim::write_plan(&config.out_dir, &plan)?;
            print!("{}", reclaim::printed(&plan, &settings));
            println!("The plan is in {}.", file.display());
            file
        }
    };
    if args.apply {
        let done = reclaim::apply(config, &plan, &file)?;
        println!(
            "suspended {} account(s) of {}: {}; to undo: org-insights reclaim --undo {}",
            done.accounts.len(),
            file.display(),
            done.accounts.join(", "),
            chrono::Utc::now().date_naive()
        );
        for (account, why) in &done.skipped {
            println!("skipped {account}: {why}");
        }
    }
    Ok(())
}

fn access_review(step: ReviewStep, config: &Config) -> Result<(), Error> {
    match step {
        ReviewStep::Start { as_of } => {
            let request = RunRequest {
                as_of,
                ..RunRequest::from_config(config, false)?
            };
            let (as_of, rows, manifest) =
                pipeline::access_review_population(&request, &config.access_review)?;
            let drop_folder = config.import.as_ref().and_then(|i| i.from.as_deref());
            let source = access_review::source_of(&manifest, drop_folder);
            let folder = access_review::start(&config.out_dir, as_of, &rows, source)?;
            println!(
                "Access review of {as_of}: {} accesses to decide in {}; then org-insights access-review close --reviewer NAME.",
                rows.len(),
                folder.join("review.csv").display()
            );
        }
        ReviewStep::Status => {
            let today = chrono::Utc::now().date_naive();
            let every_days = config.access_review.every_days;
            print!(
                "{}",
                access_review::status(&config.out_dir, every_days, today)?
            );
        }
        ReviewStep::Close { reviewer } => {
            let closed = access_review::close(&config.out_dir, &reviewer)?;
            let counts: Vec<String> = closed
                .decisions
                .iter()
                .map(|(d, n)| format!("{n} {d}"))
                .collect();
            println!(
                "Closed, signed by {reviewer}: {}. The evidence is in {} (check it with sha256sum -c SHA256SUMS).",
                counts.join(", "),
                closed.folder.display()
            );
        }
    }
    Ok(())
}

fn tokens(args: TokensArgs, config: &Config) -> Result<(), Error> {
    // Refused before anything is read when it could not be carried out.
    if args.apply {
        tokens::switched_on(config)?;
    }
    let file = match args.plan {
        Some(file) => file,
        None => {
            let request = RunRequest {
                as_of: args.as_of,
                ..RunRequest::from_config(config, false)?
            };
            let plan = pipeline::tokens_plan(&request, &config.tokens)?;
            let file = tokens::write_plan(&config.out_dir, &plan)?;
            print!("{}", tokens::printed(&plan, &config.tokens));
            println!("The plan is in {}.", file.display());
            file
        }
    };
    if args.apply {
        let done = tokens::apply(config, &file)?;
        println!(
            "revoked {} token(s): {}",
            done.revoked.len(),
            done.revoked.join(", ")
        );
        for (token, why) in &done.skipped {
            println!("skipped {token}: {why}");
        }
    }
    Ok(())
}

/// The configuration file read, in words.
fn config_file(explicit: &Option<PathBuf>) -> String {
    match explicit {
        Some(path) => path.display().to_string(),
        None if Path::new(config::DEFAULT_FILE).exists() => config::DEFAULT_FILE.to_string(),
        None => "none: the defaults (data_dir ./data, out_dir ./reports)".to_string(),
    }
}

fn test_mail(config: &Config) -> Result<(), Error> {
    let email = config
        .email
        .as_ref()
        .ok_or_else(|| missing_table("email", "test-mail"))?;
    email.check_secrets()?;
    email::send_test(email).map_err(Error::TestMail)?;
    println!(
        "a test message went to {}",
        email
            .to
            .iter()
            .map(|m| m.email.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// A configuration table a command needs and the file does not have.
fn missing_table(table: &str, command: &str) -> BadInput {
    BadInput::about(
        "the configuration",
        Problem::file(
            "configuration",
            format!("an [{table}] table for {command} (see org-insights.example.toml)"),
        ),
    )
}

fn run(args: RunArgs, config: &Config) -> Result<(), Error> {
    let email = if args.email {
        Some(
            config
                .email
                .clone()
                .ok_or_else(|| missing_table("email", "--email"))?,
        )
    } else {
        None
    };
    let request = RunRequest {
        data_dir: args.data.unwrap_or(config.data_dir.clone()),
        out_dir: args.out.unwrap_or(config.out_dir.clone()),
        as_of: args.as_of,
        ..RunRequest::from_config(config, true)?
    };
    report_once(&request, email.as_ref())
}

fn check(args: CheckArgs, config: Config) -> Result<(), Error> {
    let data_dir = args.data.unwrap_or(config.data_dir);
    let rows = pipeline::check(&data_dir)?;
    let counts: Vec<String> = rows
        .iter()
        .map(|(t, n)| format!("{} {n} rows", t.name()))
        .collect();
    println!("{}: OK ({})", data_dir.display(), counts.join(", "));
    Ok(())
}

fn import(args: ImportArgs, config: &Config) -> Result<(), Error> {
    // --verified-domains, else those of [import] in the configuration.
    let verified_domains = match (args.verified_domains, &config.import) {
        (given, _) if !given.is_empty() => given,
        (_, Some(import)) => import.verified_domains.clone(),
        (none, None) => none,
    };
    let summary = import::import(&import::ImportOptions {
        users: args.users,
        managed: args.managed,
        external: args.external,
        verified_domains,
        into: args.into.clone(),
        managed_max_age_days: config
            .import
            .as_ref()
            .map_or(config::DEFAULT_MANAGED_MAX_AGE_DAYS, |i| {
                i.managed_max_age_days
            }),
        strict_columns: config.import.as_ref().is_none_or(|i| i.strict_columns),
        max_drop_percent: config
            .import
            .as_ref()
            .map_or(config::DEFAULT_MAX_DROP_PERCENT, |i| i.max_drop_percent),
        accept_drop: args.accept_drop,
    })?;
    runner::log_update(&summary);
    print_update(&args.into, &summary);
    Ok(())
}

fn pull(args: PullArgs, config: &Config) -> Result<(), Error> {
    let atlassian = config
        .atlassian
        .as_ref()
        .ok_or_else(|| missing_table("atlassian", "pull"))?;
    let into = args.into.unwrap_or(config.data_dir.clone());
    let summary = pull::pull(&pull::PullRequest {
        settings: atlassian,
        key: atlassian.api_key()?,
        into: &into,
        managed_export: None,
        progress: true,
    })?;
    runner::log_pull(&summary);
    print_update(&into, &summary.update);
    match &summary.tokens {
        Ok(n) => println!("API tokens: {n}"),
        Err(reason) => println!("API tokens: not recorded by this source ({reason})"),
    }
    match &summary.new_events {
        Ok(n) => println!("audit log: {n} new events"),
        Err(reason) => println!("audit log: not read ({reason})"),
    }
    Ok(())
}

/// What an import or a pull wrote, for the person who ran it.
fn print_update(into: &Path, summary: &import::ImportSummary) {
    println!(
        "{}: {} accounts, {} access rows, {} new activity rows ({} in all)",
        into.display(),
        summary.accounts,
        summary.access_rows,
        summary.new_activity_rows,
        summary.activity_rows
    );
}

fn generate(args: GenerateArgs) -> Result<(), Error> {
    let options = generate::Options {
        accounts: args.accounts,
        events: args.events,
        days: args.days,
        seed: args.seed,
        format: args.format,
        end: args.end,
        out: args.out,
    };
    generate::generate(&options)?;
    println!("{}", generate::describe(&options));
    Ok(())
}

/// `--run-now`: the scheduled run once, for plain cron.
fn run_now(config: Config) -> Result<(), Error> {
    let outcome = runner::run_unattended(&config, true, &RunControl::default())?;
    println!("{}", outcome.report_dir.join("index.html").display());
    Ok(())
}

fn report_once(request: &RunRequest, email: Option<&config::EmailConfig>) -> Result<(), Error> {
    if let Some(email) = email {
        email.check_secrets()?;
    }
    let outcome = runner::run(request, email, &RunControl::default())?;
    println!("{}", outcome.report_dir.join("index.html").display());
    Ok(())
}

fn serve(config: Config, run_now: bool) -> Result<(), Error> {
    if let Some(email) = config.email.as_ref().filter(|email| email.enabled) {
        email.check_secrets()?;
    }
    // A missing hash key or API key stops the service at start, not at six
    // in the morning.
    Privacy::configured(&config.privacy)?;
    if let Some(atlassian) = &config.atlassian {
        atlassian.api_key()?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the scheduler's runtime")?;
    let result = runtime.block_on(schedule::serve(config, run_now));
    // Dropping a runtime waits for every blocking task; an abandoned run
    // (a slow SMTP server, say) must not hold up the exit.
    runtime.shutdown_timeout(Duration::from_millis(200));
    Ok(result?)
}
