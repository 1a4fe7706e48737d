#!/usr/bin/env bash
# Tracer's overhead and consumer budgets, each measured side by side in one run and printed as a
# ratio with its spread. On/off runs are interleaved (on, off, off, on, …) and summarized by the
# median: these 2-core machines are noisy (±15 % run to run). The workloads and tracer run on CPU 0
# only: a workload's rate is then bound by that CPU's time, so a ratio is the share of it tracer
# takes, kernel programs and consumer alike (unpinned, the scheduler's placement of the workload's
# threads alone moves its rate by ±15 % from run to run).
#
#   loopback iperf3 throughput, `tracer run` attached / not              budget ≥ 0.98
#   request/response transactions/s, `tracer run` attached / not          budget ≥ 0.97
#   BPF ns per run of each tracer program / an empty program, same hook   budget ≤ 2 (tcp), ≤ 1.5 (slab)
#   socket create/close operations/s, `tracer run` attached / not         budget ≥ 0.95
#   resident memory of `tracer run` tracking 10,000 live connections      budget < 80 MB
#   ring buffer records/s drained, C# MappedRingBuffer / libbpf's C        budget ≥ 1
#   `tracer attach` start-up against bpftrace                             scripts/bench-attach.sh
#
# Reference lines, no budget: the same workloads with tracer's per-object slab hooks attached
# (`--slab-attribution always`, what `tracer slab` and a growing cache cost), and each workload with
# only empty programs on the hooks in play: the floor, what attaching anything there costs.
#
# Usage: scripts/bench.sh [ROUNDS]   (as root, after make build; make bench runs it)
set -euo pipefail

rounds=${1:-5}
seconds=${BENCH_SECONDS:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
# the NativeAOT binary (make publish) is what is deployed; the JIT build when it is absent
tracer=${TRACER:-$root/build/aot/tracer}
[[ -x $tracer ]] || tracer=$root/src/Tracer.Cli/bin/Release/net10.0/tracer
bench=$root/scripts/Bench/bin/Release/net10.0/Bench
# shellcheck source=lib/bpf-ids.sh
source "$root/scripts/lib/bpf-ids.sh"
work=$(mktemp -d /tmp/tracer-bench-XXXX)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [[ -n $p ]] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  sysctl -q kernel.bpf_stats_enabled="$stats_before" || true
  rm -rf "$work"
}
stats_before=$(sysctl -n kernel.bpf_stats_enabled)
trap cleanup EXIT

[[ -x $tracer && -x $bench ]] || { echo "bench: build first (make build)" >&2; exit 1; }
clang-19 -target bpf -D__TARGET_ARCH_x86 -g -O2 -Wall -Werror -I"$root/build" -c "$root/scripts/Bench/empty.bpf.c" -o "$work/empty.bpf.o"
clang-19 -target bpf -g -O2 -Wall -Werror -I"$root/build" -I"$root/bpf/include" -c "$root/scripts/Bench/ringfill.bpf.c" -o "$work/ringfill.bpf.o"
clang-19 -O2 -Wall -Werror -shared -fPIC -I"$root/bpf/include" "$root/scripts/Bench/ringdrain.c" -lbpf -o "$work/libringdrain.so"

# start tracer (or $launch) on CPU 0 in the background and wait until its ACK-path program is in the kernel
start_tracer() {
  taskset -c 0 "${launch:-$tracer}" "$@" >"$work/tracer.out" 2>&1 &
  tracer_pid=$!
  pids+=("$tracer_pid")
  local id
  for _ in $(seq 200); do
    for id in $(bpf_ids "$tracer_pid" prog); do
      # then a second to settle: the budgets are about the steady state, not start-up
      bpftool prog show id "$id" 2>/dev/null | grep -q "name ${wait_for:-tcp_probe_btf} " && sleep 1 && return 0
    done
    sleep 0.05
  done
  echo "bench: tracer did not attach: $(cat "$work/tracer.out")" >&2
  exit 1
}
# SIGTERM: a background job of a non-interactive shell ignores SIGINT
stop_tracer() { kill -TERM "$tracer_pid"; wait "$tracer_pid" || true; }

# client and server on CPU 0
iperf3_gbps() {
  iperf3 -c 127.0.0.1 -p 5299 -A 0,0 -t "$seconds" -J | python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9)'
}

# median and p10–p90 of the on/off ratios (one ratio per round)
summarize() { # name budget-op budget values...
  local name=$1 op=$2 budget=$3
  shift 3
  printf '%s\n' "$@" | sort -g | awk -v name="$name" -v op="$op" -v budget="$budget" '
    { v[NR] = $1 }
    END {
      median = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      if (op == "floor") {
        printf "%-52s %7.3f  (spread %.3f–%.3f, n=%d)  floor: attaching anything to these hooks\n", name, median, v[1], v[NR], NR
        exit
      }
      if (op == "reference") {
        printf "%-52s %7.3f  (spread %.3f–%.3f, n=%d)  reference, no budget\n", name, median, v[1], v[NR], NR
        exit
      }
      ok = (op == ">=") ? median >= budget : median <= budget
      printf "%-52s %7.3f  (spread %.3f–%.3f, n=%d)  budget %s %s  %s\n", name, median, v[1], v[NR], NR, op, budget, ok ? "ok" : "MISSED"
    }'
}

# on/off ratio of a workload, interleaved: on-off, off-on, …
ratio_rounds() { # workload-function tracer-args...
  local run=$1
  shift
  local ratios=()
  for r in $(seq "$rounds"); do
    local on off
    if ((r % 2)); then
      start_tracer "$@"; on=$($run); stop_tracer; off=$($run)
    else
      off=$($run); start_tracer "$@"; on=$($run); stop_tracer
    fi
    ratios+=("$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.4f", a / b }')")
    echo "  round $r: on $on, off $off" >&2
  done
  printf '%s\n' "${ratios[@]}"
}

# a workload with only empty programs on the given hooks: what attaching anything there costs
floor_rounds() { # workload-function name program...
  local run=$1 name=$2 r
  shift 2
  launch=$bench wait_for=$1
  mapfile -t r < <(ratio_rounds "$run" empty "$work/empty.bpf.o" 3600 "$@")
  launch= wait_for=
  summarize "$name, empty programs on/off" floor 0 "${r[@]}"
}
slab_hooks=(e_cache_alloc e_cache_free e_kmalloc e_kfree)

echo "Tracer benchmarks: $(uname -r), $(nproc) CPUs, $rounds rounds of ${seconds}s, $tracer; $(date -u +%FT%TZ)"
data="$work/data"

iperf3 -s -p 5299 >/dev/null 2>&1 &
pids+=($!)
sleep 0.5
mapfile -t r < <(ratio_rounds iperf3_gbps run --data-dir "$data")
summarize "iperf3 throughput, tracer run on/off" ">=" 0.98 "${r[@]}"
floor_rounds iperf3_gbps "iperf3 throughput (tcp_probe)" e_tcp_probe

rr() { taskset -c 0 "$bench" rr "$seconds" 4; }
mapfile -t r < <(ratio_rounds rr run --data-dir "$data")
summarize "request/response transactions/s, tracer run on/off" ">=" 0.97 "${r[@]}"
floor_rounds rr "request/response (tcp_probe)" e_tcp_probe

churn() { taskset -c 0 "$bench" churn "$seconds"; }
mapfile -t r < <(ratio_rounds churn run --data-dir "$data")
summarize "socket create/close ops/s, tracer run on/off" ">=" 0.95 "${r[@]}"
wait_for=cache_alloc_btf
mapfile -t r < <(ratio_rounds churn run --data-dir "$data" --slab-attribution always)
wait_for=
summarize "socket create/close ops/s, per-object slab hooks" reference 0 "${r[@]}"
floor_rounds churn "socket create/close (slab hooks)" "${slab_hooks[@]}"

# per-invocation cost: tracer's programs and empty ones on the same hooks, in the same run
sysctl -q kernel.bpf_stats_enabled=1
"$bench" empty "$work/empty.bpf.o" $((seconds * 4)) >/dev/null &
empty_pid=$!
pids+=("$empty_pid")
wait_for=cache_alloc_btf start_tracer run --data-dir "$data" --slab-attribution always
iperf3_gbps >/dev/null
churn >/dev/null
# only this run's programs: other tracers on the host may have loaded programs of the same names
bpftool -j prog show | python3 -c '
import json, sys
mine = {int(i) for i in sys.argv[1:]}
cost = {p["name"]: p["run_time_ns"] / p["run_cnt"] for p in json.load(sys.stdin) if p.get("run_cnt") and p["id"] in mine}
# kernel program names are cut at 15 characters
pairs = [("tcp_probe_btf", "e_tcp_probe", 2.0), ("cache_alloc_btf", "e_cache_alloc", 1.5),
         ("cache_free_btf", "e_cache_free", 1.5), ("kmalloc_btf", "e_kmalloc", 1.5), ("kfree_btf", "e_kfree", 1.5)]
for prog, empty, budget in pairs:
    if prog in cost and empty in cost:
        ratio = cost[prog] / cost[empty]
        name = "BPF ns/run " + prog + " / empty"
        verdict = "ok" if ratio <= budget else "MISSED"
        print(f"{name:52s} {ratio:7.3f}  ({cost[prog]:.0f} ns vs {cost[empty]:.0f} ns)  budget <= {budget}  {verdict}")
' $(bpf_ids "$tracer_pid" prog) $(bpf_ids "$empty_pid" prog)
stop_tracer
sysctl -q kernel.bpf_stats_enabled="$stats_before"

# memory while tracking 10,000 live connections (two holders: 20,000 descriptors each would pass the fd limit)
start_tracer run --data-dir "$data"
"$bench" hold 5000 20 >/dev/null &
pids+=($!)
"$bench" hold 5000 20 >/dev/null &
pids+=($!)
sleep 15
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$tracer_pid/status")
stop_tracer
awk -v kb="$rss_kb" 'BEGIN { printf "%-52s %7.1f MB  budget < 80 MB  %s\n", "tracer run RSS, 10,000 connections", kb / 1024, kb < 80 * 1024 ? "ok" : "MISSED" }'

# ring buffer consumers on one synthetic stream, interleaved (C, C#, C#, C, …): one ratio per round
"$bench" ring "$work/ringfill.bpf.o" "$work/libringdrain.so" "$rounds" >"$work/ring.ratios" 2>"$work/ring.log" || { cat "$work/ring.log" >&2; exit 1; }
grep '^  round' "$work/ring.log" >&2
mapfile -t r <"$work/ring.ratios"
summarize "ring consumer records/s, C# / libbpf C" ">=" 1 "${r[@]}"
grep -v '^  round' "$work/ring.log"
