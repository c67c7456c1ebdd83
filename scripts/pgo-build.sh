#!/usr/bin/env bash
# scripts/pgo-build.sh [BUILD_DIR] [JOBS] — a build trained on the load it will serve
# (profile-guided optimization, GCC; `make pgo`). Into BUILD_DIR (build-pgo):
#   1. the servers built to count which code runs (FASTACTOR_PGO=generate);
#   2. each trained under wrk for ~20 s: fastactor_bench_server (the demo's routes) and, so
#      that `bench/run.sh BUILD_DIR` compares like with like, the lean Beast baseline on the
#      same /hello and /stream loads;
#   3. everything rebuilt with the counts (FASTACTOR_PGO=use): BUILD_DIR/bin/.
# Executables the training does not run (tools, examples) are optimized as in a plain build.
# Needs wrk and curl. The counts are found next to the objects, so both steps use BUILD_DIR.
set -euo pipefail

DIR=${1:-build-pgo}
JOBS=${2:-$(nproc)}
HERE=$(cd "$(dirname "$0")/.." && pwd)
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "scripts/pgo-build.sh: $tool is missing" >&2; exit 1; }
done

configure() {
  cmake -S "$HERE" -B "$DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFASTACTOR_TESTS=OFF \
    -DFASTACTOR_PGO="$1" >/dev/null
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

BROWSER_FIELDS=(
  -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36'
  -H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
  -H 'Accept-Language: en-US,en;q=0.9'
  -H 'Sec-Fetch-Mode: navigate')

# train BIN PATH...: BIN on a free port under the benchmarks' kinds of load; the counts are
# written when it exits, so it is stopped with SIGINT, never killed.
train() {
  local bin=$1; shift
  local port; port=$(free_port)
  local extra=()
  [[ $("$bin" --help 2>&1 || true) == *--access-log* ]] && extra=(--access-log=0)
  "$bin" --port="$port" "${extra[@]}" >/dev/null 2>&1 &
  local pid=$!
  local tries=100
  until curl -s -o /dev/null "http://127.0.0.1:$port/hello" || [ $((tries -= 1)) -eq 0 ]; do
    sleep 0.1
  done
  local url="http://127.0.0.1:$port"
  wrk -t1 -c64 -d4s "$url/hello" >/dev/null
  wrk -t1 -c64 -d3s -s "$HERE/bench/pipeline.lua" "$url/hello" -- 16 64 >/dev/null
  wrk -t1 -c256 -d2s "$url/hello" >/dev/null
  wrk -t1 -c16 -d2s "${BROWSER_FIELDS[@]}" "$url/hello" >/dev/null
  for path in "$@"; do
    wrk -t1 -c16 -d2s "$url$path" >/dev/null
  done
  kill -INT "$pid"
  wait "$pid" || { echo "scripts/pgo-build.sh: $bin did not exit cleanly" >&2; exit 1; }
}

echo "pgo: 1/3 building the counting servers in $DIR"
configure generate
find "$DIR" -name '*.gcda' -delete  # the counts of an older build would be merged in
cmake --build "$DIR" -j "$JOBS" --target fastactor_bench_server lean_beast_server >/dev/null

echo "pgo: 2/3 training (~25 s)"
train "$DIR/bin/fastactor_bench_server" '/stream?n=16&size=4096' '/stream?n=64&size=16384' \
  '/sse?n=4&interval_ms=1&size=16'
train "$DIR/bin/lean_beast_server" '/stream?n=16&size=4096' '/stream?n=64&size=16384'
[ -n "$(find "$DIR" -name '*.gcda' -print -quit)" ] || {
  echo "scripts/pgo-build.sh: the training wrote no counts" >&2
  exit 1
}

echo "pgo: 3/3 building with the counts"
configure use
cmake --build "$DIR" -j "$JOBS"
echo "pgo: built into $DIR/bin (bench/run.sh $DIR compares it)"
