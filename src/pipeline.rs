//! The compiler driver: profile text → typed settings → objects → validated manifest.
//! Each stage collects every problem it can before the pipeline stops, so one run reports all.

use crate::diag::Code;
use std::path::Path;

use crate::components::{self, Context, Resolved};
use crate::contrib::Collected;
use crate::diag::{Diagnostic, Failure, did_you_mean};
use crate::k8s::Manifest;
use crate::model::{self, Document, Problem, Stack};
use crate::profile::{self, Source};
use crate::templates::Templates;
use crate::{capacity, derive, emit, parallel, validate};

/// A successful compilation: what was read and everything that will be written.
#[derive(Debug)]
pub struct Compilation {
    pub source_name: String,
    /// The profile's file name, written into generated file headers.
    pub profile_file: String,
    pub stack: Stack,
    /// What every enabled component contributed.
    pub collected: Collected,
    pub manifest: Manifest,
    /// The manifest serialized, one YAML text per part (see `emit::documents`).
    pub documents: Vec<String>,
    /// Non-blocking findings, shown on stderr.
    pub warnings: Vec<Diagnostic>,
}

impl Compilation {
    /// With `strict`, warnings block the compilation like errors.
    pub fn strict(self, strict: bool) -> Result<Compilation, Failure> {
        if strict && !self.warnings.is_empty() {
            let diagnostics = self
                .warnings
                .into_iter()
                .map(|mut d| {
                    d.severity = crate::diag::Severity::Error;
                    d
                })
                .collect();
            return Err(Failure { diagnostics });
        }
        Ok(self)
    }

    pub fn component_count(&self) -> usize {
        self.manifest.parts.len()
    }
}

/// Loads the profile named on the command line (or the built-in default), the profiles it
/// extends and the `--set` overrides, and compiles them.
/// The outer error is for unexpected failures (a bug, I/O); the inner one for invalid input.
pub fn compile_path(
    path: Option<&Path>,
    overrides: &[String],
) -> anyhow::Result<Result<Compilation, Failure>> {
    let sources = profile::load_chain(path).and_then(|mut chain| {
        chain.extend(profile::overrides(overrides)?);
        Ok(chain)
    });
    match sources {
        Ok(sources) => compile(&sources),
        Err(d) => Ok(Err(Failure {
            diagnostics: vec![d],
        })),
    }
}

/// Compiles profile sources: parents first, the profile, then overrides.
pub fn compile(sources: &[Source]) -> anyhow::Result<Result<Compilation, Failure>> {
    // The templates compile on the thread pool while the profile is read.
    let mut templates = None;
    let front = rayon::in_place_scope(|s| {
        s.spawn(|_| templates = Some(Templates::load()));
        read(sources)
    });
    let Front {
        doc,
        stack,
        components,
        collected,
        mut diagnostics,
    } = match front {
        Ok(front) => front,
        Err(failure) => return Ok(Err(failure)),
    };
    let templates = templates.expect("invariant: the scope ran its task")?;
    // The rules' PromQL (a third of the work) reads only the contributions: it is checked
    // while the components build.
    let (manifest, rule_problems) = parallel::side_by_side(
        "building the components",
        || build(&components, &stack, &collected, &templates),
        || validate::rules(&collected),
    )?;
    let manifest = manifest?;
    // Serializing and checking read the same objects.
    let (problems, documents) = parallel::side_by_side(
        "checking the manifests",
        || validate::check_built(&manifest, &collected, rule_problems),
        || emit::documents(&manifest),
    )?;
    let documents = documents?;
    diagnostics.extend(problems);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Ok(Err(Failure { diagnostics }));
    }
    Ok(Ok(Compilation {
        source_name: doc.main_name().to_string(),
        profile_file: describe(sources),
        stack,
        collected,
        manifest,
        documents,
        warnings: diagnostics,
    }))
}

/// The profile read, typed and checked, and what its components contribute.
struct Front<'a> {
    doc: Document<'a>,
    stack: Stack,
    components: Vec<Box<dyn Resolved>>,
    collected: Collected,
    /// Warnings so far (an error ends the compilation here).
    diagnostics: Vec<Diagnostic>,
}

/// Parses and types the profile, checks its values, collects the contributions and checks
/// what depends on all of them; every problem found on the way, or the result.
fn read(sources: &[Source]) -> Result<Front<'_>, Failure> {
    let doc = Document::parse(sources)?;
    let (stack, components, mut diagnostics) = resolve(&doc);
    // Value checks run on every table that typed, even when another did not, so one run
    // reports every mistake.
    let checked_against = stack.clone().unwrap_or_default();
    for c in &components {
        diagnostics.extend(c.check(&checked_against).into_iter().map(|p| doc.locate(p)));
    }
    let Some(stack) = stack.filter(|_| !diagnostics.iter().any(Diagnostic::is_error)) else {
        return Err(Failure { diagnostics });
    };

    let collected = components::collect(&components, &stack);
    diagnostics.extend(
        unmet_needs(&components, &collected, &stack)
            .into_iter()
            .map(|p| doc.locate(p)),
    );
    diagnostics.extend(
        derive::access::problems(&collected)
            .into_iter()
            .chain(capacity::check(&collected))
            .chain(derive::placement::problems(&stack, &collected))
            .map(|p| doc.locate(p)),
    );
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(Failure { diagnostics });
    }
    Ok(Front {
        doc,
        stack,
        components,
        collected,
        diagnostics,
    })
}

/// Builds every component, then applies placement and adds the derived objects.
fn build(
    components: &[Box<dyn Resolved>],
    stack: &Stack,
    collected: &Collected,
    templates: &Templates,
) -> anyhow::Result<Manifest> {
    let cx = Context {
        stack,
        collected,
        templates,
    };
    let mut manifest = components::build_all(components, &cx)?;
    derive::placement::apply(&mut manifest, stack);
    manifest
        .parts
        .extend(derive::parts(&manifest, collected, stack));
    Ok(manifest)
}

/// How generated headers name the input: the profile's file name (never its directory, so the
/// output does not depend on where the checkout lives) and any overrides.
fn describe(sources: &[Source]) -> String {
    let file = sources
        .iter()
        .rev()
        .find(|s| !s.is_override())
        .map_or("", Source::file_name);
    let sets: Vec<&str> = sources
        .iter()
        .filter(|s| s.is_override())
        .map(|s| s.name.as_str())
        .collect();
    if sets.is_empty() {
        file.to_string()
    } else {
        format!("{file} with {}", sets.join(" "))
    }
}

/// A need no enabled component meets, located at the needing key, naming the component that
/// would meet it when one is registered but disabled.
fn unmet_needs(
    components: &[Box<dyn Resolved>],
    collected: &Collected,
    stack: &Stack,
) -> Vec<Problem> {
    let needs = collected
        .by_component
        .iter()
        .flat_map(|(_, c)| c.needs.iter());
    needs
        .filter(|need| !collected.provides(need.capability))
        .map(|need| {
            let provider = components
                .iter()
                .filter(|c| !c.enabled())
                .find(|c| c.contribute(stack).provides(need.capability));
            let help = match provider {
                Some(p) => format!(
                    "set `{}.enabled = true`, or `{}` to false",
                    p.name(),
                    need.key
                ),
                None => format!("no component provides it; set `{}` to false", need.key),
            };
            Problem::error(
                need.key.clone(),
                Code::UnmetNeed,
                format!("`{}` needs {}: {}", need.key, need.capability, need.why),
                help,
            )
        })
        .collect()
}

type ResolvedProfile = (Option<Stack>, Vec<Box<dyn Resolved>>, Vec<Diagnostic>);

/// Types every table of the profile, collecting all problems rather than the first.
fn resolve(doc: &Document<'_>) -> ResolvedProfile {
    let mut diagnostics = doc.warnings().to_vec();
    diagnostics.extend(unknown_tables(doc));
    let stack = model::resolve_stack(doc)
        .map_err(|d| diagnostics.extend(d))
        .ok();
    let mut resolved = Vec::new();
    for entry in components::ALL {
        match (entry.resolve)(doc) {
            Ok(c) => resolved.push(c),
            Err(d) => diagnostics.extend(d),
        }
    }
    (stack, resolved, diagnostics)
}

fn unknown_tables(doc: &Document<'_>) -> Vec<Diagnostic> {
    let known: Vec<&str> = ["stack", profile::EXTENDS]
        .into_iter()
        .chain(components::ALL.iter().map(|e| e.name))
        .collect();
    doc.tables()
        .filter(|(name, _)| !known.contains(name))
        .map(|(name, span)| {
            let help = match did_you_mean(name, known.iter().copied()) {
                Some(best) => format!("did you mean [{best}]?"),
                None => format!("the tables a profile may have are: {}", known.join(", ")),
            };
            Diagnostic::error(Code::UnknownKey, format!("unknown table `{name}`"))
                .key(name)
                .at(doc.location(span))
                .help(help)
        })
        .collect()
}
