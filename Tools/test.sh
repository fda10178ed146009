#!/usr/bin/env bash
# Runs every test of the package (the README's test command; CI runs exactly this).
set -euo pipefail
cd "$(dirname "$0")/.."
source Tools/ensure-deps.sh
exec swift test "$@"
