#!/usr/bin/env bash
# Runs ALL of monstack's tests, including the checks by the real programs.
# First installs what the tests need, or says what is missing and how to install it
# (scripts/install-test-deps.sh: build-essential, python3-venv, jq, promtool, amtool and the
# prometheus and alertmanager servers, kubernetes-validate, checkov, yamllint, pre-commit,
# kubectl for its kustomize). Then: cargo fmt --check, cargo clippy, cargo test (snapshots and
# README examples must match, never auto-accepted), and `monstack render --check` of every
# shipped profile against the committed out/.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh

echo "== promtool: $(promtool --version 2>&1 | head -1)"
echo "== amtool: $(amtool --version 2>&1 | head -1)"
echo "== kubectl: $(.venv/bin/kubectl version --client 2>&1 | head -1); pre-commit: $(.venv/bin/pre-commit --version)"
echo "== $(.venv/bin/checkov --version 2>&1 | sed 's/^/checkov /'); $(.venv/bin/yamllint --version 2>&1)"

echo "== cargo fmt --check"
cargo fmt --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test"
# INSTA_UPDATE=no: a changed snapshot fails the run instead of writing .snap.new files.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
INSTA_UPDATE=no CI="${CI:-}" cargo test --locked 2>&1 | tee "$log"

echo "== committed output is what the shipped profiles render (regenerate: scripts/render-out.sh)"
for profile in profiles/*.toml; do
  cargo run --locked --quiet -- render "$profile" --check -o "out/$(basename "$profile" .toml)"
done

# One closing line for the whole run (cargo prints one summary per test binary).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
