#!/usr/bin/env bash
# What tracer costs a workload when nothing is pinned, as on a real host: work it causes on the CPU
# running the workload (wake-ups, interrupts, locks, memory) shows here, where the pinned method of
# scripts/bench.sh sees only the CPU share tracer takes. Each command is compared with the floor,
# empty programs on the hooks `tracer run` uses, measured the same way in the same run.
#
#   loopback iperf3 throughput, one long transfer: `tracer run`, `tracer tcp` and the floor each
#   started and stopped under it in phases (off, run, off, tcp, off, floor, off, …); the first
#   seconds after every start or stop are dropped; a command's ratio is the median per-second rate
#   of its on phases over that of the off phases next to them                budget ≥ 0.99 of the floor
#   sockperf TCP ping-pong transactions/s, short runs alternating off and on  budget ≥ 0.98 of the floor
#
# Usage: scripts/bench-unpinned.sh   (as root, after make build publish; make bench runs it)
# Environment: UNPINNED_ROUNDS (3) rounds of the three commands under iperf3, UNPINNED_PHASE (12) s
# per phase, UNPINNED_DROP (4) s dropped after each start or stop; PINGPONG_ROUNDS (5) off/on pairs per
# command of PINGPONG_SECONDS (4) s each. The defaults take about 7 minutes.
set -euo pipefail

rounds=${UNPINNED_ROUNDS:-3}
phase=${UNPINNED_PHASE:-12}
drop=${UNPINNED_DROP:-4}
pp_rounds=${PINGPONG_ROUNDS:-5}
pp_seconds=${PINGPONG_SECONDS:-4}
((phase > drop)) || { echo "bench-unpinned: UNPINNED_PHASE must be longer than UNPINNED_DROP" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
tracer=${TRACER:-$root/build/aot/tracer}
[[ -x $tracer ]] || tracer=$root/src/Tracer.Cli/bin/Release/net10.0/tracer
bench=$root/scripts/Bench/bin/Release/net10.0/Bench
# shellcheck source=lib/bpf-ids.sh
source "$root/scripts/lib/bpf-ids.sh"
[[ -x $tracer && -x $bench ]] || { echo "bench-unpinned: build first (make build publish)" >&2; exit 1; }
for tool in iperf3 sockperf; do
  command -v "$tool" >/dev/null || { echo "bench-unpinned: $tool is missing (scripts/install-deps.sh --bench)" >&2; exit 1; }
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
  [tcp]="$tracer tcp --json"
  [floor]="$bench empty $work/empty.bpf.o 3600 e_tcp_probe e_mark_victim e_sock_set_state e_tcp_destroy e_tcp_send_reset e_listen_exit"
)
declare -A attached=([run]=tcp_probe_btf [tcp]=tcp_probe_btf [floor]=e_tcp_probe)
commands=(run tcp floor)

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

echo "Unpinned overhead: $(uname -r), $(nproc) CPUs, $tracer; iperf3 $rounds rounds of ${phase}s phases (first ${drop}s dropped), ping-pong $pp_rounds × ${pp_seconds}s off/on; $(date -u +%FT%TZ)"

# one loopback transfer for every phase: separate transfers differ far more than seconds within one
port=$(free_port)
iperf3 -s -p "$port" >/dev/null 2>&1 &
pids+=($!)
sleep 0.5
t0=$(date +%s.%N)
iperf3 -c 127.0.0.1 -p "$port" -t $((10 + (1 + 2 * rounds * ${#commands[@]}) * (phase + 5))) -i 1 -J >"$work/iperf3.json" &
load=$!
sleep 8 # the connection's windows ramp up
marks=()
off_phase() { marks+=("off $(date +%s.%N)"); sleep "$phase"; marks+=("end $(date +%s.%N)"); }
off_phase
for _ in $(seq "$rounds"); do
  for name in "${commands[@]}"; do
    start_command "$name"
    marks+=("$name $(date +%s.%N)")
    sleep "$phase"
    marks+=("end $(date +%s.%N)")
    stop_command
    off_phase
  done
done
kill -INT "$load" 2>/dev/null || true
wait "$load" || true
python3 - "$t0" "$work/iperf3.json" "$drop" "${marks[@]}" <<'PY'
import json, statistics, sys
t0, path, drop = float(sys.argv[1]), sys.argv[2], float(sys.argv[3])
run = json.load(open(path))
if not run.get("intervals"):
    sys.exit("bench-unpinned: iperf3: " + run.get("error", "no intervals"))
seconds = [(t0 + i["sum"]["start"], t0 + i["sum"]["end"], i["sum"]["bits_per_second"] / 1e9) for i in run["intervals"]]
marks = [m.split() for m in sys.argv[4:]]
phases = []  # (name, median Gb/s of the kept seconds)
for (name, start), (_, end) in zip(marks[0::2], marks[1::2]):
    kept = [rate for lo, hi, rate in seconds if lo >= float(start) + drop and hi <= float(end)]
    phases.append((name, statistics.median(kept) if kept else None))
print("  iperf3 phases, Gb/s (median of each phase's kept seconds):")
for i in range(0, len(phases), 6):
    print("   " + "  ".join(f"{n} {v:.2f}" if v else f"{n} -" for n, v in phases[i:i + 6]))
ratios = {}
for name in ("run", "tcp", "floor"):
    on, off, each = [], [], []
    for i, (n, v) in enumerate(phases):
        if n != name or v is None or phases[i - 1][1] is None or i + 1 >= len(phases) or phases[i + 1][1] is None:
            continue
        on.append(v)
        off += [phases[i - 1][1], phases[i + 1][1]]
        each.append(v / ((phases[i - 1][1] + phases[i + 1][1]) / 2))
    if on:
        ratios[name] = (statistics.median(on) / statistics.median(off), each)
floor = ratios.get("floor", (None,))[0]
for name, label in (("run", "tracer run"), ("tcp", "tracer tcp"), ("floor", "empty programs (floor)")):
    if name not in ratios:
        print(f"{'unpinned iperf3 throughput, ' + label + ' on/off':66s} no complete phase")
        continue
    ratio, each = ratios[name]
    line = f"{'unpinned iperf3 throughput, ' + label + ' on/off':66s} {ratio:6.3f}  (each on phase / its neighbours: {' '.join(f'{e:.3f}' for e in each)})"
    if name != "floor" and floor:
        line += f"  / floor {ratio / floor:.3f}  budget >= 0.99  {'ok' if ratio / floor >= 0.99 else 'MISSED'}"
    print(line)
PY

# TCP ping-pong: short runs, each command's on run right after its own off run
port=$(free_port)
sockperf sr --tcp -i 127.0.0.1 -p "$port" >/dev/null 2>&1 &
pids+=($!)
sleep 0.5
pingpong() { # → transactions/s of one run
  sockperf pp --tcp -i 127.0.0.1 -p "$port" -t "$pp_seconds" 2>&1 |
    sed -n 's/.*\[Valid Duration\] RunTime=\([0-9.]*\) sec;.*ReceivedMessages=\([0-9]*\).*/\2 \1/p' | awk '{ printf "%.0f\n", $1 / $2 }'
}
: >"$work/pingpong"
for _ in $(seq "$pp_rounds"); do
  for name in "${commands[@]}"; do
    echo "$name off $(pingpong)" >>"$work/pingpong"
    start_command "$name"
    sleep 1 # start-up done: the steady state is measured
    echo "$name on $(pingpong)" >>"$work/pingpong"
    stop_command
  done
done
python3 - "$work/pingpong" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, state, rate = line.split()
    runs.setdefault(name, {}).setdefault(state, []).append(float(rate))
print("  ping-pong runs, transactions/s (off on, in order):")
for name, by in runs.items():
    print(f"   {name:5s} " + "  ".join(f"{a:.0f} {b:.0f}" for a, b in zip(by["off"], by["on"])))
ratio = {name: statistics.median(by["on"]) / statistics.median(by["off"]) for name, by in runs.items()}
for name, label in (("run", "tracer run"), ("tcp", "tracer tcp"), ("floor", "empty programs (floor)")):
    line = f"{'unpinned TCP ping-pong transactions/s, ' + label + ' on/off':66s} {ratio[name]:6.3f}"
    if name != "floor":
        line += f"  / floor {ratio[name] / ratio['floor']:.3f}  budget >= 0.98  {'ok' if ratio[name] / ratio['floor'] >= 0.98 else 'MISSED'}"
    print(line)
PY
