#!/usr/bin/env bash
# Proves the installable package: installs a built fastactor into a scratch prefix, builds
# examples/custom_worker out of tree against it (find_package(fastactor), fastactor::fastactor),
# runs the result, asks it for the primes up to 50, stops it with SIGTERM.
#
#   tests/install/check_install.sh BUILD_DIR SCRATCH_DIR
#
# The libraries in BUILD_DIR are brought up to date first (cmake --build BUILD_DIR --target
# fastactor_server: a no-op after a build), then installed from it. SCRATCH_DIR/prefix
# and SCRATCH_DIR/consumer are recreated on every run and left behind for inspection. The
# consumer uses the build's compiler, build type and sanitizers. Prints "install check passed"
# and exits 0, or says what failed and exits non-zero. Works from any current directory.
set -uo pipefail

fail() {
  echo "check_install: FAILED: $*" >&2
  exit 1
}
step() { echo "check_install: $*"; }

[[ $# -eq 2 ]] || { echo "usage: $0 BUILD_DIR SCRATCH_DIR" >&2; exit 2; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd) || fail "cannot find the repository root"
build=$(cd "$1" 2>/dev/null && pwd) || fail "build dir '$1' does not exist"
[[ -f $build/CMakeCache.txt ]] || fail "'$build' is not a CMake build dir (no CMakeCache.txt)"
mkdir -p "$2" || fail "cannot create scratch dir '$2'"
scratch=$(cd "$2" && pwd)
prefix=$scratch/prefix
consumer=$scratch/consumer
for tool in cmake curl; do
  command -v "$tool" >/dev/null || fail "'$tool' is not installed"
done

cache_value() {  # the value of a CMakeCache entry of the build, or empty
  sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt" | head -n1
}

# -- 1. install -------------------------------------------------------------------------------
# Stale libraries would be installed next to current headers (and crash the consumer), so bring
# them up to date first; a no-op when they are.
step "building the libraries in $build (a no-op when up to date)"
if ! cmake --build "$build" --target fastactor_server >"$scratch/libs.log" 2>&1; then
  tail -n 60 "$scratch/libs.log" >&2
  fail "building the libraries in '$build' failed (log: $scratch/libs.log)"
fi
rm -rf "$prefix" "$consumer"
step "installing $build into $prefix"
if ! cmake --install "$build" --prefix "$prefix" >"$scratch/install.log" 2>&1; then
  cat "$scratch/install.log" >&2
  fail "cmake --install '$build' failed"
fi
config=$prefix/lib/cmake/fastactor
for f in fastactorConfig.cmake fastactorConfigVersion.cmake fastactorTargets.cmake; do
  [[ -f $config/$f ]] || fail "the install has no $config/$f"
done
for h in fastactor.hpp context.hpp response_handle.hpp messages.hpp ndjson.hpp server.hpp; do
  [[ -f $prefix/include/fastactor/$h ]] || fail "the install has no include/fastactor/$h"
done
private=$(cd "$prefix/include" && find . -name '*.hpp' | grep -E '/(session|request_scope|response_writer|runtime|connection|listener)\.hpp$')
[[ -z $private ]] || fail "the install has private headers: $private"
for lib in fastactor_protocol fastactor_actors fastactor_server; do
  [[ -f $prefix/lib/lib$lib.a ]] || fail "the install has no lib/lib$lib.a"
  # Machine code only: GCC's intermediate code (a build with FASTACTOR_LTO) would make every
  # GCC link of a user's program a whole-program one, and fail with another GCC version.
  # (grep -c reads all of objdump's output: grep -q would stop it with SIGPIPE, and pipefail
  # would then hide the match.)
  if command -v objdump >/dev/null; then
    lto_sections=$(objdump -h "$prefix/lib/lib$lib.a" | grep -c '\.gnu\.lto_' || true)
    [[ $lto_sections == 0 ]] \
      || fail "the installed lib/lib$lib.a carries GCC's LTO sections (.gnu.lto_*: $lto_sections)"
  fi
done
if grep -rlF -e "$repo" -e "$build" "$config" >/dev/null; then
  grep -rnF -e "$repo" -e "$build" "$config" >&2
  fail "the installed CMake package refers to the source or build tree"
fi

# -- 2. configure and build the example out of tree -------------------------------------------
cxx=$(cache_value CMAKE_CXX_COMPILER)
build_type=$(cache_value CMAKE_BUILD_TYPE)
sanitize=$(cache_value FASTACTOR_SANITIZE)
args=(-S "$repo/examples/custom_worker" -B "$consumer" -DCMAKE_PREFIX_PATH="$prefix"
      -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DCMAKE_BUILD_TYPE="${build_type:-RelWithDebInfo}")
[[ -n $cxx ]] && args+=(-DCMAKE_CXX_COMPILER="$cxx")
if [[ -n $sanitize ]]; then  # static libraries built with sanitizers need them at link time
  args+=(-DCMAKE_CXX_FLAGS="-fsanitize=$sanitize -fno-omit-frame-pointer"
         -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=$sanitize")
fi
step "configuring examples/custom_worker against the install"
if ! cmake "${args[@]}" >"$scratch/configure.log" 2>&1; then
  cat "$scratch/configure.log" >&2
  fail "configuring the out-of-tree consumer failed"
fi
grep -q '^fastactor_DIR:PATH='"$config"'$' "$consumer/CMakeCache.txt" \
  || fail "find_package(fastactor) did not use $config: $(grep '^fastactor_DIR' "$consumer/CMakeCache.txt")"
step "building the consumer"
if ! cmake --build "$consumer" -j "$(nproc 2>/dev/null || echo 2)" >"$scratch/build.log" 2>&1; then
  tail -n 60 "$scratch/build.log" >&2
  fail "building the out-of-tree consumer failed (log: $scratch/build.log)"
fi
# Include directories in the source tree, other than the install prefix itself (the scratch
# directory may lie inside the repository, e.g. under build/).
if grep -oE -e "-(I|isystem )[^ \"]+" "$consumer/compile_commands.json" \
     | sed -E 's/^-(I|isystem )//' | grep -v "^$scratch" | grep -qF "$repo"; then
  fail "the consumer compiled with include directories of the source tree (see $consumer/compile_commands.json)"
fi
exe=$consumer/custom_worker
[[ -x $exe ]] || fail "the build produced no $exe"

# -- 3. run it --------------------------------------------------------------------------------
step "starting $exe --port=0"
"$exe" --port=0 >"$scratch/server.out" 2>"$scratch/server.err" &
pid=$!
trap 'kill -KILL "$pid" 2>/dev/null' EXIT

state() {  # R, S, ... while running; Z once exited (not yet reaped); empty when gone
  awk '{print $3}' "/proc/$pid/stat" 2>/dev/null
}

port=
for _ in $(seq 1 200); do  # up to 20 s
  line=$(head -n1 "$scratch/server.out" 2>/dev/null)
  if [[ $line =~ ^listening\ on\ http://127\.0\.0\.1:([0-9]+)$ ]]; then
    port=${BASH_REMATCH[1]}
    break
  fi
  st=$(state)
  if [[ -z $st || $st == Z ]]; then
    wait "$pid"
    rc=$?
    trap - EXIT
    cat "$scratch/server.err" >&2
    ((rc > 128)) && fail "custom_worker died of signal $((rc - 128)) before listening"
    fail "custom_worker exited with $rc before listening"
  fi
  sleep 0.1
done
[[ -n $port ]] || fail "custom_worker printed no 'listening on http://127.0.0.1:PORT' line within 20 s (got: '$(head -n1 "$scratch/server.out")')"
step "listening on port $port"

url="http://127.0.0.1:$port/primes?from=1&to=50&workers=3"
status=$(curl -sS --max-time 30 -o "$scratch/primes.ndjson" -w '%{http_code}' "$url") || {
  cat "$scratch/server.err" >&2  # (once failed this way under load: why, if it happens again)
  fail "curl $url failed; custom_worker: $(st=$(state); echo "${st:-gone}")"
}
[[ $status == 200 ]] || fail "GET $url answered $status: $(cat "$scratch/primes.ndjson")"
got=$(grep -o '"prime":[0-9]*' "$scratch/primes.ndjson" | cut -d: -f2 | sort -n | tr '\n' ' ')
want="2 3 5 7 11 13 17 19 23 29 31 37 41 43 47 "
[[ $got == "$want" ]] || fail "GET $url: wrong primes: got '$got', want '$want'; body: $(cat "$scratch/primes.ndjson")"
last=$(tail -n1 "$scratch/primes.ndjson")
[[ $last == *'"summary":'* && $last == *'"primes":15'* && $last == *'"workers":3'* \
   && $last == *'"failed_workers":0'* ]] \
  || fail "GET $url: the last line is not the expected summary: '$last'"
! grep -q '"error"' "$scratch/primes.ndjson" || fail "GET $url: the stream has error lines: $(cat "$scratch/primes.ndjson")"
step "GET /primes?from=1&to=50&workers=3: 15 primes and the summary"

# -- 4. stop it -------------------------------------------------------------------------------
kill -TERM "$pid" || fail "cannot send SIGTERM to custom_worker ($pid)"
for _ in $(seq 1 150); do  # up to 15 s
  st=$(state)
  [[ -z $st || $st == Z ]] && break
  sleep 0.1
done
st=$(state)
if [[ -n $st && $st != Z ]]; then
  kill -KILL "$pid" 2>/dev/null
  fail "custom_worker did not exit within 15 s of SIGTERM"
fi
wait "$pid"
rc=$?
trap - EXIT
[[ $rc -eq 0 ]] || { cat "$scratch/server.err" >&2; fail "custom_worker exited with $rc after SIGTERM (want 0)"; }
step "SIGTERM: exit 0"
echo "install check passed"
