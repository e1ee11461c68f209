#!/bin/sh
# The dashboard's browser test (test/web-browser.test.ts) drives /usr/bin/chromium through
# playwright-core, which ships no browser of its own. On a fresh CI machine running as root,
# install Debian's chromium; elsewhere say what is missing and leave the machine alone.
set -eu
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: /usr/bin/chromium is missing; install the Debian packages chromium and chromium-driver (needs root and apt-get)" >&2
  exit 0
fi
echo "ensure-chromium: installing chromium and chromium-driver with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium chromium-driver
