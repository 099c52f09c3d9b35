#!/usr/bin/env bash
# Regenerates everything monstack's own output that is committed: out/<profile>/ for every
# shipped profile, profiles/monstack.schema.json and docs/diagnostics.md. Run it after changing a profile or the
# code, review `git diff`, and commit the result; CI fails while they are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
for profile in profiles/*.toml; do
  name=$(basename "$profile" .toml)
  target/release/monstack render "$profile" -o "out/$name"
done
target/release/monstack schema > profiles/monstack.schema.json
target/release/monstack explain > docs/diagnostics.md
echo "regenerated out/, profiles/monstack.schema.json and docs/diagnostics.md"
