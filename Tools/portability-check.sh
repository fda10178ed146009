#!/usr/bin/env bash
# Checks, without a Mac, that the sources stay portable to Darwin as the README claims (macOS compiles by
# construction; only Linux is built and tested here). Fails, naming file and line, when
#   - `import Glibc` is not the first branch of `#if canImport(Glibc)` … `#elseif canImport(Darwin)`;
#   - a Linux-only call, constant or path appears outside a `#if canImport(Glibc)` (or `#if os(Linux)`) branch;
#   - Sources/CairnLog/IO/Platform.swift, the home of the platform shims, lacks its `#else` / `#error` branch.
# Linux-only means: absent from Darwin's headers, or different there (fdatasync, fallocate, O_DIRECT, /proc, a
# module-qualified `Glibc.` name…). Run by Tools/test.sh; runs alone in well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

linux_only='(^|[^A-Za-z0-9_])(fdatasync|fallocate|posix_fallocate|sync_file_range|syncfs|prctl|epoll_[a-z_]+|inotify_[a-z_]+|eventfd|memfd_create|pipe2|accept4|dup3|sendfile|splice|copy_file_range|statx|renameat2|gettid|sched_getcpu|get_nprocs)[[:space:]]*[(]|(^|[^A-Za-z0-9_])(O_DIRECT|O_TMPFILE|O_NOATIME|O_PATH|O_LARGEFILE|MAP_POPULATE|SOCK_CLOEXEC|SOCK_NONBLOCK|CLOCK_MONOTONIC_RAW|CLOCK_BOOTTIME|RUSAGE_THREAD|st_mtim|st_atim|st_ctim)([^A-Za-z0-9_]|$)|(^|[^A-Za-z0-9_])Glibc[.]|"/proc/|"/dev/pts/|"/dev/ptmx"'

status=0
while IFS= read -r file; do
    PATTERN="$linux_only" awk -v file="$file" '
        BEGIN { pattern = ENVIRON["PATTERN"] }
        function linux_branch(line) { return line ~ /canImport\(Glibc\)|os\(Linux\)/ }
        {
            line = $0
            trimmed = line; sub(/^[[:space:]]+/, "", trimmed)
            if (trimmed ~ /^\/\//) { previous = trimmed; next }
            sub(/[[:space:]]\/\/[[:space:]].*$/, "", line)
            if (trimmed ~ /^#if[[:space:](]/) { depth++; active[depth] = linux_branch(trimmed) }
            else if (trimmed ~ /^#elseif[[:space:](]/) { active[depth] = linux_branch(trimmed) }
            else if (trimmed ~ /^#else/) { active[depth] = 0 }
            else if (trimmed ~ /^#endif/) { delete active[depth]; depth-- }
            if (trimmed ~ /^import[[:space:]]+Glibc/) {
                if (previous != "#if canImport(Glibc)") {
                    printf "%s:%d: import Glibc outside `#if canImport(Glibc)`\n", file, NR; bad = 1
                }
                expect_darwin = NR + 1
            } else if (NR == expect_darwin && trimmed != "#elseif canImport(Darwin)") {
                printf "%s:%d: `import Glibc` needs its `#elseif canImport(Darwin)` / `import Darwin` branch next\n", file, NR; bad = 1
            }
            inside = 0
            for (d = 1; d <= depth; d++) if (active[d]) inside = 1
            if (!inside && trimmed !~ /^#/ && line ~ pattern) {
                printf "%s:%d: Linux-only outside a `#if canImport(Glibc)` branch (route it through Sources/CairnLog/IO/Platform.swift): %s\n", file, NR, trimmed
                bad = 1
            }
            previous = trimmed
        }
        END { exit bad }
    ' "$file" || status=1
done < <(find Sources Tools Tests \( -name .build -o -name '.build[-_]*' -o -name .swiftpm \) -prune -o -name '*.swift' -print | sort)  # not nested packages' build folders

platform=Sources/CairnLog/IO/Platform.swift
if ! grep -q '^#else$' "$platform" || ! grep -q '^#error(' "$platform"; then
    echo "$platform: the platform shims need an \`#else\` branch with \`#error\` for platforms they do not cover"
    status=1
fi

if [ "$status" -ne 0 ]; then
    echo "portability-check: failed (see above); Linux-only calls belong in $platform, with a Darwin branch" >&2
else
    echo "portability-check: ok"
fi
exit "$status"
