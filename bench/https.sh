# bench/https.sh — sourced by bench/run.sh: HTTPS, fastactor against Debian's nginx; also the
# nginx of the plain-HTTP benchmarks (kind "nginxplain": nginx_prepare_plain, nginx_conf).
#
# Every benchmark here runs fastactor_bench_server with --tls-cert/--tls-key ("fas") and
# Debian's nginx (nginx-light) with one worker process ("nginx"), interleaved, pinned and
# checked for disturbance like the rest (run_round). Both use the same certificate and key
# (scripts/make-dev-certs.sh: EC P-256), the same TLS 1.2 cipher list and groups (read from
# server/tls_context.cpp), TLS 1.2 and 1.3, session tickets on and OpenSSL's built-in server
# session cache. The nginx configuration is written per start next to the server's logs
# (BENCH_OUT/server-N-nginx.conf); docs/benchmarks.md shows it.
#
#   https_hello       /hello over keep-alive TLS: wrk -t1 -c64, req/s, p50, p99, server CPU
#                     per request
#   https_stream      1 GiB over one TLS connection (curl), MB/s and server CPU per GiB.
#                     fastactor: /stream?n=65536&size=16384 (16 KiB chunks from a worker actor);
#                     nginx: a 1 GiB file on tmpfs (BENCH_NGINX_FILE), read() + SSL_write (no
#                     sendfile through TLS without kTLS, which is not configured)
#   https_handshakes  a handshake per request: (a) wrk -t1 -c64 -H 'Connection: close' (wrk
#                     keeps its SSL object and resumes: TLS 1.3 PSK + ECDHE, no certificate);
#                     (b) openssl s_time -new (a full handshake per connection, BENCH_STIME_PROCS
#                     processes at once), connections/s and server CPU per handshake
#   https_idle        RSS per idle keep-alive connection (BENCH_IDLE_CONNECTIONS, a full
#                     handshake and one /hello each, then idle): fastactor and nginx, plain and TLS
#
# Knobs: BENCH_HTTPS_DURATION (wrk and s_time, 3s), BENCH_STIME_PROCS (2),
# BENCH_IDLE_CONNECTIONS (1000), BENCH_IDLE_ROUNDS (2), BENCH_NGINX_FILE
# (/dev/shm/fastactor-bench-1GiB-PID, one per run, removed at the end).

HTTPS_DURATION=${BENCH_HTTPS_DURATION:-3s}
STIME_PROCS=${BENCH_STIME_PROCS:-2}
IDLE_CONNS=${BENCH_IDLE_CONNECTIONS:-1000}
IDLE_ROUNDS=${BENCH_IDLE_ROUNDS:-2}
NGINX_FILE=${BENCH_NGINX_FILE:-/dev/shm/fastactor-bench-1GiB-$$}  # per run: runs at once must not share it
TLS_DIR=$(cd "$OUT" && pwd)/tls   # absolute: nginx reads relative paths from its own prefix
HTTPS_NAMES="https_hello https_stream https_handshakes https_idle"
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

https_wanted() { local n; for n in $HTTPS_NAMES; do want "$n" && return 0; done; return 1; }

# The TLS 1.2 cipher list and the groups fastactor uses, from its source (one truth).
TLS_CIPHERS=$(sed -n '/tls12_ciphers =/,/;/p' "$SRC_DIR/server/tls_context.cpp" | grep -o '"[^"]*"' | tr -d '"\n')
TLS_GROUPS=$(sed -n 's/.*groups = "\([^"]*\)".*/\1/p' "$SRC_DIR/server/tls_context.cpp")

# The fastactor options for HTTPS.
FAS_ARGS=()

https_prepare() {
  local tool
  for tool in nginx openssl; do
    command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool is missing (make bench installs nginx-light and openssl)" >&2; exit 1; }
  done
  if want https_idle && [ ! -x /usr/bin/python3 ]; then
    echo "bench/run.sh: /usr/bin/python3 is missing (make bench installs it)" >&2; exit 1
  fi
  if [ -z "$TLS_CIPHERS" ] || [ -z "$TLS_GROUPS" ]; then
    echo "bench/run.sh: cannot read the cipher list or groups from server/tls_context.cpp" >&2; exit 1
  fi
  "$SRC_DIR/scripts/make-dev-certs.sh" "$TLS_DIR" server >/dev/null || { echo "bench/run.sh: make-dev-certs.sh failed" >&2; exit 1; }
  FAS_ARGS=(--tls-cert="$TLS_DIR/server.pem" --tls-key="$TLS_DIR/server.key")
  mkdir -p "$TLS_DIR/nginx-tmp"
  want https_stream && nginx_file
}

# The 1 GiB file nginx sends for /stream (plain HTTP: sendfile; TLS: read + SSL_write).
nginx_file() {
  if [ "$(stat -c %s "$NGINX_FILE" 2>/dev/null)" != "$STREAM_BYTES" ]; then
    # Real pages (not a sparse file, whose holes would all read the same zero page).
    head -c "$STREAM_BYTES" /dev/zero | tr '\0' 'a' >"$NGINX_FILE" || { echo "bench/run.sh: cannot write $NGINX_FILE" >&2; exit 1; }
  fi
}

# What the plain-HTTP nginx ("nginxplain") needs: the program, its directories, and with
# argument 1 the file for /stream.
nginx_prepare_plain() {
  command -v nginx >/dev/null || { echo "bench/run.sh: nginx is missing (make bench installs nginx-light)" >&2; exit 1; }
  mkdir -p "$TLS_DIR/nginx-tmp"
  [ "$1" = 1 ] && nginx_file
  return 0
}

https_cleanup() { [[ $NGINX_FILE == /dev/shm/fastactor-bench-* ]] && rm -f "$NGINX_FILE"; }

# nginx_conf PORT ssl|plain|h2|h2c: the configuration of one nginx run. Plain HTTP: no ssl_*
# directives, and sendfile on (what nginx does with a file when TLS is not in the way). h2:
# the TLS one with `http2` on the listen line (ALPN h2), h2c: HTTP/2 with prior knowledge on a
# plain port, sendfile off (bench/http2.sh adds its lines: nginx_conf_h2, nginx_locations_h2).
nginx_conf() {
  local port=$1 mode=$2 listen_ssl=" ssl"
  [ "$mode" = plain ] && listen_ssl=""
  [ "$mode" = h2 ] && listen_ssl=" ssl http2"
  [ "$mode" = h2c ] && listen_ssl=" http2"
  cat <<EOF
# Written by bench/https.sh for one nginx run (see docs/benchmarks.md).
worker_processes 1;
pid $TLS_DIR/nginx-$port.pid;
error_log stderr error;
events { worker_connections ${NGINX_WORKER_CONNECTIONS:-16384}; }   # bench/scale.sh raises it
http {
$(nginx_access_log)
  server_tokens off;
  keepalive_timeout 60s;            # fastactor: --idle-timeout-ms=60000
  keepalive_requests 1000000000;    # fastactor has no per-connection request limit (nginx: 1000)
EOF
  if [ "$mode" = plain ]; then
    echo "  sendfile on;                      # plain HTTP: the 1 GiB file goes out with sendfile()"
  elif [ "$mode" = h2c ]; then
    echo "  sendfile off;                     # as over TLS: files are read() into buffers, framed"
  else
    echo "  sendfile off;                     # never used through TLS without kTLS: read() + SSL_write"
  fi
  cat <<EOF
  client_body_temp_path $TLS_DIR/nginx-tmp/body;
  proxy_temp_path $TLS_DIR/nginx-tmp/proxy;
  fastcgi_temp_path $TLS_DIR/nginx-tmp/fastcgi;
  uwsgi_temp_path $TLS_DIR/nginx-tmp/uwsgi;
  scgi_temp_path $TLS_DIR/nginx-tmp/scgi;
EOF
  [ "$mode" = h2 ] || [ "$mode" = h2c ] && nginx_conf_h2
  [ "$mode" = plain ] || [ "$mode" = h2c ] || cat <<EOF

  ssl_certificate $TLS_DIR/server.pem;
  ssl_certificate_key $TLS_DIR/server.key;
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_ciphers $TLS_CIPHERS;
  ssl_ecdh_curve $TLS_GROUPS;
  ssl_prefer_server_ciphers off;
  ssl_session_tickets on;
  ssl_session_cache builtin;        # fastactor: SSL_SESS_CACHE_SERVER, OpenSSL's own cache
EOF
  cat <<EOF

  server {
    # backlog: the kernel's limit (somaxconn), as Asio's listen() asks; nginx's default is 511
    listen 127.0.0.1:$port$listen_ssl backlog=4096;
    location = /hello { default_type "text/plain; charset=utf-8"; return 200 "ok"; }
    location = /stream { alias $NGINX_FILE; default_type application/octet-stream; }
EOF
  [ "$mode" = h2 ] || [ "$mode" = h2c ] && nginx_locations_h2
  # bench/compress.sh: the NDJSON fastactor streams, as a file, gzip level 4.
  [ "$mode" = plain ] && [ -n "${NGINX_NDJSON_FILE:-}" ] && cat <<EOF
    location = /ndjson {
      alias $NGINX_NDJSON_FILE;
      default_type application/x-ndjson;
      gzip on;
      gzip_comp_level 4;
      gzip_types application/x-ndjson;
    }
EOF
  cat <<EOF
  }
}
EOF
}

# The access log line of nginx_conf: off, or with ACCESS_LOGS=1 (bench/run.sh, benchmark 1L)
# the fields of fastactor's line (protocol/access_log.hpp: peer, request line, status, body
# bytes, duration), buffered as fastactor buffers its own (64 KiB, flushed at least every
# second).
nginx_access_log() {
  if [ "${ACCESS_LOGS:-0}" = 1 ]; then
    echo "  log_format fastactor_like '\$remote_addr:\$remote_port \"\$request\" \$status \$body_bytes_sent \${request_time}s';"
    echo "  access_log $SRV_LOG.access fastactor_like buffer=64k flush=1s;"
  else
    echo "  access_log off;"
  fi
}

# A port below the ephemeral range that nothing listens on.
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 12000))
    ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return 0; }
  done
  return 1
}

# start_nginx ssl|plain|h2|h2c: like start_server (sets SRV_PID to the master, SRV_CHILD to the
# worker, SRV_PORT, SRV_LOG).
start_nginx() {
  local mode=$1 port
  port=$(free_port) || { note "no free port for nginx"; return 1; }
  nginx_conf "$port" "$mode" >"$SRV_LOG.conf"
  taskset -c "$SERVER_CPU" nginx -e stderr -c "$(cd "$(dirname "$SRV_LOG")" && pwd)/$(basename "$SRV_LOG").conf" \
    -g 'daemon off;' >"$SRV_LOG.out" 2>"$SRV_LOG.err" &
  SRV_PID=$!
  SRV_CHILD="" SRV_PORT=""
  for _ in $(seq 1 200); do
    if [ -z "$SRV_CHILD" ]; then SRV_CHILD=$(pgrep -P "$SRV_PID" | head -n1); fi
    if [ -n "$SRV_CHILD" ] && ss -Htln "sport = :$port" | grep -q .; then
      SRV_PORT=$port
      echo "nginx $mode $SRV_LOG.conf" >"$SRV_LOG.cmd"
      return 0
    fi
    kill -0 "$SRV_PID" 2>/dev/null || break
    sleep 0.05
  done
  note "nginx did not start ($(basename "$SRV_LOG")): $(tail -n3 "$SRV_LOG.err" | tr '\n' ' ')"
  kill -KILL "$SRV_PID" $SRV_CHILD 2>/dev/null; wait "$SRV_PID" 2>/dev/null
  SRV_PID="" SRV_CHILD=""
  return 1
}

# The /proc stat files of the server's processes now: fastactor's one, or nginx's master and
# whatever workers it has at this moment (a worker nginx replaced is not the one start_nginx
# found: reading that one's stat would lose the new worker's CPU, and bench/run.sh would count
# it as another process's).
srv_stat_files() {
  echo "/proc/$SRV_PID/stat"
  if [ -n "$SRV_CHILD" ]; then
    local c
    for c in $(pgrep -P "$SRV_PID"); do echo "/proc/$c/stat"; done
  fi
}

# The server's pids now, comma-separated (as srv_stat_files: nginx's current workers).
srv_pid_list() { srv_stat_files | sed 's|/proc/\([0-9]*\)/stat|\1|' | paste -sd, -; }

# Server CPU time (user + system, all threads, nginx's workers included, and those it has
# already reaped: the master's cutime and cstime), in jiffies.
srv_jiffies() { cat $(srv_stat_files) 2>/dev/null | awk '{ s += $14 + $15 + $16 + $17 } END { print s + 0 }'; }

# Notes a replaced nginx worker (its CPU is still counted, see srv_stat_files), with the
# lines of nginx's log that say why.
check_nginx_worker() {
  [ -n "$SRV_CHILD" ] || return 0
  local now
  now=$(pgrep -P "$SRV_PID" | tr '\n' ' ' | sed 's/ $//')
  [ "$now" = "$SRV_CHILD" ] && return 0
  note "nginx's worker changed during $1: pid $SRV_CHILD at the start, now ${now:-none} (log $(basename "$SRV_LOG").err: $(grep -v '^$' "$SRV_LOG.err" | tail -n3 | tr '\n' ' '))"
}
# us_per JIFFIES COUNT: microseconds of CPU per item.
us_per() { awk -v j="$1" -v n="$2" -v hz="$HZ" 'BEGIN { if (n > 0) printf "%.1f", j * 1e6 / hz / n; else print "" }'; }

https_url() { echo "https://127.0.0.1:$SRV_PORT$1"; }

# -- measurements ---------------------------------------------------------------------------

measure_https_hello() {
  taskset -c "$CLIENT_CPU" wrk -t1 -c64 -d1s "$(https_url /hello)" >/dev/null 2>&1  # warm-up
  local j0; j0=$(srv_jiffies)
  dist_begin
  WRK_DURATION=$HTTPS_DURATION run_wrk 64 /hello "https_hello.$SRV_KIND"; local ok=$?
  dist_end
  [ $ok -eq 0 ] || return 1
  MV[rps]=$W_RPS MV[p50]=$W_P50 MV[p99]=$W_P99 MV[cpu_us]=$(us_per $(( $(srv_jiffies) - j0 )) "$W_REQS")
  log "    https_hello.$SRV_KIND: $W_RPS req/s, p50 $W_P50 ms, p99 $W_P99 ms, ${MV[cpu_us]} us server CPU per request (others: $D_PCT% of a core)"
}

measure_https_stream() {
  local res bytes secs code j0
  j0=$(srv_jiffies)
  dist_begin
  res=$(taskset -c "$CLIENT_CPU" curl -s --cacert "$TLS_DIR/ca.pem" -o /dev/null \
          -w '%{size_download} %{time_total} %{http_code}' "$(https_url "$STREAM_PATH")")
  dist_end
  read -r bytes secs code <<<"$res"
  if [ "$bytes" != "$STREAM_BYTES" ] || [ "$code" != 200 ]; then
    note "https_stream.$SRV_KIND: got $bytes bytes (expected $STREAM_BYTES), status $code ($(basename "$SRV_LOG"))"
    return 1
  fi
  MV[mbps]=$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.1f", b / s / 1e6 }')
  MV[cpu_s]=$(awk -v j=$(( $(srv_jiffies) - j0 )) -v hz="$HZ" 'BEGIN { printf "%.2f", j / hz }')
  log "    https_stream.$SRV_KIND: ${MV[mbps]} MB/s ($bytes bytes in $secs s), server CPU ${MV[cpu_s]} s (others: $D_PCT% of a core)"
}

# (a) wrk with Connection: close: a new connection, and a resumed handshake, per request.
measure_https_close() {
  local j0; j0=$(srv_jiffies)
  dist_begin
  WRK_DURATION=$HTTPS_DURATION run_wrk 64 /hello "https_close.$SRV_KIND" -H 'Connection: close'; local ok=$?
  dist_end
  [ $ok -eq 0 ] || return 1
  MV[rps]=$W_RPS MV[p99]=$W_P99 MV[cpu_us]=$(us_per $(( $(srv_jiffies) - j0 )) "$W_REQS")
  log "    https_close.$SRV_KIND: $W_RPS req/s, p99 $W_P99 ms, ${MV[cpu_us]} us server CPU per request (others: $D_PCT% of a core)"
}

# (b) openssl s_time -new: a full handshake per connection, then GET /hello HTTP/1.0.
measure_https_new() {
  local secs=${HTTPS_DURATION%s} i pids=() j0 t0 t1 n bytes
  j0=$(srv_jiffies)
  dist_begin
  t0=$(date +%s%N)
  for i in $(seq 1 "$STIME_PROCS"); do
    taskset -c "$CLIENT_CPU" openssl s_time -connect "127.0.0.1:$SRV_PORT" -new -www /hello \
      -time "$secs" >"$SRV_LOG.stime-$i" 2>&1 &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
  t1=$(date +%s%N)
  dist_end
  n=$(cat "$SRV_LOG".stime-* | awk '/connections in .* real seconds/ { n += $1 } END { print n + 0 }')
  bytes=$(cat "$SRV_LOG".stime-* | awk '/real seconds/ { print $(NF - 4); exit }')
  cat "$SRV_LOG".stime-* | sed "s|^|$(basename "$SRV_LOG"): |" >>"$OUT/stime.log"
  if [ "$n" -eq 0 ] || [ "${bytes:-0}" -le 0 ]; then
    note "https_new.$SRV_KIND ($(basename "$SRV_LOG")): s_time made no connection with a response: $(tail -n2 "$SRV_LOG.stime-1" | tr '\n' ' ')"
    return 1
  fi
  MV[rate]=$(awk -v n="$n" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (ns / 1e9) }')
  MV[cpu_us]=$(us_per $(( $(srv_jiffies) - j0 )) "$n")
  log "    https_new.$SRV_KIND: ${MV[rate]} full handshakes/s ($n connections, $bytes bytes each), ${MV[cpu_us]} us server CPU per connection (others: $D_PCT% of a core)"
}

measure_https_idle() {
  local res tls=""
  [[ $SRV_KIND == fas || $SRV_KIND == nginx ]] && tls=--tls
  dist_begin
  res=$(taskset -c "$CLIENT_CPU" /usr/bin/python3 "$SRC_DIR/bench/idle_connections.py" --port="$SRV_PORT" \
          --pid="$(srv_pid_list)" --connections="$IDLE_CONNS" $tls 2>&1)
  dist_end
  echo "$(basename "$SRV_LOG"): $res" >>"$OUT/idle.log"
  local kib; kib=$(sed -n 's/.*kib_per_connection=\([0-9.-]*\).*/\1/p' <<<"$res")
  if [ -z "$kib" ]; then
    note "https_idle.$SRV_KIND ($(basename "$SRV_LOG")): $(tail -n2 <<<"$res" | tr '\n' ' ')"
    return 1
  fi
  MV[kib]=$kib
  log "    https_idle.$SRV_KIND: $res (others: $D_PCT% of a core)"
}

# The trial start of both HTTPS servers: /hello answers, and what each negotiates with
# OpenSSL's client (written to BENCH_OUT/https-check.txt, and the protocol into the notes).
https_trial() {
  local kind out="$OUT/https-check.txt"
  : >"$out"
  for kind in fas nginx; do
    start_server "$kind" || { echo "bench/run.sh: the $kind HTTPS server does not start" >&2; exit 1; }
    {
      echo "== $kind: curl -si --cacert ca.pem $(https_url /hello)"
      curl -si --cacert "$TLS_DIR/ca.pem" "$(https_url /hello)"; echo
      local v
      for v in "" -tls1_2; do
        echo "== $kind: openssl s_client -brief -alpn http/1.1 $v"
        openssl s_client -connect "127.0.0.1:$SRV_PORT" -CAfile "$TLS_DIR/ca.pem" -alpn http/1.1 $v -brief </dev/null 2>&1 |
          grep -v -e '^CONNECTION' -e DONE -e SSL_get_servername
      done
      echo
    } >>"$out"
    local proto
    proto=$(openssl s_client -connect "127.0.0.1:$SRV_PORT" -CAfile "$TLS_DIR/ca.pem" -alpn http/1.1 -brief </dev/null 2>&1 |
              awk -F': ' '/Protocol version|Ciphersuite|Server Temp Key/ { printf "%s%s", s, $2; s = ", " }')
    HTTPS_NEGOTIATED+="$kind: $proto; "
    stop_server "the HTTPS trial start"
  done
}
HTTPS_NEGOTIATED=""

HTTPS_RUN=""
https_run() {
  https_wanted || return 0
  HTTPS_RUN=1
  https_prepare
  https_trial
  if want https_hello; then
    log "== 7. HTTPS /hello, wrk -t1 -c64 -d$HTTPS_DURATION --latency (nginx, fastactor)"
    for r in $(seq 1 "$ROUNDS"); do run_round https_hello measure_https_hello "nginx fas" rps "$ATTEMPTS"; done
  fi
  if want https_stream; then
    log "== 8. HTTPS 1 GiB (curl; nginx: a file on tmpfs)"
    for r in $(seq 1 "$CHEAP_ROUNDS"); do run_round https_stream measure_https_stream "nginx fas" mbps "$ATTEMPTS"; done
  fi
  if want https_handshakes; then
    log "== 9. HTTPS handshakes: wrk -H 'Connection: close' -c64 (resumed), openssl s_time -new x$STIME_PROCS (full)"
    for r in $(seq 1 "$ROUNDS"); do
      run_round https_close measure_https_close "nginx fas" rps "$ATTEMPTS"
      run_round https_new measure_https_new "nginx fas" rate "$ATTEMPTS"
    done
  fi
  if want https_idle; then
    log "== 10. $IDLE_CONNS idle keep-alive connections: RSS per connection, plain and TLS"
    for r in $(seq 1 "$IDLE_ROUNDS"); do run_round https_idle measure_https_idle "nginxplain nginx fa fas" kib 2; done
  fi
}

# -- the table ------------------------------------------------------------------------------

https_table() {
  https_wanted || return 0
  echo
  echo "### HTTPS: fastactor against nginx"
  echo
  echo "nginx $(nginx -v 2>&1 | sed 's|.*nginx/||'), 1 worker process; both servers: the same EC P-256 certificate, TLS 1.2 + 1.3, the"
  echo "same cipher list and groups, tickets on. Negotiated with openssl s_client: $HTTPS_NEGOTIATED"
  echo "Medians over the rounds, (min–max) across rounds; ratio = fastactor median / nginx median (in brackets: the"
  echo "range of the per-round ratios); server CPU: utime + stime from /proc (nginx: master and worker)."
  echo
  echo "| # | benchmark | metric | nginx | fastactor | fastactor/nginx |"
  echo "|---|---|---|---|---|---|"
  if want https_hello; then
    echo "| 7 | HTTPS /hello, keep-alive, wrk -c64 | req/s | $(cell https_hello.nginx.rps 0) | $(cell https_hello.fas.rps 0) | $(ratio_cell https_hello.nginx.rps https_hello.fas.rps https_hello.ratio.nginx) |"
    echo "| 7 | HTTPS /hello, keep-alive, wrk -c64 | p50 ms | $(cell https_hello.nginx.p50 3) | $(cell https_hello.fas.p50 3) | $(div "$(median https_hello.fas.p50)" "$(median https_hello.nginx.p50)") |"
    echo "| 7 | HTTPS /hello, keep-alive, wrk -c64 | p99 ms | $(cell https_hello.nginx.p99 3) | $(cell https_hello.fas.p99 3) | $(div "$(median https_hello.fas.p99)" "$(median https_hello.nginx.p99)") |"
    echo "| 7 | HTTPS /hello, keep-alive, wrk -c64 | server CPU µs per request | $(cell https_hello.nginx.cpu_us 1) | $(cell https_hello.fas.cpu_us 1) | $(div "$(median https_hello.fas.cpu_us)" "$(median https_hello.nginx.cpu_us)") |"
  fi
  if want https_stream; then
    echo "| 8 | HTTPS 1 GiB, one connection (curl) | MB/s | $(cell https_stream.nginx.mbps 0) | $(cell https_stream.fas.mbps 0) | $(ratio_cell https_stream.nginx.mbps https_stream.fas.mbps https_stream.ratio.nginx) |"
    echo "| 8 | HTTPS 1 GiB, one connection (curl) | server CPU s per GiB | $(cell https_stream.nginx.cpu_s 2) | $(cell https_stream.fas.cpu_s 2) | $(div "$(median https_stream.fas.cpu_s)" "$(median https_stream.nginx.cpu_s)") |"
  fi
  if want https_handshakes; then
    echo "| 9a | Connection: close, wrk -c64 (resumed handshakes) | req/s | $(cell https_close.nginx.rps 0) | $(cell https_close.fas.rps 0) | $(ratio_cell https_close.nginx.rps https_close.fas.rps https_close.ratio.nginx) |"
    echo "| 9a | Connection: close, wrk -c64 (resumed handshakes) | p99 ms | $(cell https_close.nginx.p99 2) | $(cell https_close.fas.p99 2) | $(div "$(median https_close.fas.p99)" "$(median https_close.nginx.p99)") |"
    echo "| 9a | Connection: close, wrk -c64 (resumed handshakes) | server CPU µs per request | $(cell https_close.nginx.cpu_us 1) | $(cell https_close.fas.cpu_us 1) | $(div "$(median https_close.fas.cpu_us)" "$(median https_close.nginx.cpu_us)") |"
    echo "| 9b | full handshakes, openssl s_time -new ×$STIME_PROCS | connections/s | $(cell https_new.nginx.rate 0) | $(cell https_new.fas.rate 0) | $(ratio_cell https_new.nginx.rate https_new.fas.rate https_new.ratio.nginx) |"
    echo "| 9b | full handshakes, openssl s_time -new ×$STIME_PROCS | server CPU µs per connection | $(cell https_new.nginx.cpu_us 1) | $(cell https_new.fas.cpu_us 1) | $(div "$(median https_new.fas.cpu_us)" "$(median https_new.nginx.cpu_us)") |"
  fi
  if want https_idle; then
    echo "| 10 | $IDLE_CONNS idle keep-alive connections | RSS KiB per connection, plain HTTP | $(cell https_idle.nginxplain.kib 2) | $(cell https_idle.fa.kib 2) | $(div "$(median https_idle.fa.kib)" "$(median https_idle.nginxplain.kib)") |"
    echo "| 10 | $IDLE_CONNS idle keep-alive connections | RSS KiB per connection, TLS | $(cell https_idle.nginx.kib 2) | $(cell https_idle.fas.kib 2) | $(div "$(median https_idle.fas.kib)" "$(median https_idle.nginx.kib)") |"
    local dn df
    dn=$(awk -v a="$(median https_idle.nginx.kib)" -v b="$(median https_idle.nginxplain.kib)" 'BEGIN { if (a == "-" || b == "-") print "—"; else printf "%.2f", a - b }')
    df=$(awk -v a="$(median https_idle.fas.kib)" -v b="$(median https_idle.fa.kib)" 'BEGIN { if (a == "-" || b == "-") print "—"; else printf "%.2f", a - b }')
    echo "| 10 | $IDLE_CONNS idle keep-alive connections | what TLS adds, KiB per connection (medians) | $dn | $df | — |"
  fi
}

https_targets() {
  https_wanted || return 0
  local v
  if want https_hello; then
    v=$(div "$(median https_hello.fas.rps)" "$(median https_hello.nginx.rps)")
    echo "| HTTPS /hello ≥ 0.9× nginx req/s | $v× | $(verdict "$v" 0.9 '>=') |"
  fi
  if want https_stream; then
    v=$(div "$(median https_stream.fas.mbps)" "$(median https_stream.nginx.mbps)")
    echo "| HTTPS 1 GiB ≥ 0.9× nginx MB/s | $v× | $(verdict "$v" 0.9 '>=') |"
  fi
  if want https_handshakes; then
    v=$(div "$(median https_close.fas.rps)" "$(median https_close.nginx.rps)")
    echo "| HTTPS Connection: close (resumed handshakes) ≥ 0.9× nginx req/s | $v× | $(verdict "$v" 0.9 '>=') |"
    v=$(div "$(median https_new.fas.rate)" "$(median https_new.nginx.rate)")
    echo "| HTTPS full handshakes ≥ 0.9× nginx connections/s | $v× | $(verdict "$v" 0.9 '>=') |"
  fi
}
