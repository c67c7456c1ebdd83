#!/usr/bin/env bash
# Installs the Debian 12 packages fastactor needs, and nothing when they are all present.
# Idempotent: `make demo` and `make test` call it every time.
set -euo pipefail

packages=(
  build-essential cmake
  libcaf-dev               # CAF 0.17.6: actors and the middleman
  libboost1.81-dev         # Beast and Asio (header-only)
  libboost-url1.81-dev     # Boost.URL (compiled library)
  nlohmann-json3-dev       # JSON error reports
  catch2                   # Catch2 v2 tests
  libssl-dev openssl       # TLS (HTTPS, node links) and the development certificates
  zlib1g-dev               # gzip response compression
  libbrotli-dev            # Brotli response compression (the tests decode with it too)
  libzstd-dev              # Zstandard response compression
  libnghttp2-dev           # HTTP/2 (framing, HPACK, flow control) and the tests' client
  nghttp2-client           # h2load and nghttp, for the HTTP/2 benchmarks
  nghttp2-server           # nghttpd: the server the tests' HTTP/2 client is proven against
)
packages+=("$@")           # callers may ask for more (e.g. clang for sanitizer builds)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing missing packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
