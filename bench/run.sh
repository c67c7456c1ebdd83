#!/usr/bin/env bash
# bench/run.sh BUILD_DIR — fastactor against a raw Boost.Beast server, side by side.
#
# Builds nothing (`make bench` builds first). Runs every benchmark for the baseline
# (BUILD_DIR/bin/raw_beast_server) and for fastactor (BUILD_DIR/bin/fastactor_bench_server)
# interleaved — raw, fastactor, raw, fastactor, ... — with a fresh server per measurement,
# the server pinned to one core and the load generator to another, and prints a table of
# medians (min–max) and the ratio fastactor/raw. docs/benchmarks.md explains each benchmark.
#
# Knobs (environment): BENCH_ROUNDS (3), BENCH_DURATION (wrk, 5s), BENCH_STREAMS (10000),
# BENCH_SERVER_CPU (0), BENCH_CLIENT_CPU (1), BENCH_OUT (BUILD_DIR/bench-logs: raw logs and
# results.md), BENCH_ONLY (space-separated subset of: hello stream parallel paced latency
# fanout).
set -uo pipefail

BUILD=${1:?usage: bench/run.sh BUILD_DIR}
BIN=$BUILD/bin
ROUNDS=${BENCH_ROUNDS:-3}
CHEAP_ROUNDS=$((ROUNDS + 2))       # streaming and chunk latency take seconds: more rounds
DURATION=${BENCH_DURATION:-5s}
STREAMS=${BENCH_STREAMS:-10000}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
OUT=${BENCH_OUT:-$BUILD/bench-logs}
ONLY=${BENCH_ONLY:-hello stream parallel paced latency fanout}

STREAM_PATH='/stream?n=65536&size=16384'           # 1 GiB in 16 KiB chunks
STREAM_BYTES=1073741824
PACED_CHUNKS=20
PACED_PATH="/stream?n=$PACED_CHUNKS&size=16&interval_ms=1000"
LATENCY_PATH='/latency?n=400&interval_ms=5'
LATENCY_SKIP=1                                     # the first chunk travels with the head
FANOUT_ROUTES=(serial concurrent_write with_concurrent_response parallel_execute)
FANOUT_THREADS=512                                 # 64 connections x 8 sub-tasks: no queueing
PARALLEL_THREADS=(128 16)

RAW_BIN=$BIN/raw_beast_server
FA_BIN=$BIN/fastactor_bench_server
PACED_BIN=$BIN/paced_clients
LATENCY_BIN=$BIN/chunk_latency

mkdir -p "$OUT"
RESULTS=$OUT/results.md
NOTES=()
note() { NOTES+=("$*"); echo "  NOTE: $*" >&2; }
log() { echo "$*" >&2; }
want() { [[ " $ONLY " == *" $1 "* ]]; }

for tool in wrk curl taskset awk; do
  command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool is missing (make bench installs it)" >&2; exit 1; }
done
for b in "$RAW_BIN" "$FA_BIN" "$PACED_BIN" "$LATENCY_BIN"; do
  [ -x "$b" ] || { echo "bench/run.sh: $b is missing: build first (make bench)" >&2; exit 1; }
done
ncpu=$(nproc)
if [ "$ncpu" -lt 2 ]; then
  note "only $ncpu CPU: server and load generator share it"
  SERVER_CPU=0 CLIENT_CPU=0
fi

# This script and everything it starts run on the client core; servers are moved to theirs.
taskset -cp "$CLIENT_CPU" $$ >/dev/null

# 10,000 connections need 10,000 descriptors in the server and as many in the client.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FD_LIMIT=$(ulimit -n)
if [ "$FD_LIMIT" != unlimited ] && [ "$FD_LIMIT" -lt $((STREAMS + 100)) ]; then
  note "open-file limit is $FD_LIMIT (65536 refused): paced streams scaled down from $STREAMS to $((FD_LIMIT - 100))"
  STREAMS=$((FD_LIMIT - 100))
fi

# fastactor's access log (one line per request on stdout) is off for benchmarks, whatever the
# option is called in this build.
FA_ARGS=()
fa_help=$("$FA_BIN" --help 2>&1 || true)
if grep -q -- '--no-access-log' <<<"$fa_help"; then
  FA_ARGS+=(--no-access-log)
elif grep -q -- '--access-log=' <<<"$fa_help"; then
  FA_ARGS+=(--access-log=false)
fi

# -- values and statistics ---------------------------------------------------------------------

declare -A V   # key -> the measured values, space-separated
add() { [ -n "$2" ] && V[$1]="${V[$1]:-} $2"; }

# "median min max" of a key's values, or "- - -".
stats() {
  local vals=${V[$1]:-}
  if [ -z "${vals// /}" ]; then echo "- - -"; return; fi
  printf '%s\n' $vals | sort -g | awk '{a[NR]=$1} END {
    m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m, a[1], a[NR] }'
}
# Formats "median (min–max)" with `prec` decimals.
cell() {
  local prec=$2 m lo hi
  read -r m lo hi < <(stats "$1")
  if [ "$m" = - ]; then echo "—"; return; fi
  printf "%.${prec}f (%.${prec}f–%.${prec}f)" "$m" "$lo" "$hi"
}
median() { local m _; read -r m _ < <(stats "$1"); echo "$m"; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }
ratio_cell() {  # fastactor/raw of the medians, and the range of the per-round ratios
  local r; r=$(div "$(median "$2")" "$(median "$1")")
  local lo hi _
  read -r _ lo hi < <(stats "$3")
  if [ "$lo" = - ]; then echo "$r"; else printf "%s (%.2f–%.2f)" "$r" "$lo" "$hi"; fi
}
to_ms() {  # wrk latency "651.00us" / "1.23ms" / "2.00s" -> milliseconds
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.3f", n }'
}

# -- servers ------------------------------------------------------------------------------------

SRV_PID="" SRV_PORT="" SRV_LOG="" SRV_KIND="" srv_seq=0

# start_server raw|fa [extra options]: starts it pinned to the server core with --port=0 and
# reads the port from its first line.
start_server() {
  local kind=$1; shift
  local bin=$RAW_BIN args=()
  if [ "$kind" = fa ]; then bin=$FA_BIN; args=("${FA_ARGS[@]}" "$@"); fi
  srv_seq=$((srv_seq + 1))
  SRV_KIND=$kind
  SRV_LOG=$OUT/server-$srv_seq-$kind
  taskset -c "$SERVER_CPU" "$bin" --host=127.0.0.1 --port=0 "${args[@]}" >"$SRV_LOG.out" 2>"$SRV_LOG.err" &
  SRV_PID=$!
  SRV_PORT=""
  local line
  for _ in $(seq 1 200); do
    line=$(head -n1 "$SRV_LOG.out" 2>/dev/null)
    if [[ $line =~ ^listening\ on\ http://127\.0\.0\.1:([0-9]+)$ ]]; then
      SRV_PORT=${BASH_REMATCH[1]}
      echo "$kind ${args[*]}" >"$SRV_LOG.cmd"
      return 0
    fi
    kill -0 "$SRV_PID" 2>/dev/null || break
    sleep 0.05
  done
  note "$kind server did not start ($(basename "$SRV_LOG")): $(tail -n3 "$SRV_LOG.err" | tr '\n' ' ')"
  kill -KILL "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null
  SRV_PID=""
  return 1
}

# stop_server WHAT: SIGTERM, then reports a server that died early, hung on stop, failed, or
# wrote anything unexpected to stderr.
stop_server() {
  local what=$1 rc=0
  [ -n "$SRV_PID" ] || return 0
  if ! kill -0 "$SRV_PID" 2>/dev/null; then
    wait "$SRV_PID"; rc=$?
    note "$SRV_KIND server died during $what (exit $rc; log $(basename "$SRV_LOG").err: $(tail -n3 "$SRV_LOG.err" | tr '\n' ' '))"
    SRV_PID=""; return 0
  fi
  kill -TERM "$SRV_PID"
  local waited=0
  while kill -0 "$SRV_PID" 2>/dev/null && [ $waited -lt 150 ]; do sleep 0.1; waited=$((waited + 1)); done
  if kill -0 "$SRV_PID" 2>/dev/null; then
    note "$SRV_KIND server still running 15 s after SIGTERM, after $what: killed (log $(basename "$SRV_LOG"))"
    kill -KILL "$SRV_PID"
  fi
  wait "$SRV_PID"; rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 137 ]; then
    note "$SRV_KIND server exited with status $rc after $what (log $(basename "$SRV_LOG").err)"
  fi
  local unexpected
  unexpected=$(grep -v -e 'signal 15, stopping' -e '^$' "$SRV_LOG.err" | head -n3 | tr '\n' ' ')
  [ -n "$unexpected" ] && note "$SRV_KIND server stderr during $what: $unexpected"
  SRV_PID=""
}

cleanup() { [ -n "$SRV_PID" ] && kill -KILL "$SRV_PID" 2>/dev/null; }
trap cleanup EXIT

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# -- load generators ----------------------------------------------------------------------------

# run_wrk CONNS PATH KEY: wrk -t1, pinned; adds KEY.rps, KEY.p50, KEY.p99 (ms).
run_wrk() {
  local conns=$1 path=$2 key=$3 out
  out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$conns" -d"$DURATION" --latency "http://127.0.0.1:$SRV_PORT$path" 2>&1)
  printf '### %s (%s)\n%s\n\n' "$key" "$(basename "$SRV_LOG")" "$out" >>"$OUT/wrk.log"
  local rps p50 p99 non2xx sockerr
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
  sockerr=$(grep 'Socket errors' <<<"$out")
  [ -n "$non2xx" ] && note "$key: $non2xx non-2xx responses ($(basename "$SRV_LOG"))"
  [ -n "$sockerr" ] && note "$key: wrk $sockerr ($(basename "$SRV_LOG"))"
  if [ -z "$rps" ] || [ -z "$p99" ]; then
    note "$key: no wrk result ($(basename "$SRV_LOG")): $(tail -n2 <<<"$out" | tr '\n' ' ')"
    return 1
  fi
  add "$key.rps" "$rps"
  add "$key.p50" "$(to_ms "$p50")"
  add "$key.p99" "$(to_ms "$p99")"
  log "    $key: $rps req/s, p50 $p50, p99 $p99"
  WRK_RPS=$rps
}

# round_ratio KEY RAW FA: the per-round ratio fa/raw
round_ratio() { [ -n "$2" ] && [ -n "$3" ] && add "$1" "$(div "$3" "$2")"; }

machine() {
  echo "- machine: $(nproc --all) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo)"
  echo "- load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- tools: $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2), $(curl --version | head -n1 | cut -d' ' -f1-2); servers on CPU $SERVER_CPU, load generators on CPU $CLIENT_CPU (taskset); open-file limit $FD_LIMIT"
  echo "- fastactor: $(git -C "$(dirname "$0")/.." describe --always --dirty 2>/dev/null || echo unknown), options ${FA_ARGS[*]:-(defaults)}; rounds: $ROUNDS (streaming and chunk latency $CHEAP_ROUNDS), wrk -t1 -d$DURATION"
}

started=$(date +%s)
log "bench/run.sh: results and logs in $OUT"
machine >&2

# -- 1. /hello ----------------------------------------------------------------------------------
if want hello; then
  log "== 1. /hello, wrk -t1 -c64 -d$DURATION --latency"
  for r in $(seq 1 "$ROUNDS"); do
    declare -A got=()
    for kind in raw fa; do
      start_server "$kind" || continue
      taskset -c "$CLIENT_CPU" wrk -t1 -c64 -d1s "http://127.0.0.1:$SRV_PORT/hello" >/dev/null 2>&1  # warm-up
      WRK_RPS=""
      run_wrk 64 /hello "hello.$kind" && got[$kind]=$WRK_RPS
      stop_server "/hello round $r"
    done
    round_ratio hello.ratio "${got[raw]:-}" "${got[fa]:-}"
  done
fi

# -- 2. streaming 1 GiB -------------------------------------------------------------------------
if want stream; then
  log "== 2. streaming 1 GiB in 16 KiB chunks (curl)"
  for r in $(seq 1 "$CHEAP_ROUNDS"); do
    declare -A got=()
    for kind in raw fa; do
      start_server "$kind" || continue
      res=$(taskset -c "$CLIENT_CPU" curl -s -o /dev/null -w '%{size_download} %{time_total} %{http_code}' \
              "http://127.0.0.1:$SRV_PORT$STREAM_PATH")
      read -r bytes secs code <<<"$res"
      if [ "$bytes" = "$STREAM_BYTES" ] && [ "$code" = 200 ]; then
        mbps=$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.1f", b / s / 1e6 }')
        add "stream.$kind" "$mbps"; got[$kind]=$mbps
        log "    stream.$kind: $mbps MB/s ($bytes bytes in $secs s)"
      else
        note "stream.$kind round $r: got $bytes bytes (expected $STREAM_BYTES), status $code"
      fi
      stop_server "streaming round $r"
    done
    round_ratio stream.ratio "${got[raw]:-}" "${got[fa]:-}"
  done
fi

# -- 3. /parallel/execute at 50 concurrent ------------------------------------------------------
if want parallel; then
  log "== 3. /parallel/execute, wrk -t1 -c50 -d$DURATION --latency (fastactor only)"
  for r in $(seq 1 "$ROUNDS"); do
    for t in "${PARALLEL_THREADS[@]}"; do
      start_server fa --blocking-threads="$t" || continue
      run_wrk 50 /parallel/execute "parallel.bt$t"
      stop_server "/parallel/execute round $r"
    done
  done
fi

# -- 4. paced streams ---------------------------------------------------------------------------
if want paced; then
  log "== 4. $STREAMS concurrent paced streams ($PACED_PATH)"
  for r in $(seq 1 "$ROUNDS"); do
    for kind in raw fa; do
      start_server "$kind" || continue
      sleep 0.5  # idle
      res=$("$PACED_BIN" --port="$SRV_PORT" --pid="$SRV_PID" --connections="$STREAMS" \
              --path="$PACED_PATH" --chunks="$PACED_CHUNKS" --parallel=256 --settle-ms=2000 \
              --timeout-s=$((PACED_CHUNKS + 90)) 2>"$OUT/paced-$srv_seq.err")
      echo "$(basename "$SRV_LOG"): $res" >>"$OUT/paced.log"
      declare -A kv=()
      for pair in $res; do kv[${pair%%=*}]=${pair#*=}; done
      n=${kv[connections]:-0}
      if [ "${kv[completed]:-0}" != "$n" ] || [ "$n" = 0 ]; then
        note "paced.$kind round $r: $res; $(tr '\n' ' ' <"$OUT/paced-$srv_seq.err")"
      fi
      if [ "${kv[live_at_sample]:-0}" = "$n" ] && [ "${kv[rss_live_kb]:-0}" -gt 0 ]; then
        per=$(awk -v l="${kv[rss_live_kb]}" -v i="${kv[rss_idle_kb]}" -v n="$n" 'BEGIN { printf "%.2f", (l - i) / n }')
        add "paced.$kind.kib" "$per"
        add "paced.$kind.first_ms" "${kv[all_first_ms]}"
        add "paced.$kind.rss_mib" "$(awk -v l="${kv[rss_live_kb]}" 'BEGIN { printf "%.1f", l / 1024 }')"
        add "paced.$kind.completed" "${kv[completed]}"
        log "    paced.$kind: ${kv[first_chunk]}/$n first chunks after ${kv[all_first_ms]} ms, ${kv[completed]} completed, RSS ${kv[rss_idle_kb]} -> ${kv[rss_live_kb]} KiB: $per KiB/connection"
      else
        note "paced.$kind round $r: not all $n streams were live at the sample: $res"
      fi
      stop_server "paced streams round $r"
    done
  done
fi

# -- 5. chunk latency ---------------------------------------------------------------------------
if want latency; then
  log "== 5. chunk latency ($LATENCY_PATH)"
  for r in $(seq 1 "$CHEAP_ROUNDS"); do
    for kind in raw fa; do
      start_server "$kind" || continue
      res=$(taskset -c "$CLIENT_CPU" "$LATENCY_BIN" --port="$SRV_PORT" --path="$LATENCY_PATH" --skip=$LATENCY_SKIP 2>&1)
      echo "$(basename "$SRV_LOG"): $res" >>"$OUT/latency.log"
      declare -A kv=()
      for pair in $res; do kv[${pair%%=*}]=${pair#*=}; done
      if [ -n "${kv[p99_us]:-}" ]; then
        add "latency.$kind.p50" "$(awk -v v="${kv[p50_us]}" 'BEGIN { printf "%.4f", v / 1000 }')"
        add "latency.$kind.p99" "$(awk -v v="${kv[p99_us]}" 'BEGIN { printf "%.4f", v / 1000 }')"
        log "    latency.$kind: $res"
      else
        note "latency.$kind round $r: $res"
      fi
      stop_server "chunk latency round $r"
    done
  done
fi

# -- 6. the seed comparison: fan-out four ways --------------------------------------------------
if want fanout; then
  log "== 6. fan-out (8 sub-tasks of 10 ms), wrk -t1 -c64 -d$DURATION --latency, --blocking-threads=$FANOUT_THREADS"
  for r in $(seq 1 "$ROUNDS"); do
    for route in "${FANOUT_ROUTES[@]}"; do
      start_server fa --blocking-threads="$FANOUT_THREADS" || continue
      peak_file=$OUT/rss-$srv_seq
      ( peak=0
        while [ ! -e "$peak_file.stop" ] && kill -0 "$SRV_PID" 2>/dev/null; do
          v=$(rss_kib "$SRV_PID"); [ "${v:-0}" -gt "$peak" ] && peak=$v && echo "$peak" >"$peak_file"
          sleep 0.1
        done ) &
      sampler=$!
      run_wrk 64 "/fanout/$route" "fanout.$route"
      touch "$peak_file.stop"; wait "$sampler"
      add "fanout.$route.rss" "$(awk '{ printf "%.1f", $1 / 1024 }' "$peak_file" 2>/dev/null)"
      stop_server "/fanout/$route round $r"
    done
  done
fi

elapsed=$(( $(date +%s) - started ))

# -- the table ----------------------------------------------------------------------------------

{
  echo "## Results ($(date -u '+%Y-%m-%d %H:%M UTC'), $((elapsed / 60)) min $((elapsed % 60)) s)"
  echo
  machine
  echo
  echo "Medians over the rounds, (min–max) across rounds; ratio = fastactor median / raw median"
  echo "(in brackets: the range of the per-round ratios, each round's pair run back to back)."
  echo
  echo "| # | benchmark | metric | raw Beast | fastactor | fastactor/raw |"
  echo "|---|---|---|---|---|---|"
  if want hello; then
    echo "| 1 | /hello, wrk -c64 | req/s | $(cell hello.raw.rps 0) | $(cell hello.fa.rps 0) | $(ratio_cell hello.raw.rps hello.fa.rps hello.ratio) |"
    echo "| 1 | /hello, wrk -c64 | p50 ms | $(cell hello.raw.p50 3) | $(cell hello.fa.p50 3) | $(div "$(median hello.fa.p50)" "$(median hello.raw.p50)") |"
    echo "| 1 | /hello, wrk -c64 | p99 ms | $(cell hello.raw.p99 3) | $(cell hello.fa.p99 3) | $(div "$(median hello.fa.p99)" "$(median hello.raw.p99)") |"
  fi
  if want stream; then
    echo "| 2 | 1 GiB stream, 16 KiB chunks | MB/s | $(cell stream.raw 0) | $(cell stream.fa 0) | $(ratio_cell stream.raw stream.fa stream.ratio) |"
  fi
  if want parallel; then
    for t in "${PARALLEL_THREADS[@]}"; do
      echo "| 3 | /parallel/execute, c50, --blocking-threads=$t | p50 ms | n/a | $(cell parallel.bt$t.p50 1) | — |"
      echo "| 3 | /parallel/execute, c50, --blocking-threads=$t | p99 ms | n/a | $(cell parallel.bt$t.p99 1) | — |"
      echo "| 3 | /parallel/execute, c50, --blocking-threads=$t | req/s | n/a | $(cell parallel.bt$t.rps 0) | — |"
    done
  fi
  if want paced; then
    echo "| 4 | $STREAMS paced streams | RSS KiB per connection | $(cell paced.raw.kib 2) | $(cell paced.fa.kib 2) | $(div "$(median paced.fa.kib)" "$(median paced.raw.kib)") |"
    echo "| 4 | $STREAMS paced streams | RSS MiB, all streams live | $(cell paced.raw.rss_mib 1) | $(cell paced.fa.rss_mib 1) | $(div "$(median paced.fa.rss_mib)" "$(median paced.raw.rss_mib)") |"
    echo "| 4 | $STREAMS paced streams | ms until all got a first chunk | $(cell paced.raw.first_ms 0) | $(cell paced.fa.first_ms 0) | $(div "$(median paced.fa.first_ms)" "$(median paced.raw.first_ms)") |"
    echo "| 4 | $STREAMS paced streams | streams completed | $(cell paced.raw.completed 0) | $(cell paced.fa.completed 0) | — |"
  fi
  if want latency; then
    echo "| 5 | chunk latency, idle | p50 ms | $(cell latency.raw.p50 3) | $(cell latency.fa.p50 3) | $(div "$(median latency.fa.p50)" "$(median latency.raw.p50)") |"
    echo "| 5 | chunk latency, idle | p99 ms | $(cell latency.raw.p99 3) | $(cell latency.fa.p99 3) | $(div "$(median latency.fa.p99)" "$(median latency.raw.p99)") |"
  fi
  if want fanout; then
    for route in "${FANOUT_ROUTES[@]}"; do
      k=fanout.$route
      echo "| 6 | /fanout/$route, c64 | req/s · p50 ms · p99 ms · peak RSS MiB | n/a | $(cell $k.rps 0) · $(cell $k.p50 1) · $(cell $k.p99 1) · $(cell $k.rss 1) | — |"
    done
  fi
  echo
  echo "### Targets"
  echo
  echo "| target | measured (median) | |"
  echo "|---|---|---|"
  verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { if (v == "-") print "no data"; else if ((op == ">=" && v >= t) || (op == "<=" && v <= t)) print "met"; else print "**missed**" }'; }
  if want hello; then
    v=$(div "$(median hello.fa.rps)" "$(median hello.raw.rps)")
    echo "| /hello ≥ 0.85× raw Beast req/s | $v× | $(verdict "$v" 0.85 '>=') |"
  fi
  if want stream; then
    v=$(div "$(median stream.fa)" "$(median stream.raw)")
    echo "| streaming ≥ 0.9× raw Beast | $v× | $(verdict "$v" 0.9 '>=') |"
  fi
  if want paced; then
    v=$(median paced.fa.kib)
    echo "| $STREAMS paced streams at ≤ 6 KiB RSS per connection | $v KiB | $(verdict "$v" 6 '<=') |"
  fi
  if want parallel; then
    v=$(median parallel.bt128.p99)
    echo "| /parallel/execute p99 ≤ 155 ms at 50 concurrent (--blocking-threads=128) | $v ms | $(verdict "$v" 155 '<=') |"
    v=$(median parallel.bt16.p99)
    echo "| the same with the default --blocking-threads=16 | $v ms | $(verdict "$v" 155 '<=') |"
  fi
  if want latency; then
    v=$(median latency.fa.p99)
    echo "| chunk latency p99 ≤ 1 ms, idle | $v ms | $(verdict "$v" 1 '<=') |"
  fi
  echo
  if [ ${#NOTES[@]} -gt 0 ]; then
    echo "### Notes from this run"
    echo
    for n in "${NOTES[@]}"; do echo "- $n"; done
  else
    echo "No errors, failed requests, crashes or hangs were seen in this run."
  fi
} | tee "$RESULTS"
