#!/bin/sh
# Writes the ```cpp blocks of a Markdown file as C++ sources, so that the build compiles every
# example the README shows:
#   OUTDIR/readme_program.cpp    the one block with `int main` (a whole program, as shown)
#   OUTDIR/readme_fragments.cpp  every other block (route fragments), each the body of a
#                                function `void fragment_N(fastactor::router& routes)`
#
#   extract_examples.sh README.md OUTDIR
set -eu
[ $# -eq 2 ] || { echo "usage: $0 README.md OUTDIR" >&2; exit 2; }
mkdir -p "$2"
awk -v out="$2" '
  function flush(   i, is_program) {
    is_program = (block ~ /int main\(/)
    if (is_program) {
      programs++
      printf "%s", block > (out "/readme_program.cpp")
    } else {
      fragments++
      printf "namespace fragment_%d {\nusing namespace fastactor;\nusing namespace std::chrono_literals;\n", fragments > frag
      printf "[[maybe_unused]] void example(router& routes) {\n%s}\n}\n\n", block > frag
    }
  }
  BEGIN {
    frag = out "/readme_fragments.cpp"
    printf "// Generated from the README by tests/readme/extract_examples.sh: do not edit.\n" > frag
    printf "#include <fastactor/fastactor.hpp>\n\n#include <chrono>\n#include <string>\n#include <thread>\n\n" > frag
  }
  /^```cpp[ \t]*$/ { inside = 1; block = ""; next }
  /^```/ && inside { inside = 0; flush(); next }
  inside { block = block $0 "\n" }
  END {
    if (programs != 1) {
      printf "extract_examples.sh: want exactly one block with int main, found %d\n", programs > "/dev/stderr"
      exit 1
    }
  }
' "$1"
