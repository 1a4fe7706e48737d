#!/usr/bin/env bash
# Start-up of `tracer attach` against bpftrace, side by side: the time from the command to
# its first line of real output (tracer: the first snapshot line; bpftrace: the first line
# its probe prints, after "Attaching N probes..."). Runs interleaved (A B C A B C …) so drift
# hits every command alike, and prints median, spread (p10–p90) and the ratio to bpftrace.
#
# Target: an rsync daemon on 127.0.0.1 with 20 connections held open by this shell, attached
# by --comm rsync (a /proc scan, the iterator over every TCP socket, the report).
# bpftrace 0.17 (Debian 12) has no iter:tcp, so its baseline is its bare start-up,
# `BEGIN { printf; exit }`: the floor of every bpftrace one-liner.
#
# Usage: scripts/bench-attach.sh [RUNS]   (as root; `make bench` builds first)
set -euo pipefail

runs=${1:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
tracer=${TRACER:-$root/src/Tracer.Cli/bin/Release/net10.0/tracer}
tracer_aot=${TRACER_AOT:-$root/build/aot/tracer}
port=18873

command -v bpftrace >/dev/null || { echo "bench-attach: bpftrace is not installed (make bench installs it)" >&2; exit 1; }
[[ -x $tracer ]] || { echo "bench-attach: $tracer is not built (make build)" >&2; exit 1; }

work=$(mktemp -d /tmp/tracer-bench-XXXX)
daemon=
cleanup() {
  for fd in "${fds[@]:-}"; do [[ -n $fd ]] && exec {fd}>&- || true; done
  [[ -n $daemon ]] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/module"
printf 'use chroot = no\nuid = root\ngid = root\nlog file = %s/rsyncd.log\n[mod]\n  path = %s/module\n' "$work" "$work" > "$work/rsyncd.conf"
rsync --daemon --no-detach --config="$work/rsyncd.conf" --address=127.0.0.1 --port=$port &
daemon=$!
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.02; done
fds=()
for _ in $(seq 20); do exec {fd}<>/dev/tcp/127.0.0.1/$port; fds+=("$fd"); done
sleep 0.2

declare -A cmds=(
  [tracer-jit]="$tracer attach --comm rsync --timeout 0"
  [bpftrace]="bpftrace -e BEGIN{printf(\"start\\n\");exit();}"
)
order=(tracer-jit bpftrace)
if [[ -x $tracer_aot ]]; then
  cmds[tracer-aot]="$tracer_aot attach --comm rsync --timeout 0"
  order=(tracer-jit tracer-aot bpftrace)
fi

# milliseconds from exec to the first line that is not bpftrace's "Attaching …" banner
first_line_ms() {
  local start=$EPOCHREALTIME
  $1 2>/dev/null | {
    while IFS= read -r line; do [[ $line == Attaching* ]] || break; done
    echo "$start $EPOCHREALTIME" | awk '{ printf "%.1f\n", ($2 - $1) * 1000 }'
    cat >/dev/null
  }
}

for name in "${order[@]}"; do first_line_ms "${cmds[$name]}" >/dev/null; done # warm the page cache
for ((i = 0; i < runs; i++)); do
  for name in "${order[@]}"; do first_line_ms "${cmds[$name]}" >> "$work/$name.ms"; done
done

stats() { sort -n "$1" | awk '{ v[NR] = $1 } END { printf "%.1f %.1f %.1f\n", v[int((NR + 1) / 2)], v[int(NR * 0.1) + 1], v[int(NR * 0.9)] }'; }
read -r base _ _ < <(stats "$work/bpftrace.ms")
printf '%-12s %10s %18s %16s\n' command "median ms" "spread p10–p90" "vs bpftrace"
for name in "${order[@]}"; do
  read -r median p10 p90 < <(stats "$work/$name.ms")
  printf '%-12s %10s %18s %15sx\n' "$name" "$median" "$p10–$p90" "$(awk -v a="$median" -v b="$base" 'BEGIN { printf "%.2f", a / b }')"
done
echo "($runs interleaved runs each; $(uname -r); $(nproc) CPUs; bpftrace $(bpftrace --version | awk '{ print $2 }'))"
