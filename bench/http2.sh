# shellcheck shell=bash
# bench/http2.sh — sourced by bench/run.sh (after bench/https.sh, whose certificate, nginx
# configuration and 1 GiB file it reuses): HTTP/2, fastactor against Debian's nginx, and
# fastactor's HTTP/2 against its own HTTP/1.1. Same pinning, interleaving, fresh server per
# measurement, disturbance check and budget as the rest (run_round).
#
# Over TLS, both servers offer h2 by ALPN with the certificate, key, protocols, ciphers and
# groups of bench/https.sh: fastactor_bench_server --tls-cert/--tls-key (HTTP/2 is on by
# default, --h2-max-streams=100) ("fas"), and nginx with `listen ... ssl http2` and
# `http2_max_concurrent_streams 100` ("nginxh2"). The client is h2load (nghttp2-client), one
# thread, on the client core.
#
#   h2_hello    /hello over TLS, h2load -c64 -m10 (64 connections, 10 streams each), after a
#               1 s warm-up: req/s, p50/p99 of a request (from h2load's --log-file), server
#               CPU per request
#   h2_streams  one TLS connection, 100 concurrent streams of 4 MiB each (h2load -c1 -m100
#               -n100): fastactor /stream?n=256&size=16384 (a worker actor per stream, 16 KiB
#               chunks), nginx a 4 MiB file on tmpfs; MB/s of all streams (DATA bytes / from
#               the first request to the last response's end), server CPU s per GiB, and when
#               the first stream ended, the mean, and the last (how the streams share the
#               connection: one after another, or all at once)
#   h2_stream   1 GiB over one stream (h2load -c1 -m1 -n1): fastactor /stream?n=65536&size=16384,
#               nginx bench/https.sh's 1 GiB file (read() + SSL_write, no sendfile through TLS):
#               MB/s and server CPU s per GiB
#   h2_vs_h1    fastactor against itself, PLAIN (no TLS: the protocol's cost alone), HTTP/1.1
#               ("fah1") then HTTP/2 with prior knowledge ("fah2") on fresh servers: /hello with
#               64 requests in flight (wrk -t1 -c64 against h2load -c64 -m1), and 1 GiB over one
#               connection (curl against h2load -n1); req/s, p50/p99, CPU per request; MB/s, CPU
#               per GiB; the ratios HTTP/2 / HTTP/1.1
#   h2_idle     resident memory (bench/h2_idle.py): per idle HTTP/2 connection (BENCH_H2_IDLE_
#               CONNECTIONS connections, each after the SETTINGS exchange, then idle), and per
#               open stream whose response is paced (20 of those connections with 100 streams
#               each: fastactor /stream?n=120&size=16&interval_ms=1000, 16 bytes a second from a
#               worker actor; nginx a 1,920-byte file with limit_rate 16, after the first 128
#               bytes). nginx and fastactor, plain (prior knowledge; "nginxh2c", "fah2") and TLS
#
# Knobs: BENCH_H2_DURATION (h2load and wrk, 2s), BENCH_H2_ROUNDS (3), BENCH_H2_IDLE_CONNECTIONS
# (1000), BENCH_H2_IDLE_ROUNDS (1), BENCH_H2_STREAMS_FILE and BENCH_H2_PACED_FILE (nginx's 4 MiB
# and paced files, /dev/shm/fastactor-bench-{4MiB,paced}-PID, removed at the end).

H2_NAMES="h2_hello h2_streams h2_stream h2_vs_h1 h2_idle"
H2_DURATION=${BENCH_H2_DURATION:-2s}
H2_ROUNDS=${BENCH_H2_ROUNDS:-3}
H2_IDLE_CONNS=${BENCH_H2_IDLE_CONNECTIONS:-1000}
H2_IDLE_ROUNDS=${BENCH_H2_IDLE_ROUNDS:-1}
H2_IDLE_STREAM_CONNS=20
H2_IDLE_STREAMS=100                                  # per connection: --h2-max-streams
H2_STREAMS_N=100
H2_STREAMS_PATH='/stream?n=256&size=16384'           # 4 MiB per stream
H2_STREAMS_BYTES=4194304
H2_PACED_PATH='/stream?n=120&size=16&interval_ms=1000'
H2_PACED_BYTES=1920
NGINX_H2_FILE=${BENCH_H2_STREAMS_FILE:-/dev/shm/fastactor-bench-4MiB-$$}
NGINX_PACED_FILE=${BENCH_H2_PACED_FILE:-/dev/shm/fastactor-bench-paced-$$}
H2_LOG=""                                            # h2load's --log-file (per request)

h2_wanted() { local n; for n in $H2_NAMES; do want "$n" && return 0; done; return 1; }

# The lines bench/https.sh's nginx_conf adds in the h2 and h2c modes.
nginx_conf_h2() {
  cat <<EOF
  http2_max_concurrent_streams 100; # fastactor: --h2-max-streams=100 (nginx: 128)
EOF
}
nginx_locations_h2() {
  cat <<EOF
    location = /stream4m { alias $NGINX_H2_FILE; default_type application/octet-stream; }
    location = /paced {  # 16 bytes a second after the head and the first bytes
      alias $NGINX_PACED_FILE; default_type application/octet-stream;
      limit_rate 16; limit_rate_after 128;
    }
EOF
}

h2_prepare() {
  local tool
  for tool in nginx openssl h2load; do
    command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool is missing (make bench installs nginx-light, openssl and nghttp2-client)" >&2; exit 1; }
  done
  if want h2_idle && ! /usr/bin/python3 -c 'import h2' 2>/dev/null; then
    echo "bench/run.sh: /usr/bin/python3 cannot import h2 (make bench installs python3-h2)" >&2; exit 1
  fi
  if [ -z "$TLS_CIPHERS" ] || [ -z "$TLS_GROUPS" ]; then
    echo "bench/run.sh: cannot read the cipher list or groups from server/tls_context.cpp" >&2; exit 1
  fi
  "$SRC_DIR/scripts/make-dev-certs.sh" "$TLS_DIR" server >/dev/null || { echo "bench/run.sh: make-dev-certs.sh failed" >&2; exit 1; }
  FAS_ARGS=(--tls-cert="$TLS_DIR/server.pem" --tls-key="$TLS_DIR/server.key")
  mkdir -p "$TLS_DIR/nginx-tmp"
  want h2_stream && nginx_file
  if [ "$(stat -c %s "$NGINX_H2_FILE" 2>/dev/null)" != "$H2_STREAMS_BYTES" ]; then
    head -c "$H2_STREAMS_BYTES" /dev/zero | tr '\0' 'a' >"$NGINX_H2_FILE" || { echo "bench/run.sh: cannot write $NGINX_H2_FILE" >&2; exit 1; }
  fi
  head -c "$H2_PACED_BYTES" /dev/zero | tr '\0' 'a' >"$NGINX_PACED_FILE" || { echo "bench/run.sh: cannot write $NGINX_PACED_FILE" >&2; exit 1; }
  H2_LOG=$OUT/h2load-requests.tsv
}

h2_cleanup() {
  [[ $NGINX_H2_FILE == /dev/shm/fastactor-bench-* ]] && rm -f "$NGINX_H2_FILE"
  [[ $NGINX_PACED_FILE == /dev/shm/fastactor-bench-* ]] && rm -f "$NGINX_PACED_FILE"
  [ -n "$H2_LOG" ] && rm -f "$H2_LOG"
  return 0
}

h2_url() { echo "$SRV_SCHEME://127.0.0.1:$SRV_PORT$1"; }
h2_is_nginx() { [[ $SRV_KIND == nginx* ]]; }

# run_h2load KEY [h2load options] URL: h2load -t1 on the client core, with a log line per
# request (H2_LOG); its output goes to BENCH_OUT/h2load.log. Sets H_RPS, H_DONE (requests that
# succeeded with a 2xx), H_DATA (DATA payload bytes), H_PROTO (the TLS protocol, cipher and
# ALPN it negotiated), H_P50/H_P99 (ms), H_MIN_MS/H_MEAN_MS/H_MAX_MS (the fastest, mean and
# slowest request) and H_SPAN_US (from the first request's start to the last response's end).
run_h2load() {
  local key=$1 out; shift
  rm -f "$H2_LOG"
  out=$(taskset -c "$CLIENT_CPU" h2load -t1 --log-file="$H2_LOG" "$@" 2>&1)
  printf '### %s (%s): h2load -t1 %s\n%s\n\n' "$key" "$(basename "$SRV_LOG")" "$*" \
    "$(grep -v -e '^progress:' -e '^spawning' -e '^Warm-up' -e '^Main benchmark' -e '^Stopped' <<<"$out")" >>"$OUT/h2load.log"
  local total done2 failed errored timeout xx2
  read -r total done2 failed errored timeout < <(awk '/^requests:/ { print $2, $8, $10, $12, $14 }' <<<"$out")
  xx2=$(awk '/^status codes:/ { print $3 }' <<<"$out")
  H_RPS=$(awk '/^finished in/ { print $4 }' <<<"$out")
  H_DATA=$(sed -n 's/^traffic:.*(\([0-9]*\)) data$/\1/p' <<<"$out")
  H_PROTO=$(awk -F': ' '/^TLS Protocol|^Cipher|^Application protocol/ { printf "%s%s", s, $2; s = ", " }' <<<"$out")
  H_DONE=${xx2:-0}
  if [ -z "$total" ] || [ "${total:-0}" = 0 ]; then
    note "$key: no h2load result ($(basename "$SRV_LOG")): $(tail -n2 <<<"$out" | tr '\n' ' ')"
    return 1
  fi
  if [ "$failed" != 0 ] || [ "$errored" != 0 ] || [ "$timeout" != 0 ] || [ "$xx2" != "$done2" ]; then
    note "$key: h2load: $total requests, $done2 succeeded, $failed failed, $errored errored, $timeout timed out, $xx2 2xx ($(basename "$SRV_LOG"))"
  fi
  [[ $H_PROTO == *h2* ]] || note "$key: h2load did not negotiate h2: ${H_PROTO:-nothing} ($(basename "$SRV_LOG"))"
  local p50 p99 mn mx mean span
  read -r p50 p99 mn mx mean < <(cut -f3 "$H2_LOG" 2>/dev/null | sort -n | awk '
      { d[NR] = $1; sum += $1 }
      END { if (!NR) { print "- - - - -"; exit }
            i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++; if (i50 < 1) i50 = 1
            i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++; if (i99 < 1) i99 = 1
            printf "%.3f %.3f %.3f %.3f %.3f\n", d[i50] / 1000, d[i99] / 1000, d[1] / 1000, d[NR] / 1000, sum / NR / 1000 }')
  span=$(awk -F'\t' '{ e = $1 + $3; if (NR == 1 || $1 < s0) s0 = $1; if (e > e1) e1 = e }
                      END { if (NR) printf "%d", e1 - s0 }' "$H2_LOG" 2>/dev/null)
  H_P50=$p50 H_P99=$p99 H_MIN_MS=$mn H_MAX_MS=$mx H_MEAN_MS=$mean H_SPAN_US=$span
}

# Sets SRV_CPU to the server's CPU jiffies since J0; empty (and a note) if none were counted
# although the server worked, which /proc once showed for an nginx worker at 90,000 req/s (not
# explained; not reproduced in 30 starts).
SRV_CPU=""
srv_cpu_since() {
  SRV_CPU=$(( $(srv_jiffies) - $1 ))
  if [ "$SRV_CPU" -le 0 ]; then
    note "$SRV_KIND: no server CPU time counted ($(basename "$SRV_LOG"), pids $SRV_PID ${SRV_CHILD:-}): CPU left out"
    SRV_CPU=""
  fi
}

# MB/s (10^6 bytes) of BYTES in MICROSECONDS, and server CPU seconds per GiB.
mb_per_s() { awk -v b="$1" -v us="$2" 'BEGIN { if (us > 0) printf "%.1f", b / us; else print "" }'; }
cpu_s_per_gib() { awk -v j="$1" -v b="$2" -v hz="$HZ" 'BEGIN { if (b > 0) printf "%.2f", j / hz * 1073741824 / b; else print "" }'; }

# -- measurements ---------------------------------------------------------------------------

# h2_hello, and fastactor's HTTP/2 /hello in h2_vs_h1 (H2_HELLO_STREAMS per connection).
H2_HELLO_STREAMS=10
measure_h2_hello_h2() {
  local key=$1 j0 ok
  taskset -c "$CLIENT_CPU" h2load -t1 -c64 -m"$H2_HELLO_STREAMS" -D 1 "$(h2_url /hello)" >/dev/null 2>&1  # warm-up
  j0=$(srv_jiffies)
  dist_begin
  run_h2load "$key.$SRV_KIND" -c64 -m"$H2_HELLO_STREAMS" -D "$H2_DURATION" "$(h2_url /hello)"; ok=$?
  dist_end
  [ $ok -eq 0 ] && [ "$H_DONE" -gt 0 ] || return 1
  MV[rps]=$H_RPS MV[p50]=$H_P50 MV[p99]=$H_P99
  srv_cpu_since "$j0"
  [ -n "$SRV_CPU" ] && MV[cpu_us]=$(us_per "$SRV_CPU" "$H_DONE")
  log "    $key.$SRV_KIND: $H_RPS req/s, p50 $H_P50 ms, p99 $H_P99 ms, ${MV[cpu_us]:--} us server CPU per request ($H_PROTO; others: $D_PCT% of a core)"
}
measure_h2_hello() { H2_HELLO_STREAMS=10 measure_h2_hello_h2 h2_hello; }

measure_h2_streams() {
  local path=$H2_STREAMS_PATH j0 ok want_bytes=$((H2_STREAMS_N * H2_STREAMS_BYTES))
  h2_is_nginx && path=/stream4m
  j0=$(srv_jiffies)
  dist_begin
  run_h2load "h2_streams.$SRV_KIND" -c1 -m"$H2_STREAMS_N" -n"$H2_STREAMS_N" "$(h2_url "$path")"; ok=$?
  dist_end
  [ $ok -eq 0 ] || return 1
  if [ "$H_DONE" != "$H2_STREAMS_N" ] || [ "$H_DATA" != "$want_bytes" ]; then
    note "h2_streams.$SRV_KIND: $H_DONE of $H2_STREAMS_N streams, $H_DATA bytes (expected $want_bytes) ($(basename "$SRV_LOG"))"
    return 1
  fi
  MV[mbps]=$(mb_per_s "$H_DATA" "$H_SPAN_US")
  srv_cpu_since "$j0"
  [ -n "$SRV_CPU" ] && MV[cpu_s]=$(cpu_s_per_gib "$SRV_CPU" "$H_DATA")
  MV[first_s]=$(awk -v v="$H_MIN_MS" 'BEGIN { printf "%.2f", v / 1000 }')
  MV[mean_s]=$(awk -v v="$H_MEAN_MS" 'BEGIN { printf "%.2f", v / 1000 }')
  MV[last_s]=$(awk -v v="$H_MAX_MS" 'BEGIN { printf "%.2f", v / 1000 }')
  log "    h2_streams.$SRV_KIND: ${MV[mbps]} MB/s ($H_DATA bytes in $H_SPAN_US us), streams ended after ${MV[first_s]} s (first), ${MV[mean_s]} s (mean), ${MV[last_s]} s (last), server CPU ${MV[cpu_s]:--} s per GiB (others: $D_PCT% of a core)"
}

# 1 GiB over one stream (h2_stream; fastactor's HTTP/2 1 GiB in h2_vs_h1).
measure_h2_gib() {
  local key=$1 path=$STREAM_PATH j0 ok
  h2_is_nginx && path=/stream
  j0=$(srv_jiffies)
  dist_begin
  run_h2load "$key.$SRV_KIND" -c1 -m1 -n1 "$(h2_url "$path")"; ok=$?
  dist_end
  [ $ok -eq 0 ] || return 1
  if [ "$H_DONE" != 1 ] || [ "$H_DATA" != "$STREAM_BYTES" ]; then
    note "$key.$SRV_KIND: got $H_DATA bytes (expected $STREAM_BYTES), $H_DONE responses with 2xx ($(basename "$SRV_LOG"))"
    return 1
  fi
  MV[mbps]=$(mb_per_s "$H_DATA" "$H_SPAN_US")
  srv_cpu_since "$j0"
  [ -n "$SRV_CPU" ] && MV[cpu_s]=$(cpu_s_per_gib "$SRV_CPU" "$H_DATA")
  log "    $key.$SRV_KIND: ${MV[mbps]} MB/s ($H_DATA bytes in $H_SPAN_US us), server CPU ${MV[cpu_s]:--} s per GiB (others: $D_PCT% of a core)"
}
measure_h2_stream() { measure_h2_gib h2_stream; }

# h2_vs_h1: fah1 speaks HTTP/1.1 (wrk, curl), fah2 HTTP/2 with prior knowledge (h2load).
measure_h2h1_hello() {
  if [ "$SRV_KIND" = fah2 ]; then
    H2_HELLO_STREAMS=1 measure_h2_hello_h2 h2h1_hello
    return
  fi
  taskset -c "$CLIENT_CPU" wrk -t1 -c64 -d1s "$(h2_url /hello)" >/dev/null 2>&1  # warm-up
  local j0; j0=$(srv_jiffies)
  dist_begin
  WRK_DURATION=$H2_DURATION run_wrk 64 /hello "h2h1_hello.$SRV_KIND"; local ok=$?
  dist_end
  [ $ok -eq 0 ] || return 1
  MV[rps]=$W_RPS MV[p50]=$W_P50 MV[p99]=$W_P99
  srv_cpu_since "$j0"
  [ -n "$SRV_CPU" ] && MV[cpu_us]=$(us_per "$SRV_CPU" "$W_REQS")
  log "    h2h1_hello.$SRV_KIND: $W_RPS req/s, p50 $W_P50 ms, p99 $W_P99 ms, ${MV[cpu_us]:--} us server CPU per request (others: $D_PCT% of a core)"
}
measure_h2h1_stream() {
  if [ "$SRV_KIND" = fah2 ]; then
    measure_h2_gib h2h1_stream
    return
  fi
  local res bytes secs code j0
  j0=$(srv_jiffies)
  dist_begin
  res=$(taskset -c "$CLIENT_CPU" curl -s -o /dev/null -w '%{size_download} %{time_total} %{http_code}' "$(h2_url "$STREAM_PATH")")
  dist_end
  read -r bytes secs code <<<"$res"
  if [ "$bytes" != "$STREAM_BYTES" ] || [ "$code" != 200 ]; then
    note "h2h1_stream.$SRV_KIND: got $bytes bytes (expected $STREAM_BYTES), status $code ($(basename "$SRV_LOG"))"
    return 1
  fi
  MV[mbps]=$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.1f", b / s / 1e6 }')
  srv_cpu_since "$j0"
  [ -n "$SRV_CPU" ] && MV[cpu_s]=$(cpu_s_per_gib "$SRV_CPU" "$bytes")
  log "    h2h1_stream.$SRV_KIND: ${MV[mbps]} MB/s ($bytes bytes in $secs s), server CPU ${MV[cpu_s]:--} s per GiB (others: $D_PCT% of a core)"
}

measure_h2_idle() {
  local res tls="" path=$H2_PACED_PATH
  [[ $SRV_KIND == fas || $SRV_KIND == nginxh2 ]] && tls=--tls
  h2_is_nginx && path=/paced
  dist_begin
  res=$(taskset -c "$CLIENT_CPU" /usr/bin/python3 "$SRC_DIR/bench/h2_idle.py" --port="$SRV_PORT" \
          --pid="$(srv_pid_list)" --connections="$H2_IDLE_CONNS" \
          --stream-connections="$H2_IDLE_STREAM_CONNS" --streams="$H2_IDLE_STREAMS" \
          --stream-path="$path" $tls 2>&1)
  dist_end
  echo "$(basename "$SRV_LOG"): $res" >>"$OUT/h2-idle.log"
  local kc ks
  kc=$(sed -n 's/.*kib_per_connection=\([0-9.-]*\).*/\1/p' <<<"$res")
  ks=$(sed -n 's/.*kib_per_stream=\([0-9.-]*\).*/\1/p' <<<"$res")
  if [ -z "$kc" ] || [ -z "$ks" ]; then
    note "h2_idle.$SRV_KIND ($(basename "$SRV_LOG")): $(tail -n2 <<<"$res" | tr '\n' ' ')"
    return 1
  fi
  MV[kib_conn]=$kc MV[kib_stream]=$ks
  log "    h2_idle.$SRV_KIND: $res (others: $D_PCT% of a core)"
}

# The trial start: each server answers /hello over HTTP/2 (curl; what it sends goes to
# BENCH_OUT/h2-check.txt), and what h2load negotiates with it (into the notes).
H2_NEGOTIATED=""
h2_trial() {
  local kind out="$OUT/h2-check.txt" flag
  : >"$out"
  for kind in nginxh2 fas fah2; do
    start_server "$kind" || { echo "bench/run.sh: the $kind HTTP/2 server does not start" >&2; exit 1; }
    flag=--http2
    [ "$kind" = fah2 ] && flag=--http2-prior-knowledge
    {
      echo "== $kind: curl $flag -si $(h2_url /hello)"
      curl $flag -si --cacert "$TLS_DIR/ca.pem" "$(h2_url /hello)" | sed 's/\r$//'
      echo; echo
    } >>"$out"
    curl $flag -s -o /dev/null -w '%{http_version}' --cacert "$TLS_DIR/ca.pem" "$(h2_url /hello)" | grep -qx 2 ||
      { echo "bench/run.sh: $kind does not answer /hello over HTTP/2 (see $out)" >&2; exit 1; }
    if [ "$kind" != fah2 ]; then
      local proto
      proto=$(taskset -c "$CLIENT_CPU" h2load -n1 "$(h2_url /hello)" 2>&1 |
                awk -F': ' '/^TLS Protocol|^Cipher|^Server Temp Key|^Application protocol/ { printf "%s%s", s, $2; s = ", " }')
      H2_NEGOTIATED+="$kind: $proto; "
    fi
    stop_server "the HTTP/2 trial start"
  done
}

H2_RUN=""
h2_run() {
  h2_wanted || return 0
  H2_RUN=1
  local CPU_INSENSITIVE="$CPU_INSENSITIVE kib_conn kib_stream"
  h2_prepare
  h2_trial
  if want h2_hello; then
    log "== 15. HTTP/2 /hello over TLS, h2load -t1 -c64 -m10 -D $H2_DURATION (nginx, fastactor)"
    for r in $(seq 1 "$H2_ROUNDS"); do run_round h2_hello measure_h2_hello "nginxh2 fas" rps "$ATTEMPTS"; done
  fi
  if want h2_streams; then
    log "== 16. HTTP/2: $H2_STREAMS_N streams of $((H2_STREAMS_BYTES >> 20)) MiB at once on one TLS connection, h2load -c1 -m$H2_STREAMS_N (nginx: a file)"
    for r in $(seq 1 "$H2_ROUNDS"); do run_round h2_streams measure_h2_streams "nginxh2 fas" mbps "$ATTEMPTS"; done
  fi
  if want h2_stream; then
    log "== 17. HTTP/2: 1 GiB over one stream, TLS, h2load -c1 -m1 -n1 (nginx: a file)"
    for r in $(seq 1 "$H2_ROUNDS"); do run_round h2_stream measure_h2_stream "nginxh2 fas" mbps "$ATTEMPTS"; done
  fi
  if want h2_vs_h1; then
    log "== 18. fastactor, plain: HTTP/2 (prior knowledge, h2load) against HTTP/1.1 (wrk, curl): /hello with 64 in flight, 1 GiB"
    for r in $(seq 1 "$H2_ROUNDS"); do
      run_round h2h1_hello measure_h2h1_hello "fah1 fah2" rps "$ATTEMPTS"
      run_round h2h1_stream measure_h2h1_stream "fah1 fah2" mbps "$ATTEMPTS"
    done
  fi
  if want h2_idle; then
    log "== 19. HTTP/2 memory: $H2_IDLE_CONNS idle connections, then $((H2_IDLE_STREAM_CONNS * H2_IDLE_STREAMS)) paced streams on $H2_IDLE_STREAM_CONNS of them, plain and TLS"
    for r in $(seq 1 "$H2_IDLE_ROUNDS"); do run_round h2_idle measure_h2_idle "nginxh2c nginxh2 fah2 fas" kib_conn 2; done
  fi
}

# -- the table ------------------------------------------------------------------------------

h2_table() {
  h2_wanted || return 0
  echo
  echo "### HTTP/2: fastactor against nginx"
  echo
  echo "nginx $(nginx -v 2>&1 | sed 's|.*nginx/||') (\`listen … ssl http2\`, \`http2_max_concurrent_streams 100\`), 1 worker process; fastactor --h2-max-streams=100"
  echo "(default); both: bench/https.sh's certificate and TLS settings. h2load $(h2load --version 2>&1 | awk '{ print $2 }') -t1 negotiated: $H2_NEGOTIATED"
  echo "Medians over the rounds, (min–max) across rounds; ratio = fastactor median / nginx median (in brackets: the"
  echo "range of the per-round ratios); server CPU: utime + stime from /proc (nginx: master and worker)."
  echo
  if want h2_hello || want h2_streams || want h2_stream || want h2_idle; then
    echo "| # | benchmark | metric | nginx | fastactor | fastactor/nginx |"
    echo "|---|---|---|---|---|---|"
  fi
  local b
  if want h2_hello; then
    b="HTTP/2 /hello, TLS, h2load -c64 -m10"
    echo "| 15 | $b | req/s | $(cell h2_hello.nginxh2.rps 0) | $(cell h2_hello.fas.rps 0) | $(ratio_cell h2_hello.nginxh2.rps h2_hello.fas.rps h2_hello.ratio.nginxh2) |"
    echo "| 15 | $b | p50 ms | $(cell h2_hello.nginxh2.p50 3) | $(cell h2_hello.fas.p50 3) | $(div "$(median h2_hello.fas.p50)" "$(median h2_hello.nginxh2.p50)") |"
    echo "| 15 | $b | p99 ms | $(cell h2_hello.nginxh2.p99 3) | $(cell h2_hello.fas.p99 3) | $(div "$(median h2_hello.fas.p99)" "$(median h2_hello.nginxh2.p99)") |"
    echo "| 15 | $b | server CPU µs per request | $(cell h2_hello.nginxh2.cpu_us 1) | $(cell h2_hello.fas.cpu_us 1) | $(div "$(median h2_hello.fas.cpu_us)" "$(median h2_hello.nginxh2.cpu_us)") |"
  fi
  if want h2_streams; then
    b="HTTP/2, $H2_STREAMS_N streams × $((H2_STREAMS_BYTES >> 20)) MiB on one TLS connection"
    echo "| 16 | $b | MB/s, all streams | $(cell h2_streams.nginxh2.mbps 0) | $(cell h2_streams.fas.mbps 0) | $(ratio_cell h2_streams.nginxh2.mbps h2_streams.fas.mbps h2_streams.ratio.nginxh2) |"
    echo "| 16 | $b | server CPU s per GiB | $(cell h2_streams.nginxh2.cpu_s 2) | $(cell h2_streams.fas.cpu_s 2) | $(div "$(median h2_streams.fas.cpu_s)" "$(median h2_streams.nginxh2.cpu_s)") |"
    echo "| 16 | $b | s until the first stream ended | $(cell h2_streams.nginxh2.first_s 2) | $(cell h2_streams.fas.first_s 2) | — |"
    echo "| 16 | $b | s until a stream ended, mean | $(cell h2_streams.nginxh2.mean_s 2) | $(cell h2_streams.fas.mean_s 2) | — |"
    echo "| 16 | $b | s until the last stream ended | $(cell h2_streams.nginxh2.last_s 2) | $(cell h2_streams.fas.last_s 2) | — |"
  fi
  if want h2_stream; then
    b="HTTP/2, 1 GiB over one stream, TLS"
    echo "| 17 | $b | MB/s | $(cell h2_stream.nginxh2.mbps 0) | $(cell h2_stream.fas.mbps 0) | $(ratio_cell h2_stream.nginxh2.mbps h2_stream.fas.mbps h2_stream.ratio.nginxh2) |"
    echo "| 17 | $b | server CPU s per GiB | $(cell h2_stream.nginxh2.cpu_s 2) | $(cell h2_stream.fas.cpu_s 2) | $(div "$(median h2_stream.fas.cpu_s)" "$(median h2_stream.nginxh2.cpu_s)") |"
  fi
  if want h2_idle; then
    b="HTTP/2 memory, $H2_IDLE_CONNS idle connections"
    echo "| 19 | $b | RSS KiB per idle connection, plain (prior knowledge) | $(cell h2_idle.nginxh2c.kib_conn 2) | $(cell h2_idle.fah2.kib_conn 2) | $(div "$(median h2_idle.fah2.kib_conn)" "$(median h2_idle.nginxh2c.kib_conn)") |"
    echo "| 19 | $b | RSS KiB per idle connection, TLS | $(cell h2_idle.nginxh2.kib_conn 2) | $(cell h2_idle.fas.kib_conn 2) | $(div "$(median h2_idle.fas.kib_conn)" "$(median h2_idle.nginxh2.kib_conn)") |"
    b="HTTP/2 memory, $((H2_IDLE_STREAM_CONNS * H2_IDLE_STREAMS)) paced streams on $H2_IDLE_STREAM_CONNS connections"
    echo "| 19 | $b | RSS KiB per open stream, plain | $(cell h2_idle.nginxh2c.kib_stream 2) | $(cell h2_idle.fah2.kib_stream 2) | $(div "$(median h2_idle.fah2.kib_stream)" "$(median h2_idle.nginxh2c.kib_stream)") |"
    echo "| 19 | $b | RSS KiB per open stream, TLS | $(cell h2_idle.nginxh2.kib_stream 2) | $(cell h2_idle.fas.kib_stream 2) | $(div "$(median h2_idle.fas.kib_stream)" "$(median h2_idle.nginxh2.kib_stream)") |"
  fi
  if want h2_vs_h1; then
    echo
    echo "fastactor's HTTP/2 against its own HTTP/1.1, plain (no TLS), fresh servers, interleaved; ratio = HTTP/2 median /"
    echo "HTTP/1.1 median (in brackets: the range of the per-round ratios)."
    echo
    echo "| # | benchmark | metric | HTTP/1.1 | HTTP/2 | HTTP/2 / HTTP/1.1 |"
    echo "|---|---|---|---|---|---|"
    b="/hello, 64 in flight (wrk -c64 / h2load -c64 -m1)"
    echo "| 18 | $b | req/s | $(cell h2h1_hello.fah1.rps 0) | $(cell h2h1_hello.fah2.rps 0) | $(ratio_cell h2h1_hello.fah1.rps h2h1_hello.fah2.rps h2h1_hello.ratio.fah1) |"
    echo "| 18 | $b | p50 ms | $(cell h2h1_hello.fah1.p50 3) | $(cell h2h1_hello.fah2.p50 3) | $(div "$(median h2h1_hello.fah2.p50)" "$(median h2h1_hello.fah1.p50)") |"
    echo "| 18 | $b | p99 ms | $(cell h2h1_hello.fah1.p99 3) | $(cell h2h1_hello.fah2.p99 3) | $(div "$(median h2h1_hello.fah2.p99)" "$(median h2h1_hello.fah1.p99)") |"
    echo "| 18 | $b | server CPU µs per request | $(cell h2h1_hello.fah1.cpu_us 1) | $(cell h2h1_hello.fah2.cpu_us 1) | $(div "$(median h2h1_hello.fah2.cpu_us)" "$(median h2h1_hello.fah1.cpu_us)") |"
    b="1 GiB, one connection (curl / h2load -n1)"
    echo "| 18 | $b | MB/s | $(cell h2h1_stream.fah1.mbps 0) | $(cell h2h1_stream.fah2.mbps 0) | $(ratio_cell h2h1_stream.fah1.mbps h2h1_stream.fah2.mbps h2h1_stream.ratio.fah1) |"
    echo "| 18 | $b | server CPU s per GiB | $(cell h2h1_stream.fah1.cpu_s 2) | $(cell h2h1_stream.fah2.cpu_s 2) | $(div "$(median h2h1_stream.fah2.cpu_s)" "$(median h2h1_stream.fah1.cpu_s)") |"
  fi
}

h2_targets() {
  h2_wanted || return 0
  local v
  if want h2_hello; then
    v=$(div "$(median h2_hello.fas.rps)" "$(median h2_hello.nginxh2.rps)")
    echo "| HTTP/2 /hello (h2load -c64 -m10, TLS) ≥ 0.8× nginx req/s | $v× | $(verdict "$v" 0.8 '>=') |"
  fi
  if want h2_streams; then
    v=$(div "$(median h2_streams.fas.mbps)" "$(median h2_streams.nginxh2.mbps)")
    echo "| HTTP/2 $H2_STREAMS_N concurrent streams on one connection ≥ 0.8× nginx MB/s | $v× | $(verdict "$v" 0.8 '>=') |"
  fi
  if want h2_stream; then
    v=$(div "$(median h2_stream.fas.mbps)" "$(median h2_stream.nginxh2.mbps)")
    echo "| HTTP/2 1 GiB over one stream ≥ 0.8× nginx MB/s | $v× | $(verdict "$v" 0.8 '>=') |"
  fi
}
