#!/usr/bin/env bash
# Runs the aarch64 release binary, the artifact that ships to the Pi, under qemu-aarch64 inside a
# throwaway network namespace: `status --json`, then `select eth0` and `check`.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=target/aarch64-unknown-linux-gnu/release/rustyjack
qemu=(qemu-aarch64 -L /usr/aarch64-linux-gnu)
ns="rjqemu-$$"
state=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$state"; }
trap cleanup EXIT

cargo build --release --target aarch64-unknown-linux-gnu
echo "qemu-check: stripped aarch64 binary is $(stat -c %s "$binary") bytes"

ip netns add "$ns"
for name in eth0 wlan0; do
    ip -n "$ns" link add "$name" type veth peer name "${name}p"
    ip -n "$ns" link set "$name" up
    ip -n "$ns" link set "${name}p" up
done
ip -n "$ns" addr add 192.0.2.10/24 dev eth0
ip -n "$ns" addr add 198.51.100.10/24 dev wlan0
ip -n "$ns" route add default via 198.51.100.1 dev wlan0 metric 600

run() { ip netns exec "$ns" "${qemu[@]}" "$binary" --state-dir "$state" --config /nonexistent "$@"; }

run status --json > "$state/status.json"
grep -q '"name": "wlan0"' "$state/status.json" || { echo "qemu-check: status --json lacks wlan0" >&2; exit 1; }
run select eth0
run check
if ip -n "$ns" -o addr show dev wlan0 | grep -q inet; then
    echo "qemu-check: wlan0 still has an address after select eth0" >&2
    exit 1
fi
echo "qemu-check: passed"
