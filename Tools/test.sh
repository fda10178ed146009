#!/usr/bin/env bash
# Runs every test of the package, after the portability check, then the tests of the "Building a service" example
# (Tools/cairn-service-example, a package of its own: swift-otel stays out of Cairn's build), then the dashboard's
# tests in a real browser (Tools/browser-test.sh: Debian's chromium, installed when missing). The README's test
# command; CI runs exactly this. Arguments go to the main suite's `swift test`. CAIRN_SKIP_BROWSER=1 skips the
# browser tests (for a quick local run; CI never sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
source Tools/ensure-deps.sh
Tools/portability-check.sh
swift test "$@"
swift test --package-path Tools/cairn-service-example
if [ "${CAIRN_SKIP_BROWSER:-0}" = 1 ]; then
    echo "test.sh: browser tests skipped (CAIRN_SKIP_BROWSER=1)" >&2
    exit 0
fi
exec Tools/browser-test.sh
