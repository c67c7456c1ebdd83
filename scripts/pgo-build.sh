#!/usr/bin/env bash
# scripts/pgo-build.sh [BUILD_DIR] [JOBS] — a build trained on the load it will serve
# (profile-guided optimization, GCC; `make pgo`). Into BUILD_DIR (build-pgo):
#   1. the servers built to count which code runs (FASTACTOR_PGO=generate);
#   2. each trained under wrk (~50 s in all): fastactor_bench_server (the demo's routes) and,
#      so that `bench/run.sh BUILD_DIR` compares like with like, the two Beast baselines
#      (lean_beast_server, raw_beast_server) on the same /hello and /stream loads;
#   3. everything rebuilt with the counts (FASTACTOR_PGO=use): BUILD_DIR/bin/.
# Executables the training does not run (tools, examples) are optimized as in a plain build.
# Needs wrk and curl. The counts are found next to the objects, so both steps use BUILD_DIR,
# which must not be the plain build's (its tests would be switched off).
set -euo pipefail

DIR=${1:-build-pgo}
JOBS=${2:-$(nproc)}
HERE=$(cd "$(dirname "$0")/.." && pwd)
for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "scripts/pgo-build.sh: $tool is missing" >&2; exit 1; }
done
mkdir -p "$DIR"
if [ "$(cd "$DIR" && pwd)" = "$HERE/build" ]; then
  echo "scripts/pgo-build.sh: $DIR is the plain build's directory; give another (build-pgo)" >&2
  exit 2
fi

# Every setting that decides what is built is given, so a directory configured before for
# something else (sanitizers, no benchmarks) builds what bench/run.sh needs. The servers are
# linked as one program unless FASTACTOR_LTO=OFF is in the environment.
configure() {
  cmake -S "$HERE" -B "$DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFASTACTOR_TESTS=OFF \
    -DFASTACTOR_BENCH=ON -DFASTACTOR_FUZZ=OFF -DFASTACTOR_SANITIZE= \
    -DFASTACTOR_LTO="${FASTACTOR_LTO:-ON}" -DFASTACTOR_PGO="$1" >/dev/null
}

# shellcheck source=bench/browser_fields.sh
source "$HERE/bench/browser_fields.sh"

server_pid=""
stop_server() { [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null || true; }
trap stop_server EXIT

# train BIN PATH...: BIN on a port of its choosing under the benchmarks' kinds of load. The
# counts are written when it exits, so it is stopped with SIGTERM, which every server here
# handles by returning from main, never killed.
train() {
  local bin=$1; shift
  local log; log="$DIR/pgo-train-$(basename "$bin").log"
  local extra=()
  [[ $("$bin" --help 2>&1 || true) == *--access-log* ]] && extra=(--access-log=0)
  "$bin" --host=127.0.0.1 --port=0 "${extra[@]}" >"$log" 2>"$log.err" &
  server_pid=$!
  local url="" tries=100  # 10 s
  while [ -z "$url" ] && [ $((tries -= 1)) -gt 0 ] && kill -0 "$server_pid" 2>/dev/null; do
    url=$(sed -n '1s|^listening on \(http://[^ /]*\).*|\1|p' "$log")
    [ -n "$url" ] || sleep 0.1
  done
  if [ -z "$url" ] || ! curl -s --max-time 2 -o /dev/null "$url/hello"; then
    echo "scripts/pgo-build.sh: $bin did not start; its output:" >&2
    tail -n 20 "$log" "$log.err" >&2
    exit 1
  fi
  wrk -t1 -c64 -d4s "$url/hello" >/dev/null
  wrk -t1 -c64 -d3s -s "$HERE/bench/pipeline.lua" "$url/hello" -- 16 64 >/dev/null
  wrk -t1 -c256 -d2s "$url/hello" >/dev/null
  wrk -t1 -c16 -d2s "${BROWSER_FIELDS[@]}" "$url/hello" >/dev/null
  for path in "$@"; do
    wrk -t1 -c16 -d2s "$url$path" >/dev/null
  done
  kill -TERM "$server_pid"
  local rc=0
  wait "$server_pid" || rc=$?
  server_pid=""
  if [ "$rc" -ne 0 ]; then
    echo "scripts/pgo-build.sh: $bin exited with $rc, so its counts may be missing; its output:" >&2
    tail -n 20 "$log" "$log.err" >&2
    exit 1
  fi
}

echo "pgo: 1/3 building the counting servers in $DIR"
configure generate
find "$DIR" -name '*.gcda' -delete  # the counts of an older build would be merged in
cmake --build "$DIR" -j "$JOBS" --target fastactor_bench_server lean_beast_server \
  raw_beast_server >/dev/null

echo "pgo: 2/3 training (~50 s)"
STREAMS=('/stream?n=16&size=4096' '/stream?n=64&size=16384')
train "$DIR/bin/fastactor_bench_server" "${STREAMS[@]}" '/sse?n=4&interval_ms=1&size=16'
train "$DIR/bin/lean_beast_server" "${STREAMS[@]}"
train "$DIR/bin/raw_beast_server" "${STREAMS[@]}"
for counted in response_writer.cpp.gcda session.cpp.gcda lean_beast_server.cpp.gcda \
  raw_beast_server.cpp.gcda; do
  [ -n "$(find "$DIR" -name "$counted" -print -quit)" ] || {
    echo "scripts/pgo-build.sh: the training wrote no $counted" >&2
    exit 1
  }
done

echo "pgo: 3/3 building with the counts"
configure use
cmake --build "$DIR" -j "$JOBS"
echo "pgo: built into $DIR/bin (bench/run.sh $DIR compares it)"
