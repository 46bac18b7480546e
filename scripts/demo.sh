#!/usr/bin/env bash
# Builds rustyjack and runs the demo: simulated eth0, wlan0 and usb0 uplinks in throwaway network
# namespaces, the real appliance inside them, the screen in this terminal. Run as root.
# Arguments go to `rustyjack demo`, for example `--script demo/tour.script --frames /tmp/frames`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "demo.sh: run as root; the demo creates network namespaces" >&2
    exit 2
fi
scripts/setup.sh
cargo build --release
exec target/release/rustyjack demo "$@"
