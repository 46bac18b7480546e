//! Helpers shared by the benchmarks that build links: a private network namespace for the
//! whole bench process, and iproute2 to set it up.
#![allow(dead_code)]

use std::process::{Command, Stdio};
use std::time::Duration;

/// Moves the process into a new, empty network namespace; panics unless it is empty.
///
/// Call it first in `main`: unshare(2) moves only the calling thread, and threads started later
/// inherit its namespace.
pub fn enter_private_namespace() {
    // SAFETY: unshare takes no pointers; it runs before any other thread exists.
    let result = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    assert_eq!(result, 0, "unshare(CLONE_NEWNET) failed: run as root");
    let links = output("ip", &["-o", "link"]);
    assert_eq!(links.lines().count(), 1, "the new namespace is not empty");
}

/// Feeds `lines` to `ip -batch -` and panics, showing them, when it fails.
pub fn ip_batch(lines: &str) {
    use std::io::Write;
    let mut child = Command::new("ip")
        .args(["-batch", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    assert!(
        child.wait().unwrap().success(),
        "ip -batch failed on:\n{lines}"
    );
}

/// Runs a program and returns its standard output.
pub fn output(program: &str, args: &[&str]) -> String {
    String::from_utf8(Command::new(program).args(args).output().unwrap().stdout).unwrap()
}

/// Returns `a / b` as a plain number.
pub fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// Formats a duration in milliseconds with two decimals.
pub fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}
