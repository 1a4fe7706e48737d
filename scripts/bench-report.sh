#!/usr/bin/env bash
# tracer report on a large input: a recording of SAMPLES (1,000,000) samples of one rsync-like
# transfer (scripts/Bench recording: wl1 lag past 2 GiB, zero-window blips, then stuck), turned into
# a report; prints the report's size and the time tracer took, then the time Debian's chromium
# (headless) takes to open it, median and spread (p10–p90) over RUNS (5) runs: "opened" is from
# navigation start to the end of the page's script (the page sets data-opened-ms), "draw" the script
# alone. Budgets: report < 3 MB, opened < 2 s.
#
# Usage: scripts/bench-report.sh [SAMPLES] [RUNS]   (`make bench` builds first)
set -euo pipefail

samples=${1:-1000000}
runs=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
tracer=${TRACER:-$root/src/Tracer.Cli/bin/Release/net10.0/tracer}
bench=$root/scripts/Bench/bin/Release/net10.0/Bench
for binary in "$tracer" "$bench"; do
  [[ -x $binary ]] || { echo "bench-report: $binary is not built (make build)" >&2; exit 1; }
done
command -v chromium >/dev/null || { echo "bench-report: chromium is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bench" recording "$samples" "$work/input.trec"
start=$(date +%s%N)
"$tracer" report "$work/input.trec" -o "$work/report.html" 2>/dev/null
end=$(date +%s%N)
awk -v n="$samples" -v input="$(stat -c %s "$work/input.trec")" -v size="$(stat -c %s "$work/report.html")" -v ns=$((end - start)) \
  'BEGIN {printf "input: %d samples, %.1f MB recording\nreport: %.2f MB (budget 3 MB), written in %.1f s\n", n, input / 1e6, size / 1e6, ns / 1e9}'

opened=()
drawn=()
for run in $(seq 1 "$runs"); do
  dom=$(chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$work/profile-$run" --window-size=1280,1600 \
    --dump-dom "file://$work/report.html" 2>/dev/null)
  o=$(grep -o 'data-opened-ms="[0-9.]*"' <<<"$dom" | grep -o '[0-9.]*' || true)
  d=$(grep -o 'data-render-ms="[0-9.]*"' <<<"$dom" | grep -o '[0-9.]*' || true)
  [[ -n $o && -n $d ]] || { echo "bench-report: run $run: the report did not finish drawing" >&2; exit 1; }
  opened+=("$o")
  drawn+=("$d")
done

# median, p10 and p90 of the arguments
stats() {
  printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1}
    function at(q,  i) { i = int(NR * q + 0.999); return v[i < 1 ? 1 : i] }
    END {printf "median %.0f ms (p10 %.0f, p90 %.0f)", at(0.5), at(0.1), at(0.9)}'
}
echo "chromium opened: $(stats "${opened[@]}") (budget 2000 ms)"
echo "chromium draw:   $(stats "${drawn[@]}")"
