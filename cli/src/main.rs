//! `brook`, the command-line tool.
//!
//! ```text
//! brook demo [--url URL | --data DIR] [--orders N] [--rate N] [--key NAME] [--keep]
//! brook stats [--url URL] KEY… [--prometheus] [--watch]
//! brook bench [--quick] [--json FILE] [--url URL]
//! brook serve [--port N] [--bind IP] [--clock system|manual] [--requirepass PW] …
//! brook help [COMMAND]
//! ```
//!
//! Every command takes `--help` and `--version`; a bad argument is reported by clap
//! (with a suggestion when one is close) and exits 2; a failed run exits 1.

use std::error::Error as StdError;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, Subcommand};

/// The binary's allocator (feature `jemalloc`, on by default): jemalloc with its
/// background thread, as Redis runs it, so freed memory goes back to the system and
/// `brook serve`'s RSS comes down after a large reply or a dropped group (with glibc's
/// malloc most of it stays).
#[cfg(feature = "jemalloc")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod bench;
mod demo;
mod serve;
mod stats;

/// brook — Redis Streams toolkit
#[derive(Parser)]
#[command(
    name = "brook",
    version,
    propagate_version = true,
    args_override_self = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    Demo(demo::Args),
    Stats(stats::Args),
    Bench(bench::Args),
    Serve(serve::Args),
}

/// A backend that could not be reached: reported as `brook: cannot reach URL: why`.
#[derive(Debug)]
pub struct Unreachable {
    url: String,
    why: String,
}

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot reach {}: {}", self.url, self.why)
    }
}

impl StdError for Unreachable {}

/// `brook::connect`, with a transport failure (connection refused, unknown host…)
/// turned into [`Unreachable`].
pub async fn connect(url: &str) -> Result<brook::Backend, Box<dyn StdError>> {
    match brook::connect(url).await {
        Ok(b) => Ok(b),
        Err(brook::Error::NotSent(why) | brook::Error::OutcomeUnknown(why)) => {
            Err(Box::new(Unreachable {
                url: url.to_string(),
                why: String::from_utf8_lossy(&why).into_owned(),
            }))
        }
        Err(e) => Err(Box::new(e)),
    }
}

/// Prints a failed command's error (`brook: cannot reach …` for an unreachable
/// backend, `brook <command>: …` otherwise).
fn report(command: &str, e: &(dyn StdError + 'static)) -> ExitCode {
    if e.is::<Unreachable>() {
        eprintln!("brook: {e}");
    } else {
        eprintln!("brook {command}: {e}");
    }
    ExitCode::FAILURE
}

/// Options of `command` that cannot go together, reported as clap reports a
/// conflict (with the subcommand's usage; exit 2).
fn conflict(command: &str, why: String) -> ! {
    let mut cli = Cli::command();
    cli.build();
    match cli.find_subcommand_mut(command) {
        Some(sub) => sub.error(ErrorKind::ArgumentConflict, why).exit(),
        None => cli.error(ErrorKind::ArgumentConflict, why).exit(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Cmd::Demo(args)) => {
            if let Some(why) = args.conflict() {
                conflict("demo", why);
            }
            match demo::run(args) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => report("demo", &*e),
            }
        }
        Some(Cmd::Bench(args)) => match bench::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => report("bench", &*e),
        },
        Some(Cmd::Serve(args)) => match serve::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => report("serve", &*e),
        },
        Some(Cmd::Stats(args)) => match stats::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => report("stats", &*e),
        },
        None => {
            // `brook` alone: the help, as `brook help` prints it.
            let _ = Cli::command().print_help();
            ExitCode::SUCCESS
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// clap's own consistency checks of the whole command tree.
    #[test]
    fn the_command_tree_is_consistent() {
        Cli::command().debug_assert();
    }
}
