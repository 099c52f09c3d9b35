//! How long a full render takes in memory: compile (load, resolve, build, validate, serialize),
//! then the stream `render` writes to stdout, for every shipped profile; and, for production, each of
//! those phases on its own, to show where the time goes. Whole-process figures (start-up,
//! writing stdout) are measured outside Rust; see docs/benchmarks.md.
//!
//! Run with `cargo bench --bench render`. Never part of `cargo test`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use monstack::emit;

// The integration tests' helpers: the shipped profiles, a profile compiled.
#[path = "../tests/common/mod.rs"]
mod common;

/// What `monstack render PROFILE` does between parsing its arguments and exiting, stdout
/// being a buffer.
fn render(profile: &Path) -> Vec<u8> {
    let compilation = common::compile(profile);
    let mut out = Vec::new();
    emit::write_compilation_stream(&compilation, &mut out).expect("the stream is written");
    out
}

fn full_render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    for profile in common::shipped_profiles() {
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
    let compilation = common::compile(&profile);
    let files = emit::files(&compilation).expect("the objects serialize");
    let mut group = c.benchmark_group("production");
    group.bench_function("compile", |b| {
        b.iter(|| common::compile(black_box(&profile)))
    });
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
