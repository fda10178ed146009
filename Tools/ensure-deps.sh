#!/usr/bin/env bash
# Makes sure the system libraries Cairn builds against are installed: liblz4 (Debian: liblz4-dev) and pkg-config.
# Sourced by Tools/demo.sh and Tools/test.sh. Installs with apt-get when running as root; otherwise says what to run.
set -euo pipefail

cairn_have_lz4() {
    [ -f /usr/include/lz4.h ] && { pkg-config --exists liblz4 2>/dev/null || [ -f /usr/lib/x86_64-linux-gnu/pkgconfig/liblz4.pc ] || [ -f /usr/lib/aarch64-linux-gnu/pkgconfig/liblz4.pc ]; }
}

if ! command -v swift >/dev/null 2>&1; then
    echo "cairn: the Swift toolchain (swift 6.1 or newer) is not on PATH; install it from swift.org first" >&2
    exit 1
fi

if ! cairn_have_lz4 || ! command -v pkg-config >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "cairn: installing liblz4-dev and pkg-config with apt-get" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q liblz4-dev pkg-config >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null && apt-get install -y -q liblz4-dev pkg-config >/dev/null; }
    else
        echo "cairn: liblz4-dev is missing. Install it, then run this again:" >&2
        echo "    sudo apt-get install liblz4-dev pkg-config      (Debian/Ubuntu)" >&2
        echo "    brew install lz4 pkg-config                    (macOS)" >&2
        exit 1
    fi
    cairn_have_lz4 || { echo "cairn: liblz4-dev still not found after installing; see the messages above" >&2; exit 1; }
fi
