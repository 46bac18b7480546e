//! One enforcer per state directory: a second `select` or `release` is refused while a
//! `select --watch` runs. Each test runs in a namespace of its own.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::*;

#[test]
fn second_enforcer_refused_while_watching() {
    let _ns = Netns::enter();
    veth("eth0");
    veth("wlan0");
    let state = tempfile::tempdir().unwrap();
    let base = |command: &mut std::process::Command| {
        command
            .arg("--state-dir")
            .arg(state.path())
            .args(["--config", "/nonexistent/rustyjack.toml"]);
    };
    let mut watch = rustyjack();
    base(&mut watch);
    let mut watcher = watch
        .args(["select", "eth0", "--watch"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(watcher.stdout.take().unwrap());
    let ready = stdout
        .lines()
        .any(|line| line.unwrap().starts_with("watching"));
    assert!(ready, "the watcher never started watching");

    let mut select = rustyjack();
    base(&mut select);
    let refused = select.args(["select", "wlan0"]).output().unwrap();
    let mut release = rustyjack();
    base(&mut release);
    let released = release.arg("release").output().unwrap();

    // SAFETY: kill takes a pid and a signal number, no pointers.
    unsafe { libc::kill(watcher.id() as i32, libc::SIGTERM) };
    assert!(watcher.wait().unwrap().success());

    assert_eq!(refused.status.code(), Some(1));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("another rustyjack process"), "{message}");
    assert_eq!(released.status.code(), Some(1));
    let saved = std::fs::read_to_string(state.path().join("selection.json")).unwrap();
    assert!(
        saved.contains("\"eth0\""),
        "the refused select changed the saved choice: {saved}"
    );

    let mut after = rustyjack();
    base(&mut after);
    let accepted = after.args(["select", "wlan0"]).output().unwrap();
    assert!(
        accepted.status.success(),
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
}
