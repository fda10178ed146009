#!/usr/bin/env bash
# Runs every test of the package, after the portability check, then the tests of the "Building a service" example
# (Tools/cairn-service-example, a package of its own: Hummingbird and swift-otel stay out of Cairn's build). The
# README's test command; CI runs exactly this. Arguments go to the main suite's `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
source Tools/ensure-deps.sh
Tools/portability-check.sh
swift test "$@"
exec swift test --package-path Tools/cairn-service-example
