//! `monstack runbooks`: the runbook of every rendered alert, written into a directory (pages a
//! person edited are kept) or, for one alert, printed.

use std::process::ExitCode;

use anyhow::bail;

use crate::cli::RunbooksArgs;
use crate::diag::did_you_mean;
use crate::pipeline;
use crate::runbooks::{self, Page};

pub fn run(args: &RunbooksArgs) -> anyhow::Result<ExitCode> {
    let p = &args.profile;
    super::require_profile_file(p.profile.as_deref())?;
    let c = match pipeline::compile_path(p.profile.as_deref(), &p.overrides)? {
        Ok(c) => c,
        Err(failure) => return Ok(failure.report()),
    };
    crate::diag::print_warnings(&c.warnings);
    let pages = runbooks::pages(&c);
    if let Some(alert) = &args.alert {
        super::print_stdout(&one(&pages, alert)?.body)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(dir) = &args.output {
        let outcome = runbooks::write_dir(dir, &c.profile_file, &pages)?;
        eprintln!("{}: {outcome}", dir.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn one<'a>(pages: &'a [Page], alert: &str) -> anyhow::Result<&'a Page> {
    if let Some(page) = pages.iter().find(|p| p.alert == alert) {
        return Ok(page);
    }
    match did_you_mean(alert, pages.iter().map(|p| p.alert.as_str())) {
        Some(best) => bail!("the profile renders no alert `{alert}`: did you mean `{best}`?"),
        None => bail!(
            "the profile renders no alert `{alert}`; it renders: {}",
            pages
                .iter()
                .map(|p| p.alert.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
