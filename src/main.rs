//! The `monstack` binary: parse the command line, run, map the outcome to an exit code.
//! Everything else lives in the library so tests can reach it.

use std::process::ExitCode;

fn main() -> ExitCode {
    monstack::run(std::env::args_os())
}
