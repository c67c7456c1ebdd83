#!/usr/bin/env bash
# bench/instructions.sh SERVER_BIN [bare|browser|pipelined] [CONNECTIONS] — user-space
# instructions per /hello request, counted by callgrind: immune to the machine's noise, so two
# binaries can be compared when wall-clock runs cannot tell 1–5 % apart.
#
# Runs SERVER_BIN (fastactor_bench_server, or any server with --port; one whose --help names
# --access-log gets --access-log=0) under `valgrind --tool=callgrind` twice: once idle (start-up and shutdown,
# one curl), once under `wrk -t1 -d4s`, and prints
#   requests=N instructions_per_request=I check_header_per_request=C locked_per_request=L
# (C is n/a for a server linked as one program: check_header is inlined there)
# with the idle run's instructions taken out. L counts the locked instructions (atomic
# read-modify-writes, shared_ptr copies, mutexes) per request, which callgrind counts as one
# instruction each but which cost ~20 cycles: bench/locked_instructions.py, whose list of the
# busiest sites is left in OUT/MODE.locked.txt. The load:
#   bare       wrk's own request (one field: Host), CONNECTIONS (1) connections
#   browser    the same with a browser's nine extra fields (User-Agent, Accept, Sec-Fetch-*, ...)
#   pipelined  16 requests per write (bench/pipeline.lua), CONNECTIONS (16) connections
# Needs valgrind, wrk, curl, objdump and python3. Profiles stay in BENCH_OUT (/tmp/fastactor-instructions).
set -euo pipefail

BIN=${1:?usage: bench/instructions.sh SERVER_BIN [bare|browser|pipelined] [CONNECTIONS]}
MODE=${2:-bare}
case $MODE in
  bare | browser) CONNS=${3:-1} ;;
  pipelined) CONNS=${3:-16} ;;
  *) echo "bench/instructions.sh: unknown load '$MODE' (bare, browser, pipelined)" >&2; exit 2 ;;
esac
for tool in valgrind callgrind_annotate wrk curl objdump python3; do
  command -v "$tool" >/dev/null || { echo "bench/instructions.sh: $tool is missing" >&2; exit 1; }
done
OUT=${BENCH_OUT:-/tmp/fastactor-instructions}
mkdir -p "$OUT"
HERE=$(cd "$(dirname "$0")" && pwd)
# fastactor's access log off, as in the benchmarks (a server without the option gets nothing).
EXTRA=()
help=$("$BIN" --help 2>&1 || true)
[[ $help == *--access-log* ]] && EXTRA=(--access-log=0)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run_profiled NAME LOAD_COMMAND...: the server under callgrind while LOAD_COMMAND runs
# (PORT is set for it); the profile is OUT/NAME.callgrind.
run_profiled() {
  local name=$1; shift
  PORT=$(free_port)
  valgrind --tool=callgrind --callgrind-out-file="$OUT/$name.callgrind" \
    --dump-instr=yes --compress-pos=no --compress-strings=no \
    "$BIN" --port="$PORT" "${EXTRA[@]}" >"$OUT/$name.server.log" 2>"$OUT/$name.valgrind.log" &
  local pid=$!
  local tries=150  # 30 s: valgrind starts slowly
  until curl -s -o /dev/null "http://127.0.0.1:$PORT/hello" || [ $((tries -= 1)) -eq 0 ]; do
    sleep 0.2
  done
  "$@"
  kill -INT "$pid"
  wait "$pid" || true
}

total_of() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'; }
inclusive_of() {  # the inclusive instructions of the first function whose name contains $2
  { callgrind_annotate --inclusive=yes "$1" 2>/dev/null | grep -F "$2" || true; } | head -1 |
    awk '{gsub(",", "", $1); print $1 + 0}'
}

# shellcheck source=bench/browser_fields.sh
source "$HERE/browser_fields.sh"

load() {
  local args=(-t1 -c"$CONNS" -d4s)
  case $MODE in
    browser) args+=("${BROWSER_FIELDS[@]}") ;;
    pipelined) args+=(-s "$HERE/pipeline.lua") ;;
  esac
  args+=("http://127.0.0.1:$PORT/hello")
  [ "$MODE" = pipelined ] && args+=(-- 16 "$CONNS")
  wrk "${args[@]}" >"$OUT/$MODE.wrk.txt"
}

run_profiled idle true
run_profiled "$MODE" load
requests=$(awk '/requests in/ {print $1}' "$OUT/$MODE.wrk.txt")
if [ "${requests:-0}" -eq 0 ]; then
  echo "bench/instructions.sh: no request answered (see $OUT/$MODE.wrk.txt, $OUT/$MODE.valgrind.log)" >&2
  exit 1
fi
idle=$(total_of "$OUT/idle.callgrind")
loaded=$(total_of "$OUT/$MODE.callgrind")
checks=$(inclusive_of "$OUT/$MODE.callgrind" 'fastactor::check_header(')
python3 "$HERE/locked_instructions.py" "$OUT/$MODE.callgrind" "$requests" 20 >"$OUT/$MODE.locked.txt"
# A server linked as one program (FASTACTOR_LTO) has check_header inlined: no figure of its own.
if [ "${checks:-0}" -gt 0 ]; then checks=$((checks / requests)); else checks=n/a; fi
echo "requests=$requests instructions_per_request=$(((loaded - idle) / requests))" \
  "check_header_per_request=$checks" \
  "$(head -1 "$OUT/$MODE.locked.txt")"
