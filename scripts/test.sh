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
cargo test
cargo check --benches
scripts/qemu-check.sh
