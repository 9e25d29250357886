//! `brook`, the command-line tool.
//!
//! ```text
//! brook demo     walk through the stream engine: append, read, trim, inspect
//! brook help     this text
//! ```

use std::process::ExitCode;

mod demo;

const USAGE: &str = "\
brook — Redis Streams toolkit

usage: brook <command>

commands:
  demo    run the main job on the embedded engine: a producer appends orders,
          a reader follows them, the stream is trimmed and inspected
  help    print this help
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("demo") => match demo::run(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("brook demo: {e}");
                ExitCode::FAILURE
            }
        },
        None | Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("brook: unknown command '{other}'\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
