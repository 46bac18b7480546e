#!/usr/bin/env bash
# Installs what building and testing rustyjack needs on a Debian machine (run as root):
# iproute2 and strace as test witnesses, qemu-user and the aarch64 cross linker for the Pi build,
# and the aarch64 Rust target. Packages already present are skipped.
set -euo pipefail

packages=(iproute2 strace qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross systemd)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
    echo "setup: adding the aarch64-unknown-linux-gnu Rust target"
    rustup target add aarch64-unknown-linux-gnu
fi
