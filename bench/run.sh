#!/usr/bin/env bash
# bench/run.sh BUILD_DIR — fastactor against the leanest Boost.Beast server and Debian's nginx
# (one worker), with a typical Beast app beside them, side by side; and over HTTPS and HTTP/2
# against nginx (bench/https.sh, bench/http2.sh).
#
# Builds nothing (`make bench` builds first). Runs every benchmark for the baselines —
# nginx (plain HTTP, bench/https.sh writes its configuration), BUILD_DIR/bin/lean_beast_server
# (the leanest Beast server: plain socket, no timer per operation) and
# BUILD_DIR/bin/raw_beast_server (a typical Beast app: tcp_stream with a timer armed per
# operation) — and for fastactor (BUILD_DIR/bin/fastactor_bench_server), interleaved: each
# round runs every server once, back to back, with a fresh server per measurement, the server
# pinned to one core and the load generator to another. It prints a table of medians
# (min–max) and the ratios fastactor/nginx, fastactor/lean Beast and fastactor/typical Beast
# app. docs/benchmarks.md explains each benchmark.
#
# The machine may be shared: the script counts the CPU time that processes other than its
# own use. Before each round it waits until they use at most BENCH_DISTURB_MAX % of a core;
# a round during which they used more is discarded and repeated (every server of the round),
# at most BENCH_ATTEMPTS times. Once BENCH_BUDGET seconds have passed since the start it no
# longer waits or repeats, so a busy machine cannot stretch the run much past that. Every
# repeat is listed in the notes under the table. The binaries are copied to BENCH_OUT/bin
# first, so a rebuild of BUILD_DIR during the run does not swap them.
#
# Knobs (environment): BENCH_ROUNDS (3), BENCH_DURATION (wrk, 3s), BENCH_STREAMS (10000),
# BENCH_SERVER_CPU (0), BENCH_CLIENT_CPU (1), BENCH_DISTURB_MAX (10), BENCH_ATTEMPTS (3),
# BENCH_BUDGET (720; 1500 beyond the plain group), BENCH_TYPICAL (1: also run
# raw_beast_server, the typical Beast app, in the /hello and 1 GiB rows; 0: leave it out,
# which saves a quarter of those), BENCH_OUT (BUILD_DIR/bench-logs: logs and results.md),
# BENCH_ONLY (plain by default: a space-separated list of groups — plain https h2 scale
# compress remote all — and names: hello hello_log hello_pipelined hello_c1000 stream
# streams_unpaced parallel paced latency fanout https_hello https_stream https_handshakes
# https_idle h2_hello h2_streams h2_stream h2_vs_h1 h2_idle scale_hello scale_streams compress
# compress_hello remote); the HTTPS, HTTP/2, scale, compression and remote ones have knobs of
# their own (bench/https.sh, bench/http2.sh, bench/scale.sh, bench/compress.sh: `compress` is
# 1 GiB of NDJSON per content coding against nginx's gzip, `compress_hello` the /hello p99 of
# other connections while one coded stream runs; bench/remote.sh: 1 GiB through a worker
# node).
set -uo pipefail

BUILD=${1:?usage: bench/run.sh BUILD_DIR}
BIN=$BUILD/bin
ROUNDS=${BENCH_ROUNDS:-3}
CHEAP_ROUNDS=$((ROUNDS + 2))       # streaming and chunk latency take seconds: more rounds
DURATION=${BENCH_DURATION:-3s}
STREAMS=${BENCH_STREAMS:-10000}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
DISTURB_MAX=${BENCH_DISTURB_MAX:-10}
ATTEMPTS=${BENCH_ATTEMPTS:-3}
OUT=${BENCH_OUT:-$BUILD/bench-logs}
# The benchmarks by group. `plain` (the default; what `make bench` runs) is issue 15's rows
# against nginx and the leanest Beast server, about 8½ minutes on a quiet machine; the other
# groups took (2026-12-03, quiet): https 2¼ min, h2 1½, compress 2¼, scale 4½, remote ½; all
# of them together (`make bench-all`) 19½ min. A run that takes more than one group gets a budget of
# 25 minutes instead of 12 (BENCH_BUDGET overrides either).
PLAIN_NAMES="hello hello_log hello_pipelined hello_c1000 stream streams_unpaced parallel paced latency fanout"
HTTPS_NAMES="https_hello https_stream https_handshakes https_idle"
H2_NAMES="h2_hello h2_streams h2_stream h2_vs_h1 h2_idle"
SCALE_NAMES="scale_hello scale_streams"
COMPRESS_NAMES="compress compress_hello"
REMOTE_NAMES="remote"
expand_groups() {
  local word
  for word in $1; do
    case $word in
      plain) echo "$PLAIN_NAMES" ;;
      https) echo "$HTTPS_NAMES" ;;
      h2) echo "$H2_NAMES" ;;
      scale) echo "$SCALE_NAMES" ;;
      compress) echo "$COMPRESS_NAMES" ;;
      all) echo "$PLAIN_NAMES $HTTPS_NAMES $H2_NAMES $SCALE_NAMES $COMPRESS_NAMES $REMOTE_NAMES" ;;
      *) echo "$word" ;;
    esac
  done
}
ONLY=$(expand_groups "${BENCH_ONLY:-plain}" | tr '\n' ' ')
ALL_NAMES=$(expand_groups all)
default_budget=720
for name in $ONLY; do
  # A misspelt name would otherwise run nothing and print an empty table.
  [[ " $ALL_NAMES " == *" $name "* ]] || {
    echo "bench/run.sh: BENCH_ONLY: '$name' is neither a group (plain https h2 scale compress remote all) nor a benchmark ($ALL_NAMES)" >&2
    exit 2
  }
  [[ " $PLAIN_NAMES " == *" $name "* ]] || default_budget=1500
done
STARTED=$(date +%s)
DEADLINE=$((STARTED + ${BENCH_BUDGET:-$default_budget}))
late() { [ "$(date +%s)" -ge "$DEADLINE" ]; }

STREAM_PATH='/stream?n=65536&size=16384'           # 1 GiB in 16 KiB chunks
STREAM_BYTES=1073741824
PIPELINE_DEPTH=16                                  # TechEmpower's plaintext test
MANY_CONNS=1000                                    # hello_c1000
UNPACED_PATH='/stream?n=16&size=4096'              # streams_unpaced: 64 KiB each, at once
UNPACED_BYTES=65536
PACED_CHUNKS=10
PACED_PATH="/stream?n=$PACED_CHUNKS&size=16&interval_ms=1000"
# The same cadence and chunk count, every stream written by one pacer actor (context::subscribe)
# instead of a worker actor per stream: each event is one chunk, the first with the head.
PACED_SHARED_PATH="/sse?n=$PACED_CHUNKS&size=16&interval_ms=1000&pacer=shared"
LATENCY_PATH='/latency?n=400&interval_ms=5'
LATENCY_SKIP=1                                     # the first chunk travels with the head
FANOUT_ROUTES=(serial concurrent_write with_concurrent_response parallel_execute)
FANOUT_THREADS=512                                 # 64 connections x 8 sub-tasks: no queueing
PARALLEL_THREADS=(256 16)        # the default (threads start on demand), and a small pool

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)  # absolute: nginx reads its -c path relative to its own prefix
rm -f "$OUT"/server-* "$OUT"/rss-* "$OUT"/paced-*.err "$OUT"/wrk.log "$OUT"/paced.log "$OUT"/latency.log
for b in lean_beast_server raw_beast_server fastactor_bench_server paced_clients chunk_latency; do
  [ -x "$BIN/$b" ] || { echo "bench/run.sh: $BIN/$b is missing: build first (make bench)" >&2; exit 1; }
done
# Run copies: a rebuild of BUILD_DIR during the run must not swap the servers under it.
mkdir -p "$OUT/bin"
cp -f "$BIN"/{lean_beast_server,raw_beast_server,fastactor_bench_server,paced_clients,chunk_latency} "$OUT/bin/"
LEAN_BIN=$OUT/bin/lean_beast_server
RAW_BIN=$OUT/bin/raw_beast_server
FA_BIN=$OUT/bin/fastactor_bench_server
PACED_BIN=$OUT/bin/paced_clients
LATENCY_BIN=$OUT/bin/chunk_latency
RESULTS=$OUT/results.md
NOTES=()
REPEATS=0
note() { NOTES+=("$*"); echo "  NOTE: $*" >&2; }
# A line "== N. title" starts benchmark N: its start time is kept for "Time per benchmark".
SECTION_STARTS=() SECTION_NAMES=()
log() {
  if [[ $1 == "== "* ]]; then
    local name=${1#== }
    SECTION_STARTS+=("$(date +%s)") SECTION_NAMES+=("${name%%.*}")
  fi
  echo "$*" >&2
}

# "1: 95 s, 1L: 40 s, ...": how long each benchmark took, repeats and waits included (each one
# ends where the next begins; the last at the end of the run).
section_times() {
  local i end out=""
  for i in "${!SECTION_STARTS[@]}"; do
    end=${SECTION_STARTS[$((i + 1))]:-$(date +%s)}
    out+="${out:+, }${SECTION_NAMES[$i]}: $((end - SECTION_STARTS[i])) s"
  done
  echo "$out"
}
want() { [[ " $ONLY " == *" $1 "* ]]; }
HELLO_NAMES="hello hello_log hello_pipelined hello_c1000"
# 1: the servers started next write access logs, as a user gets them — fastactor its default
# (one line per request, buffered, on stdout: SRV_LOG.out), nginx the same fields with
# `access_log … buffer=64k flush=1s` (SRV_LOG.access). 0 (every other benchmark): off on both.
ACCESS_LOGS=0
# The servers of the /hello and 1 GiB rounds, in the order each round runs them; fastactor last.
if [ "${BENCH_TYPICAL:-1}" = 0 ]; then BASE_KINDS="nginxplain lean"; else BASE_KINDS="nginxplain lean raw"; fi
plain_wanted() { local n; for n in $PLAIN_NAMES; do want "$n" && return 0; done; return 1; }
# shellcheck source=bench/https.sh
source "$(dirname "${BASH_SOURCE[0]}")/https.sh"
# shellcheck source=bench/http2.sh
source "$(dirname "${BASH_SOURCE[0]}")/http2.sh"
# shellcheck source=bench/scale.sh
source "$(dirname "${BASH_SOURCE[0]}")/scale.sh"
# shellcheck source=bench/compress.sh
source "$(dirname "${BASH_SOURCE[0]}")/compress.sh"
# shellcheck source=bench/remote.sh
source "$(dirname "${BASH_SOURCE[0]}")/remote.sh"

for tool in wrk curl taskset awk ss; do
  command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool is missing (make bench installs it)" >&2; exit 1; }
done
if [ "$(nproc)" -lt 2 ]; then
  note "only $(nproc) CPU: server and load generator share it"
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
elif grep -q -- '--access-log=<int' <<<"$fa_help"; then
  FA_ARGS+=(--access-log=0)
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
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
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

SRV_PID="" SRV_CHILD="" SRV_PORT="" SRV_LOG="" SRV_KIND="" SRV_SCHEME=http srv_seq=0

# start_server KIND [extra fastactor options]: starts it pinned to the server core with
# --port=0 and reads the port from its first line. KIND: lean (lean Beast), raw (the typical
# Beast app), fa (fastactor), fas (fastactor over HTTPS), nginx (HTTPS), nginxplain (HTTP;
# the last three: bench/https.sh), nginxh2 (HTTPS with h2), nginxh2c (HTTP/2 with prior
# knowledge on a plain port), fah1 and fah2 (fastactor plain, which bench/http2.sh speaks
# HTTP/1.1 and HTTP/2 to).
start_server() {
  local kind=$1; shift
  local bin=$RAW_BIN args=()
  if [ "$kind" = lean ]; then bin=$LEAN_BIN; fi
  if [[ $kind == fa || $kind == fah1 || $kind == fah2 ]]; then bin=$FA_BIN; args=("${FA_ARGS[@]}" "$@"); fi
  if [ "$kind" = fa ] && [ "$ACCESS_LOGS" = 1 ]; then args=("$@"); fi  # the default: logging
  if [ "$kind" = fas ]; then bin=$FA_BIN; args=("${FA_ARGS[@]}" "${FAS_ARGS[@]}" "$@"); fi
  srv_seq=$((srv_seq + 1))
  SRV_KIND=$kind
  SRV_LOG=$OUT/server-$srv_seq-$kind
  SRV_SCHEME=http SRV_CHILD=""
  [[ $kind == fas || $kind == nginx || $kind == nginxh2 ]] && SRV_SCHEME=https
  case $kind in
    nginx) start_nginx ssl; return ;;
    nginxplain) start_nginx plain; return ;;
    nginxh2) start_nginx h2; return ;;
    nginxh2c) start_nginx h2c; return ;;
  esac
  taskset -c "$SERVER_CPU" "$bin" --host=127.0.0.1 --port=0 "${args[@]}" >"$SRV_LOG.out" 2>"$SRV_LOG.err" &
  SRV_PID=$!
  SRV_PORT=""
  local line
  for _ in $(seq 1 200); do
    line=$(head -n1 "$SRV_LOG.out" 2>/dev/null)
    if [[ $line =~ ^listening\ on\ $SRV_SCHEME://127\.0\.0\.1:([0-9]+)$ ]]; then
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
    kill -KILL $SRV_CHILD 2>/dev/null
    SRV_PID="" SRV_CHILD=""; return 0
  fi
  check_nginx_worker "$what"
  kill -TERM "$SRV_PID"
  local waited=0
  while kill -0 "$SRV_PID" 2>/dev/null && [ $waited -lt 150 ]; do sleep 0.1; waited=$((waited + 1)); done
  if kill -0 "$SRV_PID" 2>/dev/null; then
    note "$SRV_KIND server still running 15 s after SIGTERM, after $what: killed (log $(basename "$SRV_LOG"))"
    kill -KILL "$SRV_PID" $SRV_CHILD
  fi
  wait "$SRV_PID"; rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 137 ]; then
    note "$SRV_KIND server exited with status $rc after $what (log $(basename "$SRV_LOG").err)"
  fi
  local unexpected
  unexpected=$(grep -v -e 'signal 15, stopping' -e '^$' "$SRV_LOG.err" | head -n3 | tr '\n' ' ')
  [ -n "$unexpected" ] && note "$SRV_KIND server stderr during $what: $unexpected"
  SRV_PID="" SRV_CHILD=""
}

cleanup() {
  [ -n "$SRV_PID" ] && kill -KILL "$SRV_PID" $SRV_CHILD 2>/dev/null
  [ -n "$EXTRA_PID" ] && kill -KILL "$EXTRA_PID" 2>/dev/null
  https_cleanup
  h2_cleanup
  compress_cleanup
  remote_cleanup
}
trap cleanup EXIT

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# A trial start: the options must be accepted, and with the access log off nothing but the
# first line may reach stdout.
if ! start_server fa; then
  [ ${#FA_ARGS[@]} -gt 0 ] && note "fastactor refused ${FA_ARGS[*]}: running with its access log on"
  FA_ARGS=()
  start_server fa || { echo "bench/run.sh: $FA_BIN does not start" >&2; exit 1; }
fi
curl -s -o /dev/null "http://127.0.0.1:$SRV_PORT/hello"
sleep 0.2
[ "$(wc -l <"$SRV_LOG.out")" -gt 1 ] && note "fastactor writes an access log to stdout in this run (${FA_ARGS[*]:-no option to turn it off})"
stop_server "the trial start"

# -- other processes' CPU time --------------------------------------------------------------------

HZ=$(getconf CLK_TCK)
ME=$BASHPID
# Busy jiffies of all CPUs (steal included), and the jiffies of this script, its reaped
# children (load generators), the running server and EXTRA_PID (a load generator running
# beside another, bench/compress.sh).
busy_all() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
our_jiffies() { cat "/proc/$ME/stat" $([ -n "$SRV_PID" ] && srv_stat_files) ${EXTRA_PID:+"/proc/$EXTRA_PID/stat"} 2>/dev/null | awk '{ s += $14 + $15 + $16 + $17 } END { print s + 0 }'; }
D_PCT=0
dist_begin() { D_BUSY=$(busy_all); D_OURS=$(our_jiffies); D_T=$(date +%s%N); }
# Sets D_PCT: CPU time other processes used since dist_begin, in % of one core.
dist_end() {
  local busy ours ms
  busy=$(busy_all); ours=$(our_jiffies); ms=$(( ($(date +%s%N) - D_T) / 1000000 ))
  D_PCT=$(awk -v f=$(( (busy - D_BUSY) - (ours - D_OURS) )) -v ms="$ms" -v hz="$HZ" \
            'BEGIN { p = ms > 0 ? f * 100000 / (hz * ms) : 0; if (p < 0) p = 0; printf "%.0f", p }')
}

# Waits (until the deadline) until other processes use at most DISTURB_MAX % of a core over
# one second.
QUIET_WAITED=0
wait_quiet() {
  while :; do
    dist_begin; sleep 1; dist_end
    [ "$D_PCT" -le "$DISTURB_MAX" ] && return 0
    late && return 1
    log "    waiting for quiet: other processes use $D_PCT% of a core"
    sleep 4
    QUIET_WAITED=$((QUIET_WAITED + 5))
  done
}

# -- load generators ----------------------------------------------------------------------------

# run_wrk CONNS PATH KEY [wrk options]: wrk -t1, pinned, for WRK_DURATION (else DURATION),
# over the started server's scheme, WRK_ARGS_AFTER after the URL (a script's arguments);
# sets W_RPS, W_REQS, W_P50, W_P99 (ms) and W_OUT (wrk's output).
WRK_ARGS_AFTER=()
run_wrk() {
  local conns=$1 path=$2 key=$3 out; shift 3
  out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$conns" -d"${WRK_DURATION:-$DURATION}" --latency "$@" \
          "$SRV_SCHEME://127.0.0.1:$SRV_PORT$path" "${WRK_ARGS_AFTER[@]}" 2>&1)
  W_OUT=$out
  printf '### %s (%s)\n%s\n\n' "$key" "$(basename "$SRV_LOG")" "$out" >>"$OUT/wrk.log"
  local non2xx sockerr p50 p99
  W_RPS=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  W_REQS=$(awk '/ requests in / {print $1}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
  sockerr=$(grep 'Socket errors' <<<"$out")
  [ -n "$non2xx" ] && note "$key: $non2xx non-2xx responses ($(basename "$SRV_LOG"))"
  [ -n "$sockerr" ] && note "$key: wrk $sockerr ($(basename "$SRV_LOG"))"
  if [ -z "$W_RPS" ] || [ -z "$p99" ]; then
    note "$key: no wrk result ($(basename "$SRV_LOG")): $(tail -n2 <<<"$out" | tr '\n' ' ')"
    return 1
  fi
  W_P50=$(to_ms "$p50") W_P99=$(to_ms "$p99")
}

# -- measurements: each runs against the started server, sets MV[metric]=value, sets D_PCT ----

declare -A MV

# /hello with HELLO_CONNS connections (HELLO_DEPTH requests per write when > 1, through
# bench/pipeline.lua), after a 1 s warm-up with as many connections. With pipelining, p50 and
# p99 are those of a batch (from its write to its last response), as pipeline.lua reads them
# back from wrk; wrk's own percentiles are wrong there (bench/pipeline.lua says why). Also the
# server's CPU time per request (utime + stime from /proc; nginx: master and worker), which a
# busy machine changes less than requests/s.
HELLO_CONNS=64 HELLO_DEPTH=1 HELLO_KEY=hello
measure_hello() {
  local script=() ok j0
  WRK_ARGS_AFTER=()
  if [ "$HELLO_DEPTH" -gt 1 ]; then
    script=(-s "$SRC_DIR/bench/pipeline.lua")
    WRK_ARGS_AFTER=(-- "$HELLO_DEPTH" "$HELLO_CONNS")
  fi
  taskset -c "$CLIENT_CPU" wrk -t1 -c"$HELLO_CONNS" -d1s "${script[@]}" "http://127.0.0.1:$SRV_PORT/hello" \
    "${WRK_ARGS_AFTER[@]}" >/dev/null 2>&1  # warm-up
  j0=$(srv_jiffies)
  dist_begin
  run_wrk "$HELLO_CONNS" /hello "$HELLO_KEY.$SRV_KIND" "${script[@]}"; ok=$?
  WRK_ARGS_AFTER=()
  dist_end
  [ $ok -eq 0 ] || return 1
  MV[cpu_us]=$(us_per $(( $(srv_jiffies) - j0 )) "$W_REQS")
  if [ "$HELLO_DEPTH" -gt 1 ]; then
    local line pair; line=$(grep '^pipeline:' <<<"$W_OUT")
    local -A kv=()
    for pair in $line; do [[ $pair == *=* ]] && kv[${pair%%=*}]=${pair#*=}; done
    if [ -z "${kv[p99_us]:-}" ]; then
      note "$HELLO_KEY.$SRV_KIND: no batch latencies from pipeline.lua ($(basename "$SRV_LOG")): ${line:-no pipeline: line}"
      W_P50="" W_P99=""
    else
      W_P50=$(awk -v v="${kv[p50_us]}" 'BEGIN { printf "%.3f", v / 1000 }')
      W_P99=$(awk -v v="${kv[p99_us]}" 'BEGIN { printf "%.3f", v / 1000 }')
      awk -v r="${kv[responses_per_batch]}" -v d="$HELLO_DEPTH" 'BEGIN { exit !(r < d * 0.9 || r > d * 1.1) }' &&
        note "$HELLO_KEY.$SRV_KIND: ${kv[responses_per_batch]} responses per batch of $HELLO_DEPTH ($(basename "$SRV_LOG"))"
    fi
  fi
  MV[rps]=$W_RPS
  # How full the server ran its core: the one at ~100 % is where requests queue, and wrk's
  # latencies show that queue (docs/benchmarks.md, "Latency at 64 and 1,000 connections is
  # CPU per request"); a server with room left answers at once, and requests wait in wrk.
  MV[core_pct]=$(awk -v c="${MV[cpu_us]}" -v r="$W_RPS" 'BEGIN { if (c != "" && r != "") printf "%.0f", c * r / 1e4 }')
  [ -n "$W_P99" ] && MV[p50]=$W_P50 MV[p99]=$W_P99
  log "    $HELLO_KEY.$SRV_KIND: $W_RPS req/s, p50 $W_P50 ms, p99 $W_P99 ms, ${MV[cpu_us]} us server CPU per request (others: $D_PCT% of a core)"
}

measure_stream() {
  local res bytes secs code j0
  j0=$(srv_jiffies)
  dist_begin
  res=$(taskset -c "$CLIENT_CPU" curl -s -o /dev/null -w '%{size_download} %{time_total} %{http_code}' \
          "http://127.0.0.1:$SRV_PORT$STREAM_PATH")
  dist_end
  read -r bytes secs code <<<"$res"
  if [ "$bytes" != "$STREAM_BYTES" ] || [ "$code" != 200 ]; then
    note "stream.$SRV_KIND: got $bytes bytes (expected $STREAM_BYTES), status $code ($(basename "$SRV_LOG"))"
    return 1
  fi
  MV[mbps]=$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.1f", b / s / 1e6 }')
  MV[cpu_s]=$(awk -v j=$(( $(srv_jiffies) - j0 )) -v hz="$HZ" 'BEGIN { printf "%.2f", j / hz }')
  log "    stream.$SRV_KIND: ${MV[mbps]} MB/s ($bytes bytes in $secs s), server CPU ${MV[cpu_s]} s (others: $D_PCT% of a core)"
}

# STREAMS streams of UNPACED_PATH (no interval: every chunk as fast as it goes) from one
# paced_clients thread, at most 256 connecting or waiting for their first chunk at a time;
# each must bring UNPACED_BYTES of body (chunks may be merged, so bytes are counted, not
# chunks). Aggregate MB/s = all body bytes / the time until the last stream ended.
measure_streams_unpaced() {
  local res err=$OUT/unpaced-$srv_seq.err j0
  j0=$(srv_jiffies)
  dist_begin
  res=$("$PACED_BIN" --port="$SRV_PORT" --connections="$STREAMS" --path="$UNPACED_PATH" \
          --bytes="$UNPACED_BYTES" --parallel=256 --settle-ms=0 --timeout-s=120 2>"$err")
  dist_end
  echo "$(basename "$SRV_LOG"): $res" >>"$OUT/unpaced.log"
  local -A kv=()
  local pair
  for pair in $res; do kv[${pair%%=*}]=${pair#*=}; done
  local n=${kv[connections]:-0}
  if [ "$n" = 0 ] || [ "${kv[completed]:-0}" != "$n" ]; then
    note "streams_unpaced.$SRV_KIND ($(basename "$SRV_LOG")): not every stream completed: $res $(tr '\n' ' ' <"$err")"
    return 1
  fi
  MV[mbps]=$(awk -v b="${kv[body_bytes]}" -v ms="${kv[elapsed_ms]}" 'BEGIN { printf "%.1f", b / ms / 1e3 }')
  MV[secs]=$(awk -v ms="${kv[elapsed_ms]}" 'BEGIN { printf "%.2f", ms / 1e3 }')
  MV[first_ms]=${kv[all_first_ms]}
  MV[peak]=${kv[peak_live]}
  MV[cpu_s]=$(awk -v j=$(( $(srv_jiffies) - j0 )) -v hz="$HZ" 'BEGIN { printf "%.2f", j / hz }')
  log "    streams_unpaced.$SRV_KIND: $n streams, ${kv[body_bytes]} bytes in ${kv[elapsed_ms]} ms: ${MV[mbps]} MB/s; all first chunks after ${kv[all_first_ms]} ms, at most ${kv[peak_live]} at once; server CPU ${MV[cpu_s]} s (others: $D_PCT% of a core)"
}

measure_parallel() {
  dist_begin
  run_wrk 50 /parallel/execute "parallel.$SRV_KIND"; local ok=$?
  dist_end
  [ $ok -eq 0 ] || return 1
  MV[rps]=$W_RPS MV[p50]=$W_P50 MV[p99]=$W_P99
  log "    parallel: $W_RPS req/s, p50 $W_P50 ms, p99 $W_P99 ms (others: $D_PCT% of a core)"
}

measure_paced_shared() { PACED_CURRENT=$PACED_SHARED_PATH measure_paced; }
measure_paced() {
  sleep 0.5  # idle
  local res err=$OUT/paced-$srv_seq.err
  dist_begin
  res=$("$PACED_BIN" --port="$SRV_PORT" --pid="$SRV_PID" --connections="$STREAMS" \
          --path="${PACED_CURRENT:-$PACED_PATH}" --chunks="$PACED_CHUNKS" --parallel=256 --settle-ms=2000 \
          --timeout-s=$((PACED_CHUNKS + 90)) 2>"$err")
  dist_end
  echo "$(basename "$SRV_LOG"): $res" >>"$OUT/paced.log"
  local -A kv=()
  local pair
  for pair in $res; do kv[${pair%%=*}]=${pair#*=}; done
  local n=${kv[connections]:-0}
  if [ "$n" = 0 ] || [ "${kv[completed]:-0}" != "$n" ]; then
    note "paced.$SRV_KIND ($(basename "$SRV_LOG")): not every stream completed: $res $(tr '\n' ' ' <"$err")"
  fi
  if [ "${kv[live_at_sample]:-0}" != "$n" ] || [ "${kv[rss_live_kb]:-0}" -le 0 ]; then
    note "paced.$SRV_KIND ($(basename "$SRV_LOG")): not all $n streams were live at the sample: $res"
    return 1
  fi
  MV[kib]=$(awk -v l="${kv[rss_live_kb]}" -v i="${kv[rss_idle_kb]}" -v n="$n" 'BEGIN { printf "%.2f", (l - i) / n }')
  MV[first_ms]=${kv[all_first_ms]}
  MV[rss_mib]=$(awk -v l="${kv[rss_live_kb]}" 'BEGIN { printf "%.1f", l / 1024 }')
  MV[completed]=${kv[completed]}
  log "    paced.$SRV_KIND: ${kv[first_chunk]}/$n first chunks after ${kv[all_first_ms]} ms, ${kv[completed]} completed, RSS ${kv[rss_idle_kb]} -> ${kv[rss_live_kb]} KiB: ${MV[kib]} KiB/connection (others: $D_PCT% of a core)"
}

measure_latency() {
  local res
  dist_begin
  res=$(taskset -c "$CLIENT_CPU" "$LATENCY_BIN" --port="$SRV_PORT" --path="$LATENCY_PATH" --skip=$LATENCY_SKIP 2>&1)
  dist_end
  echo "$(basename "$SRV_LOG"): $res" >>"$OUT/latency.log"
  local -A kv=()
  local pair
  for pair in $res; do kv[${pair%%=*}]=${pair#*=}; done
  if [ -z "${kv[p99_us]:-}" ]; then
    note "latency.$SRV_KIND ($(basename "$SRV_LOG")): $res"
    return 1
  fi
  MV[p50]=$(awk -v v="${kv[p50_us]}" 'BEGIN { printf "%.4f", v / 1000 }')
  MV[p99]=$(awk -v v="${kv[p99_us]}" 'BEGIN { printf "%.4f", v / 1000 }')
  log "    latency.$SRV_KIND: $res (others: $D_PCT% of a core)"
}

FANOUT_ROUTE=""
measure_fanout() {
  local peak_file=$OUT/rss-$srv_seq
  dist_begin
  ( peak=0
    while [ ! -e "$peak_file.stop" ] && kill -0 "$SRV_PID" 2>/dev/null; do
      v=$(rss_kib "$SRV_PID"); [ "${v:-0}" -gt "$peak" ] && peak=$v && echo "$peak" >"$peak_file"
      sleep 0.1
    done ) &
  local sampler=$!
  run_wrk 64 "/fanout/$FANOUT_ROUTE" "fanout.$FANOUT_ROUTE"; local ok=$?
  touch "$peak_file.stop"; wait "$sampler"
  dist_end
  [ $ok -eq 0 ] || return 1
  MV[rps]=$W_RPS MV[p50]=$W_P50 MV[p99]=$W_P99
  MV[rss]=$(awk '{ printf "%.1f", $1 / 1024 }' "$peak_file" 2>/dev/null)
  log "    fanout.$FANOUT_ROUTE: $W_RPS req/s, p50 $W_P50 ms, p99 $W_P99 ms, peak RSS ${MV[rss]} MiB (others: $D_PCT% of a core)"
}

# run_round KEY MEASURE KINDS MAIN ATTEMPTS [fastactor options]: one round. For each kind in
# KINDS (e.g. "nginxplain lean raw fa"), starts a fresh server, measures, stops it. If other
# processes used more than DISTURB_MAX % of a core during any measurement, the round is
# discarded and run again (at most ATTEMPTS times; if all were disturbed, only
# CPU_INSENSITIVE metrics of the last attempt are kept, and a note lists the values left
# out). Values go to KEY.KIND.METRIC; the per-round ratio of MAIN, the last kind's value over
# each other kind's, goes to KEY.ratio.KIND.
run_round() {
  local key=$1 fn=$2 kinds=$3 main=$4 attempts=$5; shift 5
  local attempt kind m
  for attempt in $(seq 1 "$attempts"); do
    local -A vals=()
    local disturbed=""
    wait_quiet
    for kind in $kinds; do
      start_server "$kind" "$@" || continue
      MV=() D_PCT=0
      if $fn; then
        for m in "${!MV[@]}"; do vals[$kind.$m]=${MV[$m]}; done
      fi
      [ "$D_PCT" -gt "$DISTURB_MAX" ] && disturbed+="${disturbed:+, }$kind: $D_PCT%"
      stop_server "$key round $r"
    done
    if [ -z "$disturbed" ]; then
      for m in "${!vals[@]}"; do add "$key.$m" "${vals[$m]}"; done
      local all k
      read -ra all <<<"$kinds"
      local last=${all[${#all[@]} - 1]}
      for k in "${all[@]}"; do
        [ "$k" = "$last" ] || round_ratio "$key.ratio.$k" "${vals[$k.$main]:-}" "${vals[$last.$main]:-}"
      done
      return 0
    fi
    if [ "$attempt" -eq "$attempts" ] || late; then
      # Left out of the table, except what CPU contention does not change (memory).
      local kept="" dropped=""
      for m in "${!vals[@]}"; do
        if [[ " $CPU_INSENSITIVE " == *" ${m#*.} "* ]]; then
          add "$key.$m" "${vals[$m]}"; kept+=" $m=${vals[$m]}"
        else
          dropped+=" $m=${vals[$m]}"
        fi
      done
      note "$key round $r: other processes used more than $DISTURB_MAX% of a core in attempt $attempt, the last one ($disturbed): left out of the table:${dropped:- nothing}${kept:+; kept (memory):$kept}"
      return 0
    fi
    REPEATS=$((REPEATS + 1))
    note "$key round $r: other processes used $disturbed of a core: discarded, run again"
  done
}

# Metrics that CPU contention does not change: kept even from a disturbed round.
CPU_INSENSITIVE="kib rss_mib completed"

verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { if (v == "-" || v == "") print "no data"; else if ((op == ">=" && v >= t) || (op == "<=" && v <= t)) print "met"; else print "**missed**" }'; }

# round_ratio KEY BASE FA: the per-round ratio fa/base
round_ratio() { [ -n "$2" ] && [ -n "$3" ] && add "$1" "$(div "$3" "$2")"; }

# What kind of build BUILD_DIR is: a `make pgo` build (fastactor and the Beast baselines
# trained on the same load) must not be read as the plain one.
build_kind() {
  local cache=$BUILD/CMakeCache.txt type pgo lto
  type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$cache" 2>/dev/null)
  pgo=$(sed -n 's/^FASTACTOR_PGO:STRING=//p' "$cache" 2>/dev/null)
  # The servers linked as one program (FASTACTOR_LTO), fastactor's and the Beast baselines alike.
  case $(sed -n 's/^FASTACTOR_LTO_ACTIVE:INTERNAL=//p' "$cache" 2>/dev/null) in
    ON) lto=", link-time optimized" ;;
    *) lto=", no link-time optimization" ;;
  esac
  case $pgo in
    use) echo "${type:-?}${lto}, profile-guided (make pgo): fastactor and the Beast baselines trained on the same load" ;;
    generate) echo "${type:-?}${lto}, INSTRUMENTED to count (an unfinished make pgo): not for measuring" ;;
    *) echo "${type:-?}${lto}, no profile" ;;
  esac
}

machine() {
  echo "- machine: $(nproc --all) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo)"
  echo "- load average before the run: $LOAD_BEFORE"
  echo "- build: $BUILD ($(build_kind))"
  echo "- tools: $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2), $(curl --version | head -n1 | cut -d' ' -f1-2)${NGINX_USED:+, nginx $(nginx -v 2>&1 | sed 's|.*nginx/||') (1 worker process)}; servers on CPU $SERVER_CPU, load generators on CPU $CLIENT_CPU (taskset); open-file limit $FD_LIMIT"
  echo "- fastactor: $(git -C "$(dirname "$0")/.." describe --always --dirty 2>/dev/null || echo unknown), options ${FA_ARGS[*]:-(defaults)}$(want hello_log && echo " (benchmark 1L: none, so its access log is on)"); rounds: $ROUNDS (streaming and chunk latency $CHEAP_ROUNDS), wrk -t1 -d$DURATION; a measurement is repeated when other processes used more than $DISTURB_MAX% of a core${HTTPS_RUN:+; HTTPS: wrk and s_time $HTTPS_DURATION, idle connections $IDLE_ROUNDS rounds}${H2_RUN:+; HTTP/2: h2load and wrk $H2_DURATION, $H2_ROUNDS rounds, idle connections and streams $H2_IDLE_ROUNDS}"
}

# The plain-HTTP servers answer /hello; what each sends goes to BENCH_OUT/hello-check.txt.
NGINX_USED=""
plain_trial() {
  local kind out="$OUT/hello-check.txt"
  : >"$out"
  for kind in $BASE_KINDS fa; do
    start_server "$kind" || { echo "bench/run.sh: the $kind server does not start" >&2; exit 1; }
    {
      echo "== $kind: curl -si http://127.0.0.1:PORT/hello"
      curl -si "http://127.0.0.1:$SRV_PORT/hello" | sed 's/\r$//'
      echo; echo
    } >>"$out"
    stop_server "the trial start"
  done
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "bench/run.sh: results and logs in $OUT"
hello_wanted() { local n; for n in $HELLO_NAMES; do want "$n" && return 0; done; return 1; }
if want stream || hello_wanted; then
  stream_file=0
  want stream && stream_file=1
  nginx_prepare_plain "$stream_file"
  NGINX_USED=1
  plain_trial
fi
machine >&2

if want hello; then
  log "== 1. /hello, wrk -t1 -c64 -d$DURATION --latency ($BASE_KINDS fa)"
  HELLO_CONNS=64 HELLO_DEPTH=1 HELLO_KEY=hello
  for r in $(seq 1 "$ROUNDS"); do run_round hello measure_hello "$BASE_KINDS fa" rps "$ATTEMPTS"; done
fi
if want hello_log; then
  log "== 1L. /hello with access logs on (fastactor's default; nginx: access_log … buffer=64k), wrk -t1 -c64 -d$DURATION --latency (nginxplain fa)"
  HELLO_CONNS=64 HELLO_DEPTH=1 HELLO_KEY=hello_log ACCESS_LOGS=1
  for r in $(seq 1 "$ROUNDS"); do run_round hello_log measure_hello "nginxplain fa" rps "$ATTEMPTS"; done
  ACCESS_LOGS=0
fi
if want hello_pipelined; then
  log "== 1p. /hello pipelined, $PIPELINE_DEPTH requests per write, wrk -t1 -c64 -d$DURATION -s bench/pipeline.lua ($BASE_KINDS fa)"
  HELLO_CONNS=64 HELLO_DEPTH=$PIPELINE_DEPTH HELLO_KEY=hello_pipelined
  for r in $(seq 1 "$ROUNDS"); do run_round hello_pipelined measure_hello "$BASE_KINDS fa" rps "$ATTEMPTS"; done
fi
if want hello_c1000; then
  log "== 1c. /hello, wrk -t1 -c$MANY_CONNS -d$DURATION --latency ($BASE_KINDS fa)"
  HELLO_CONNS=$MANY_CONNS HELLO_DEPTH=1 HELLO_KEY=hello_c1000
  for r in $(seq 1 "$ROUNDS"); do run_round hello_c1000 measure_hello "$BASE_KINDS fa" rps "$ATTEMPTS"; done
fi
if want stream; then
  log "== 2. streaming 1 GiB in 16 KiB chunks (curl; nginx: a 1 GiB file on tmpfs, sendfile)"
  for r in $(seq 1 "$CHEAP_ROUNDS"); do run_round stream measure_stream "$BASE_KINDS fa" mbps "$ATTEMPTS"; done
fi
if want streams_unpaced; then
  log "== 2u. $STREAMS unpaced streams at once ($UNPACED_PATH, lean fa)"
  for r in $(seq 1 "$ROUNDS"); do run_round streams_unpaced measure_streams_unpaced "lean fa" mbps "$ATTEMPTS"; done
fi
if want parallel; then
  log "== 3. /parallel/execute, wrk -t1 -c50 -d$DURATION --latency (fastactor only)"
  for r in $(seq 1 "$ROUNDS"); do
    for t in "${PARALLEL_THREADS[@]}"; do
      run_round "parallel.bt$t" measure_parallel fa p99 "$ATTEMPTS" --blocking-threads="$t"
    done
  done
fi
if want paced; then
  log "== 4. $STREAMS concurrent paced streams ($PACED_PATH, lean fa)"
  for r in $(seq 1 "$ROUNDS"); do run_round paced measure_paced "lean fa" kib 2; done
  log "== 4s. $STREAMS concurrent paced streams, one shared pacer ($PACED_SHARED_PATH, fa)"
  for r in $(seq 1 "$ROUNDS"); do run_round paced_shared measure_paced_shared fa kib 2; done
fi
if want latency; then
  log "== 5. chunk latency ($LATENCY_PATH, lean fa)"
  for r in $(seq 1 "$CHEAP_ROUNDS"); do run_round latency measure_latency "lean fa" p99 "$ATTEMPTS"; done
fi
if want fanout; then
  log "== 6. fan-out (8 sub-tasks of 10 ms), wrk -t1 -c64 -d$DURATION --latency, --blocking-threads=$FANOUT_THREADS"
  for r in $(seq 1 "$ROUNDS"); do
    for FANOUT_ROUTE in "${FANOUT_ROUTES[@]}"; do
      run_round "fanout.$FANOUT_ROUTE" measure_fanout fa rps "$ATTEMPTS" --blocking-threads="$FANOUT_THREADS"
    done
  done
fi

compress_run
https_run
h2_run
scale_run
remote_run

elapsed=$(( $(date +%s) - STARTED ))
SECTION_TIMES=$(section_times)

# -- the table ----------------------------------------------------------------------------------

# A row of the plain table: # BENCHMARK LABEL KEY METRIC PREC RATIO_RANGE KINDS (values
# KEY.KIND.METRIC). The servers not in KINDS show "n/a"; ratios are fastactor's median over
# each other server's (RATIO_RANGE 1: with the range of the per-round ratios).
COLUMN_KINDS="nginxplain lean raw"
row() {
  local num=$1 bench=$2 label=$3 key=$4 metric_key=$5 prec=$6 ranged=$7 kinds=$8 k line
  line="| $num | $bench | $label"
  for k in $COLUMN_KINDS; do
    if [[ " $kinds " == *" $k "* ]]; then line+=" | $(cell "$key.$k.${metric_key}" "$prec")"; else line+=" | n/a"; fi
  done
  line+=" | $(cell "$key.fa.${metric_key}" "$prec")"
  for k in $COLUMN_KINDS; do
    if [[ " $kinds " != *" $k "* ]]; then line+=" | —"
    elif [ "$ranged" = 1 ]; then line+=" | $(ratio_cell "$key.$k.$metric_key" "$key.fa.$metric_key" "$key.ratio.$k")"
    else line+=" | $(div "$(median "$key.fa.$metric_key")" "$(median "$key.$k.$metric_key")")"
    fi
  done
  echo "$line |"
}
# fastactor-only rows keep the old layout's columns: n/a for the baselines.
fa_row() { echo "| $1 | $2 | $3 | n/a | n/a | n/a | $4 | — | — | — |"; }

ratio_of() { div "$(median "$1.fa.$2")" "$(median "$1.$3.$2")"; }

{
  echo "## Results ($(date -u '+%Y-%m-%d %H:%M UTC'), $((elapsed / 60)) min $((elapsed % 60)) s)"
  echo
  machine
  echo
  if plain_wanted; then
  echo "Medians over the rounds, (min–max) across rounds; each ratio = fastactor's median / that"
  echo "server's median (in brackets: the range of the per-round ratios; each round runs every"
  echo "server once, back to back). Higher is better for req/s and MB/s, lower for latencies,"
  echo "memory, time and CPU. nginx: 1 worker process; lean Beast: bench/lean_beast_server.cpp;"
  echo "typical Beast app: bench/raw_beast_server.cpp (tcp_stream, a timer armed per operation)."
  echo "Pipelined latencies are per batch of $PIPELINE_DEPTH requests. nginx's 1 GiB is a file sent with"
  echo "sendfile() (Content-Length), the others generate a chunked stream. n/a: not run for that server."
  echo
  echo "| # | benchmark | metric | nginx | lean Beast | typical Beast app | fastactor | fastactor/nginx | fastactor/lean | fastactor/typical |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  fi
  if want hello; then
    row 1 "/hello, wrk -c64" "req/s" hello rps 0 1 "$BASE_KINDS"
    row 1 "/hello, wrk -c64" "p50 ms" hello p50 3 0 "$BASE_KINDS"
    row 1 "/hello, wrk -c64" "p99 ms" hello p99 3 0 "$BASE_KINDS"
    row 1 "/hello, wrk -c64" "server CPU µs per request" hello cpu_us 2 0 "$BASE_KINDS"
    row 1 "/hello, wrk -c64" "server's share of its core, %" hello core_pct 0 0 "$BASE_KINDS"
  fi
  if want hello_log; then
    row 1L "/hello, wrk -c64, access logs on" "req/s" hello_log rps 0 1 "nginxplain"
    row 1L "/hello, wrk -c64, access logs on" "p50 ms" hello_log p50 3 0 "nginxplain"
    row 1L "/hello, wrk -c64, access logs on" "p99 ms" hello_log p99 3 0 "nginxplain"
    row 1L "/hello, wrk -c64, access logs on" "server CPU µs per request" hello_log cpu_us 2 0 "nginxplain"
    row 1L "/hello, wrk -c64, access logs on" "server's share of its core, %" hello_log core_pct 0 0 "nginxplain"
  fi
  if want hello_pipelined; then
    row 1p "/hello, pipelined ×$PIPELINE_DEPTH, wrk -c64" "req/s" hello_pipelined rps 0 1 "$BASE_KINDS"
    row 1p "/hello, pipelined ×$PIPELINE_DEPTH, wrk -c64" "p50 ms per batch" hello_pipelined p50 3 0 "$BASE_KINDS"
    row 1p "/hello, pipelined ×$PIPELINE_DEPTH, wrk -c64" "p99 ms per batch" hello_pipelined p99 3 0 "$BASE_KINDS"
    row 1p "/hello, pipelined ×$PIPELINE_DEPTH, wrk -c64" "server CPU µs per request" hello_pipelined cpu_us 2 0 "$BASE_KINDS"
    row 1p "/hello, pipelined ×$PIPELINE_DEPTH, wrk -c64" "server's share of its core, %" hello_pipelined core_pct 0 0 "$BASE_KINDS"
  fi
  if want hello_c1000; then
    row 1c "/hello, wrk -c$MANY_CONNS" "req/s" hello_c1000 rps 0 1 "$BASE_KINDS"
    row 1c "/hello, wrk -c$MANY_CONNS" "p50 ms" hello_c1000 p50 3 0 "$BASE_KINDS"
    row 1c "/hello, wrk -c$MANY_CONNS" "p99 ms" hello_c1000 p99 3 0 "$BASE_KINDS"
    row 1c "/hello, wrk -c$MANY_CONNS" "server CPU µs per request" hello_c1000 cpu_us 2 0 "$BASE_KINDS"
    row 1c "/hello, wrk -c$MANY_CONNS" "server's share of its core, %" hello_c1000 core_pct 0 0 "$BASE_KINDS"
  fi
  if want stream; then
    row 2 "1 GiB stream, 16 KiB chunks (nginx: a file)" "MB/s" stream mbps 0 1 "$BASE_KINDS"
    row 2 "1 GiB stream, 16 KiB chunks (nginx: a file)" "server CPU s" stream cpu_s 2 0 "$BASE_KINDS"
  fi
  if want streams_unpaced; then
    row 2u "$STREAMS unpaced streams of $((UNPACED_BYTES / 1024)) KiB ($UNPACED_PATH)" "MB/s, all streams" streams_unpaced mbps 0 1 "lean"
    row 2u "$STREAMS unpaced streams of $((UNPACED_BYTES / 1024)) KiB ($UNPACED_PATH)" "s until the last ended" streams_unpaced secs 2 0 "lean"
    row 2u "$STREAMS unpaced streams of $((UNPACED_BYTES / 1024)) KiB ($UNPACED_PATH)" "ms until all got a first chunk" streams_unpaced first_ms 0 0 "lean"
    row 2u "$STREAMS unpaced streams of $((UNPACED_BYTES / 1024)) KiB ($UNPACED_PATH)" "most streams live at once" streams_unpaced peak 0 0 "lean"
    row 2u "$STREAMS unpaced streams of $((UNPACED_BYTES / 1024)) KiB ($UNPACED_PATH)" "server CPU s" streams_unpaced cpu_s 2 0 "lean"
  fi
  if want parallel; then
    for t in "${PARALLEL_THREADS[@]}"; do
      fa_row 3 "/parallel/execute, c50, --blocking-threads=$t" "p50 ms" "$(cell parallel.bt$t.fa.p50 1)"
      fa_row 3 "/parallel/execute, c50, --blocking-threads=$t" "p99 ms" "$(cell parallel.bt$t.fa.p99 1)"
      fa_row 3 "/parallel/execute, c50, --blocking-threads=$t" "req/s" "$(cell parallel.bt$t.fa.rps 0)"
    done
  fi
  if want paced; then
    row 4 "$STREAMS paced streams" "RSS KiB per connection" paced kib 2 0 "lean"
    row 4 "$STREAMS paced streams" "RSS MiB, all streams live" paced rss_mib 1 0 "lean"
    row 4 "$STREAMS paced streams" "ms until all got a first chunk" paced first_ms 0 0 "lean"
    row 4 "$STREAMS paced streams" "streams completed" paced completed 0 0 "lean"
    row 4s "$STREAMS paced streams, one shared pacer" "RSS KiB per connection" paced_shared kib 2 0 ""
    row 4s "$STREAMS paced streams, one shared pacer" "RSS MiB, all streams live" paced_shared rss_mib 1 0 ""
    row 4s "$STREAMS paced streams, one shared pacer" "ms until all got a first chunk" paced_shared first_ms 0 0 ""
    row 4s "$STREAMS paced streams, one shared pacer" "streams completed" paced_shared completed 0 0 ""
  fi
  if want latency; then
    row 5 "chunk latency, idle" "p50 ms" latency p50 3 0 "lean"
    row 5 "chunk latency, idle" "p99 ms" latency p99 3 0 "lean"
  fi
  if want fanout; then
    for route in "${FANOUT_ROUTES[@]}"; do
      k=fanout.$route.fa
      fa_row 6 "/fanout/$route, c64" "req/s · p50 ms · p99 ms · peak RSS MiB" "$(cell $k.rps 0) · $(cell $k.p50 1) · $(cell $k.p99 1) · $(cell $k.rss 1)"
    done
  fi
  https_table
  h2_table
  scale_table
  compress_table
  remote_table
  echo
  echo "### Targets"
  echo
  echo "| target | measured (median) | |"
  echo "|---|---|---|"
  local_hello_targets() {  # KEY LABEL
    local v
    v=$(ratio_of "$1" rps nginxplain)
    echo "| $2 ≥ 0.9× nginx req/s | $v× | $(verdict "$v" 0.9 '>=') |"
    v=$(ratio_of "$1" rps lean)
    echo "| $2 ≥ 0.9× lean Beast req/s | $v× | $(verdict "$v" 0.9 '>=') |"
    v=$(ratio_of "$1" p99 nginxplain)
    echo "| $2 p99 no worse than nginx's | $(median "$1.fa.p99") ms against $(median "$1.nginxplain.p99") ms ($v×) | $(verdict "$v" 1 '<=') |"
  }
  want hello && local_hello_targets hello "/hello, c64"
  if want hello_log; then
    v=$(ratio_of hello_log rps nginxplain)
    echo "| /hello, c64, access logs on ≥ 0.9× nginx req/s | $v× | $(verdict "$v" 0.9 '>=') |"
    v=$(ratio_of hello_log p99 nginxplain)
    echo "| /hello, c64, access logs on: p99 no worse than nginx's | $(median hello_log.fa.p99) ms against $(median hello_log.nginxplain.p99) ms ($v×) | $(verdict "$v" 1 '<=') |"
  fi
  want hello_pipelined && local_hello_targets hello_pipelined "/hello pipelined ×$PIPELINE_DEPTH (p99 per batch)"
  want hello_c1000 && local_hello_targets hello_c1000 "/hello, c$MANY_CONNS"
  if want stream; then
    v=$(ratio_of stream mbps lean)
    echo "| 1 GiB in 16 KiB chunks ≥ 0.95× lean Beast MB/s | $v× | $(verdict "$v" 0.95 '>=') |"
  fi
  if want streams_unpaced; then
    v=$(ratio_of streams_unpaced mbps lean)
    echo "| $STREAMS unpaced streams ≥ 0.95× lean Beast MB/s | $v× | $(verdict "$v" 0.95 '>=') |"
  fi
  if want paced; then
    v=$(median paced.fa.kib)
    echo "| $STREAMS paced streams, a worker actor each, at ≤ 4 KiB RSS per connection (issue 15) | $v KiB | $(verdict "$v" 4 '<=') |"
    v=$(median paced_shared.fa.kib)
    echo "| $STREAMS paced streams, one shared pacer, at ≤ 4 KiB RSS per connection (issue 15) | $v KiB | $(verdict "$v" 4 '<=') |"
  fi
  if want parallel; then
    v=$(median parallel.bt256.fa.p99)
    # Issue 15's goal: Go net/http's 152.3 ms here (the tasks alone take 150).
    echo "| /parallel/execute p99 ≤ 152 ms at 50 concurrent (default --blocking-threads=256; Go net/http 152.3) | $v ms | $(verdict "$v" 152 '<=') |"
    v=$(median parallel.bt16.fa.p99)
    echo "| the same with a small pool, --blocking-threads=16 (requests queue for threads) | $v ms | — |"
  fi
  if want latency; then
    v=$(median latency.fa.p99)
    echo "| chunk latency p99 ≤ 1 ms, idle | $v ms | $(verdict "$v" 1 '<=') |"
  fi
  https_targets
  h2_targets
  scale_targets
  compress_targets
  remote_targets
  echo
  echo "Rounds run again because other processes took the CPU: $REPEATS; time spent waiting for them to go quiet: $QUIET_WAITED s."
  echo
  echo "Time per benchmark (its repeats and waits included): ${SECTION_TIMES:-none}."
  echo
  if [ ${#NOTES[@]} -gt 0 ]; then
    echo "### Notes from this run"
    echo
    for n in "${NOTES[@]}"; do echo "- $n"; done
  else
    echo "No errors, failed requests, crashes or hangs were seen in this run."
  fi
} | tee "$RESULTS"
