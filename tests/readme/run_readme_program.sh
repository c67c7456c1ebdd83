#!/usr/bin/env bash
# Runs the README's whole program as a user would: --port=0, then GET /hello and /greet, then
# SIGTERM. Fails unless it answers as the README says and exits 0.
#
#   run_readme_program.sh PATH_TO_readme_program
set -uo pipefail
fail() { echo "readme_program: FAILED: $*" >&2; exit 1; }
[[ $# -eq 1 && -x $1 ]] || fail "usage: $0 PATH_TO_readme_program"
scratch=$(mktemp -d)
"$1" --port=0 >"$scratch/out" 2>"$scratch/err" &
pid=$!
trap 'kill -KILL $pid 2>/dev/null; rm -rf "$scratch"' EXIT

port=
for _ in $(seq 1 200); do  # up to 20 s
  if [[ $(head -n1 "$scratch/out") =~ ^listening\ on\ http://127\.0\.0\.1:([0-9]+)$ ]]; then
    port=${BASH_REMATCH[1]}
    break
  fi
  kill -0 $pid 2>/dev/null || fail "exited before listening: $(cat "$scratch/err")"
  sleep 0.1
done
[[ -n $port ]] || fail "no 'listening on http://127.0.0.1:PORT' line within 20 s"

hello=$(curl -sS --max-time 10 "http://127.0.0.1:$port/hello") || fail "GET /hello failed"
[[ $hello == hello ]] || fail "GET /hello answered '$hello', want 'hello'"
greet=$(curl -sS --max-time 10 "http://127.0.0.1:$port/greet") || fail "GET /greet failed"
for i in 0 1 2 3 4; do
  grep -qx "Worker $i response" <<<"$greet" || fail "GET /greet has no 'Worker $i response': '$greet'"
done
[[ $(wc -l <<<"$greet") -eq 5 ]] || fail "GET /greet: want 5 lines, got '$greet'"

kill -TERM $pid
for _ in $(seq 1 150); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && fail "still running 15 s after SIGTERM"
wait $pid
rc=$?
[[ $rc -eq 0 ]] || fail "exit code $rc after SIGTERM, want 0"
echo "readme_program: the README's program serves /hello and /greet and stops on SIGTERM"
