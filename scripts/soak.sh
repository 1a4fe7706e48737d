#!/usr/bin/env bash
# Soak test of `tracer run`, the always-on job: SOAK_SECONDS (600) under continuous loopback iperf3
# traffic, bursts of socket create/close churn and a zero-window episode every few seconds,
# exporting over OTLP/gRPC to a real receiver (tests/otlp-peer) that is killed and restarted on a
# schedule (SOAK_UP s up, SOAK_DOWN s down). Checks, with exit status 1 when one fails:
#
#   resident memory growth from the end of the warm-up to the end     < SOAK_RSS_GROWTH_MB (10)
#   open file descriptors after the warm-up, against the first sample  ±SOAK_FD_SLACK (5)
# The warm-up (SOAK_WARMUP) is the first receiver cycle and 30 s more: the runtime loads the code of
# the export failure and recovery paths (assemblies, each an open file) the first time they run.
#   episodes that completed while the receiver was up (and stayed up   0 lost
#     SOAK_GRACE s longer) without a tcp.zero_window span for their 4-tuple
#   SIGTERM at the end: exit status 0, none of tracer's BPF programs or maps left in the kernel
#
# tracer's VmRSS, fds and threads are sampled every 10 s into samples.csv in the output directory
# (SOAK_OUT, else a new /tmp/tracer-soak-XXXX), which also keeps the receiver's requests, the
# episodes, the receiver's up/down times and tracer's output.
#
# Usage: scripts/soak.sh   (as root, after make build; make soak runs it)
set -euo pipefail

seconds=${SOAK_SECONDS:-600}
up_seconds=${SOAK_UP:-60}
down_seconds=${SOAK_DOWN:-30}
stall_every=${SOAK_STALL_EVERY:-5}
stall_hold=${SOAK_STALL_HOLD:-1.5}
churn_burst=${SOAK_CHURN_BURST:-5}
churn_every=${SOAK_CHURN_EVERY:-15}
iperf_rate=${SOAK_IPERF_RATE:-1G}
grace=${SOAK_GRACE:-15}
warmup=${SOAK_WARMUP:-$((up_seconds + down_seconds + 30))}
rss_growth_mb=${SOAK_RSS_GROWTH_MB:-10}
fd_slack=${SOAK_FD_SLACK:-5}
sample_every=10

root=$(cd "$(dirname "$0")/.." && pwd)
# the NativeAOT binary (make publish) is what is deployed; the JIT build when it is absent
tracer=${TRACER:-$root/build/aot/tracer}
[[ -x $tracer ]] || tracer=$root/src/Tracer.Cli/bin/Release/net10.0/tracer
bench=$root/scripts/Bench/bin/Release/net10.0/Bench
peer=$root/tests/otlp-peer
out=${SOAK_OUT:-$(mktemp -d /tmp/tracer-soak-XXXX)}
mkdir -p "$out"

[[ -x $tracer && -x $bench ]] || { echo "soak: build first (make build)" >&2; exit 1; }
((seconds > warmup)) || { echo "soak: SOAK_SECONDS ($seconds) must be longer than the warm-up ($warmup s)" >&2; exit 2; }
[[ -f $peer/node_modules/@elastic/mockotlpserver/lib/cli.js ]] || (cd "$peer" && npm ci --no-audit --no-fund >/dev/null)

tracer_pid= receiver_pid= pids=()
cleanup() {
  for p in "${pids[@]:-}" $receiver_pid; do [[ -n $p ]] && kill "$p" 2>/dev/null || true; done
  [[ -n $tracer_pid ]] && kill -TERM "$tracer_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

now_ms() { date +%s%3N; }

# a port below the ephemeral range (no client socket takes it while the receiver is down), free now
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 10000))
    [[ -z $(ss -Htan "sport = :$port") ]] && echo "$port" && return
  done
}

receiver_port=$(free_port)
receiver_starts=0
receiver_up() {
  receiver_starts=$((receiver_starts + 1))
  local log=$out/receiver-$receiver_starts.err
  node "$peer/serve.js" "$receiver_port" >>"$out/receiver.jsonl" 2>"$log" &
  receiver_pid=$!
  for _ in $(seq 200); do
    grep -q "listening at" "$log" && { echo "up $(now_ms)" >>"$out/receiver-times.txt"; return; }
    kill -0 "$receiver_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "soak: the OTLP receiver did not start on port $receiver_port: $(cat "$log")" >&2
  exit 1
}
# killed as a crash would
receiver_down() {
  kill -KILL "$receiver_pid"
  wait "$receiver_pid" 2>/dev/null || true
  receiver_pid=
  echo "down $(now_ms)" >>"$out/receiver-times.txt"
}

# shellcheck source=lib/bpf-ids.sh
source "$root/scripts/lib/bpf-ids.sh"

sample() { # elapsed-seconds
  local rss threads fds
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$tracer_pid/status")
  threads=$(awk '/^Threads:/ { print $2 }' "/proc/$tracer_pid/status")
  fds=$(find "/proc/$tracer_pid/fd" -mindepth 1 -maxdepth 1 | wc -l)
  echo "$1,$rss,$fds,$threads,$([[ -n $receiver_pid ]] && echo up || echo down)" >>"$out/samples.csv"
}

echo "Tracer soak: $(uname -r), $(nproc) CPUs, ${seconds}s; receiver ${up_seconds}s up / ${down_seconds}s down; $(date -u +%FT%TZ); output in $out"
: >"$out/receiver-times.txt" && : >"$out/receiver.jsonl"
echo "elapsed_s,rss_kb,fds,threads,receiver" >"$out/samples.csv"

receiver_up
"$tracer" run --otlp-endpoint "http://127.0.0.1:$receiver_port" -v >"$out/tracer.out" 2>"$out/tracer.err" &
tracer_pid=$!
for _ in $(seq 600); do
  grep -q "tcp ack path:" "$out/tracer.err" && break
  kill -0 "$tracer_pid" 2>/dev/null || { echo "soak: tracer run exited at start: $(cat "$out/tracer.err")" >&2; exit 1; }
  sleep 0.1
done
grep -q "tcp ack path:" "$out/tracer.err" || { echo "soak: tracer run did not attach within 60 s" >&2; exit 1; }
bpf_ids "$tracer_pid" prog >"$out/prog-ids.txt"
bpf_ids "$tracer_pid" map >"$out/map-ids.txt"
echo "tracer run (pid $tracer_pid) attached: $(wc -l <"$out/prog-ids.txt") BPF programs, $(wc -l <"$out/map-ids.txt") maps"

iperf_port=$(free_port)
iperf3 -s -p "$iperf_port" >/dev/null 2>&1 &
pids+=($!)
sleep 0.5
iperf3 -c 127.0.0.1 -p "$iperf_port" -t "$seconds" -b "$iperf_rate" -i 60 >"$out/iperf3.txt" 2>&1 &
pids+=($!)
"$bench" stalls "$seconds" "$stall_every" "$stall_hold" >"$out/episodes.txt" &
stalls_pid=$!
pids+=("$stalls_pid")
(
  end=$((SECONDS + seconds))
  while ((SECONDS + churn_burst <= end)); do
    "$bench" churn "$churn_burst"
    sleep $((churn_every - churn_burst))
  done
) >"$out/churn.txt" &
pids+=($!)

start=$SECONDS
next_sample=0
while (((elapsed = SECONDS - start) < seconds)); do
  kill -0 "$tracer_pid" 2>/dev/null || { echo "soak: tracer run died after ${elapsed}s: $(tail -5 "$out/tracer.err")" >&2; exit 1; }
  if ((elapsed % (up_seconds + down_seconds) < up_seconds)); then
    [[ -n $receiver_pid ]] || receiver_up
  else
    [[ -z $receiver_pid ]] || receiver_down
  fi
  if ((elapsed >= next_sample)); then
    sample "$elapsed"
    next_sample=$((next_sample + sample_every))
  fi
  sleep 1
done

# the last episodes are exported with the receiver up; then SIGTERM flushes and detaches
[[ -n $receiver_pid ]] || receiver_up
wait "$stalls_pid" || { echo "soak: the zero-window workload failed" >&2; exit 1; }
sleep "$grace"
sample $((SECONDS - start))
kill -TERM "$tracer_pid"
status=0
wait "$tracer_pid" || status=$?
tracer_pid=
receiver_down

left=()
while read -r id; do bpftool prog show id "$id" >/dev/null 2>&1 && left+=("prog $id"); done <"$out/prog-ids.txt"
while read -r id; do bpftool map show id "$id" >/dev/null 2>&1 && left+=("map $id"); done <"$out/map-ids.txt"
printf '%s\n' "${left[@]:-}" | grep . >"$out/bpf-left.txt" || true

node - "$out" "$status" "$warmup" "$rss_growth_mb" "$fd_slack" "$grace" <<'EOF'
'use strict';
const fs = require('fs');
const [dir, status, warmup, rssGrowthMb, fdSlack, grace] = process.argv.slice(2);
const lines = (name) => fs.readFileSync(`${dir}/${name}`, 'utf8').split('\n').filter((l) => l.trim() !== '');
let failed = false;
const verdict = (ok) => {
  failed ||= !ok;
  return ok ? 'ok' : 'FAILED';
};
const mb = (kb) => (kb / 1024).toFixed(1);

// memory and descriptors
const samples = lines('samples.csv').slice(1).map((l) => l.split(',')).map(([t, rss, fds, threads]) => ({t: +t, rss: +rss, fds: +fds, threads: +threads}));
const steady = samples.filter((s) => s.t >= +warmup);
const base = steady[0];
const last = samples[samples.length - 1];
const growthKb = last.rss - base.rss;
const perHourMb = mb((growthKb / (last.t - base.t)) * 3600);
console.log(`samples: ${samples.length} (every 10 s), warm-up ${warmup} s`);
console.log(`RSS MB:  first ${mb(samples[0].rss)}, after warm-up ${mb(base.rss)}, last ${mb(last.rss)}, max ${mb(Math.max(...samples.map((s) => s.rss)))}; ` +
  `growth ${mb(growthKb)} MB (${perHourMb} MB/h)  bound < ${rssGrowthMb} MB  ${verdict(growthKb < rssGrowthMb * 1024)}`);
const fds = steady.map((s) => s.fds);
console.log(`fds:     first ${samples[0].fds}, after warm-up ${base.fds}, last ${last.fds}, min ${Math.min(...fds)}, max ${Math.max(...fds)}  ` +
  `bound ${base.fds} ±${fdSlack}  ${verdict(Math.max(...fds) - base.fds <= +fdSlack && base.fds - Math.min(...fds) <= +fdSlack)}`);
console.log(`threads: first ${samples[0].threads}, last ${last.threads}, max ${Math.max(...samples.map((s) => s.threads))}`);

// episodes against the receiver's up/down times
const times = lines('receiver-times.txt').map((l) => l.split(' ')).map(([state, ms]) => ({up: state === 'up', ms: +ms}));
const upAt = (ms) => times.filter((x) => x.ms <= ms).pop()?.up === true;
const staysUp = (ms) => upAt(ms) && !times.some((x) => !x.up && x.ms > ms && x.ms <= ms + grace * 1000);
// the receiver prints 64-bit integers as protobufjs Longs ({low, high}), strings or numbers
const int64 = (v) => (typeof v === 'object' ? v.high * 2 ** 32 + (v.low >>> 0) : Number(v));
const spans = [];
const requests = {spans: 0, metrics: 0, logs: 0};
let eventsSeen = 0;
let eventsDropped = 0;
for (const line of lines('receiver.jsonl')) {
  if (!line.startsWith('{"resource')) continue;
  const request = JSON.parse(line);
  for (const rs of request.resourceSpans ?? []) {
    requests.spans++;
    for (const ss of rs.scopeSpans) spans.push(...ss.spans.filter((s) => s.name === 'tcp.zero_window'));
  }
  for (const rm of request.resourceMetrics ?? []) {
    requests.metrics++;
    for (const m of rm.scopeMetrics.flatMap((sm) => sm.metrics)) {
      const value = Math.max(0, ...(m.sum?.dataPoints ?? []).map((p) => int64(p.asInt ?? p.asDouble ?? 0)));
      if (m.name === 'tracer.event.count') eventsSeen = Math.max(eventsSeen, value);
      if (m.name === 'tracer.event.dropped') eventsDropped = Math.max(eventsDropped, value);
    }
  }
  requests.logs += (request.resourceLogs ?? []).length;
}
const exported = (e) => spans.some((s) =>
  s.attributes['network.local.address'] === '127.0.0.1' && s.attributes['network.local.port'] === e.clientPort &&
  s.attributes['network.peer.address'] === '127.0.0.1' && s.attributes['network.peer.port'] === e.serverPort &&
  Math.abs(Number(BigInt(s.endTimeUnixNano) / 1000000n) - e.ms) < 5000);
const episodes = lines('episodes.txt').map((l) => l.split(' ')).map(([ms, clientPort, serverPort]) => ({ms: +ms, clientPort, serverPort}));
const whileUp = episodes.filter((e) => staysUp(e.ms));
const whileDown = episodes.filter((e) => !upAt(e.ms));
const lostWhileUp = whileUp.filter((e) => !exported(e));
const nearStop = episodes.length - whileUp.length - whileDown.length;
console.log(`receiver: ${times.filter((x) => x.up).length} starts, ${times.filter((x) => !x.up).length} kills; received ${requests.spans} span, ${requests.metrics} metric, ${requests.logs} log requests`);
console.log(`episodes: ${episodes.length} generated; ${whileUp.length} completed while the receiver was up (and ${grace} s after): ` +
  `${whileUp.length - lostWhileUp.length} exported, ${lostWhileUp.length} lost  ${verdict(lostWhileUp.length === 0 && whileUp.length > 0)}`);
console.log(`          ${whileDown.length} completed while it was down (${whileDown.filter(exported).length} exported anyway), ${nearStop} within ${grace} s of a kill (not judged)`);
for (const e of lostWhileUp) console.log(`          lost: 127.0.0.1:${e.clientPort} → 127.0.0.1:${e.serverPort} completed at ${new Date(e.ms).toISOString()}`);
console.log(`kernel events: ${eventsSeen} seen, ${eventsDropped} dropped (tracer.event.count, tracer.event.dropped)`);

// the load
const iperf = lines('iperf3.txt').find((l) => l.includes('receiver'))?.match(/([\d.]+ \w?bits\/sec)/)?.[1] ?? 'no result';
const churn = lines('churn.txt').map(Number);
console.log(`load: iperf3 ${iperf}; churn ${churn.length} bursts, ${Math.round(churn.reduce((a, b) => a + b, 0) / Math.max(churn.length, 1))} socket create/close per second`);

// the end
const left = lines('bpf-left.txt');
console.log(`SIGTERM: exit status ${status}  ${verdict(status === '0')}; BPF objects left: ${left.length ? left.join(', ') : 'none'}  ${verdict(left.length === 0)}`);
console.log(failed ? 'soak: FAILED' : 'soak: ok');
process.exit(failed ? 1 : 0);
EOF
