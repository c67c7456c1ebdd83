# shellcheck shell=bash
# bench/compress.sh — sourced by bench/run.sh: response compression (issue 14). Same pinning,
# fresh server per measurement, disturbance check and budget as the rest (run_round).
#
#   compress        BENCH_COMPRESS_BYTES (1 GiB) of NDJSON, one connection, curl on CPU 1
#                   reading as fast as it can without decoding (-H 'Accept-Encoding: CODING',
#                   no --compressed): fastactor (defaults: gzip 4, zstd 3, br, 256 KiB per
#                   compressor) with identity, gzip, br and zstd — GET /ndjson?bytes=N of
#                   bench/fastactor_bench_server.cpp, writes of 16 KiB of whole lines, each flushed
#                   through the compressor; beside it Debian's nginx (one worker) sending the same
#                   bytes from a file on tmpfs (BENCH_NDJSON_FILE, made once per run from
#                   fastactor's identity stream) with `gzip on; gzip_comp_level 4;`, identity
#                   (sendfile) and gzip. Per case: wire bytes, ratio (NDJSON bytes / wire bytes),
#                   MB/s of NDJSON (uncompressed bytes / curl's time), server CPU ms per MB of
#                   NDJSON (utime + stime from /proc; nginx: master and worker); and fastactor's
#                   gzip CPU per MB over nginx's, per round
#   compress_hello  /hello of other connections (wrk -t1 -c64 -dBENCH_COMPRESS_DURATION, CPU 1,
#                   after a 1 s warm-up) on fastactor with its defaults (one I/O thread), while
#                   (i) nothing else runs, (ii) one identity NDJSON stream runs, (iii) one zstd,
#                   (iv) one gzip, (v) one br stream: req/s, p50, p99, the p99 over (i)'s and over
#                   (ii)'s; and how fast the stream went meanwhile. The stream (curl, CPU 1,
#                   reading as fast as it can, not decoding) starts 0.5 s before the warm-up and
#                   is sized to outlast the window (BENCH_COMPRESS_HELLO_STREAM bytes, 64 GiB:
#                   1 GiB of identity would end within 2 s); it is cut after the window. This is
#                   the measurement that decides whether compression may stay on the I/O thread
#                   (issue 14: a coded stream must not make /hello p99 more than 2x worse than
#                   an uncompressed one)
#
# Knobs: BENCH_COMPRESS_ROUNDS (1: each round of `compress` moves 1 GiB six times, about a
# minute; the docs' figures are from BENCH_COMPRESS_ROUNDS=3), BENCH_COMPRESS_BYTES
# (1073741824), BENCH_COMPRESS_DURATION (wrk, 10s), BENCH_COMPRESS_HELLO_STREAM (68719476736),
# BENCH_NDJSON_FILE (/dev/shm/fastactor-bench-ndjson-PID, one per run, removed at the end).

COMPRESS_NAMES="compress compress_hello"
COMPRESS_ROUNDS=${BENCH_COMPRESS_ROUNDS:-1}
COMPRESS_BYTES=${BENCH_COMPRESS_BYTES:-1073741824}
COMPRESS_DURATION=${BENCH_COMPRESS_DURATION:-10s}
COMPRESS_HELLO_STREAM=${BENCH_COMPRESS_HELLO_STREAM:-68719476736}
NDJSON_FILE=${BENCH_NDJSON_FILE:-/dev/shm/fastactor-bench-ndjson-$$}
COMPRESS_CODINGS="identity gzip br zstd"
COMPRESS_NGINX_CODINGS="identity gzip"
COMPRESS_HELLO_CASES="none identity zstd gzip br"
NDJSON_BYTES=""           # the exact size of the stream and of the file (whole lines)
NGINX_NDJSON_FILE=""      # set: bench/https.sh's plain nginx serves it at /ndjson, gzip level 4
EXTRA_PID=""              # run.sh counts its CPU time as ours (the stream client)
# Sizes and ratios do not change with CPU contention: kept even from a disturbed round.
for c in $COMPRESS_CODINGS; do CPU_INSENSITIVE+=" $c.wire $c.ratio"; done

compress_wanted() { local n; for n in $COMPRESS_NAMES; do want "$n" && return 0; done; return 1; }

compress_cleanup() { [[ $NDJSON_FILE == /dev/shm/fastactor-bench-ndjson-* ]] && rm -f "$NDJSON_FILE"; }

# content_encoding HEADER_FILE: the Content-Encoding of the last response in it ("" if none).
content_encoding() { awk -F': *' 'tolower($1) == "content-encoding" { v = $2 } END { sub(/\r$/, "", v); print v }' "$1"; }

# The file nginx sends (fastactor's identity stream, saved once), and a check that every
# coding of the stream decodes to the same bytes (curl --compressed decodes gzip, br, zstd).
compress_prepare() {
  nginx_prepare_plain 0
  start_server fa || { echo "bench/run.sh: fastactor does not start" >&2; exit 1; }
  local base="http://127.0.0.1:$SRV_PORT" hdr=$OUT/compress-check.headers c small n
  curl -s -o /dev/null "$base/ndjson?bytes=1"  # makes the line pool
  curl -s -D "$hdr" -o "$NDJSON_FILE" "$base/ndjson?bytes=$COMPRESS_BYTES" ||
    { echo "bench/run.sh: cannot write $NDJSON_FILE" >&2; exit 1; }
  NDJSON_BYTES=$(stat -c %s "$NDJSON_FILE")
  if [ "$NDJSON_BYTES" -lt "$COMPRESS_BYTES" ] || [ "$NDJSON_BYTES" -gt $((COMPRESS_BYTES + 1024)) ] ||
     ! grep -qi '^content-type: application/x-ndjson' "$hdr"; then
    echo "bench/run.sh: /ndjson?bytes=$COMPRESS_BYTES brought $NDJSON_BYTES bytes ($hdr)" >&2; exit 1
  fi
  small=$OUT/compress-check.ndjson
  curl -s -o "$small" "$base/ndjson?bytes=4194304"
  n=$(stat -c %s "$small")
  {
    echo "== $NDJSON_BYTES bytes of NDJSON in $NDJSON_FILE; the first lines:"
    head -n3 "$NDJSON_FILE"
  } >"$OUT/compress-check.txt"
  for c in gzip br zstd; do
    if ! cmp -s <(curl -s --compressed -D "$hdr" -H "Accept-Encoding: $c" "$base/ndjson?bytes=4194304") "$small" ||
       [ "$(content_encoding "$hdr")" != "$c" ]; then
      note "compress: the $c stream of /ndjson?bytes=4194304 does not decode to the identity one's $n bytes (Content-Encoding: $(content_encoding "$hdr"))"
    else
      echo "== $c: Content-Encoding $c, decodes to the identity stream's $n bytes" >>"$OUT/compress-check.txt"
    fi
  done
  stop_server "the compression check"
  NGINX_NDJSON_FILE=$NDJSON_FILE
  NGINX_USED=1
  if [ "$NDJSON_BYTES" != "$COMPRESS_BYTES" ] && [ "$COMPRESS_BYTES" -lt 1073741824 ]; then
    note "compress: BENCH_COMPRESS_BYTES=$COMPRESS_BYTES (less than 1 GiB)"
  fi
}

# -- measurements ---------------------------------------------------------------------------

# One server, every coding it offers, one after another: curl brings the NDJSON uncoded.
measure_compress() {
  local codings=$COMPRESS_CODINGS path="/ndjson?bytes=$COMPRESS_BYTES" hdr=$OUT/compress-$srv_seq.headers
  local c res bytes secs code enc want_enc j0 j
  if [ "$SRV_KIND" = nginxplain ]; then
    codings=$COMPRESS_NGINX_CODINGS path=/ndjson
  else
    curl -s -o /dev/null "http://127.0.0.1:$SRV_PORT/ndjson?bytes=1"  # makes the line pool
  fi
  dist_begin
  for c in $codings; do
    j0=$(srv_jiffies)
    res=$(taskset -c "$CLIENT_CPU" curl -s -o /dev/null -D "$hdr" -H "Accept-Encoding: $c" \
            -w '%{size_download} %{time_total} %{http_code}' "http://127.0.0.1:$SRV_PORT$path")
    j=$(( $(srv_jiffies) - j0 ))
    read -r bytes secs code <<<"$res"
    enc=$(content_encoding "$hdr") want_enc=$c
    [ "$c" = identity ] && want_enc=""
    if [ "$code" != 200 ] || [ "$enc" != "$want_enc" ] || [ -z "$bytes" ] || [ "$bytes" = 0 ] ||
       { [ "$c" = identity ] && [ "$bytes" != "$NDJSON_BYTES" ]; }; then
      note "compress.$SRV_KIND.$c: status $code, $bytes bytes, Content-Encoding '$enc' ($(basename "$SRV_LOG"))"
      continue
    fi
    MV[$c.wire]=$bytes
    MV[$c.ratio]=$(awk -v n="$NDJSON_BYTES" -v b="$bytes" 'BEGIN { printf "%.3f", n / b }')
    MV[$c.mbps]=$(awk -v n="$NDJSON_BYTES" -v s="$secs" 'BEGIN { printf "%.1f", n / s / 1e6 }')
    MV[$c.cpu]=$(awk -v j="$j" -v hz="$HZ" -v n="$NDJSON_BYTES" 'BEGIN { printf "%.2f", j * 1000 / hz / (n / 1e6) }')
    log "    compress.$SRV_KIND.$c: $bytes bytes on the wire (ratio ${MV[$c.ratio]}) in $secs s: ${MV[$c.mbps]} MB/s of NDJSON, server CPU ${MV[$c.cpu]} ms per MB"
  done
  dist_end
  log "    (others: $D_PCT% of a core)"
}

# "WIRE NDJSON": the body bytes fastactor has written so far (coded) and the bytes its
# compressors took in, from /metrics.
stream_counters() {
  curl -s "http://127.0.0.1:$SRV_PORT/metrics" | awk '
    $1 == "fastactor_stream_bytes_total" { w = $2 }
    $1 == "fastactor_compression_input_bytes_total" { i = $2 }
    END { printf "%.0f %.0f\n", w, i }'
}
jiffies_of() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }

# /hello with 64 connections while one NDJSON stream of coding COMPRESS_CASE runs (none: alone).
COMPRESS_CASE=none
measure_compress_hello() {
  local c=$COMPRESS_CASE base="http://127.0.0.1:$SRV_PORT" spid="" ok
  curl -s -o /dev/null "$base/ndjson?bytes=1"  # makes the line pool, whatever the case
  if [ "$c" != none ]; then
    taskset -c "$CLIENT_CPU" curl -s -o /dev/null -H "Accept-Encoding: $c" "$base/ndjson?bytes=$COMPRESS_HELLO_STREAM" &
    spid=$!
    EXTRA_PID=$spid
    sleep 0.5
  fi
  taskset -c "$CLIENT_CPU" wrk -t1 -c64 -d1s "$base/hello" >/dev/null 2>&1  # warm-up
  local ns0 ns1 t0 t1 w0 w1 i0 i1 cj0 cj1
  read -r w0 i0 < <(stream_counters)
  ns0=$(scale_cpu_ns) t0=$(date +%s%N)
  [ -n "$spid" ] && cj0=$(jiffies_of "$spid")
  dist_begin
  WRK_DURATION=$COMPRESS_DURATION run_wrk 64 /hello "compress_hello.$c"; ok=$?
  dist_end
  ns1=$(scale_cpu_ns) t1=$(date +%s%N)
  if [ -n "$spid" ]; then
    cj1=$(jiffies_of "$spid")
    if [ -z "$cj1" ]; then
      note "compress_hello.$c: the stream ended before the window did ($(basename "$SRV_LOG"))"
      ok=1
    fi
  fi
  read -r w1 i1 < <(stream_counters)
  if [ -n "$spid" ]; then
    kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
    EXTRA_PID=""
  fi
  [ $ok -eq 0 ] || return 1
  local ns=$(( t1 - t0 ))
  MV[rps]=$W_RPS MV[p50]=$W_P50 MV[p99]=$W_P99
  MV[cpu_pct]=$(awk -v c=$(( ns1 - ns0 )) -v ns="$ns" 'BEGIN { printf "%.0f", c * 100 / ns }')
  local extra=""
  if [ -n "$spid" ]; then
    # The stream's MB/s in the window (/hello's 2-byte bodies are in the wire count too: at
    # most 0.1 MB/s): NDJSON = what the compressors took in (identity: the body bytes).
    local nd=$(( i1 - i0 )) wire=$(( w1 - w0 ))
    [ "$c" = identity ] && nd=$wire
    MV[stream_mbps]=$(awk -v b="$nd" -v ns="$ns" 'BEGIN { printf "%.1f", b * 1e3 / ns }')
    MV[stream_wire_mbps]=$(awk -v b="$wire" -v ns="$ns" 'BEGIN { printf "%.1f", b * 1e3 / ns }')
    MV[client_pct]=$(awk -v j=$(( cj1 - cj0 )) -v hz="$HZ" -v ns="$ns" 'BEGIN { printf "%.0f", j * 1e11 / hz / ns }')
    extra="; the $c stream meanwhile: ${MV[stream_mbps]} MB/s of NDJSON, ${MV[stream_wire_mbps]} MB/s on the wire, curl ${MV[client_pct]}% of CPU $CLIENT_CPU"
  fi
  log "    compress_hello.$c: $W_RPS req/s, p50 $W_P50 ms, p99 $W_P99 ms, server ${MV[cpu_pct]}% of a core$extra (others: $D_PCT% of a core)"
}

compress_run() {
  compress_wanted || return 0
  compress_prepare
  if want compress; then
    log "== 13. $NDJSON_BYTES bytes of NDJSON per coding, one connection (curl, not decoding); nginx: gzip_comp_level 4 on a file; $COMPRESS_ROUNDS round(s) (BENCH_COMPRESS_ROUNDS)"
    for r in $(seq 1 "$COMPRESS_ROUNDS"); do run_round compress measure_compress "nginxplain fa" gzip.cpu "$ATTEMPTS"; done
  fi
  if want compress_hello; then
    log "== 14. /hello (wrk -t1 -c64 -d$COMPRESS_DURATION) while one NDJSON stream runs: $COMPRESS_HELLO_CASES; $COMPRESS_ROUNDS round(s)"
    for r in $(seq 1 "$COMPRESS_ROUNDS"); do
      for COMPRESS_CASE in $COMPRESS_HELLO_CASES; do
        run_round "compress_hello.$COMPRESS_CASE" measure_compress_hello fa p99 "$ATTEMPTS"
      done
    done
  fi
}

# -- the tables -----------------------------------------------------------------------------

compress_table() {
  compress_wanted || return 0
  echo
  echo "### Compression (issue 14)"
  echo
  local hlp levels
  hlp=$("$FA_BIN" --help 2>&1)
  levels=$(for o in gzip-level br-level zstd-level compress-memory-max compress-prefer; do
             grep -o -- "--$o=[^ ]*.*" <<<"$hlp" | head -n1 | grep -o '(default [^)]*' | tail -n1 | sed "s/^(default /--$o=/"
           done | paste -sd' ' -)
  if want compress; then
    echo "$NDJSON_BYTES bytes of NDJSON (\`GET /ndjson?bytes=$COMPRESS_BYTES\`: log lines of ~100–200 bytes, written"
    echo "16 KiB at a time, each write flushed through the compressor), one connection, curl without"
    echo "decoding; fastactor with its defaults (${levels:-see --help}); nginx: the same bytes from a file"
    echo "on tmpfs, \`gzip on; gzip_comp_level 4;\` (identity: sendfile). Rounds: $COMPRESS_ROUNDS; medians (min–max)."
    echo
    echo "| # | server, coding | wire bytes | ratio | MB/s of NDJSON | server CPU ms per MB | CPU per MB / nginx gzip 4 |"
    echo "|---|---|---|---|---|---|---|"
    local k c label
    for k in nginxplain fa; do
      local cs=$COMPRESS_CODINGS
      [ "$k" = nginxplain ] && cs=$COMPRESS_NGINX_CODINGS
      for c in $cs; do
        label="fastactor, $c"
        [ "$k" = nginxplain ] && label="nginx, $c"
        [ "$k.$c" = nginxplain.identity ] && label="nginx, identity (sendfile)"
        [ "$k.$c" = nginxplain.gzip ] && label="nginx, gzip 4"
        echo "| 13 | $label | $(cell "compress.$k.$c.wire" 0) | $(cell "compress.$k.$c.ratio" 2) | $(cell "compress.$k.$c.mbps" 0) | $(cell "compress.$k.$c.cpu" 2) | $(div "$(median "compress.$k.$c.cpu")" "$(median compress.nginxplain.gzip.cpu)") |"
      done
    done
    echo
    echo "fastactor gzip / nginx gzip, server CPU per MB: $(ratio_cell compress.nginxplain.gzip.cpu compress.fa.gzip.cpu compress.ratio.nginxplain) (median; in brackets the per-round ratios)."
  fi
  if want compress_hello; then
    echo
    echo "/hello of other connections, \`wrk -t1 -c64 -d$COMPRESS_DURATION --latency\` (CPU $CLIENT_CPU), on fastactor with its"
    echo "defaults (one I/O thread), while one NDJSON stream runs (curl on CPU $CLIENT_CPU too, reading as fast"
    echo "as it can, not decoding; a stream of $COMPRESS_HELLO_STREAM bytes, cut after the window). Rounds: $COMPRESS_ROUNDS."
    echo "The stream's MB/s are of NDJSON (uncompressed) during the window; server CPU: % of one core."
    echo
    echo "| # | while | /hello req/s | p50 ms | p99 ms | p99 / (i) | p99 / (ii) | req/s / (i) | the stream's MB/s | server CPU % | curl CPU % |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    local i=0 roman=(i ii iii iv v vi vii) label
    for c in $COMPRESS_HELLO_CASES; do
      local k=compress_hello.$c.fa
      label="($(printf '%s' "${roman[$i]}")) one $c stream"
      [ "$c" = none ] && label="(${roman[$i]}) nothing else"
      echo "| 14 | $label | $(cell "$k.rps" 0) | $(cell "$k.p50" 3) | $(cell "$k.p99" 3) | $(div "$(median "$k.p99")" "$(median compress_hello.none.fa.p99)") | $(div "$(median "$k.p99")" "$(median compress_hello.identity.fa.p99)") | $(div "$(median "$k.rps")" "$(median compress_hello.none.fa.rps)") | $(cell "$k.stream_mbps" 1) | $(cell "$k.cpu_pct" 0) | $(cell "$k.client_pct" 0) |"
      i=$((i + 1))
    done
  fi
}

compress_targets() {
  compress_wanted || return 0
  local c v
  if want compress_hello; then
    for c in zstd gzip br; do
      v=$(div "$(median "compress_hello.$c.fa.p99")" "$(median compress_hello.identity.fa.p99)")
      echo "| /hello p99 with one $c stream ≤ 2× that with one identity stream (compression may stay on the I/O thread) | $(median "compress_hello.$c.fa.p99") ms against $(median compress_hello.identity.fa.p99) ms ($v×) | $(verdict "$v" 2 '<=') |"
    done
  fi
}
