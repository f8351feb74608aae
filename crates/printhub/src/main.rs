//! `printhub`: parse the command line, set up logging, run, and report a
//! failure as one line on stderr with a non-zero exit code.
#![forbid(unsafe_code)]

use clap::Parser;
use std::process::ExitCode;

/// jemalloc instead of the system allocator (issue #17): the hub allocates
/// and frees in many small pieces across threads (HTTP workers, the
/// engine, the store's writer, the blocking pool that renders), which
/// glibc's per-thread arenas keep mapped after a burst; jemalloc's
/// background thread hands freed pages back to the system, so the resident
/// set follows the queue back down after a drain (`make bench` shows it).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = match printhub::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            if !e.use_stderr() {
                // --help and --version: print in full, succeed.
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // clap's message up to the usage block, folded into one line.
            let text = e.render().to_string();
            let message: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.is_empty() && !l.starts_with("Usage:"))
                .collect();
            eprintln!(
                "printhub: {}",
                message.join(" ").trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
    };
    match printhub::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed stdout (`printhub models list | head`) is not a failure.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("printhub: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
