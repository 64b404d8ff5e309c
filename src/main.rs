use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use org_insights::cli::{self, Cli, LogFormat};
use tracing_subscriber::EnvFilter;

// jemalloc, the allocator polars is built for: with two threads reading
// a hundred million rows, the system allocator held 6 GiB where jemalloc
// held 3.4 GiB (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read at its start (`_RJEM_MALLOC_CONF` in the
/// environment still overrides them). `background_thread`: unused pages go
/// back to the system from jemalloc's own thread, not from the two threads
/// that read the bundle, which spent a third of the check in page faults
/// (L's check 10.4 s -> 6.9 s); memory is still returned between runs.
/// `dirty_decay_ms:1000`: freed pages go back after a second rather than
/// ten. With ten, L's peak ranged from 2.0 to 2.7 GiB run to run (pages
/// freed by one step still held while the next allocated its own); with
/// one, 1.8 to 2.2 GiB, for about 4 % more time on L and none measurable
/// on M (BENCHMARKS.md).
// SAFETY: the one symbol of this name in the program, the one jemalloc
// reads at its start.
#[allow(unsafe_code)]
#[export_name = "_rjem_malloc_conf"]
static JEMALLOC_OPTIONS: JemallocOptions =
    JemallocOptions(c"background_thread:true,dirty_decay_ms:1000".as_ptr());

/// The C string jemalloc reads: a plain pointer, as C declares it.
#[repr(transparent)]
struct JemallocOptions(*const std::ffi::c_char);

// SAFETY: the pointer is to a static string that is never written.
#[allow(unsafe_code)]
unsafe impl Sync for JemallocOptions {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match cli::execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

fn init_logging(format: LogFormat) {
    // The scheduler crate narrates every job it creates at info level.
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tokio_cron_scheduler=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
