#!/usr/bin/env bash
# Development certificates, made with Debian's `openssl`: a small local CA and a certificate
# signed by it for 127.0.0.1, ::1 and localhost. For `make demo TLS=1`, the tests (HTTPS and
# mutually authenticated worker nodes) and the benchmarks. Never for production: the CA's key
# lies next to it, unencrypted.
#
#   scripts/make-dev-certs.sh DIR [NAME]
#
# writes DIR/ca.pem, DIR/ca.key (the CA, made once and kept) and DIR/NAME.pem, DIR/NAME.key
# (NAME defaults to "server"; any number of names share the CA). Idempotent: an existing
# certificate valid for at least another day is kept. Call it with a second DIR for a second,
# unrelated CA (the tests' "certificate from another CA").
set -euo pipefail

dir=${1:?usage: make-dev-certs.sh DIR [NAME]}
name=${2:-server}
mkdir -p "$dir"
cd "$dir"

fresh() { [ -s "$1" ] && openssl x509 -in "$1" -noout -checkend 86400 >/dev/null 2>&1; }

# EC P-256: the cheapest handshake that every browser and client accepts.
if ! fresh ca.pem || [ ! -s ca.key ]; then
  openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
  openssl req -x509 -new -key ca.key -sha256 -days 825 -out ca.pem \
    -subj "/O=fastactor development/CN=fastactor dev CA ($(basename "$(pwd)"))" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  rm -f ./*.srl
fi

if ! fresh "$name.pem" || [ ! -s "$name.key" ] || \
   ! openssl verify -CAfile ca.pem "$name.pem" >/dev/null 2>&1; then
  openssl ecparam -name prime256v1 -genkey -noout -out "$name.key" 2>/dev/null
  openssl req -new -key "$name.key" -out "$name.csr" -subj "/O=fastactor development/CN=$name" 2>/dev/null
  cat > "$name.ext" <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost
EXT
  # Browsers refuse server certificates valid for more than 398 days.
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 \
    -days 397 -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
fi
chmod 600 ./*.key
echo "$dir/$name.pem $dir/$name.key (CA: $dir/ca.pem)"
