#!/usr/bin/env bash
# Runs the whole test suite as root: unit and kernel tests (each in a network namespace it
# creates itself), a compile check of the benchmarks, and the aarch64 release binary under
# qemu-aarch64 in a throwaway namespace.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: run as root; the kernel tests create network namespaces" >&2
    exit 2
fi
scripts/setup.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test 2>&1 | tee "$log"
cargo check --benches
scripts/qemu-check.sh

# One closing line for the whole suite, summed over every test binary.
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "%d passed, %d failed\n", passed, failed }' "$log"
