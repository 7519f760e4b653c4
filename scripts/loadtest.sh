#!/usr/bin/env bash
# Load test of the module page against bare Fiber, driven from outside by wrk (see README,
# Performance). Installs Debian's wrk when it is missing, then runs the opt-in Go test that starts
# the servers, runs the interleaved wrk rounds, checks every response and prints the ratios.
#
#   scripts/loadtest.sh                                   # 3 rounds x 8 s per server
#   PEERACADEMY_LOAD_ROUNDS=5 scripts/loadtest.sh
#   PEERACADEMY_LOAD_CPUPROFILE=/tmp/cpu.out scripts/loadtest.sh   # then: go tool pprof -top /tmp/cpu.out
#
# Other settings: PEERACADEMY_LOAD_SECONDS, PEERACADEMY_LOAD_THREADS, PEERACADEMY_LOAD_CONNS,
# PEERACADEMY_LOAD_POSTGRES=1 (with PEERACADEMY_TEST_POSTGRES_URL) for the page on PostgreSQL too.
# Run it on an otherwise idle machine: the figures that count are the ratios within one run.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

if ! command -v wrk >/dev/null; then
  printf '== installing wrk\n' >&2
  as_root apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq wrk >/dev/null
fi

PEERACADEMY_LOAD=1 exec go test -count=1 -timeout 30m -run '^TestModulePageThroughput$' -v ./internal/app/
