//! Instructions of the whole `monstack render PROFILE` process, start to exit, for every
//! shipped profile, and of `monstack --version` (start-up alone), counted by callgrind through
//! gungraun. Counts do not depend on the machine's load, so two versions can be compared on a
//! busy machine where wall times swing by tens of percent.
//!
//! Run with `cargo bench --bench instructions` (needs valgrind and
//! `cargo install gungraun-runner --version <the gungraun version in Cargo.lock>`; see
//! docs/benchmarks.md). Never part of `cargo test`.

use std::ffi::OsStr;
use std::path::Path;

use gungraun::{
    Bench, BinaryBenchmark, BinaryBenchmarkConfig, BinaryBenchmarkGroup, Callgrind, Command, Stdio,
    binary_benchmark_group, main,
};

// The integration tests' helpers: the shipped profiles, a profile compiled.
#[path = "../tests/common/mod.rs"]
mod common;

const MONSTACK: &str = env!("CARGO_BIN_EXE_monstack");

/// A benchmark id from a profile's file name: ids are identifiers (`cost-optimized` ->
/// `cost_optimized`).
fn bench_id(profile: &Path) -> String {
    let stem = profile
        .file_stem()
        .expect("a profile path has a file name")
        .to_string_lossy();
    stem.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
}

/// `monstack ARGS`, its output discarded (a render writes a few hundred KB to stdout; a failing
/// command fails the benchmark, as gungraun expects exit code 0 by default).
fn monstack(args: &[&OsStr]) -> Command {
    Command::new(MONSTACK)
        .args(args)
        .stdout(Stdio::Null)
        .build()
}

fn whole_process(group: &mut BinaryBenchmarkGroup) {
    let mut version = BinaryBenchmark::new("version");
    version.bench(Bench::new("start_up").command(monstack(&[OsStr::new("--version")])));
    group.binary_benchmark(version);

    let mut render = BinaryBenchmark::new("render");
    for profile in common::shipped_profiles() {
        let args = [OsStr::new("render"), profile.as_os_str()];
        render.bench(Bench::new(bench_id(&profile)).command(monstack(&args)));
    }
    group.binary_benchmark(render);
}

binary_benchmark_group!(
    name = monstack_process,
    benchmarks = |group: &mut BinaryBenchmarkGroup| whole_process(group)
);

// Instruction counts only: cache simulation (on by gungraun's default) would slow each run
// several-fold and its cycle estimates are not what the targets are stated in.
main!(
    config = BinaryBenchmarkConfig::default().tool(Callgrind::with_args(["--cache-sim=no"]));
    binary_benchmark_groups = monstack_process
);
