//! How long a full render takes in memory: compile (load, resolve, build, validate), then
//! `emit::files` and `emit::stream`, for every shipped profile; and, for production, each of
//! those phases on its own, to show where the time goes. Whole-process figures (start-up,
//! writing stdout) are measured outside Rust; see docs/benchmarks.md.
//!
//! Run with `cargo bench --bench render`. Never part of `cargo test`.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use monstack::emit;
use monstack::pipeline::{self, Compilation};

/// Every `profiles/*.toml`, sorted, so new profiles are benchmarked without editing this file.
fn shipped_profiles() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    let mut profiles: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("profiles/ is readable")
        .map(|e| e.expect("profiles/ entry is readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    profiles.sort();
    profiles
}

fn compile(profile: &Path) -> Compilation {
    match pipeline::compile_path(Some(profile), &[]).expect("no internal error") {
        Ok(c) => c,
        Err(failure) => panic!("{} does not compile:\n{failure}", profile.display()),
    }
}

/// What `monstack render PROFILE` does between parsing its arguments and writing stdout.
fn render(profile: &Path) -> String {
    let compilation = compile(profile);
    let files = emit::files(&compilation).expect("the objects serialize");
    emit::stream(&files)
}

fn full_render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    for profile in shipped_profiles() {
        let name = profile.file_stem().map_or_else(
            || profile.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        group.bench_function(name, |b| b.iter(|| render(black_box(&profile))));
    }
    group.finish();
}

fn production_phases(c: &mut Criterion) {
    let profile = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/production.toml");
    let compilation = compile(&profile);
    let files = emit::files(&compilation).expect("the objects serialize");
    let mut group = c.benchmark_group("production");
    group.bench_function("compile", |b| b.iter(|| compile(black_box(&profile))));
    group.bench_function("emit_files", |b| {
        b.iter(|| emit::files(black_box(&compilation)))
    });
    group.bench_function("emit_stream", |b| {
        b.iter(|| emit::stream(black_box(&files)))
    });
    group.finish();
}

criterion_group!(benches, full_render, production_phases);
criterion_main!(benches);
