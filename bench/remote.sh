# shellcheck shell=bash
# bench/remote.sh — sourced by bench/run.sh: remote workers (issue 15: "≥ 1 GiB/s through two
# nodes with 64 KiB chunks on loopback").
#
#   remote  1 GiB through one worker node in 64 KiB chunks: curl fetches
#           /distributed/stream?n=16384&size=65536 (the demo's default window: 32 writes in
#           flight) from a demo_server whose chunks come from a worker_node, for each mode:
#             inline   the default on this machine: CAF's network thread deserializes what it
#                      reads (--node-basp-workers automatic: 0 below 4 cores), both sides
#             workers  --node-basp-workers=1 on both sides: CAF 0.17's own default here, a
#                      deserializing thread beside the network thread
#             tls      inline, over mutual TLS (certificates from scripts/make-dev-certs.sh)
#             local    the same bytes from an in-process worker: /stream?n=16384&size=65536
#                      of the inline mode's server (the reference: no network between them)
#           One node and one server per mode, started once; rounds interleave the modes, each
#           after the machine is quiet (wait_quiet). MB/s = 10^6 bytes / curl's total time.
#           Not pinned: the node, the server and curl share both cores, as they would if a
#           user ran them on one machine (the server core / client core rule of the other
#           benchmarks would put two of them on one core).
#
# Knobs: BENCH_REMOTE_ROUNDS (5), BENCH_REMOTE_WINDOW (32).

REMOTE_ROUNDS=${BENCH_REMOTE_ROUNDS:-5}
REMOTE_WINDOW=${BENCH_REMOTE_WINDOW:-32}
REMOTE_CHUNK=65536
REMOTE_CHUNKS=$((1073741824 / REMOTE_CHUNK))
REMOTE_MODES="inline workers tls local"
REMOTE_PIDS=()
declare -A REMOTE_PORT

remote_cleanup() {
  local p
  for p in "${REMOTE_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  REMOTE_PIDS=()
}

# remote_start NAME PROGRAM ARGS...: runs PROGRAM on both cores; sets R_PORT to the port of its
# first line. (Not in a command substitution: REMOTE_PIDS must keep the pid, for remote_cleanup.)
R_PORT=""
remote_start() {
  local log=$OUT/remote-$1.log
  shift
  rm -f "$log"
  taskset -c 0,1 "$@" >"$log" 2>&1 &
  REMOTE_PIDS+=($!)
  for _ in $(seq 100); do
    if grep -q '://.*:[0-9][0-9]*$' "$log" 2>/dev/null; then
      R_PORT=$(head -n1 "$log" | grep -o '[0-9]*$')
      return 0
    fi
    sleep 0.1
  done
  note "remote: $(basename "$1") printed no first line ($log)"
  return 1
}

# One node and one server: plain with the automatic BASP workers, with one worker, and TLS.
remote_prepare() {
  local certs=$OUT/remote-certs mode node extra tls_node tls_server
  cp -f "$BIN"/{demo_server,worker_node} "$OUT/bin/"
  "$(dirname "${BASH_SOURCE[0]}")/../scripts/make-dev-certs.sh" "$certs" server >/dev/null
  "$(dirname "${BASH_SOURCE[0]}")/../scripts/make-dev-certs.sh" "$certs" node >/dev/null
  tls_node=(--node-tls-cert="$certs/node.pem" --node-tls-key="$certs/node.key" --node-tls-ca="$certs/ca.pem")
  tls_server=(--node-tls-cert="$certs/server.pem" --node-tls-key="$certs/server.key" --node-tls-ca="$certs/ca.pem")
  for mode in inline workers tls; do
    extra=()
    [ "$mode" = workers ] && extra=(--node-basp-workers=1)
    if [ "$mode" = tls ]; then
      remote_start "node-$mode" "$OUT/bin/worker_node" --port=0 "${tls_node[@]}" || return 1
      node=$R_PORT
      remote_start "server-$mode" "$OUT/bin/demo_server" --port=0 --access-log=0 \
        --worker-nodes="127.0.0.1:$node" "${tls_server[@]}" || return 1
    else
      remote_start "node-$mode" "$OUT/bin/worker_node" --port=0 "${extra[@]}" || return 1
      node=$R_PORT
      remote_start "server-$mode" "$OUT/bin/demo_server" --port=0 --access-log=0 \
        --worker-nodes="127.0.0.1:$node" "${extra[@]}" || return 1
    fi
    REMOTE_PORT[$mode]=$R_PORT
  done
  REMOTE_PORT[local]=${REMOTE_PORT[inline]}
  sleep 2  # the servers connect to their nodes in the background
}

# remote_fetch MODE: one 1 GiB fetch; adds its MB/s to remote.MODE.mbps.
remote_fetch() {
  local mode=$1 path="/distributed/stream?n=$REMOTE_CHUNKS&size=$REMOTE_CHUNK&window=$REMOTE_WINDOW"
  local res bytes secs code mbps
  [ "$mode" = local ] && path="/stream?n=$REMOTE_CHUNKS&size=$REMOTE_CHUNK"
  res=$(taskset -c 0,1 curl -s -o /dev/null -w '%{size_download} %{time_total} %{http_code}' \
          "http://127.0.0.1:${REMOTE_PORT[$mode]}$path")
  read -r bytes secs code <<<"$res"
  if [ "$code" != 200 ] || [ "$bytes" != $((REMOTE_CHUNKS * REMOTE_CHUNK)) ]; then
    note "remote.$mode: status $code, $bytes bytes (logs: $OUT/remote-*-$mode.log)"
    return
  fi
  mbps=$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.0f", b / s / 1e6 }')
  add "remote.$mode.mbps" "$mbps"
  log "    remote.$mode: $mbps MB/s"
}

remote_run() {
  want remote || return 0
  log "== R. remote: 1 GiB through one worker node, 64 KiB chunks, window $REMOTE_WINDOW ($REMOTE_MODES)"
  remote_prepare || { remote_cleanup; return 0; }
  local mode
  for _ in $(seq 1 "$REMOTE_ROUNDS"); do
    late || wait_quiet || true
    for mode in $REMOTE_MODES; do remote_fetch "$mode"; done
  done
  remote_cleanup
}

# MB/s as GiB/s (2^30 bytes).
gib_per_s() { awk -v m="$1" 'BEGIN { if (m == "-" || m == "") print "-"; else printf "%.2f", m * 1e6 / 1073741824 }'; }

remote_table() {
  want remote || return 0
  local mode label
  echo
  echo "| # | 1 GiB, 64 KiB chunks, window $REMOTE_WINDOW | MB/s | GiB/s | / in-process | / CAF's BASP worker |"
  echo "|---|---|---|---|---|---|"
  for mode in inline workers tls local; do
    case $mode in
      inline) label="through a node, CAF's network thread deserializes (the default here)" ;;
      workers) label="through a node, one BASP worker thread deserializes (CAF's default here)" ;;
      tls) label="through a node over mutual TLS (network thread deserializes)" ;;
      local) label="in-process worker (the reference)" ;;
    esac
    echo "| R | $label | $(cell "remote.$mode.mbps" 0) | $(gib_per_s "$(median "remote.$mode.mbps")") | $(div "$(median "remote.$mode.mbps")" "$(median remote.local.mbps)") | $(div "$(median "remote.$mode.mbps")" "$(median remote.workers.mbps)") |"
  done
}

remote_targets() {
  want remote || return 0
  local v
  v=$(gib_per_s "$(median remote.inline.mbps)")
  echo "| remote workers ≥ 1 GiB/s through two nodes, 64 KiB chunks, the default window (issue 15) | $v GiB/s | $(verdict "$v" 1 '>=') |"
}
