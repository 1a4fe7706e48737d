#!/usr/bin/env bash
# Installs what Tracer needs from Debian, idempotently: only missing packages are fetched.
set -euo pipefail

packages=(
  clang-19 llvm-19 libclang1-19   # BPF objects; libclang's C API for the binding generator
  libbpf1 libbpf-dev bpftool      # loader library, its headers, vmlinux.h from BTF
  make iproute2 procps            # build; network namespaces and ss for tests
  iperf3 rsync                    # real workloads driven by the integration tests
  openssh-server netcat-openbsd   # rsync over a test-started sshd, tar | nc (tracer attach's data path)
  prometheus                      # prometheus scrapes tracer run --prometheus in a test; promtool checks deploy/'s rules
  nginx-light python3             # the reset tests: nginx with reuseport as the server, a python listener as the ghost
  chromium                        # the report's browser tests and benchmark (headless)
)

# npm ci installs the report's chart library (tools/report-assets) and the OTLP test peer:
# Debian's nodejs and npm when no npm is on PATH
command -v npm >/dev/null || packages+=(nodejs npm)

# `make bench` only: the start-up benchmark of tracer attach against bpftrace, TCP ping-pong for the
# unpinned overhead, perf to profile where a cost lands
if [[ ${1:-} == --bench ]]; then
  packages+=(bpftrace sockperf linux-perf)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]} (run as root or install them)" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts a system-wide Prometheus on :9090; the tests start their own on free ports
  if [[ " ${missing[*]} " == *" prometheus "* ]] && [[ -d /run/systemd/system ]]; then
    systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  fi
  # likewise nginx on :80; the tests start their own with a config in a temp dir
  if [[ " ${missing[*]} " == *" nginx-light "* ]]; then
    if [[ -d /run/systemd/system ]]; then
      systemctl disable --now nginx.service >/dev/null 2>&1 || true
    elif [[ -f /run/nginx.pid ]]; then
      kill "$(cat /run/nginx.pid)" 2>/dev/null || true
    fi
  fi
fi

command -v dotnet >/dev/null || { echo "install-deps: the .NET 10 SDK (dotnet) is not on PATH" >&2; exit 1; }
