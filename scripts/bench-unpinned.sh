#!/usr/bin/env bash
# What tracer costs a workload when nothing is pinned, as on a real host: work it causes on the CPU
# running the workload (wake-ups, interrupts, locks, memory) shows here, where the pinned method of
# scripts/bench.sh sees only the CPU share tracer takes. Each command is compared with its floor,
# empty programs on the hooks it attaches (`tracer run`: the ACK path, OOM kills, listener and
# reset hooks; `tracer tcp`: the ACK path and the owner hooks on every send and receive), started
# and stopped the same way in the same run.
#
# Every workload is one long run on loopback, not pinned. For each command, a block of phases is
# started and stopped under it: off, floor, command, floor, command, …, floor, off; the first
# seconds after every start or stop are dropped. Each command phase is set against the mean of the
# floor phases on both sides of it, so the ratio measures the command over its floor directly and
# the workload's slow level shifts (an unpinned loopback transfer here moves by ±10 % for tens of
# seconds as the scheduler places its two ends) cancel between neighbours. A command's result is
# the 20 % trimmed mean of its phase ratios, with a 90 % bootstrap interval over the phases; the
# floor against nothing is shown from the off phases at each block's ends.
#
#   iperf3     loopback bulk transfer, Gb/s per second (iperf3 -i 1)             budget ≥ 0.99 of the floor
#   pingpong   sockperf TCP ping-pong, one connection, transactions per second
#              (from sockperf's full log of every message)                        budget ≥ 0.98 of the floor
#   churn      connection churn: a new connection per HTTP/1.0 request to nginx
#              (scripts/Bench connect), requests per second                       budget ≥ 0.98 of the floor
#                                                                                 for `run` (tcp: none)
#
# Usage: scripts/bench-unpinned.sh   (as root, after make build publish; make bench runs it)
# Environment: UNPINNED_WORKLOADS ("iperf3 pingpong churn"), UNPINNED_COMMANDS ("run tcp"; also
# run-no-slab and run-no-resets, to bisect run), UNPINNED_ROUNDS (16) command phases per block,
# UNPINNED_PHASE (6) s per phase, UNPINNED_DROP (2) s dropped after each start or stop. The defaults
# take about 30 minutes; sockperf's log of a ping-pong run needs about 2.5 GB of memory.
set -euo pipefail

rounds=${UNPINNED_ROUNDS:-16}
phase=${UNPINNED_PHASE:-6}
drop=${UNPINNED_DROP:-2}
read -r -a workloads <<<"${UNPINNED_WORKLOADS:-iperf3 pingpong churn}"
read -r -a commands <<<"${UNPINNED_COMMANDS:-run tcp}"
((phase > drop)) || { echo "bench-unpinned: UNPINNED_PHASE must be longer than UNPINNED_DROP" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
tracer=${TRACER:-$root/build/aot/tracer}
[[ -x $tracer ]] || tracer=$root/src/Tracer.Cli/bin/Release/net10.0/tracer
bench=$root/scripts/Bench/bin/Release/net10.0/Bench
# shellcheck source=lib/bpf-ids.sh
source "$root/scripts/lib/bpf-ids.sh"
[[ -x $tracer && -x $bench ]] || { echo "bench-unpinned: build first (make build publish)" >&2; exit 1; }
for tool in iperf3 sockperf nginx; do
  command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] || { echo "bench-unpinned: $tool is missing (scripts/install-deps.sh --bench)" >&2; exit 1; }
done
work=$(mktemp -d /tmp/tracer-unpinned-XXXX)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [[ -n $p ]] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
clang-19 -target bpf -D__TARGET_ARCH_x86 -g -O2 -Wall -Werror -I"$root/build" -c "$root/scripts/Bench/empty.bpf.c" -o "$work/empty.bpf.o"

# the commands under test, by name, and the program whose arrival in the kernel says each is attached
declare -A launch=(
  [run]="$tracer run --data-dir $work/data"
  [run-no-slab]="$tracer run --no-slab --data-dir $work/data"
  [run-no-resets]="$tracer run --no-resets --data-dir $work/data"
  [tcp]="$tracer tcp --json"
  [floor]="$bench empty $work/empty.bpf.o 3600 e_tcp_probe e_mark_victim e_sock_set_state e_tcp_destroy e_tcp_send_reset e_listen_exit e_accept_enter e_accept_exit e_accept4_enter e_accept4_exit"
  [floor-tcp]="$bench empty $work/empty.bpf.o 3600 e_tcp_probe e_sock_send e_sock_recv"
)
declare -A attached=([run]=tcp_probe_btf [run-no-slab]=tcp_probe_btf [run-no-resets]=tcp_probe_btf [tcp]=tcp_probe_btf [floor]=e_tcp_probe [floor-tcp]=e_tcp_probe)
# each command's floor: empty programs on the hooks it attaches
declare -A floor_of=([run]=floor [run-no-slab]=floor [run-no-resets]=floor [tcp]=floor-tcp)
for name in "${commands[@]}"; do
  [[ -n ${floor_of[$name]:-} ]] || { echo "bench-unpinned: unknown command $name (${!floor_of[*]})" >&2; exit 2; }
done
phases=$((1 + (2 * rounds + 2) * ${#commands[@]}))
# a workload runs through every phase, each command's start-up and stop included, with room to spare
workload_seconds=$((20 + phases * (phase + 4)))

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_command() { # name
  # shellcheck disable=SC2086 # the command line is split on purpose
  ${launch[$1]} >"$work/$1.out" 2>&1 &
  command_pid=$!
  pids+=("$command_pid")
  local id
  for _ in $(seq 200); do
    for id in $(bpf_ids "$command_pid" prog); do
      bpftool prog show id "$id" 2>/dev/null | grep -q "name ${attached[$1]} " && return 0
    done
    sleep 0.05
  done
  echo "bench-unpinned: $1 did not attach: $(cat "$work/$1.out")" >&2
  exit 1
}
stop_command() { kill -TERM "$command_pid"; wait "$command_pid" || true; }

run_phases() { # marks-file: per command off, floor, (command, floor) × rounds; then off; "NAME START" and "end END" lines
  local marks=$1 name
  mark_phase() { echo "$1 $EPOCHREALTIME" >>"$marks"; sleep "$phase"; echo "end $EPOCHREALTIME" >>"$marks"; }
  on_phase() { start_command "$1"; mark_phase "$1"; stop_command; }
  : >"$marks"
  for name in "${commands[@]}"; do
    mark_phase off
    on_phase "${floor_of[$name]}"
    for _ in $(seq "$rounds"); do
      on_phase "$name"
      on_phase "${floor_of[$name]}"
    done
  done
  mark_phase off
}

# Each workload leaves $work/NAME.seconds, one line per measured second: "START END RATE", wall clock.
iperf3_workload() {
  local port t0 load
  port=$(free_port)
  iperf3 -s -p "$port" >/dev/null 2>&1 &
  pids+=($!)
  sleep 0.5
  t0=$EPOCHREALTIME
  # SIGINT ends it with its report; a background job of a script starts with SIGINT ignored
  env --default-signal=INT iperf3 -c 127.0.0.1 -p "$port" -t "$workload_seconds" -i 1 -J >"$work/iperf3.json" &
  load=$!
  pids+=("$load")
  sleep 8 # the connection's windows ramp up
  run_phases "$work/iperf3.marks"
  kill -INT "$load"
  wait "$load" || true
  python3 - "$t0" "$work/iperf3.json" >"$work/iperf3.seconds" <<'PY'
import json, sys
t0, run = float(sys.argv[1]), json.load(open(sys.argv[2]))
if not run.get("intervals"):
    sys.exit("bench-unpinned: iperf3: " + run.get("error", "no intervals"))
for i in run["intervals"]:
    print(t0 + i["sum"]["start"], t0 + i["sum"]["end"], i["sum"]["bits_per_second"] / 1e9)
PY
}

pingpong_workload() {
  local port load
  port=$(free_port)
  sockperf sr --tcp -i 127.0.0.1 -p "$port" >/dev/null 2>&1 &
  pids+=($!)
  sleep 0.5
  # --no-rdtsc: the log's times are CLOCK_MONOTONIC. sockperf sizes the log for the whole run up front
  # from --mps (600,000 a second for "max"); 200,000, several times what a loopback ping-pong reaches
  # here, never paces a send (each waits for the previous reply) and needs a third of the memory.
  env --default-signal=INT sockperf pp --tcp -i 127.0.0.1 -p "$port" -t "$workload_seconds" --mps=200000 --no-rdtsc --full-log "$work/pingpong.csv" >"$work/pingpong.out" 2>&1 &
  load=$!
  pids+=("$load")
  for _ in $(seq 600); do
    grep -q "Starting test" "$work/pingpong.out" && break
    sleep 0.2
  done
  grep -q "Starting test" "$work/pingpong.out" || { echo "bench-unpinned: sockperf did not start: $(cat "$work/pingpong.out")" >&2; exit 1; }
  sleep 3
  run_phases "$work/pingpong.marks"
  kill -INT "$load"
  wait "$load" || true
  python3 - "$work/pingpong.csv" >"$work/pingpong.seconds" <<'PY'
import sys, time
offset = time.time() - time.monotonic()
counts = {}
with open(sys.argv[1]) as log:
    for line in log:
        fields = line.split(",")
        if len(fields) != 4 or not fields[0].strip().isdigit():
            continue
        second = int(float(fields[2]))
        counts[second] = counts.get(second, 0) + 1
if len(counts) < 3:
    sys.exit("bench-unpinned: sockperf logged no messages")
for second in sorted(counts)[1:-1]:  # the first and last seconds are partial
    print(offset + second, offset + second + 1, counts[second])
PY
}

churn_workload() {
  local port load
  port=$(free_port)
  mkdir -p "$work/nginx"
  cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx;
    server { listen 127.0.0.1:$port; return 204; }
}
EOF
  /usr/sbin/nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' &
  pids+=($!)
  for _ in $(seq 50); do
    ss -Hltn "sport = :$port" | grep -q . && break
    sleep 0.1
  done
  "$bench" connect "$port" "$workload_seconds" --per-second >"$work/churn.rates" &
  load=$!
  pids+=("$load")
  sleep 3
  run_phases "$work/churn.marks"
  kill -TERM "$load"
  wait "$load" || true
  awk '{ printf "%.3f %.3f %s\n", $1 - 1, $1, $2 }' "$work/churn.rates" >"$work/churn.seconds"
}

analyse() { # workload label unit budget [the commands it binds, default all]
  local floors=() name
  for name in "${commands[@]}"; do floors+=("$name=${floor_of[$name]}"); done
  python3 - "$work/$1.seconds" "$work/$1.marks" "$drop" "$2" "$3" "$4" "${floors[*]}" "${5:-}" <<'PY'
import random, statistics, sys
seconds_path, marks_path, drop, label, unit, budget = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5], float(sys.argv[6])
floor_of = dict(pair.split("=") for pair in sys.argv[7].split())
bound = sys.argv[8].split() if sys.argv[8] else None
seconds = [tuple(map(float, line.split())) for line in open(seconds_path)]
marks = [line.split() for line in open(marks_path)]
phases = []  # (name, median rate of the kept seconds)
for (name, start), (_, end) in zip(marks[0::2], marks[1::2]):
    kept = [rate for lo, hi, rate in seconds if lo >= float(start) + drop and hi <= float(end)]
    phases.append((name, statistics.median(kept) if kept else None))

def trimmed_mean(values, cut=0.2):
    ordered = sorted(values)
    k = int(len(ordered) * cut)
    return statistics.fmean(ordered[k:len(ordered) - k])

def interval(values, draws=4000):
    rng = random.Random(1)  # the same phases give the same interval
    means = sorted(trimmed_mean(rng.choices(values, k=len(values))) for _ in range(draws))
    return means[int(0.05 * draws)], means[int(0.95 * draws) - 1]

who = {"floor": "empty programs on run's hooks", "floor-tcp": "empty programs on tcp's hooks"}
title = lambda name: who.get(name, "tracer " + name.replace("-no-", " --no-"))
print(f"  {label}, {unit} (median of each phase's kept seconds):")
line = []
for name, value in phases:
    if name == "off" and line:
        print("   " + "  ".join(line))
        line = []
    line.append(f"{name} {value:.4g}" if value else f"{name} -")
    if len(line) == 10:
        print("   " + "  ".join(line))
        line = []
if line:
    print("   " + "  ".join(line))

def ratios(name, base):
    return [v / ((phases[i - 1][1] + phases[i + 1][1]) / 2)
            for i, (n, v) in enumerate(phases)
            if n == name and v and 0 < i < len(phases) - 1
            and phases[i - 1][0] == base == phases[i + 1][0] and phases[i - 1][1] and phases[i + 1][1]]

for name, floor in floor_of.items():
    against_off = [v / o for (n, v), (m, o) in list(zip(phases, phases[1:])) + list(zip(phases[1:], phases))
                   if n == floor and m == "off" and v and o]
    if against_off:
        print(f"  {who[floor]} over nothing (the floors next to an off phase): {statistics.median(against_off):.3f}"
              f"  ({' '.join(f'{r:.3f}' for r in against_off)})")
    each = ratios(name, floor)
    head = f"unpinned {label}, {title(name)} over its floor"
    if len(each) < 3:
        print(f"{head:66s} too few complete phases ({len(each)})")
        continue
    ratio = trimmed_mean(each)
    low, high = interval(each)
    verdict = f"budget >= {budget}  {'ok' if ratio >= budget else 'MISSED'}" if bound is None or name in bound else "no budget"
    print(f"{head:66s} {ratio:.3f}  [90 % {low:.3f}–{high:.3f}, {len(each)} phases]  {verdict}")
    print(f"    each phase / its two floors: {' '.join(f'{e:.3f}' for e in each)}")
PY
}

echo "Unpinned overhead: $(uname -r), $(nproc) CPUs, $tracer; ${workloads[*]}; ${commands[*]}; $rounds phases of each against its floor, ${phase}s each (first ${drop}s dropped); $(date -u +%FT%TZ)"
for workload in "${workloads[@]}"; do
  case $workload in
    iperf3) iperf3_workload && analyse iperf3 "iperf3 throughput" Gb/s 0.99 ;;
    pingpong) pingpong_workload && analyse pingpong "TCP ping-pong transactions/s" "transactions/s" 0.98 ;;
    # issue 15's budget: `run`, whose ghost-listener detection hooks every accept(), on a server under churn
    churn) churn_workload && analyse churn "connection churn requests/s" "requests/s" 0.98 "run run-no-slab run-no-resets" ;;
    *) echo "bench-unpinned: unknown workload $workload (iperf3, pingpong, churn)" >&2; exit 2 ;;
  esac
done
