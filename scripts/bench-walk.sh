#!/usr/bin/env bash
# The data path walk of `tracer attach` over a large tree: 50 processes in one pipeline
# (p1 | p2 | … | p50), each holding 1,000 descriptors (499 pipes of its own plus stdio), attached
# by --pid of the first. The walk follows stdout → stdin from process to process, so it reaches
# all 50 and classifies every descriptor. tracer prints the walk's time on its first line
# ("data path walk N ms": the descriptors read, the walk and the graph's per-process reads, without the BPF
# snapshot); this prints the median and the spread (p10–p90) over RUNS runs. Budget: 200 ms.
#
# Usage: scripts/bench-walk.sh [RUNS]   (as root; `make bench` builds first)
set -euo pipefail

runs=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
tracer=${TRACER:-$root/build/aot/tracer}
processes=50
[[ -x $tracer ]] || { echo "bench-walk: $tracer is not built (make publish)" >&2; exit 1; }

# each stage: 499 pipes (998 fds) + stdin, stdout, stderr = 1,001 descriptors, then waits; the
# last one also holds both ends of a loopback TCP connection, so the path reaches the network
pipes='my @keep; for (1..499) { pipe(my $r, my $w) or die "pipe: $!"; push @keep, $r, $w }'
tcp='use IO::Socket::INET; my $l = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1:0") or die; push @keep, $l, IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $l->sockport) or die, $l->accept;'
pipeline="perl -e '$pipes sleep 600'"
for _ in $(seq 3 $processes); do pipeline+=" | perl -e '$pipes sleep 600'"; done
pipeline+=" | perl -e '$pipes $tcp sleep 600'"
ulimit -n 4096
# nothing inherited from this shell: the walk sees the pipeline only
setsid bash -c "for fd in /proc/\$\$/fd/*; do n=\${fd##*/}; [ \"\$n\" -gt 2 ] && exec {n}>&-; done; $pipeline" </dev/null >/dev/null 2>&1 &
leader=$!
trap 'kill -- -$leader 2>/dev/null || true' EXIT

# the pipeline is up once every stage holds its descriptors
for _ in $(seq 200); do
  ready=$(pgrep -s "$leader" -x perl | while read -r p; do ls "/proc/$p/fd" 2>/dev/null | wc -l; done | awk '$1 >= 1000' | wc -l)
  [[ $ready -ge $processes ]] && break
  sleep 0.1
done
first=$(pgrep -s "$leader" -x perl | sort -n | head -1)

walks=()
for _ in $(seq "$runs"); do
  line=$("$tracer" attach --pid "$first" --timeout 0 2>/dev/null | head -1 || true)
  ms=$(sed -n 's/.*data path walk \([0-9.]*\) ms.*/\1/p' <<<"$line")
  [[ -n $ms ]] || { echo "bench-walk: no walk time in: $line" >&2; exit 1; }
  walks+=("$ms")
done

reached=$("$tracer" attach --pid "$first" --timeout 0 --json 2>/dev/null | grep -o '"type":"process"' | wc -l || true)
printf '%s\n' "${walks[@]}" | sort -n | awk -v runs="$runs" -v reached="$reached" -v n="$processes" '
  { v[NR] = $1 }
  END {
    median = v[int((NR + 1) / 2)]; p10 = v[int(NR * 0.1) + 1]; p90 = v[int(NR * 0.9)]
    printf "data path walk, %d processes x 1,000 fds (%d process nodes in the graph), %d runs: median %.1f ms, p10-p90 %.1f-%.1f ms, budget 200 ms: %s\n",
      n, reached, runs, median, p10, p90, (median <= 200 ? "met" : "NOT met")
  }'
