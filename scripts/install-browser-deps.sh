#!/usr/bin/env bash
# What the browser tests need: Debian's Chromium, Node.js, and playwright-core at the version
# pinned in tests/browser/package-lock.json (no browser download: it drives /usr/bin/chromium).
# Idempotent: does nothing when all are present and current.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh chromium
command -v node >/dev/null && command -v npm >/dev/null || scripts/install-deps.sh nodejs npm

cd tests/browser
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing the browser tests' npm packages (playwright-core)"
  npm ci --no-audit --no-fund
fi
