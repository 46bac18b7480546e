//! Shared helpers for tests that need a kernel: a private network namespace per test thread,
//! iproute2 as an independent witness, and the built binary.
//!
//! Every test that changes links, addresses or routes first calls [`Netns::enter`], which moves
//! the calling thread (and every process it starts) into a new, empty network namespace and moves
//! it back when dropped; the namespace disappears with its last user.
#![allow(dead_code)]

use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::{Command, Output};

/// The calling thread's private network namespace, left again on drop.
pub struct Netns {
    original: File,
}

impl Netns {
    /// Moves this thread into a new network namespace, with loopback up.
    ///
    /// Panics unless the switch happened and the new namespace holds nothing but `lo`, so that a
    /// test never changes the machine's own interfaces.
    pub fn enter() -> Netns {
        let original = File::open("/proc/thread-self/ns/net").expect("open own network namespace");
        // SAFETY: unshare only changes this thread's namespace membership; it takes no pointers.
        let result = unsafe { libc::unshare(libc::CLONE_NEWNET) };
        assert_eq!(
            result,
            0,
            "unshare(CLONE_NEWNET) failed: {} (tests need root)",
            std::io::Error::last_os_error()
        );
        let netns = Netns { original };
        let links = ip_out(&["-o", "link", "show"]);
        assert_eq!(
            links.lines().count(),
            1,
            "new namespace is not empty: {links}"
        );
        ip(&["link", "set", "lo", "up"]);
        netns
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // SAFETY: the descriptor is an open network namespace file owned by self.
        let result = unsafe { libc::setns(self.original.as_raw_fd(), libc::CLONE_NEWNET) };
        if result != 0 && !std::thread::panicking() {
            panic!("setns back failed: {}", std::io::Error::last_os_error());
        }
    }
}

/// Runs `ip ARGS` in the current namespace and panics with its stderr when it fails.
pub fn ip(args: &[&str]) {
    let output = run_ip(args);
    assert!(
        output.status.success(),
        "ip {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs `ip ARGS` and returns its stdout.
pub fn ip_out(args: &[&str]) -> String {
    let output = run_ip(args);
    assert!(
        output.status.success(),
        "ip {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("ip prints UTF-8")
}

/// Runs `ip ARGS` and returns the whole output, failing or not.
pub fn run_ip(args: &[&str]) -> Output {
    Command::new("ip").args(args).output().expect("run ip")
}

/// Runs `ip -j ARGS` and parses the JSON.
pub fn ip_json(args: &[&str]) -> serde_json::Value {
    let mut full = vec!["-j"];
    full.extend_from_slice(args);
    let text = ip_out(&full);
    serde_json::from_str(if text.trim().is_empty() { "[]" } else { &text })
        .expect("ip -j prints JSON")
}

/// Feeds lines to `ip -batch -` in the current namespace.
pub fn ip_batch(lines: &str) {
    use std::io::Write;
    let mut child = Command::new("ip")
        .args(["-batch", "-"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("run ip -batch");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "ip -batch failed");
}

/// Creates veth `name` with peer `{name}p`, both up.
pub fn veth(name: &str) {
    let peer = format!("{name}p");
    ip(&["link", "add", name, "type", "veth", "peer", "name", &peer]);
    ip(&["link", "set", name, "up"]);
    ip(&["link", "set", &peer, "up"]);
}

/// Sets a sysctl of the current network namespace through /proc/sys.
pub fn sysctl(key: &str, value: &str) {
    let path = format!("/proc/sys/{}", key.replace('.', "/"));
    std::fs::write(&path, value).unwrap_or_else(|e| panic!("write {path}: {e}"));
}

/// A command for the built `rustyjack` binary; it starts in the caller's namespace.
pub fn rustyjack() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rustyjack"))
}

/// Builds the current-thread runtime the product uses and runs `future` on a local set.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    tokio::task::LocalSet::new().block_on(&runtime, future)
}

/// Returns the index of `name` according to iproute2.
pub fn index_of(name: &str) -> u32 {
    let links = ip_json(&["link", "show", "dev", name]);
    links[0]["ifindex"].as_u64().expect("ifindex") as u32
}

/// A named network namespace (`ip netns add`) standing for a gateway on the far end of a veth,
/// deleted on drop, also when the test panics.
///
/// The name is `rjtest-gw-<pid>-<n>`, so that tests running in parallel threads, and other test
/// processes, never share one.
pub struct GatewayNs {
    pub name: String,
}

impl GatewayNs {
    /// Creates an empty gateway namespace with loopback up.
    pub fn create() -> GatewayNs {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let number = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("rjtest-gw-{}-{number}", std::process::id());
        ip(&["netns", "add", &name]);
        let gateway = GatewayNs { name };
        gateway.ip(&["link", "set", "lo", "up"]);
        gateway
    }

    /// Runs `ip ARGS` inside this namespace and panics with its stderr when it fails.
    pub fn ip(&self, args: &[&str]) {
        let mut full = vec!["-n", self.name.as_str()];
        full.extend_from_slice(args);
        ip(&full);
    }

    /// Runs `ip ARGS` inside this namespace and returns its stdout.
    pub fn ip_out(&self, args: &[&str]) -> String {
        let mut full = vec!["-n", self.name.as_str()];
        full.extend_from_slice(args);
        ip_out(&full)
    }

    /// Runs `f` on a new thread that has joined this namespace, and returns its result.
    pub fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let path = format!("/run/netns/{}", self.name);
        std::thread::spawn(move || {
            let file = File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
            // SAFETY: setns only changes this new thread's namespace; the descriptor is open.
            let result = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(
                result,
                0,
                "setns {path}: {}",
                std::io::Error::last_os_error()
            );
            f()
        })
        .join()
        .expect("thread in the gateway namespace panicked")
    }
}

impl Drop for GatewayNs {
    fn drop(&mut self) {
        let output = run_ip(&["netns", "del", &self.name]);
        if !output.status.success() && !std::thread::panicking() {
            panic!(
                "ip netns del {} failed: {}",
                self.name,
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

/// Polls `condition` every 5 ms until it is true or `timeout` passes, and returns the last result.
pub fn wait_until(timeout: std::time::Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Returns true when iproute2 lists `name` as administratively up.
pub fn is_up(name: &str) -> bool {
    let links = ip_json(&["link", "show", "dev", name]);
    links[0]["flags"]
        .as_array()
        .expect("link flags")
        .iter()
        .any(|flag| flag == "UP")
}

/// Returns the addresses iproute2 lists on `name`, as `address/prefix`, any scope.
pub fn addresses_of(name: &str) -> Vec<String> {
    let links = ip_json(&["addr", "show", "dev", name]);
    let Some(infos) = links[0]["addr_info"].as_array() else {
        return Vec::new();
    };
    infos
        .iter()
        .map(|info| format!("{}/{}", info["local"].as_str().unwrap(), info["prefixlen"]))
        .collect()
}

/// Returns every IPv4 and IPv6 route in any table (the local table included) whose output is
/// `name`, as `ip route` prints them.
pub fn routes_via(name: &str) -> Vec<String> {
    let mut routes = Vec::new();
    for family in ["-4", "-6"] {
        let text = ip_out(&[family, "route", "show", "table", "all", "dev", name]);
        routes.extend(text.lines().map(str::to_string));
    }
    routes
}
