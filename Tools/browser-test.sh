#!/usr/bin/env bash
# Tests the dashboard in a real browser: Debian's chromium driven by Python Playwright (Tools/browser-test.py),
# against `cairn-demo --dashboard` on a temporary log directory and a free port. Exits non-zero on any failure.
#
#   Tools/browser-test.sh                 run the checks
#   Tools/browser-test.sh --screenshots   also save the pages to Sources/CairnHTTP/CairnHTTP.docc/Resources
#
# Installs what is missing: chromium from Debian's packages (apt-get), playwright from PyPI (pip). It never runs
# `playwright install`: the only browser used is /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
source Tools/ensure-deps.sh

if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "browser-test: installing chromium with apt-get" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
    else
        echo "browser-test: chromium is missing; install it (sudo apt-get install chromium) and run this again" >&2
        exit 1
    fi
fi
if ! python3 -c "import playwright" 2>/dev/null; then
    echo "browser-test: installing playwright from PyPI (the package only; the browser is Debian's chromium)" >&2
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 python3 -m pip install -q playwright
fi

swift build --product cairn-demo
demo="$(swift build --show-bin-path)/cairn-demo"

work="$(mktemp -d)"
pid=""
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# A token, so the test signs in as a person would.
token="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
"$demo" --dashboard --port 0 --token "$token" --dir "$work/demo" >"$work/demo.out" 2>&1 &
pid=$!

# Wait for the demo's story to end and its dashboard to answer.
url=""
for _ in $(seq 1 600); do
    url="$(sed -n 's/^Dashboard: \(http:[^ ]*\).*/\1/p' "$work/demo.out")"
    [ -n "$url" ] && curl -fsS -o /dev/null "$url/" 2>/dev/null && break
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "browser-test: cairn-demo exited before its dashboard answered:" >&2
        cat "$work/demo.out" >&2
        exit 1
    fi
    url=""
    sleep 0.2
done
if [ -z "$url" ]; then
    echo "browser-test: the dashboard did not answer within 120 s:" >&2
    cat "$work/demo.out" >&2
    exit 1
fi
echo "browser-test: dashboard at $url"

status=0
python3 Tools/browser-test.py --url "$url" --token "$token" "$@" || status=$?

# The demo must stop cleanly on SIGTERM.
kill -TERM "$pid"
demo_status=0
wait "$pid" || demo_status=$?
pid=""
if [ "$demo_status" != 0 ] || ! grep -q '^stopped$' "$work/demo.out"; then
    echo "FAIL cairn-demo did not stop cleanly on SIGTERM (exit $demo_status):" >&2
    tail -20 "$work/demo.out" >&2
    status=1
else
    echo "PASS cairn-demo stops cleanly on SIGTERM"
fi
exit "$status"
