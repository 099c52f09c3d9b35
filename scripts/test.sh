#!/usr/bin/env bash
# Runs ALL of monstack's tests, including the checks by the real programs.
# Installs what the tests need first (Debian/Ubuntu, as root or with sudo):
#   - promtool and amtool (Debian packages prometheus, prometheus-alertmanager)
#   - kubernetes-validate (PyPI, into .venv/ beside this repository's Cargo.toml)
# Then: cargo fmt --check, cargo clippy, cargo test (snapshots must match, never auto-accepted),
# and `monstack render --check` of every shipped profile against the committed out/.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v promtool >/dev/null || ! command -v amtool >/dev/null; then
  echo "== installing promtool and amtool (apt)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    prometheus prometheus-alertmanager >/dev/null
fi

if [ ! -x .venv/bin/kubernetes-validate ]; then
  echo "== installing kubernetes-validate (pip, into .venv)"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check kubernetes-validate==1.37.0
fi

echo "== promtool: $(promtool --version 2>&1 | head -1)"
echo "== amtool: $(amtool --version 2>&1 | head -1)"

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
