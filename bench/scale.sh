# shellcheck shell=bash
# bench/scale.sh — sourced by bench/run.sh: how cost grows with connections and streams
# (issue 15). Same pinning, fresh server per measurement, disturbance check and budget as the
# rest (run_round).
#
#   scale_hello    /hello with wrk -t1 at BENCH_SCALE_CONNS connections (64, 1,000, 10,000):
#                  req/s, p99 and server CPU per request, for the Beast baseline, fastactor and
#                  nginx (one worker, plain HTTP; the configuration of bench/https.sh)
#   scale_streams  BENCH_SCALE_STREAMS concurrent slow streams (1,000, 10,000, 100,000; each
#                  count clipped to what the open-file limit lets one server hold), one event
#                  every BENCH_SCALE_INTERVAL_MS (10 s) on each: the server's RSS per stream
#                  (VmRSS all live − VmRSS idle, /proc/PID/status) and its CPU per event
#                  (/proc/PID/task/*/schedstat, ns, over a BENCH_SCALE_WINDOW s window).
#                  fastactor: /sse (an SSE event every 10 s, written by one pacer actor that
#                  feeds every stream, or with BENCH_SCALE_PACER=own by a worker actor per
#                  stream); the Beast
#                  baseline: /stream?interval_ms=10000 (a chunk of the same size every 10 s,
#                  not SSE); nginx: idle keep-alive connections (bench/idle_connections.py),
#                  the far anchor. The clients are paced_clients processes (at most
#                  BENCH_SCALE_PER_CLIENT connections each, so each stays under its own
#                  open-file limit), each connection bound to a loopback source address
#                  (127.0.0.2, 127.0.0.3, ...: at most BENCH_SCALE_PER_SOURCE connections per
#                  address, under the ~28 K ephemeral ports one address has towards one port)
#
# From the run's data, gnuplot (Debian's gnuplot-nox) draws two SVG charts into
# BENCH_SCALE_CHARTS (docs/): bench-hello-connections.svg and bench-rss-streams.svg; the data
# files and the gnuplot scripts stay in BENCH_OUT (scale-*.dat, scale-*.gp).
#
# Knobs: BENCH_SCALE_BEAST (the Beast baseline binary; default BUILD/bin/lean_beast_server
# if it was built, else BUILD/bin/raw_beast_server), BENCH_SCALE_CONNS ("64 1000 10000"),
# BENCH_SCALE_STREAMS ("1000 10000 100000"), BENCH_SCALE_ROUNDS (1), BENCH_SCALE_DURATION
# (wrk, 3s), BENCH_SCALE_WINDOW (30), BENCH_SCALE_INTERVAL_MS (10000), BENCH_SCALE_SIZE (16
# bytes per event or chunk), BENCH_SCALE_PER_CLIENT (10000), BENCH_SCALE_PER_SOURCE (20000),
# BENCH_SCALE_CHARTS (the source tree's docs/; empty: no charts), BENCH_SCALE_PACER (shared:
# one pacer actor writes every stream's events, context::subscribe; own: a worker actor per
# stream).

SCALE_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCALE_NAMES="scale_hello scale_streams"
if [ -n "${BENCH_SCALE_BEAST:-}" ]; then
  SCALE_BEAST_FROM=$BENCH_SCALE_BEAST
elif [ -x "$BIN/lean_beast_server" ]; then
  SCALE_BEAST_FROM=$BIN/lean_beast_server
else
  SCALE_BEAST_FROM=$BIN/raw_beast_server
fi
SCALE_BEAST_NAME=$(basename "$SCALE_BEAST_FROM")
SCALE_CONNS=${BENCH_SCALE_CONNS:-64 1000 10000}
SCALE_STREAMS_WANTED=${BENCH_SCALE_STREAMS:-1000 10000 100000}
SCALE_ROUNDS=${BENCH_SCALE_ROUNDS:-1}
SCALE_DURATION=${BENCH_SCALE_DURATION:-3s}
SCALE_WINDOW=${BENCH_SCALE_WINDOW:-30}
SCALE_INTERVAL_MS=${BENCH_SCALE_INTERVAL_MS:-10000}
SCALE_SIZE=${BENCH_SCALE_SIZE:-16}
SCALE_PER_CLIENT=${BENCH_SCALE_PER_CLIENT:-10000}
SCALE_PER_SOURCE=${BENCH_SCALE_PER_SOURCE:-20000}
SCALE_CHARTS=${BENCH_SCALE_CHARTS-$SCALE_SRC/docs}
SCALE_PACER=${BENCH_SCALE_PACER:-shared}
case $SCALE_PACER in
  shared) SCALE_FA_QUERY="&pacer=shared" SCALE_FA_LABEL="fastactor /sse, one pacer" SCALE_FA_HOW="SSE, one pacer actor writes every stream's events" ;;
  own) SCALE_FA_QUERY="" SCALE_FA_LABEL="fastactor /sse, a worker each" SCALE_FA_HOW="SSE, one worker actor per stream" ;;
  *) echo "bench/scale.sh: BENCH_SCALE_PACER is shared or own, not $SCALE_PACER" >&2; exit 1 ;;
esac
SCALE_SETTLE=2                       # s after the last first event, before the window
# Events per stream: the first, then enough to outlast ramp + settle + window; the clients
# close the streams after the window.
SCALE_EVENTS=$(( (SCALE_WINDOW + 20) * 1000 / SCALE_INTERVAL_MS + 1 ))
SCALE_STREAMS=""                     # the counts run, after clipping (scale_prepare)
SCALE_CLIPPED=""

scale_wanted() { local n; for n in $SCALE_NAMES; do want "$n" && return 0; done; return 1; }

scale_prepare() {
  [ -x "$SCALE_BEAST_FROM" ] || { echo "bench/run.sh: the Beast baseline $SCALE_BEAST_FROM is missing (BENCH_SCALE_BEAST)" >&2; exit 1; }
  cp -f "$SCALE_BEAST_FROM" "$OUT/bin/scale-$SCALE_BEAST_NAME"
  SCALE_BEAST_BIN=$OUT/bin/scale-$SCALE_BEAST_NAME
  if want scale_hello; then
    command -v nginx >/dev/null || { echo "bench/run.sh: nginx is missing (make bench installs nginx-light)" >&2; exit 1; }
  fi
  if want scale_streams; then
    command -v nginx >/dev/null || { echo "bench/run.sh: nginx is missing (make bench installs nginx-light)" >&2; exit 1; }
    [ -x /usr/bin/python3 ] || { echo "bench/run.sh: /usr/bin/python3 is missing (make bench installs it)" >&2; exit 1; }
    # One server holds every stream: it needs a descriptor per connection and some of its own.
    local max=100000000 n c
    if [ "$FD_LIMIT" != unlimited ]; then
      max=$((FD_LIMIT - 100))
      [ "$SCALE_PER_CLIENT" -gt "$max" ] && SCALE_PER_CLIENT=$max
    fi
    for n in $SCALE_STREAMS_WANTED; do
      c=$n
      if [ "$n" -gt "$max" ]; then
        c=$max
        SCALE_CLIPPED+="${SCALE_CLIPPED:+, }$n → $c"
      fi
      [[ " $SCALE_STREAMS " == *" $c "* ]] || SCALE_STREAMS+="${SCALE_STREAMS:+ }$c"
    done
    if [ -n "$SCALE_CLIPPED" ]; then
      note "scale_streams: the open-file limit is $FD_LIMIT per process (hard limit $(ulimit -Hn); raising it needs CAP_SYS_RESOURCE), so one server holds at most $max connections: streams clipped $SCALE_CLIPPED"
    fi
  fi
  # nginx runs with bench/https.sh's configuration (plain HTTP), which names its certificate,
  # pid file and temp paths.
  mkdir -p "$TLS_DIR/nginx-tmp"
  "$SCALE_SRC/scripts/make-dev-certs.sh" "$TLS_DIR" server >/dev/null || { echo "bench/run.sh: make-dev-certs.sh failed" >&2; exit 1; }
  if [ -n "$SCALE_CHARTS" ] && ! command -v gnuplot >/dev/null; then
    note "gnuplot is missing (make bench installs gnuplot-nox): no charts"
    SCALE_CHARTS=""
  fi
}

# CPU time of the running server (all threads; nginx: master and its workers now), in ns, from
# /proc/PID/task/*/schedstat (ns on the CPU; /proc/PID/stat counts in 10 ms ticks, too coarse
# for 3,000 events).
scale_cpu_ns() {
  local pid files=()
  for pid in ${SRV_PID:+$(srv_pid_list | tr , ' ')}; do files+=(/proc/"$pid"/task/*/schedstat); done
  cat "${files[@]}" 2>/dev/null |
    awk '{ s += $1 } END { printf "%.0f\n", s }'
}
scale_now_ns() { date +%s%N; }
# The k-th loopback address: 127.0.0.2 is k=2 (all of 127/8 is local on Linux).
scale_addr() { echo "127.$(( $1 / 65536 % 256 )).$(( $1 / 256 % 256 )).$(( $1 % 256 ))"; }

# -- /hello at many connections -------------------------------------------------------------

SCALE_C=64
measure_scale_hello() {
  local c=$SCALE_C
  taskset -c "$CLIENT_CPU" wrk -t1 -c"$c" -d1s "http://127.0.0.1:$SRV_PORT/hello" >/dev/null 2>&1  # warm-up
  local cpu0 cpu1
  cpu0=$(scale_cpu_ns)
  dist_begin
  WRK_DURATION=$SCALE_DURATION run_wrk "$c" /hello "scale_hello.c$c.$SRV_KIND"; local ok=$?
  dist_end
  cpu1=$(scale_cpu_ns)
  [ $ok -eq 0 ] || return 1
  MV[rps]=$W_RPS MV[p50]=$W_P50 MV[p99]=$W_P99
  MV[cpu_us]=$(awk -v ns=$((cpu1 - cpu0)) -v n="$W_REQS" 'BEGIN { if (n > 0) printf "%.2f", ns / 1000 / n }')
  log "    scale_hello.c$c.$SRV_KIND: $W_RPS req/s, p50 $W_P50 ms, p99 $W_P99 ms, ${MV[cpu_us]} us server CPU per request (others: $D_PCT% of a core)"
}

# -- many slow streams ----------------------------------------------------------------------

# The helpers below read measure_scale_streams' `pids`, `files` and `procs` (the client
# processes and their output files; bash's dynamic scoping).
# scale_marks COUNT: sends SIGUSR1 to the clients, waits (5 s at most) for each one's COUNT-th
# `mark` line.
scale_marks() {
  local want=$1 got t=0 f
  kill -USR1 "${pids[@]}" 2>/dev/null
  while :; do
    got=0
    for f in "${files[@]}"; do [ "$(grep -c '^mark ' "$f.out" 2>/dev/null)" -ge "$want" ] && got=$((got + 1)); done
    [ "$got" -ge "$procs" ] && return 0
    [ $t -ge 100 ] && return 1
    sleep 0.05; t=$((t + 1))
  done
}
# scale_mark_sum COUNT FIELD: the sum over the clients of FIELD in their COUNT-th mark.
scale_mark_sum() {
  local f
  for f in "${files[@]}"; do
    awk -v want="$1" -v key="$2=" '/^mark / && ++m == want { for (i = 2; i <= NF; i++) if (index($i, key) == 1) print substr($i, length(key) + 1) }' "$f.out"
  done | awk '{ s += $1 } END { print s + 0 }'
}
# The clients' CPU time so far, in jiffies (they run on the client core, not yet reaped).
scale_clients_jiffies() {
  local p
  for p in "${pids[@]}"; do cat "/proc/$p/stat" 2>/dev/null; done | awk '{ s += $14 + $15 } END { print s + 0 }'
}

SCALE_N=1000
measure_scale_streams() {
  local n=$SCALE_N
  if [ "$SRV_KIND" = nginxplain ]; then
    local res
    dist_begin
    res=$(taskset -c "$CLIENT_CPU" /usr/bin/python3 "$SCALE_SRC/bench/idle_connections.py" --port="$SRV_PORT" \
            --pid="$(srv_pid_list)" --connections="$n" 2>&1)
    dist_end
    echo "$(basename "$SRV_LOG"): $res" >>"$OUT/scale-streams.log"
    local kib live
    kib=$(sed -n 's/.*kib_per_connection=\([0-9.-]*\).*/\1/p' <<<"$res")
    live=$(sed -n 's/.*rss_live_kb=\([0-9]*\).*/\1/p' <<<"$res")
    if [ -z "$kib" ]; then
      note "scale_streams.$n.nginx ($(basename "$SRV_LOG")): $(tail -n2 <<<"$res" | tr '\n' ' ')"
      return 1
    fi
    MV[kib]=$kib MV[rss_mib]=$(awk -v l="$live" 'BEGIN { printf "%.1f", l / 1024 }') MV[others]=$D_PCT
    log "    scale_streams.$n.nginx (idle keep-alive): $res (others: $D_PCT% of a core)"
    return 0
  fi

  local path flags=()
  if [ "$SRV_KIND" = fa ]; then
    path="/sse?n=$SCALE_EVENTS&interval_ms=$SCALE_INTERVAL_MS&size=$SCALE_SIZE$SCALE_FA_QUERY"
    flags=(--events)
  else
    path="/stream?n=$SCALE_EVENTS&size=$SCALE_SIZE&interval_ms=$SCALE_INTERVAL_MS"
  fi
  # Idle: RSS, and CPU over one second.
  local idle_cpu0 idle_t0 rss_idle idle_pct
  idle_cpu0=$(scale_cpu_ns); idle_t0=$(scale_now_ns)
  sleep 1
  rss_idle=$(rss_kib "$SRV_PID")
  idle_pct=$(awk -v c=$(( $(scale_cpu_ns) - idle_cpu0 )) -v t=$(( $(scale_now_ns) - idle_t0 )) 'BEGIN { printf "%.2f", c * 100 / t }')

  # The clients: ceil(n / PER_CLIENT) processes, each on its own source addresses.
  local procs=$(( (n + SCALE_PER_CLIENT - 1) / SCALE_PER_CLIENT )) i k left=$n addr=2 c srcs nsrc
  local pids=() files=() base=$OUT/scale-$srv_seq-client
  for ((i = 0; i < procs; i++)); do
    c=$(( left / (procs - i) )); left=$((left - c))
    nsrc=$(( (c + SCALE_PER_SOURCE - 1) / SCALE_PER_SOURCE )) srcs=""
    for ((k = 0; k < nsrc; k++)); do srcs+="${srcs:+,}$(scale_addr $addr)"; addr=$((addr + 1)); done
    taskset -c "$CLIENT_CPU" "$PACED_BIN" --port="$SRV_PORT" --connections="$c" --path="$path" \
      --chunks="$SCALE_EVENTS" "${flags[@]}" --parallel=256 --source="$srcs" --marks --settle-ms=0 \
      --timeout-s=$(( SCALE_EVENTS * SCALE_INTERVAL_MS / 1000 + 120 )) >"$base-$i.out" 2>"$base-$i.err" &
    pids+=($!) files+=("$base-$i")
  done
  echo "$(basename "$SRV_LOG"): $n streams of $path from $procs client processes" >>"$OUT/scale-streams.log"

  # Wait until every connection got its first event (chunk).
  local ready=0 waited=0 limit=$(( 300 + n / 100 )) f
  while [ "$ready" -lt "$procs" ]; do
    ready=0
    for f in "${files[@]}"; do grep -q '^ready ' "$f.out" 2>/dev/null && ready=$((ready + 1)); done
    [ "$ready" -ge "$procs" ] && break
    local dead=""
    for i in "${!pids[@]}"; do kill -0 "${pids[$i]}" 2>/dev/null || dead+=" client-$i"; done
    if [ -n "$dead" ] || [ "$waited" -ge "$limit" ] || ! kill -0 "$SRV_PID" 2>/dev/null; then
      note "scale_streams.$n.$SRV_KIND ($(basename "$SRV_LOG")): not every stream got its first event (clients ready: $ready of $procs${dead:+; ended:$dead}): $(cat "${files[0]}.out" "${files[0]}.err" 2>/dev/null | tail -n3 | tr '\n' ' ')"
      kill -TERM "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null
      return 1
    fi
    sleep 0.1; waited=$((waited + 1))
  done
  local ramp_ms
  ramp_ms=$(cat "${files[@]/%/.out}" | awk '/^ready / { for (i = 2; i <= NF; i++) if ($i ~ /^all_first_ms=/) { v = substr($i, 14) + 0; if (v > m) m = v } } END { print m + 0 }')
  sleep "$SCALE_SETTLE"

  # The window: marks from every client at both ends, the server's CPU and RSS.
  local cpu0 cpu1 t0 t1 clients0=0 clients1=0 rss_start rss_end rss_peak v
  dist_begin
  clients0=$(scale_clients_jiffies)
  scale_marks 1 || { note "scale_streams.$n.$SRV_KIND: the clients did not answer SIGUSR1"; kill -TERM "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; return 1; }
  cpu0=$(scale_cpu_ns); t0=$(scale_now_ns)
  rss_start=$(rss_kib "$SRV_PID"); rss_peak=$rss_start
  while [ $(( ($(scale_now_ns) - t0) / 1000000 )) -lt $((SCALE_WINDOW * 1000)) ]; do
    sleep 1
    v=$(rss_kib "$SRV_PID"); [ "${v:-0}" -gt "$rss_peak" ] && rss_peak=$v
  done
  cpu1=$(scale_cpu_ns); t1=$(scale_now_ns)
  rss_end=$(rss_kib "$SRV_PID")
  scale_marks 2 || { note "scale_streams.$n.$SRV_KIND: the clients did not answer SIGUSR1"; kill -TERM "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; return 1; }
  clients1=$(scale_clients_jiffies)
  dist_end
  # The clients are this script's children, not reaped yet: their CPU is ours, not others'.
  D_PCT=$(awk -v p="$D_PCT" -v j=$((clients1 - clients0)) -v hz="$HZ" -v ns=$((t1 - t0)) \
            'BEGIN { p -= j * 100 / hz / (ns / 1e9); if (p < 0) p = 0; printf "%.0f", p }')

  local live0 live1 events
  live0=$(scale_mark_sum 1 live); live1=$(scale_mark_sum 2 live)
  events=$(( $(scale_mark_sum 2 received) - $(scale_mark_sum 1 received) ))
  kill -TERM "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null
  cat "${files[@]/%/.err}" 2>/dev/null | sort | uniq -c | head -n5 | sed "s|^|$(basename "$SRV_LOG") client stderr: |" >>"$OUT/scale-streams.log"

  echo "$(basename "$SRV_LOG"): streams=$n live_at_start=$live0 live_at_end=$live1 events=$events window_ns=$((t1 - t0)) cpu_ns=$((cpu1 - cpu0)) rss_idle_kb=$rss_idle rss_start_kb=$rss_start rss_end_kb=$rss_end rss_peak_kb=$rss_peak ramp_ms=$ramp_ms idle_cpu_pct=$idle_pct" >>"$OUT/scale-streams.log"
  if [ "$live0" != "$n" ] || [ "$live1" != "$n" ]; then
    note "scale_streams.$n.$SRV_KIND ($(basename "$SRV_LOG")): $live0 streams live at the window's start, $live1 at its end (of $n)"
    return 1
  fi
  MV[kib]=$(awk -v l="$rss_end" -v i="$rss_idle" -v n="$n" 'BEGIN { printf "%.2f", (l - i) / n }')
  MV[rss_mib]=$(awk -v l="$rss_end" 'BEGIN { printf "%.1f", l / 1024 }')
  MV[cpu_us_event]=$(awk -v c=$((cpu1 - cpu0)) -v e="$events" 'BEGIN { if (e > 0) printf "%.2f", c / 1000 / e }')
  MV[events_s]=$(awk -v e="$events" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", e / (ns / 1e9) }')
  MV[cpu_pct]=$(awk -v c=$((cpu1 - cpu0)) -v ns=$((t1 - t0)) 'BEGIN { printf "%.2f", c * 100 / ns }')
  MV[idle_pct]=$idle_pct MV[ramp_ms]=$ramp_ms MV[others]=$D_PCT
  log "    scale_streams.$n.$SRV_KIND: RSS $rss_idle -> $rss_end KiB: ${MV[kib]} KiB per stream; $events events in $(( (t1 - t0) / 1000000 )) ms: ${MV[cpu_us_event]} us server CPU per event (server at ${MV[cpu_pct]}% of a core, idle ${idle_pct}%); all first events after $ramp_ms ms (others: $D_PCT% of a core)"
}

scale_run() {
  scale_wanted || return 0
  scale_prepare
  # Inside this function the "raw" kind is the Beast baseline chosen above (bash scoping:
  # start_server, called from here, sees this RAW_BIN), and nginx (bench/https.sh) gets
  # enough worker connections for the largest count.
  # shellcheck disable=SC2034  # read by start_server and nginx_conf
  local RAW_BIN=$SCALE_BEAST_BIN
  local NGINX_WORKER_CONNECTIONS=16384
  local c n
  for n in $SCALE_CONNS $SCALE_STREAMS; do
    [ $((n + 1000)) -gt "$NGINX_WORKER_CONNECTIONS" ] && NGINX_WORKER_CONNECTIONS=$((n + 1000))
  done
  if want scale_hello; then
    log "== 11. /hello at $SCALE_CONNS connections, wrk -t1 -d$SCALE_DURATION ($SCALE_BEAST_NAME, fastactor, nginx)"
    for r in $(seq 1 "$SCALE_ROUNDS"); do
      for SCALE_C in $SCALE_CONNS; do
        run_round "scale_hello.c$SCALE_C" measure_scale_hello "raw fa nginxplain" rps "$ATTEMPTS"
      done
    done
  fi
  if want scale_streams; then
    # Memory is what these measure; a window that other processes disturbed keeps its memory
    # figures and the server's own CPU time per event (what it spent, not how fast), with
    # the disturbance shown in the table.
    local CPU_INSENSITIVE="$CPU_INSENSITIVE cpu_us_event events_s cpu_pct idle_pct ramp_ms others"
    log "== 12. $SCALE_STREAMS concurrent streams, an event every $SCALE_INTERVAL_MS ms each, a ${SCALE_WINDOW} s window ($SCALE_BEAST_NAME /stream, $SCALE_FA_LABEL; nginx: idle keep-alive connections)"
    for r in $(seq 1 "$SCALE_ROUNDS"); do
      for SCALE_N in $SCALE_STREAMS; do
        local fa_extra=()
        # fastactor refuses connections past --max-connections (20,000 by default).
        [ $((SCALE_N + 1000)) -gt 20000 ] && fa_extra=(--max-connections=$((SCALE_N + 1000)))
        run_round "scale_streams.n$SCALE_N" measure_scale_streams "raw fa nginxplain" kib 1 "${fa_extra[@]}"
      done
    done
  fi
  scale_charts
}

# -- the table and the charts ---------------------------------------------------------------

# scale_fit SERVER: "slope_kib intercept_kib" of a least-squares line through (streams, RSS
# growth in KiB) over the counts run, or "- -".
scale_fit() {
  local n m
  for n in $SCALE_STREAMS; do
    m=$(median "scale_streams.n$n.$1.kib")
    [ "$m" != - ] && echo "$n $m"
  done | awk '{ x = $1; y = $1 * $2; sx += x; sy += y; sxx += x * x; sxy += x * y; k++ }
    END { d = k * sxx - sx * sx
          if (k < 2 || d == 0) { print "- -"; exit }
          b = (k * sxy - sx * sy) / d; printf "%.3f %.0f\n", b, (sy - b * sx) / k }'
}

scale_charts() {
  [ -n "$SCALE_CHARTS" ] || return 0
  mkdir -p "$SCALE_CHARTS"
  local hello=$OUT/scale-hello.dat streams=$OUT/scale-streams.dat c n
  : >"$OUT/gnuplot.err"
  local beast="Beast ($SCALE_BEAST_NAME)"
  if want scale_hello; then
    {
      echo "# connections beast_rps fastactor_rps nginx_rps beast_p99_ms fastactor_p99_ms nginx_p99_ms beast_cpu_us fastactor_cpu_us nginx_cpu_us"
      for c in $SCALE_CONNS; do
        local k=scale_hello.c$c
        echo "$c $(median $k.raw.rps) $(median $k.fa.rps) $(median $k.nginxplain.rps) $(median $k.raw.p99) $(median $k.fa.p99) $(median $k.nginxplain.p99) $(median $k.raw.cpu_us) $(median $k.fa.cpu_us) $(median $k.nginxplain.cpu_us)"
      done
    } >"$hello"
    cat >"$OUT/scale-hello.gp" <<EOF
set terminal svg size 1300,460 dynamic noenhanced font "sans,13" background "white"
set output "$SCALE_CHARTS/bench-hello-connections.svg"
set datafile missing "-"
set multiplot layout 1,3 title "/hello over keep-alive connections, wrk -t1 (server on one core; $(date -u +%Y-%m-%d))"
set logscale x
set xlabel "connections"
set grid
set key below
set bmargin 8
set xrange [$(scale_xrange "$SCALE_CONNS")]
set title "requests per second"
set yrange [0:*]
set format y "%.0f"
plot "$hello" using 1:2 with linespoints lw 2 pt 7 title "$beast", \
     "" using 1:3 with linespoints lw 2 pt 5 title "fastactor", \
     "" using 1:4 with linespoints lw 2 pt 9 title "nginx, 1 worker"
set title "p99 latency (ms, log scale)"
set logscale y
set yrange [*:*]
set format y "%g"
plot "$hello" using 1:5 with linespoints lw 2 pt 7 title "$beast", \
     "" using 1:6 with linespoints lw 2 pt 5 title "fastactor", \
     "" using 1:7 with linespoints lw 2 pt 9 title "nginx, 1 worker"
set title "server CPU per request, µs"
unset logscale y
set yrange [0:*]
plot "$hello" using 1:8 with linespoints lw 2 pt 7 title "$beast", \
     "" using 1:9 with linespoints lw 2 pt 5 title "fastactor", \
     "" using 1:10 with linespoints lw 2 pt 9 title "nginx, 1 worker"
unset multiplot
EOF
    gnuplot "$OUT/scale-hello.gp" 2>>"$OUT/gnuplot.err" || note "gnuplot failed on $OUT/scale-hello.gp (gnuplot.err)"
  fi
  if want scale_streams; then
    {
      echo "# streams beast_mib fastactor_mib nginx_idle_mib beast_kib fastactor_kib nginx_idle_kib beast_cpu_us fastactor_cpu_us (MiB: RSS growth over idle)"
      for n in $SCALE_STREAMS; do
        local r f x
        r=$(median scale_streams.n$n.raw.kib) f=$(median scale_streams.n$n.fa.kib) x=$(median scale_streams.n$n.nginxplain.kib)
        echo "$n $(scale_mib "$r" "$n") $(scale_mib "$f" "$n") $(scale_mib "$x" "$n") $r $f $x $(median scale_streams.n$n.raw.cpu_us_event) $(median scale_streams.n$n.fa.cpu_us_event)"
      done
    } >"$streams"
    local br bf bx ar af ax last extra="" xmax=120000
    read -r br ar < <(scale_fit raw); read -r bf af < <(scale_fit fa); read -r bx ax < <(scale_fit nginxplain)
    last=${SCALE_STREAMS##* }
    [ $((last * 3 / 2)) -gt $xmax ] && xmax=$((last * 3 / 2))
    if [ "$last" -lt 100000 ]; then
      # The measured line, carried on to 100,000 streams: an extrapolation, drawn dashed.
      [ "$bf" != - ] && extra+=", $(scale_line "$bf" "$af" "$last") dt 2 lw 2 lc 2 title \"fastactor, extrapolated\""
      [ "$br" != - ] && extra+=", $(scale_line "$br" "$ar" "$last") dt 2 lw 2 lc 1 title \"Beast, extrapolated\""
      [ "$bx" != - ] && extra+=", $(scale_line "$bx" "$ax" "$last") dt 2 lw 2 lc 3 title \"nginx idle, extrapolated\""
    fi
    cat >"$OUT/scale-streams.gp" <<EOF
set terminal svg size 1300,500 dynamic noenhanced font "sans,13" background "white"
set output "$SCALE_CHARTS/bench-rss-streams.svg"
set datafile missing "-"
set multiplot layout 1,3 title "concurrent slow streams, an event every $((SCALE_INTERVAL_MS / 1000)) s each (measured: points; dashed: measured slope carried on, not measured)"
set logscale x
set xlabel "concurrent streams"
set xrange [$(scale_xrange "$SCALE_STREAMS" | cut -d: -f1):$xmax]
set grid
set key below
set bmargin 11
set title "server RSS growth over idle, MiB (log scale)"
set logscale y
set samples 200
plot "$streams" using 1:3 with linespoints lw 2 pt 5 lc 2 title "$SCALE_FA_LABEL", \
     "" using 1:2 with linespoints lw 2 pt 7 lc 1 title "$beast /stream", \
     "" using 1:4 with linespoints lw 2 pt 9 lc 3 title "nginx, idle connections"$extra
unset logscale y
set title "RSS per stream, KiB"
set yrange [0:*]
plot "$streams" using 1:6 with linespoints lw 2 pt 5 lc 2 title "$SCALE_FA_LABEL", \
     "" using 1:5 with linespoints lw 2 pt 7 lc 1 title "$beast /stream", \
     "" using 1:7 with linespoints lw 2 pt 9 lc 3 title "nginx, idle connections"
set title "server CPU per event, µs"
set xrange [$(scale_xrange "$SCALE_STREAMS")]
plot "$streams" using 1:9 with linespoints lw 2 pt 5 lc 2 title "$SCALE_FA_LABEL", \
     "" using 1:8 with linespoints lw 2 pt 7 lc 1 title "$beast /stream"
unset multiplot
EOF
    gnuplot "$OUT/scale-streams.gp" 2>>"$OUT/gnuplot.err" || note "gnuplot failed on $OUT/scale-streams.gp (gnuplot.err)"
  fi
  log "charts: $(ls "$SCALE_CHARTS"/bench-hello-connections.svg "$SCALE_CHARTS"/bench-rss-streams.svg 2>/dev/null | tr '\n' ' ')"
}
# scale_xrange "N1 N2 ...": a log-scale x range around the counts, "lo:hi".
scale_xrange() { printf '%s\n' $1 | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%g:%g\n", lo * 0.7, hi * 1.5 }'; }
# scale_mib KIB_PER_STREAM STREAMS: the RSS growth in MiB, or "-".
scale_mib() { awk -v k="$1" -v n="$2" 'BEGIN { if (k == "-" || k == "") print "-"; else printf "%.2f", k * n / 1024 }'; }
# scale_line SLOPE INTERCEPT FROM: a gnuplot term drawing the line INTERCEPT + SLOPE × streams
# (KiB, plotted in MiB) from FROM streams on.
scale_line() { echo "(x >= $3 ? ($2 + $1 * x) / 1024 : 1/0)"; }

scale_table() {
  scale_wanted || return 0
  local c n beast="$SCALE_BEAST_NAME"
  echo
  echo "### How cost grows: connections and streams"
  echo
  echo "The Beast baseline in this section is \`$SCALE_BEAST_NAME\`; nginx $(nginx -v 2>&1 | sed 's|.*nginx/||'): one worker process, plain HTTP."
  echo "Servers on CPU $SERVER_CPU, clients on CPU $CLIENT_CPU; open-file limit $FD_LIMIT per process (hard limit $(ulimit -Hn)); $SCALE_ROUNDS round(s), medians (min–max)."
  if want scale_hello; then
    echo
    echo "| # | /hello, wrk -t1 -d$SCALE_DURATION | metric | $beast | fastactor | nginx | fastactor/Beast | fastactor/nginx |"
    echo "|---|---|---|---|---|---|---|---|"
    for c in $SCALE_CONNS; do
      local k=scale_hello.c$c
      echo "| 11 | $c connections | req/s | $(cell $k.raw.rps 0) | $(cell $k.fa.rps 0) | $(cell $k.nginxplain.rps 0) | $(div "$(median $k.fa.rps)" "$(median $k.raw.rps)") | $(div "$(median $k.fa.rps)" "$(median $k.nginxplain.rps)") |"
      echo "| 11 | $c connections | p99 ms | $(cell $k.raw.p99 2) | $(cell $k.fa.p99 2) | $(cell $k.nginxplain.p99 2) | $(div "$(median $k.fa.p99)" "$(median $k.raw.p99)") | $(div "$(median $k.fa.p99)" "$(median $k.nginxplain.p99)") |"
      echo "| 11 | $c connections | server CPU µs per request | $(cell $k.raw.cpu_us 2) | $(cell $k.fa.cpu_us 2) | $(cell $k.nginxplain.cpu_us 2) | $(div "$(median $k.fa.cpu_us)" "$(median $k.raw.cpu_us)") | $(div "$(median $k.fa.cpu_us)" "$(median $k.nginxplain.cpu_us)") |"
    done
  fi
  if want scale_streams; then
    echo
    echo "Streams: fastactor \`/sse?n=$SCALE_EVENTS&interval_ms=$SCALE_INTERVAL_MS&size=$SCALE_SIZE$SCALE_FA_QUERY\` ($SCALE_FA_HOW); $beast \`/stream?n=$SCALE_EVENTS&size=$SCALE_SIZE&interval_ms=$SCALE_INTERVAL_MS\` (a chunk every $((SCALE_INTERVAL_MS / 1000)) s, not SSE); nginx: the same number of idle keep-alive connections after one \`/hello\` each (\`bench/idle_connections.py\`), the anchor."
    echo "RSS per stream = (VmRSS at the end of the ${SCALE_WINDOW} s window − VmRSS idle) / streams; CPU per event = the server's CPU time in the window (all threads, \`/proc/PID/task/*/schedstat\`) / the events the clients received in it.${SCALE_CLIPPED:+ **Clipped by the open-file limit: $SCALE_CLIPPED.**}"
    echo
    echo "| # | streams | metric | $beast | fastactor | nginx (idle) | fastactor/Beast |"
    echo "|---|---|---|---|---|---|---|"
    for n in $SCALE_STREAMS; do
      local k=scale_streams.n$n
      echo "| 12 | $n | RSS KiB per stream | $(cell $k.raw.kib 2) | $(cell $k.fa.kib 2) | $(cell $k.nginxplain.kib 2) | $(div "$(median $k.fa.kib)" "$(median $k.raw.kib)") |"
      echo "| 12 | $n | RSS MiB, all live | $(cell $k.raw.rss_mib 1) | $(cell $k.fa.rss_mib 1) | $(cell $k.nginxplain.rss_mib 1) | $(div "$(median $k.fa.rss_mib)" "$(median $k.raw.rss_mib)") |"
      echo "| 12 | $n | server CPU µs per event | $(cell $k.raw.cpu_us_event 2) | $(cell $k.fa.cpu_us_event 2) | — | $(div "$(median $k.fa.cpu_us_event)" "$(median $k.raw.cpu_us_event)") |"
      echo "| 12 | $n | events/s in the window · server CPU % of a core (idle: %) | $(median $k.raw.events_s) · $(median $k.raw.cpu_pct) ($(median $k.raw.idle_pct)) | $(median $k.fa.events_s) · $(median $k.fa.cpu_pct) ($(median $k.fa.idle_pct)) | — | — |"
      echo "| 12 | $n | ms until every stream had its first event · others' CPU % in the window | $(median $k.raw.ramp_ms) · $(median $k.raw.others) | $(median $k.fa.ramp_ms) · $(median $k.fa.others) | — · $(median $k.nginxplain.others) | — |"
    done
    echo
    local b a kind label last
    last=${SCALE_STREAMS##* }
    echo "Least-squares line through the RSS growth (KiB) against the stream count, $(echo "$SCALE_STREAMS" | sed 's/ /, /g') streams:"
    echo
    for kind in fa raw nginxplain; do
      case $kind in fa) label="$SCALE_FA_LABEL" ;; raw) label="$beast /stream" ;; *) label="nginx, idle connections" ;; esac
      read -r b a < <(scale_fit $kind)
      [ "$b" = - ] && { echo "- $label: not enough points"; continue; }
      if [ "$last" -lt 100000 ]; then
        echo "- $label: **$b KiB per stream** (intercept $a KiB); carried on to 100,000 streams: $(awk -v b="$b" -v a="$a" 'BEGIN { printf "%.0f", (a + b * 100000) / 1024 }') MiB over idle — an **extrapolation**, not measured (largest count run: $last)"
      else
        echo "- $label: **$b KiB per stream** (intercept $a KiB)"
      fi
    done
  fi
}

scale_targets() {
  scale_wanted || return 0
  want scale_streams || return 0
  local v last=${SCALE_STREAMS##* } ten=""
  for n in $SCALE_STREAMS; do [ "$n" = 10000 ] && ten=1; done
  if [ -n "$ten" ]; then
    v=$(median scale_streams.n10000.fa.kib)
    echo "| 10,000 SSE streams at ≤ 4 KiB RSS per stream (issue 15) | $v KiB | $(verdict "$v" 4 '<=') |"
  fi
  if [ "$last" -ge 100000 ]; then
    v=$(median scale_streams.n$last.fa.kib)
    echo "| 100,000 concurrent SSE streams in one server (issue 15) | $( [ "$v" = - ] && echo "not all live" || echo "all live, $v KiB per stream") | $( [ "$v" = - ] && echo "**missed**" || echo met) |"
  else
    v=$(median scale_streams.n$last.fa.kib)
    local why="the largest count asked for is $last"
    [ -n "$SCALE_CLIPPED" ] && why="the open-file limit ($FD_LIMIT per process) allows $last in one server"
    echo "| 100,000 concurrent SSE streams in one server (issue 15) | not run: $why; at $last: $( [ "$v" = - ] && echo "not all live" || echo "all live, $v KiB per stream") | not measured |"
  fi
}
