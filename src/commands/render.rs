//! `monstack render`: compile a profile and write the manifests to stdout or a directory, or
//! (`--check`) compare them with a directory.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::cli::{ProfileArgs, RenderArgs};
use crate::emit::{self, RenderedFile};
use crate::pipeline::{self, Compilation};

pub fn run(args: &RenderArgs) -> anyhow::Result<ExitCode> {
    let p = &args.profile;
    super::require_profile_file(p.profile.as_deref())?;
    let compilation = match pipeline::compile_path(p.profile.as_deref(), &p.overrides)?
        .and_then(|c| c.strict(args.strict))
    {
        Ok(compilation) => compilation,
        Err(failure) => return Ok(failure.report()),
    };
    crate::diag::print_warnings(&compilation.warnings);
    if args.output.is_none() && !args.kustomization {
        let mut out = std::io::stdout().lock();
        emit::write_compilation_stream(&compilation, &mut out)
            .and_then(|()| Ok(out.flush()?))
            .context("writing the manifests to stdout")?;
        // The process exits next and the system takes the memory back at once; freeing the
        // objects one by one would cost 2 to 3 % of the render.
        std::mem::forget(compilation);
        return Ok(ExitCode::SUCCESS);
    }
    let mut files = emit::files(&compilation)?;
    if args.kustomization {
        files.push(emit::kustomization(&compilation.profile_file, &files)?);
    }
    match (&args.output, args.check) {
        (Some(dir), true) => check(dir, p, &compilation, &files),
        (Some(dir), false) => {
            let summary = emit::write_dir(dir, &files)?;
            eprintln!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
        (None, _) => {
            let mut out = std::io::stdout().lock();
            emit::write_stream(&files, &mut out).context("writing the manifests to stdout")?;
            out.flush().context("writing the manifests to stdout")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `--check -o DIR`: exit 0 when DIR holds exactly what the profile renders, else 1 with a
/// unified diff on stdout and, on stderr, what differs and how to update DIR on purpose.
fn check(
    dir: &Path,
    p: &ProfileArgs,
    compilation: &Compilation,
    files: &[RenderedFile],
) -> anyhow::Result<ExitCode> {
    let rendered_from = &compilation.profile_file;
    if !dir.is_dir() {
        let problem = if dir.exists() {
            "is not a directory"
        } else {
            "does not exist"
        };
        bail!(
            "{} {problem}, so there is nothing to check; `{}` writes it",
            dir.display(),
            render_command(p, dir)
        );
    }
    // A directory rendered from another profile (a forgotten PROFILE argument) is not stale:
    // suggesting to regenerate it would overwrite it with the wrong stack.
    // Overrides may differ (the diff then shows what they change); the profile file may not.
    let recorded = emit::recorded_profiles(dir)?;
    let same_file = |r: &String| profile_file_of(r) == profile_file_of(rendered_from);
    if !recorded.is_empty() && !recorded.iter().any(same_file) {
        eprintln!(
            "{} was rendered from {}, but this check renders {rendered_from}: name that profile, e.g. `monstack render {} --check -o {}`",
            dir.display(),
            recorded.join(", "),
            shell_word(&likely_path(p.profile.as_deref(), &recorded[0])),
            shell_word(&dir.display().to_string())
        );
        return Ok(ExitCode::from(crate::EXIT_INVALID));
    }
    let drift = emit::check_dir(dir, files)?;
    if drift.is_empty() {
        eprintln!("{} is up to date with {rendered_from}", dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = std::io::stdout().lock();
    out.write_all(drift.diff.as_bytes())
        .and_then(|()| out.flush())
        .context("writing the diff to stdout")?;
    eprintln!(
        "{} differs from what {rendered_from} renders: {}.\n\
         If that change is intended, `{}` rewrites the files monstack wrote there (hand edits to them are lost; other files are kept); review the result before committing it.",
        dir.display(),
        drift.summary(),
        render_command(p, dir)
    );
    Ok(ExitCode::from(crate::EXIT_INVALID))
}

/// Where the profile a header names probably is: beside the profile being checked, or in
/// `profiles/` (the shipped ones); else a placeholder path.
fn likely_path(checked: Option<&Path>, recorded: &str) -> String {
    let file = profile_file_of(recorded);
    let beside = checked
        .and_then(Path::parent)
        .unwrap_or(Path::new("profiles"))
        .join(file);
    if beside.is_file() {
        beside.display().to_string()
    } else {
        format!("PATH/TO/{file}")
    }
}

/// The file name in a header's profile description, which may add overrides
/// (`dev.toml with --set a=b`).
fn profile_file_of(description: &str) -> &str {
    description.split(" with ").next().unwrap_or(description)
}

/// The `monstack render` command line that writes what was checked into `dir`.
fn render_command(p: &ProfileArgs, dir: &Path) -> String {
    let mut words = vec!["monstack".to_string(), "render".to_string()];
    if let Some(profile) = &p.profile {
        words.push(shell_word(&profile.display().to_string()));
    }
    for set in &p.overrides {
        words.push("--set".to_string());
        words.push(shell_word(set));
    }
    words.push("-o".to_string());
    words.push(shell_word(&dir.display().to_string()));
    words.join(" ")
}

/// `word` as one shell word: as is when it is plain, else in single quotes.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_with_spaces_or_quotes_are_quoted_for_the_shell() {
        assert_eq!(shell_word("out/production"), "out/production");
        assert_eq!(shell_word("stack.name=dev"), "stack.name=dev");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }
}
