//! `monstack man`: the man page (roff) on stdout, e.g. `monstack man > monstack.1`.
//!
//! One self-contained page: clap_mangen writes the title, synopsis, description and global
//! options; every subcommand gets its own subsection here (clap_mangen would instead refer to
//! `monstack-render(1)` pages that are not installed), and the examples are one `.TP` entry
//! each, so roff's filling cannot run them together.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Arg, CommandFactory};

use crate::cli::{Cli, EXAMPLES, EXIT_CODES};

pub fn run() -> anyhow::Result<ExitCode> {
    let page = page().context("rendering the man page")?;
    let mut out = std::io::stdout().lock();
    out.write_all(page.as_bytes())
        .and_then(|()| out.flush())
        .context("writing the man page to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// The whole page as roff text.
pub fn page() -> std::io::Result<String> {
    let mut command = Cli::command();
    command.build();
    let man = clap_mangen::Man::new(command.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    let mut page = String::from_utf8_lossy(&out).into_owned();
    page.push_str(&commands_section(&command));
    page.push_str(&examples_section());
    page.push_str(&exit_status_section());
    Ok(page)
}

/// `.SH COMMANDS`: per subcommand its usage line, what it does, its arguments and notes.
fn commands_section(command: &clap::Command) -> String {
    let mut roff = String::from(".SH COMMANDS\n");
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let usage = sub.clone().render_usage().to_string();
        let usage = usage.trim_start_matches("Usage:").trim();
        roff.push_str(&format!(
            ".SS \"{}\"\n",
            escape(usage).replace('"', "\\(dq")
        ));
        if let Some(about) = sub.get_long_about().or(sub.get_about()) {
            roff.push_str(&paragraphs(&about.to_string()));
        }
        for arg in sub.get_arguments().filter(|a| documented(a)) {
            roff.push_str(&format!(".TP\n{}\n", arg_label(arg)));
            roff.push_str(&escape_lines(&arg_help(arg)));
        }
        if let Some(notes) = sub.get_after_long_help().or(sub.get_after_help()) {
            roff.push_str(&paragraphs(&notes.to_string()));
        }
    }
    roff
}

fn documented(arg: &Arg) -> bool {
    !arg.is_hide_set() && !["help", "version"].contains(&arg.get_id().as_str())
}

/// `\fB\-o\fR, \fB\-\-output\fR \fIDIR\fR`, or `\fIPROFILE\fR` for a positional argument.
fn arg_label(arg: &Arg) -> String {
    let value = arg
        .get_value_names()
        .and_then(|names| names.first())
        .map(|name| format!("\\fI{}\\fR", escape(name)));
    if arg.is_positional() {
        return value.unwrap_or_else(|| format!("\\fI{}\\fR", escape(arg.get_id().as_str())));
    }
    let mut names = Vec::new();
    if let Some(short) = arg.get_short() {
        names.push(format!("\\fB\\-{}\\fR", escape(&short.to_string())));
    }
    if let Some(long) = arg.get_long() {
        names.push(format!("\\fB\\-\\-{}\\fR", escape(long)));
    }
    let mut label = names.join(", ");
    if let Some(value) = value.filter(|_| arg.get_action().takes_values()) {
        label.push(' ');
        label.push_str(&value);
    }
    label
}

/// The argument's help, its choices and its default.
fn arg_help(arg: &Arg) -> String {
    let mut help = arg
        .get_long_help()
        .or(arg.get_help())
        .map(ToString::to_string)
        .unwrap_or_default();
    if !arg.get_action().takes_values() {
        return help;
    }
    if !help.is_empty() && !help.ends_with(['.', ')', ']', '\'']) {
        help.push('.');
    }
    let choices: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_string())
        .collect();
    if !choices.is_empty() {
        help.push_str(&format!("\nOne of: {}.", choices.join(", ")));
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if !defaults.is_empty() {
        help.push_str(&format!("\nDefault: {}.", defaults.join(", ")));
    }
    help
}

/// `.SH EXAMPLES`: what each does, then the command line, indented and unfilled so it is
/// neither joined with the next line nor hyphenated.
fn examples_section() -> String {
    let mut roff = String::from(".SH EXAMPLES\n");
    for (what, command) in EXAMPLES {
        roff.push_str(&format!(
            ".PP\n{}:\n.RS 4\n.nf\n\\fB{}\\fR\n.fi\n.RE\n",
            escape(what),
            escape(command)
        ));
    }
    roff
}

fn exit_status_section() -> String {
    let mut roff = String::from(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in EXIT_CODES {
        roff.push_str(&format!(".TP\n\\fB{code}\\fR\n{}\n", escape(meaning)));
    }
    roff
}

/// Prose split at blank lines into `.PP` paragraphs.
fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!(".PP\n{}", escape_lines(p)))
        .collect()
}

/// Every line escaped, none of them read as a roff request.
fn escape_lines(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = escape(line.trim_end());
            // A line starting with `.` or `'` would be a request; `\&` makes it text.
            if line.starts_with(['.', '\'']) {
                format!("\\&{line}\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect()
}

/// Text escaped for roff: backslashes and hyphens (which roff may turn into dashes).
fn escape(text: &str) -> String {
    text.replace('\\', "\\e").replace('-', "\\-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_that_look_like_requests_stay_text() {
        assert_eq!(
            escape_lines(".hidden\n'quoted\nplain-text"),
            "\\&.hidden\n\\&'quoted\nplain\\-text\n"
        );
        assert_eq!(escape(r"a\b"), r"a\eb");
    }
}
