#!/usr/bin/env bash
# Whole-process wall time and peak RSS of `monstack render` for every shipped profile, of
# `monstack --version` (start-up alone) and of `helm template` of the peers' charts, measured
# in ONE interleaved run: each round runs every command once, in a new random order, so all
# commands share the machine's load of the moment. Prints a markdown table of medians for
# docs/benchmarks.md. Not part of the tests: timings are not assertions.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/bench-peers.sh [OPTIONS]

Times whole processes, start to exit, in interleaved rounds (each round runs every command
once, in a shuffled order; the table shows medians over the rounds):
  monstack --version                       start-up alone, the baseline of the ratio column
  monstack render profiles/<each>.toml     every shipped profile
  helm template <chart>                    each peer chart given below (none: monstack only)

Options:
  --monstack BIN           monstack binary (default: target/release/monstack, built with
                           `cargo build --release --locked` when missing or older than src/)
  --helm BIN               helm binary (default: `helm` on PATH, only needed with a chart)
  --kube-prometheus-stack DIR   kube-prometheus-stack chart directory (defaults values)
  --loki DIR               loki chart directory; templated with its
                           ci/default-monolithic-filesystem-values.yaml, from a copy whose
                           Chart.yaml has its dependencies (minio, rollout-operator) dropped
  --loki-values FILE       other values for loki
  --jaeger DIR             jaeger chart directory (defaults values)
  --rounds N               measured rounds (default 30)
  --warmup N               unmeasured rounds first (default 3)
  -h, --help               this text

Needs: hyperfine (wall time; `apt-get install -y hyperfine`) and GNU time at /usr/bin/time
(peak RSS; `apt-get install -y time`). The peers' charts and helm v4: see
/work/shared/peers/README.md or docs/benchmarks.md.

Example:
  scripts/bench-peers.sh --helm /tmp/helm/helm --kube-prometheus-stack /tmp/peers/kube-prometheus-stack \
    --loki /tmp/peers/loki --jaeger /tmp/peers/jaeger
EOF
}

die() {
    echo "bench-peers: $*" >&2
    exit 2
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
monstack=""
helm=""
kps=""
loki=""
loki_values=""
jaeger=""
rounds=30
warmup=3

while (($#)); do
    case "$1" in
    -h | --help) usage; exit 0 ;;
    --monstack) monstack=${2:?--monstack needs a path}; shift 2 ;;
    --helm) helm=${2:?--helm needs a path}; shift 2 ;;
    --kube-prometheus-stack) kps=${2:?--kube-prometheus-stack needs a directory}; shift 2 ;;
    --loki) loki=${2:?--loki needs a directory}; shift 2 ;;
    --loki-values) loki_values=${2:?--loki-values needs a file}; shift 2 ;;
    --jaeger) jaeger=${2:?--jaeger needs a directory}; shift 2 ;;
    --rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
    --warmup) warmup=${2:?--warmup needs a number}; shift 2 ;;
    *) usage >&2; die "unknown argument: $1" ;;
    esac
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive number, not '$rounds'"
[[ $warmup =~ ^[0-9]+$ ]] || die "--warmup must be a number, not '$warmup'"

# ---- what is needed, said plainly instead of installed silently
missing=()
command -v hyperfine >/dev/null || missing+=("hyperfine (apt-get install -y hyperfine)")
[[ -x /usr/bin/time ]] || missing+=("GNU time at /usr/bin/time (apt-get install -y time)")
if [[ -n $kps$loki$jaeger ]]; then
    if [[ -z $helm ]]; then
        helm=$(command -v helm || true)
        [[ -n $helm ]] || missing+=("helm v4 (--helm BIN; see docs/benchmarks.md for where to get it)")
    elif [[ ! -x $helm ]]; then
        missing+=("helm: '$helm' is not executable")
    fi
fi
if ((${#missing[@]})); then
    printf 'bench-peers: missing: %s\n' "${missing[@]}" >&2
    exit 2
fi
for chart in "$kps" "$loki" "$jaeger"; do
    [[ -z $chart || -f $chart/Chart.yaml ]] || die "$chart is not a chart directory (no Chart.yaml)"
done

if [[ -z $monstack ]]; then
    monstack=$repo/target/release/monstack
    if [[ ! -x $monstack ]] || [[ -n $(find "$repo/src" "$repo/templates" "$repo/Cargo.lock" -newer "$monstack" -print -quit 2>/dev/null) ]]; then
        echo "bench-peers: building $monstack (cargo build --release --locked)" >&2
        (cd "$repo" && cargo build --release --locked --quiet)
    fi
fi
[[ -x $monstack ]] || die "$monstack is not executable"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- the commands: parallel arrays of a short name and the argument vector (one string,
# shell-quoted, as hyperfine -N splits it)
names=()
commands=()
add() {
    local name=$1
    shift
    names+=("$name")
    commands+=("$(printf '%q ' "$@")")
}
add "monstack --version" "$monstack" --version
for profile in "$repo"/profiles/*.toml; do
    add "monstack render profiles/$(basename "$profile")" "$monstack" render "$profile"
done
kps_name="helm template kube-prometheus-stack"
if [[ -n $kps ]]; then
    add "$kps_name" "$helm" template kps "$kps"
fi
if [[ -n $loki ]]; then
    loki_values=${loki_values:-$loki/ci/default-monolithic-filesystem-values.yaml}
    [[ -f $loki_values ]] || die "no loki values file $loki_values"
    # The chart's object-storage (minio) and rollout-operator subcharts are off in these values
    # and not vendored: drop the dependency list from a copy, or helm refuses to template.
    cp -r "$loki" "$work/loki"
    awk '/^dependencies:/ { skip = 1; next } skip && /^[^ \t-]/ { skip = 0 } !skip' \
        "$loki/Chart.yaml" >"$work/loki/Chart.yaml"
    rm -f "$work/loki/Chart.lock"
    add "helm template loki (monolithic filesystem)" "$helm" template loki "$work/loki" -f "$loki_values"
fi
if [[ -n $jaeger ]]; then
    add "helm template jaeger" "$helm" template jaeger "$jaeger"
fi
count=${#names[@]}

# ---- objects and bytes of each output (once; the timed runs discard stdout)
objects=()
for ((i = 0; i < count; i++)); do
    eval "set -- ${commands[i]}"
    "$@" >"$work/out" 2>"$work/err" || {
        cat "$work/err" >&2
        die "'${names[i]}' failed"
    }
    objects+=("$(grep -c '^kind:' "$work/out" || true)")
done

# ---- the interleaved rounds: one hyperfine call per round (each command once, in this
# round's order) for wall time, then each command under GNU time for peak RSS
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench-peers: $((warmup + rounds)) rounds of $count commands (load average $load_before)" >&2
: >"$work/samples"
for ((round = 1; round <= warmup + rounds; round++)); do
    mapfile -t order < <(seq 0 $((count - 1)) | shuf)
    args=()
    for i in "${order[@]}"; do
        args+=(--command-name "$i" "${commands[i]}")
    done
    hyperfine -N --runs 1 --style none --export-csv "$work/round.csv" "${args[@]}" >/dev/null 2>&1 ||
        die "hyperfine failed in round $round; run one command by hand to see why"
    for i in "${order[@]}"; do
        eval "set -- ${commands[i]}"
        /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>&1 ||
            die "'${names[i]}' failed in round $round (peak RSS run)"
        if ((round > warmup)); then
            # hyperfine's CSV: command,mean,... (seconds); GNU time's %M: peak RSS in KiB
            ms=$(awk -F, -v n="$i" '$1 == n { printf "%.3f", $2 * 1000 }' "$work/round.csv")
            echo "$i $ms $(tail -n1 "$work/rss")" >>"$work/samples"
        fi
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

median() { # column $2 of the samples of command $1
    awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$work/samples" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ms=()
rss=()
for ((i = 0; i < count; i++)); do
    ms+=("$(median "$i" 2)")
    rss+=("$(median "$i" 3)")
done
kps_ms=""
for ((i = 0; i < count; i++)); do
    [[ ${names[i]} == "$kps_name" ]] && kps_ms=${ms[i]}
done

echo
echo "$(nproc) CPUs, $(date -u '+%Y-%m-%d %H:%M UTC'), $rounds interleaved rounds (+$warmup warm-up), medians;"
echo "load average (1, 5, 15 min) $load_before before, $load_after after; $("$monstack" --version); helm: $(if [[ -n $helm ]]; then "$helm" version --short; else echo "not run"; fi)."
echo
echo "| command | objects | median ms | peak RSS MB | × \`monstack --version\` | times faster than helm kube-prometheus-stack |"
echo "|---|---:|---:|---:|---:|---:|"
for ((i = 0; i < count; i++)); do
    awk -v name="${names[i]}" -v obj="${objects[i]}" -v ms="${ms[i]}" -v rss="${rss[i]}" \
        -v base="${ms[0]}" -v kps="$kps_ms" -v first="$((i == 0))" 'BEGIN {
        ratio = first ? "1" : sprintf("%.1f", ms / base)
        faster = kps == "" ? "–" : sprintf(kps / ms < 10 ? "%.1f" : "%.0f", kps / ms)
        printf "| `%s` | %s | %.1f | %.1f | %s | %s |\n", name, first ? "–" : obj, ms, rss / 1024, ratio, faster
    }'
done
