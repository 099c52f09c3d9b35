//! `monstack explain [CODE]`: what a diagnostic code means, with an example; without a code,
//! the whole reference (the text of docs/diagnostics.md).

use std::process::ExitCode;

use crate::cli::ExplainArgs;
use crate::diag::Code;
use crate::diag::code::{explain, reference};

pub fn run(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let Some(name) = &args.code else {
        print!("{}", reference());
        return Ok(ExitCode::SUCCESS);
    };
    match name.parse::<Code>() {
        Ok(code) => {
            print!("{}", explain(code));
            Ok(ExitCode::SUCCESS)
        }
        Err(message) => {
            eprintln!("error: {message}");
            Ok(ExitCode::from(crate::EXIT_USAGE))
        }
    }
}
