#!/usr/bin/env bash
# The official AsyncAPI parser (@asyncapi/parser, pinned by tests/asyncapi/package-lock.json) for
# the AsyncAPI documents' test (tests/contract/test_asyncapi.py), with the machine's Node.js 20:
# installed only when missing or when the lock file changed.
set -euo pipefail
cd "$(dirname "$0")/../../tests/asyncapi"
if [ -e node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then exit 0; fi
npm ci --no-audit --no-fund --loglevel=error
