#!/usr/bin/env bash
# Runs the demo: Cairn on its embedded default, a log directory (the README's demo command).
set -euo pipefail
cd "$(dirname "$0")/.."
source Tools/ensure-deps.sh
swift build --product cairn-demo
exec "$(swift build --show-bin-path)/cairn-demo" "$@"
