#!/usr/bin/env bash
# Runs every test of the package, after the portability check (the README's test command; CI runs exactly this).
set -euo pipefail
cd "$(dirname "$0")/.."
source Tools/ensure-deps.sh
Tools/portability-check.sh
exec swift test "$@"
