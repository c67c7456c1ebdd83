#!/usr/bin/env bash
# bench/remote_tls.sh BUILD_DIR — remote throughput over a plain node link against mutual TLS.
#
# One worker_node and one demo_server per mode (plain, and --node-tls-* with certificates from
# scripts/make-dev-certs.sh in BUILD_DIR/bench-certs), all on loopback; then, ROUNDS times and
# interleaved (plain, tls, plain, tls, ...), curl fetches 1 GiB of /distributed/stream for each
# chunk size / credit window. Prints every run and the median per mode in MB/s (10^6 bytes/s),
# as docs/remote.md ("Throughput") reports them. Knobs (environment): ROUNDS (3),
# CONFIGS ("65536:8 16384:32": chunk bytes:window).
set -euo pipefail

BUILD=${1:?usage: bench/remote_tls.sh BUILD_DIR}
BIN=$BUILD/bin
ROUNDS=${ROUNDS:-3}
CONFIGS=${CONFIGS:-"65536:8 16384:32"}
CERTS=$BUILD/bench-certs
HERE=$(cd "$(dirname "$0")/.." && pwd)
"$HERE/scripts/make-dev-certs.sh" "$CERTS" server >/dev/null
"$HERE/scripts/make-dev-certs.sh" "$CERTS" node >/dev/null

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

# start NAME ARGS...: runs a program in the background; prints the port of its first line.
start() {
  local log=$BUILD/bench-remote-$1.log
  shift
  rm -f "$log"  # never read the last run's first line
  "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    if grep -q '://.*:[0-9][0-9]*$' "$log" 2>/dev/null; then
      head -1 "$log" | grep -o '[0-9]*$'
      return
    fi
    sleep 0.1
  done
  echo "no first line in $log" >&2
  exit 1
}

tls_args() {
  echo "--node-tls-cert=$CERTS/$1.pem --node-tls-key=$CERTS/$1.key --node-tls-ca=$CERTS/ca.pem"
}

declare -A server_port
for mode in plain tls; do
  node_tls="" server_tls=""
  if [ $mode = tls ]; then node_tls=$(tls_args node) server_tls=$(tls_args server); fi
  # shellcheck disable=SC2086
  node=$(start node-$mode "$BIN/worker_node" --port=0 $node_tls)
  # shellcheck disable=SC2086
  server_port[$mode]=$(start server-$mode "$BIN/demo_server" --port=0 --access-log=0 \
    --worker-nodes=127.0.0.1:$node $server_tls)
done
sleep 2  # the connectors connect in the background

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

for config in $CONFIGS; do
  size=${config%:*} window=${config#*:}
  n=$(((1 << 30) / size))
  declare -A runs=([plain]="" [tls]="")
  for round in $(seq "$ROUNDS"); do
    for mode in plain tls; do
      url="http://127.0.0.1:${server_port[$mode]}/distributed/stream?n=$n&size=$size&window=$window"
      read -r bytes secs < <(curl -s -o /dev/null -w '%{size_download} %{time_total}\n' "$url")
      [ "$bytes" = $((n * size)) ] || { echo "short body: $bytes bytes ($mode)" >&2; exit 1; }
      mbs=$(awk -v b="$bytes" -v s="$secs" 'BEGIN {printf "%.0f", b / s / 1e6}')
      echo "$((size / 1024)) KiB / $window  round $round  $mode: $mbs MB/s"
      runs[$mode]+="$mbs"$'\n'
    done
  done
  for mode in plain tls; do
    echo "$((size / 1024)) KiB / $window  median $mode: $(printf '%s' "${runs[$mode]}" | median) MB/s"
  done
done
