#!/usr/bin/env bash
# Debian's headless Chromium (the package chromium-headless-shell: Chromium's engine without the
# desktop browser, which Playwright itself runs for headless pages) for the browser tests
# (tests/browser) and the auditor's PDF (`ksd audit report --pdf`, ksd_tools.browser): installed
# only when missing.
set -euo pipefail
if [ -x /usr/bin/chromium-headless-shell ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium-headless-shell >/dev/null
