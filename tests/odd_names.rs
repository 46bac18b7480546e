//! Interfaces and labels whose names are not UTF-8: the kernel accepts them, and isolation must
//! still see and isolate them. Each test runs in a namespace of its own.

mod common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;

use common::*;

/// Runs `ip` with raw byte arguments, for names that are not UTF-8.
fn ip_bytes(args: &[&[u8]]) {
    let status = Command::new("ip")
        .args(args.iter().map(|arg| OsStr::from_bytes(arg)))
        .status()
        .unwrap();
    assert!(status.success(), "ip {args:?} failed");
}

/// Runs `ip ARGS` and returns its output with invalid UTF-8 replaced.
fn lossy_ip(args: &[&str]) -> String {
    let output = Command::new("ip").args(args).output().unwrap();
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn select_eth0(state: &std::path::Path) -> std::process::Output {
    rustyjack()
        .arg("--state-dir")
        .arg(state)
        .args(["--config", "/nonexistent/rustyjack.toml", "select", "eth0"])
        .output()
        .unwrap()
}

#[test]
fn non_utf8_link_name_isolated() {
    let _ns = Netns::enter();
    veth("eth0");
    ip_bytes(&[
        b"link", b"add", b"bad\xff", b"type", b"veth", b"peer", b"name", b"badp",
    ]);
    ip_bytes(&[b"link", b"set", b"bad\xff", b"up"]);
    ip_bytes(&[b"addr", b"add", b"198.18.5.1/24", b"dev", b"bad\xff"]);
    let state = tempfile::tempdir().unwrap();

    let output = select_eth0(state.path());

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let links = lossy_ip(&["-o", "link", "show"]);
    let line = links
        .lines()
        .find(|line| line.contains("bad\u{fffd}@"))
        .expect("the odd link is listed by ip");
    assert!(!line.contains(",UP"), "odd link still up: {line}");
    let addresses = lossy_ip(&["-o", "addr", "show"]);
    assert!(!addresses.contains("198.18.5.1"), "{addresses}");
}

#[test]
fn non_utf8_address_label_flushed() {
    let _ns = Netns::enter();
    veth("eth0");
    veth("wlan0");
    ip_bytes(&[
        b"addr",
        b"add",
        b"198.51.100.77/24",
        b"dev",
        b"wlan0",
        b"label",
        b"wlan0:\xff",
    ]);
    let state = tempfile::tempdir().unwrap();

    let output = select_eth0(state.path());

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let addresses = lossy_ip(&["-o", "addr", "show"]);
    assert!(!addresses.contains("198.51.100.77"), "{addresses}");
}
