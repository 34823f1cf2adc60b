#!/usr/bin/env bash
# Debian's poppler-utils (pdftoppm, pdftotext) for the audit report's PDF test (tests/browser):
# installed only when missing.
set -euo pipefail
if [ -x /usr/bin/pdftoppm ] && [ -x /usr/bin/pdftotext ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends poppler-utils >/dev/null
