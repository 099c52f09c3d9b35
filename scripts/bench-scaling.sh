#!/usr/bin/env bash
# Per-unit cost of `monstack render`: grows one input that grows the output (SLOs, application
# namespaces, Kafka namespaces, Alertmanager receivers) from the production profile, counts
# the instructions of the whole process under callgrind at each size, and fits a line
# (least squares): instructions, objects and bytes added per unit. The profiles are generated
# in a temporary directory (`extends` production, or `--set`), never committed.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/bench-scaling.sh [--monstack BIN] [--sizes "N N ..."] [--repeat N]

For each unit, renders profiles/production.toml grown to each size under
`valgrind --tool=callgrind` and prints the instructions, objects and YAML bytes at each size,
then the fitted cost of one unit and the worst distance of a point from the line:
  slo-ratio       [[slo]] entries with good/total selectors (replace production's 3)
  slo-latency     [[slo]] entries with a latency threshold (replace production's 3)
  app-namespace   stack.app_namespaces entries
  kafka-namespace kafka.namespaces entries
  receiver        Alertmanager receivers: production's 2, + webhook (routed), + watchdog
                  (only four kinds exist, so this unit cannot grow further)

Options:
  --monstack BIN   monstack binary (default: target/release/monstack, built with
                   `cargo build --release --locked` when missing or older than src/)
  --sizes LIST     sizes of the growing units (default "1 10 20 40")
  --repeat N       callgrind runs per point, the median counts (default 3)
  -h, --help       this text

Needs valgrind (apt-get install -y valgrind). Takes about three minutes. Counts, not time: the
load of the machine does not change them, but threads and hash seeds move one run's count by
about 0.3 % (250 k instructions for production), hence the median of --repeat runs.
EOF
}

die() {
    echo "bench-scaling: $*" >&2
    exit 2
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
monstack=""
sizes="1 10 20 40"
repeat=3
while (($#)); do
    case "$1" in
    -h | --help) usage; exit 0 ;;
    --monstack) monstack=${2:?--monstack needs a path}; shift 2 ;;
    --sizes) sizes=${2:?--sizes needs a list}; shift 2 ;;
    --repeat) repeat=${2:?--repeat needs a number}; shift 2 ;;
    *) usage >&2; die "unknown argument: $1" ;;
    esac
done
for n in $sizes; do
    [[ $n =~ ^[0-9]+$ ]] || die "--sizes takes numbers, not '$n'"
done
[[ $repeat =~ ^[1-9][0-9]*$ ]] || die "--repeat must be a positive number, not '$repeat'"
command -v valgrind >/dev/null || die "valgrind is missing (apt-get install -y valgrind)"

if [[ -z $monstack ]]; then
    monstack=$repo/target/release/monstack
    if [[ ! -x $monstack ]] || [[ -n $(find "$repo/src" "$repo/templates" "$repo/Cargo.lock" -newer "$monstack" -print -quit 2>/dev/null) ]]; then
        echo "bench-scaling: building $monstack (cargo build --release --locked)" >&2
        (cd "$repo" && cargo build --release --locked --quiet)
    fi
fi
[[ -x $monstack ]] || die "$monstack is not executable"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
production=$repo/profiles/production.toml

# Prints "instructions objects bytes" of `monstack render ARGS...`, whole process, all threads;
# instructions are the median of $repeat runs (threads and hash seeds move a count by ~0.3 %).
measure() {
    local run counts=()
    for ((run = 1; run <= repeat; run++)); do
        valgrind --tool=callgrind --callgrind-out-file=/dev/null --log-file="$work/cg.log" \
            "$monstack" render "$@" >"$work/out" 2>"$work/err" || {
            cat "$work/err" >&2
            die "monstack render $* failed"
        }
        counts+=("$(sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' "$work/cg.log")")
        [[ -n ${counts[-1]} ]] || die "no instruction count in callgrind's log ($work/cg.log)"
    done
    local median
    median=$(printf '%s\n' "${counts[@]}" | sort -n | sed -n "$(((repeat + 1) / 2))p")
    echo "$median $(grep -c '^kind:' "$work/out") $(wc -c <"$work/out")"
}

# A profile extending production with N [[slo]] tables of one kind.
slo_profile() {
    local kind=$1 n=$2 file=$work/slo-$1-$2.toml i
    echo "extends = \"$production\"" >"$file"
    for ((i = 1; i <= n; i++)); do
        if [[ $kind == ratio ]]; then
            cat >>"$file" <<EOF
[[slo]]
name = "svc-$i-availability"
service = "svc-$i"
objective = 99.9
good = 'http_requests_total{job="kubernetes-pods", service="svc-$i", status!~"5.."}'
total = 'http_requests_total{job="kubernetes-pods", service="svc-$i"}'
EOF
        else
            cat >>"$file" <<EOF
[[slo]]
name = "svc-$i-latency"
service = "svc-$i"
objective = 99
latency = "1s"
EOF
        fi
    done
    echo "$file"
}

# A TOML array of N names: ["<prefix>-1", ...].
names_array() {
    local prefix=$1 n=$2 i sep=""
    printf '['
    for ((i = 1; i <= n; i++)); do
        printf '%s"%s-%d"' "$sep" "$prefix" "$i"
        sep=", "
    done
    printf ']'
}

# Runs the sizes of one unit; each line of $work/points.<unit>: "size instructions objects bytes".
run_unit() {
    local unit=$1 n
    : >"$work/points.$unit"
    case $unit in
    receiver)
        echo "2 $(measure "$production")" >>"$work/points.$unit"
        echo "3 $(measure "$production" --set 'alertmanager.receivers.webhook={ secret = "alertmanager-webhook", key = "url" }' \
            --set 'alertmanager.routes.default=["webhook"]')" >>"$work/points.$unit"
        echo "4 $(measure "$production" --set 'alertmanager.receivers.webhook={ secret = "alertmanager-webhook", key = "url" }' \
            --set 'alertmanager.routes.default=["webhook"]' \
            --set 'alertmanager.receivers.watchdog={ secret = "alertmanager-watchdog", key = "url" }')" >>"$work/points.$unit"
        return
        ;;
    esac
    for n in $sizes; do
        case $unit in
        slo-ratio) echo "$n $(measure "$(slo_profile ratio "$n")")" ;;
        slo-latency) echo "$n $(measure "$(slo_profile latency "$n")")" ;;
        app-namespace) echo "$n $(measure "$production" --set "stack.app_namespaces=$(names_array app "$n")")" ;;
        kafka-namespace) echo "$n $(measure "$production" --set "kafka.namespaces=$(names_array kafka "$n")")" ;;
        esac >>"$work/points.$unit"
    done
}

units=(slo-ratio slo-latency app-namespace kafka-namespace receiver)
echo "## Points ($("$monstack" --version), callgrind, whole process)"
echo
echo "| unit | size | instructions | objects | YAML bytes |"
echo "|---|---:|---:|---:|---:|"
for unit in "${units[@]}"; do
    echo "bench-scaling: $unit" >&2
    run_unit "$unit"
    awk -v u="$unit" '{ printf "| %s | %d | %.2f M | %d | %d |\n", u, $1, $2 / 1e6, $3, $4 }' "$work/points.$unit"
done

echo
echo "## Per unit (least-squares line through the points)"
echo
echo "| unit | instructions per unit | objects per unit | YAML bytes per unit | line at size 0 | worst point off the line |"
echo "|---|---:|---:|---:|---:|---:|"
for unit in "${units[@]}"; do
    awk -v u="$unit" '
        { x[NR] = $1; y[NR] = $2; o[NR] = $3; b[NR] = $4; sx += $1; sy += $2; so += $3; sb += $4 }
        function slope(v, s,   i, num, den) {
            for (i = 1; i <= NR; i++) { num += (x[i] - mx) * (v[i] - s / NR); den += (x[i] - mx) ^ 2 }
            return num / den
        }
        END {
            mx = sx / NR
            k = slope(y, sy); c = sy / NR - k * mx
            for (i = 1; i <= NR; i++) { r = (y[i] - (c + k * x[i])) / y[i]; r = r < 0 ? -r : r; if (r > worst) worst = r }
            printf "| %s | %.0f k | %.1f | %.0f | %.1f M | %.1f %% |\n", u, k / 1e3, slope(o, so), slope(b, sb), c / 1e6, worst * 100
        }' "$work/points.$unit"
done
