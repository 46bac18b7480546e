//! `select`, `select --watch` and `check` against a real kernel.
//!
//! Each test builds a device in a private network namespace: eth0, wlan0 and usb0 are veths whose
//! peers live in gateway namespaces of their own, and every port has an IPv4 and an IPv6 address
//! and default routes. The binary runs as a child process, so it inherits the test thread's
//! namespace, and iproute2 is the witness of what the kernel holds afterwards.

mod common;

use std::io::{BufRead, BufReader};
use std::net::Ipv6Addr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;

/// How long a correction may take before a test fails; the daemon needs milliseconds.
const SETTLE: Duration = Duration::from_secs(5);

/// One device port and the gateway on the other end of its veth.
struct Port {
    name: &'static str,
    peer: &'static str,
    address: &'static str,
    gateway: &'static str,
    address6: &'static str,
    gateway6: &'static str,
    metric: &'static str,
}

const PORTS: [Port; 3] = [
    Port {
        name: "eth0",
        peer: "gw0",
        address: "192.0.2.10/24",
        gateway: "192.0.2.1",
        address6: "2001:db8:1::10/64",
        gateway6: "2001:db8:1::1",
        metric: "100",
    },
    Port {
        name: "wlan0",
        peer: "gw1",
        address: "198.51.100.10/24",
        gateway: "198.51.100.1",
        address6: "2001:db8:2::10/64",
        gateway6: "2001:db8:2::1",
        metric: "600",
    },
    Port {
        name: "usb0",
        peer: "gw2",
        address: "203.0.113.10/24",
        gateway: "203.0.113.1",
        address6: "2001:db8:3::10/64",
        gateway6: "2001:db8:3::1",
        metric: "700",
    },
];

/// The device namespace's ports, their gateways, and the binary's state directory and config.
///
/// Field order matters on drop: the gateways go first, then the state directory, and the
/// thread leaves the device namespace last.
struct Device {
    gateways: Vec<GatewayNs>,
    state: tempfile::TempDir,
    config: PathBuf,
    _netns: Netns,
}

impl Device {
    /// Enters a new namespace and builds eth0, wlan0 and usb0 with addresses and defaults.
    fn build() -> Device {
        let netns = Netns::enter();
        let state = tempfile::tempdir().unwrap();
        let config = state.path().join("config.toml");
        sysctl("net.ipv6.conf.all.forwarding", "0");
        let gateways = PORTS.iter().map(connect_port).collect();
        Device {
            gateways,
            state,
            config,
            _netns: netns,
        }
    }

    /// Writes `text` as the configuration file the binary reads.
    fn configure(&self, text: &str) {
        std::fs::write(&self.config, text).unwrap();
    }

    /// Returns the gateway namespace behind port `name`.
    fn gateway(&self, name: &str) -> &GatewayNs {
        let position = PORTS.iter().position(|port| port.name == name).unwrap();
        &self.gateways[position]
    }

    /// Returns a command for the binary with this device's config and state directory.
    fn rustyjack(&self, args: &[&str]) -> Command {
        let mut command = rustyjack();
        command
            .arg("--config")
            .arg(&self.config)
            .arg("--state-dir")
            .arg(self.state.path())
            .args(args);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.rustyjack(args).output().unwrap()
    }

    /// Starts `select IFACE --watch` and waits until it watches.
    fn watch(&self, uplink: &str) -> Watcher {
        Watcher::start(
            self.rustyjack(&["--log-level", "info", "select", uplink, "--watch"]),
            &self.state,
        )
    }

    /// Asserts that `check` exits 0.
    fn assert_check_passes(&self) {
        let output = self.run(&["check"]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "check failed:\n{}",
            text(&output)
        );
    }
}

/// Creates one port's veth and gateway namespace, then addresses and defaults on both ends.
fn connect_port(port: &Port) -> GatewayNs {
    let gateway = GatewayNs::create();
    ip(&[
        "link",
        "add",
        port.name,
        "type",
        "veth",
        "peer",
        "name",
        port.peer,
        "netns",
        &gateway.name,
    ]);
    gateway.ip(&["link", "set", port.peer, "up"]);
    gateway.ip(&[
        "addr",
        "add",
        &format!("{}/24", port.gateway),
        "dev",
        port.peer,
    ]);
    gateway.ip(&[
        "addr",
        "add",
        &format!("{}/64", port.gateway6),
        "dev",
        port.peer,
        "nodad",
    ]);
    // A fixed link-local router address, usable at once, for the router advertisement test.
    gateway.ip(&["addr", "add", "fe80::1/64", "dev", port.peer, "nodad"]);

    ip(&["link", "set", port.name, "up"]);
    ip(&["addr", "add", port.address, "dev", port.name]);
    ip(&["addr", "add", port.address6, "dev", port.name, "nodad"]);
    ip(&[
        "route",
        "add",
        "default",
        "via",
        port.gateway,
        "dev",
        port.name,
        "metric",
        port.metric,
    ]);
    ip(&[
        "-6",
        "route",
        "add",
        "default",
        "via",
        port.gateway6,
        "dev",
        port.name,
        "metric",
        port.metric,
    ]);
    gateway
}

fn text(output: &Output) -> String {
    format!(
        "stdout:\n{}stderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A running `select --watch`, killed on drop if a test failed before stopping it.
struct Watcher {
    child: Option<Child>,
    lines: mpsc::Receiver<String>,
    stdout: Vec<String>,
    stderr: PathBuf,
}

impl Watcher {
    fn start(mut command: Command, state: &tempfile::TempDir) -> Watcher {
        let stderr = state
            .path()
            .join(format!("watch-{}.stderr", std::process::id()));
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let reader = BufReader::new(child.stdout.take().unwrap());
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let mut watcher = Watcher {
            child: Some(child),
            lines,
            stdout: Vec::new(),
            stderr,
        };
        watcher.wait_for_line("watching for changes");
        watcher
    }

    fn wait_for_line(&mut self, expected: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.stdout.iter().any(|line| line.contains(expected)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.stdout.push(line),
                Err(_) => panic!(
                    "no {expected:?} from select --watch; stdout {:?}, stderr:\n{}",
                    self.stdout,
                    self.stderr_text()
                ),
            }
        }
    }

    fn pid(&self) -> libc::pid_t {
        self.child.as_ref().unwrap().id() as libc::pid_t
    }

    fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill takes no pointers; the pid is our own child, not yet reaped.
        let result = unsafe { libc::kill(self.pid(), signal) };
        assert_eq!(result, 0, "kill: {}", std::io::Error::last_os_error());
    }

    /// Stops the process with SIGSTOP, so the kernel changes that follow wait in its socket.
    fn pause(&self) {
        self.signal(libc::SIGSTOP);
    }

    fn resume(&self) {
        self.signal(libc::SIGCONT);
    }

    fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Sends SIGTERM, waits at most 5 s for the exit, and returns the status and all stdout.
    fn stop(mut self) -> (ExitStatus, Vec<String>) {
        self.signal(libc::SIGTERM);
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + SETTLE;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("select --watch did not stop within 5 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(1)) {
            self.stdout.push(line);
        }
        (status, std::mem::take(&mut self.stdout))
    }

    /// Stops the process, asserts exit 0, and returns the leaks it reported as corrected.
    fn stop_cleanly(self) -> u64 {
        let stderr = self.stderr_text();
        let (status, stdout) = self.stop();
        assert_eq!(
            status.code(),
            Some(0),
            "stdout {stdout:?}, stderr:\n{stderr}"
        );
        let summary = stdout
            .iter()
            .find(|line| line.starts_with("stopped;"))
            .unwrap_or_else(|| panic!("no summary line in {stdout:?}"));
        summary
            .split_whitespace()
            .nth(1)
            .and_then(|count| count.parse().ok())
            .unwrap_or_else(|| panic!("no leak count in {summary:?}"))
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Returns true when `name` is down with no address and no route.
fn is_isolated(name: &str) -> bool {
    !is_up(name) && addresses_of(name).is_empty() && routes_via(name).is_empty()
}

/// Asserts section by section that `name` is isolated, so a failure names what is left.
fn assert_isolated(name: &str) {
    assert!(!is_up(name), "{name} is still up");
    assert_eq!(
        addresses_of(name),
        Vec::<String>::new(),
        "{name} still has addresses"
    );
    assert_eq!(
        routes_via(name),
        Vec::<String>::new(),
        "{name} still has routes"
    );
}

/// Waits up to [`SETTLE`] for `name` to be isolated, then asserts it.
fn wait_isolated(name: &str) {
    wait_until(SETTLE, || is_isolated(name));
    assert_isolated(name);
}

/// Asserts that eth0 is up with its addresses and both default routes.
fn assert_uplink_intact() {
    assert!(is_up("eth0"), "eth0 is down");
    let addresses = addresses_of("eth0");
    for expected in ["192.0.2.10/24", "2001:db8:1::10/64"] {
        assert!(
            addresses.iter().any(|a| a == expected),
            "eth0 lost {expected}: {addresses:?}"
        );
    }
    let v4 = ip_out(&["-4", "route", "show", "default"]);
    assert!(
        v4.contains("default via 192.0.2.1 dev eth0 metric 100"),
        "IPv4 defaults: {v4}"
    );
    let v6 = ip_out(&["-6", "route", "show", "default"]);
    assert!(
        v6.contains("default via 2001:db8:1::1 dev eth0 metric 100"),
        "IPv6 defaults: {v6}"
    );
}

/// Asserts that no default route of either family leaves through anything but eth0.
fn assert_only_uplink_defaults() {
    for family in ["-4", "-6"] {
        let defaults = ip_out(&[family, "route", "show", "table", "all", "default"]);
        for route in defaults.lines() {
            assert!(
                route.contains("dev eth0"),
                "default route not via eth0: {route}"
            );
        }
    }
}

#[test]
fn select_isolates_all_but_uplink() {
    let device = Device::build();
    for port in &PORTS {
        assert!(
            routes_via(port.name)
                .iter()
                .any(|r| r.starts_with("default")),
            "setup: {}",
            port.name
        );
    }

    let output = device.run(&["select", "eth0"]);

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_isolated("wlan0");
    assert_isolated("usb0");
    assert_uplink_intact();
    assert_only_uplink_defaults();
    device.assert_check_passes();
}

#[test]
fn check_lists_violations_after_changes() {
    let device = Device::build();
    let output = device.run(&["select", "eth0"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    ip(&["link", "set", "wlan0", "up"]);
    ip(&["addr", "add", "203.0.113.10/24", "dev", "usb0"]);

    let output = device.run(&["check"]);

    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("wlan0: link is up"), "{stdout}");
    assert!(
        stdout.contains("usb0: address 203.0.113.10/24 present"),
        "{stdout}"
    );
    assert!(!stdout.contains("eth0:"), "{stdout}");
}

#[test]
fn watch_corrects_hotplugged_veth() {
    let device = Device::build();
    let watcher = device.watch("eth0");

    let gateway = device.gateway("wlan0");
    ip(&[
        "link",
        "add",
        "usb1",
        "type",
        "veth",
        "peer",
        "name",
        "gw9",
        "netns",
        &gateway.name,
    ]);
    gateway.ip(&["link", "set", "gw9", "up"]);
    // The daemon may take usb1 down between these steps, so later ones are allowed to fail.
    run_ip(&["link", "set", "usb1", "up"]);
    run_ip(&["addr", "add", "198.51.100.50/24", "dev", "usb1"]);
    run_ip(&[
        "route",
        "add",
        "default",
        "via",
        "198.51.100.1",
        "dev",
        "usb1",
        "metric",
        "50",
    ]);

    wait_isolated("usb1");
    assert_uplink_intact();
    assert_only_uplink_defaults();
    device.assert_check_passes();
    assert!(
        watcher.stop_cleanly() >= 1,
        "the hot-plugged link was not counted as a leak"
    );
}

#[test]
fn watch_corrects_link_set_up() {
    let device = Device::build();
    let watcher = device.watch("eth0");
    assert_isolated("wlan0");

    ip(&["link", "set", "wlan0", "up"]);

    wait_isolated("wlan0");
    assert_uplink_intact();
    device.assert_check_passes();
    assert!(watcher.stop_cleanly() >= 1);
}

/// A DHCP client racing the daemon: while the daemon is stopped, wlan0 comes up and gets
/// addresses and default routes in both families and in a second table. Routes cannot be added
/// to a down link ("Nexthop device is not up"), so bringing the link up is part of the leak.
#[test]
fn watch_corrects_readded_default_routes() {
    let device = Device::build();
    let watcher = device.watch("eth0");

    watcher.pause();
    ip(&["link", "set", "wlan0", "up"]);
    ip(&["addr", "add", "198.51.100.10/24", "dev", "wlan0"]);
    ip(&["addr", "add", "2001:db8:2::10/64", "dev", "wlan0", "nodad"]);
    ip(&[
        "route",
        "add",
        "default",
        "via",
        "198.51.100.1",
        "dev",
        "wlan0",
        "metric",
        "600",
    ]);
    ip(&[
        "route",
        "add",
        "default",
        "via",
        "198.51.100.1",
        "dev",
        "wlan0",
        "table",
        "51820",
    ]);
    ip(&[
        "-6",
        "route",
        "add",
        "default",
        "via",
        "2001:db8:2::1",
        "dev",
        "wlan0",
        "metric",
        "600",
    ]);
    let leaked = routes_via("wlan0");
    assert_eq!(
        leaked.iter().filter(|r| r.starts_with("default")).count(),
        3,
        "{leaked:?}"
    );
    watcher.resume();

    wait_isolated("wlan0");
    assert_uplink_intact();
    assert_only_uplink_defaults();
    device.assert_check_passes();
    assert!(watcher.stop_cleanly() >= 1);
}

/// A router advertisement from wlan0's gateway adds an IPv6 default (proto ra) and a SLAAC
/// address. The kernel ignores advertisements on an admin-down link, so a third party first
/// brings wlan0 up; the daemon is stopped meanwhile, so the advertisement is certain to land.
///
/// No radvd is needed: the test sends the advertisement itself from a raw ICMPv6 socket in the
/// gateway namespace. wlan0 accepts it because accept_ra is 1 and forwarding 0 (ip-sysctl.rst).
#[test]
fn watch_corrects_router_advertisement() {
    let device = Device::build();
    sysctl("net.ipv6.conf.wlan0.accept_ra", "1");
    sysctl("net.ipv6.conf.wlan0.forwarding", "0");
    let watcher = device.watch("eth0");

    watcher.pause();
    ip(&["link", "set", "wlan0", "up"]);
    // Multicast to ff02::1 is only delivered once addrconf has set up the link (about 1 s).
    let ready = wait_until(SETTLE, || {
        ip_out(&["-6", "route", "show", "table", "local", "dev", "wlan0"]).contains("ff00::/8")
    });
    assert!(ready, "wlan0 never got its IPv6 multicast route");
    send_router_advertisement(
        device.gateway("wlan0"),
        "gw1",
        "2001:db8:2::".parse().unwrap(),
    );
    let learned = wait_until(SETTLE, || {
        ip_out(&["-6", "route", "show", "default", "dev", "wlan0"]).contains("proto ra")
    });
    assert!(
        learned,
        "the advertisement installed no default: {:?}",
        routes_via("wlan0")
    );
    watcher.resume();

    wait_isolated("wlan0");
    assert_uplink_intact();
    assert_only_uplink_defaults();
    device.assert_check_passes();
    assert!(watcher.stop_cleanly() >= 1);
}

/// Sends one router advertisement from fe80::1 on `interface` of `gateway` to all nodes, with a
/// router lifetime of 1800 s and a prefix information option for SLAAC on `prefix`/64.
fn send_router_advertisement(gateway: &GatewayNs, interface: &str, prefix: Ipv6Addr) {
    // RFC 4861 section 4.2: type 134, code 0, checksum (the kernel fills it in for raw ICMPv6
    // sockets), current hop limit, flags, router lifetime, reachable time, retransmit timer.
    let mut packet = vec![134, 0, 0, 0, 64, 0];
    packet.extend_from_slice(&1800u16.to_be_bytes());
    packet.extend_from_slice(&[0; 8]);
    // Section 4.6.2: prefix information, length 4 (32 bytes), on-link and autonomous flags.
    packet.extend_from_slice(&[3, 4, 64, 0xc0]);
    packet.extend_from_slice(&3600u32.to_be_bytes());
    packet.extend_from_slice(&1800u32.to_be_bytes());
    packet.extend_from_slice(&[0; 4]);
    packet.extend_from_slice(&prefix.octets());

    let interface = std::ffi::CString::new(interface).unwrap();
    gateway.run(move || send_icmpv6_to_all_nodes(&interface, &packet));
}

fn send_icmpv6_to_all_nodes(interface: &std::ffi::CStr, packet: &[u8]) {
    // SAFETY: plain syscalls on a socket owned here; every pointer refers to a live local value
    // of the size passed with it.
    unsafe {
        let index = libc::if_nametoindex(interface.as_ptr());
        assert_ne!(
            index, 0,
            "no interface {interface:?} in the gateway namespace"
        );
        let socket = libc::socket(libc::AF_INET6, libc::SOCK_RAW, libc::IPPROTO_ICMPV6);
        assert!(
            socket >= 0,
            "raw ICMPv6 socket: {}",
            std::io::Error::last_os_error()
        );
        // RFC 4861 section 6.1.2: a receiver drops an advertisement whose hop limit is not 255.
        let hops: libc::c_int = 255;
        let set = |option, value: &libc::c_int| {
            let size = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
            let pointer = value as *const libc::c_int as *const libc::c_void;
            assert_eq!(
                libc::setsockopt(socket, libc::IPPROTO_IPV6, option, pointer, size),
                0
            );
        };
        set(libc::IPV6_MULTICAST_HOPS, &hops);
        set(libc::IPV6_MULTICAST_IF, &(index as libc::c_int));

        let mut source: libc::sockaddr_in6 = std::mem::zeroed();
        source.sin6_family = libc::AF_INET6 as libc::sa_family_t;
        source.sin6_addr.s6_addr = "fe80::1".parse::<Ipv6Addr>().unwrap().octets();
        source.sin6_scope_id = index;
        let length = std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t;
        let bound = libc::bind(socket, &source as *const _ as *const libc::sockaddr, length);
        assert_eq!(
            bound,
            0,
            "bind fe80::1: {}",
            std::io::Error::last_os_error()
        );

        let mut target = source;
        target.sin6_addr.s6_addr = "ff02::1".parse::<Ipv6Addr>().unwrap().octets();
        let pointer = packet.as_ptr() as *const libc::c_void;
        let target_pointer = &target as *const _ as *const libc::sockaddr;
        let sent = libc::sendto(socket, pointer, packet.len(), 0, target_pointer, length);
        assert_eq!(
            sent,
            packet.len() as isize,
            "sendto: {}",
            std::io::Error::last_os_error()
        );
        libc::close(socket);
    }
}

/// A VPN tunnel in the keep set, with a device-only default in both families, stays as it is.
#[test]
fn keep_listed_tun_left_alone() {
    let device = Device::build();
    device.configure("[isolation]\nkeep = [\"tun*\"]\n");
    ip(&["tuntap", "add", "mode", "tun", "name", "tun0"]);
    ip(&["link", "set", "tun0", "up"]);
    ip(&["addr", "add", "203.0.113.99/32", "dev", "tun0"]);
    ip(&["route", "add", "default", "dev", "tun0", "metric", "50"]);
    ip(&[
        "-6", "route", "add", "default", "dev", "tun0", "metric", "50",
    ]);
    let before = routes_via("tun0");

    let output = device.run(&["select", "eth0"]);

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(is_up("tun0"), "tun0 was taken down");
    assert!(addresses_of("tun0").contains(&"203.0.113.99/32".to_string()));
    assert_eq!(routes_via("tun0"), before);
    assert_isolated("wlan0");
    assert_isolated("usb0");
    assert_uplink_intact();
    device.assert_check_passes();
}

/// Thousands of address events while the daemon is stopped overflow its event socket; the
/// daemon must notice the loss, resynchronise from dumps and remove every address.
#[test]
fn watch_recovers_from_monitor_overrun() {
    let device = Device::build();
    let watcher = device.watch("eth0");

    watcher.pause();
    let mut batch = String::new();
    for i in 1..=4000 {
        batch.push_str(&format!(
            "address add 2001:db8:aa::{i:x}/128 dev wlan0 nodad\n"
        ));
    }
    // IPv4 notifications are sent while `ip` runs, unlike IPv6 ones that the kernel finishes in
    // a work item, so 6,000 of them overflow the paused daemon's socket buffer for certain.
    for i in 0..6000 {
        batch.push_str(&format!(
            "address add 198.18.{}.{}/32 dev wlan0\n",
            i / 250,
            i % 250 + 1
        ));
    }
    ip_batch(&batch);
    assert!(addresses_of("wlan0").len() >= 10_000);
    watcher.resume();

    wait_until(Duration::from_secs(10), || is_isolated("wlan0"));
    assert_isolated("wlan0");
    assert_isolated("usb0");
    assert_uplink_intact();
    device.assert_check_passes();
    // The kernel reports ENOBUFS only once the queued notifications are read, which may be after
    // the daemon already isolated wlan0 from a fresh dump.
    let reported = wait_until(Duration::from_secs(10), || {
        watcher.stderr_text().contains("resynchronising")
    });
    let stderr = watcher.stderr_text();
    assert!(reported, "no overrun was reported:\n{stderr}");
    watcher.stop_cleanly();
}

/// Adds `count` veths named x0, x1, ... with peers in `gateway`, each up with two addresses.
fn add_managed_veths(gateway: &GatewayNs, count: usize) {
    let mut batch = String::new();
    for i in 0..count {
        batch.push_str(&format!(
            "link add x{i} type veth peer name p{i} netns {}\n",
            gateway.name
        ));
        batch.push_str(&format!("link set x{i} up\n"));
        batch.push_str(&format!(
            "address add 2001:db8:10::{i:x}/128 dev x{i} nodad\n"
        ));
        batch.push_str(&format!("address add 203.0.113.{}/32 dev x{i}\n", 100 + i));
    }
    ip_batch(&batch);
}

/// Counts links that are administratively up, loopback included.
fn up_link_count() -> usize {
    ip_out(&["-o", "link", "show", "up"]).lines().count()
}

/// SIGKILL while `select` is half way through 64 links leaves some links up; a second `select`
/// (and a `select --watch` after that) finishes the job.
#[test]
fn select_converges_after_sigkill() {
    let device = Device::build();
    add_managed_veths(device.gateway("usb0"), 64);
    let all_up = up_link_count();

    let mut child = device
        .rustyjack(&["select", "eth0"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let started = wait_until(SETTLE, || up_link_count() < all_up);
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(started, "select changed nothing before it was killed");
    let left_up = up_link_count();
    eprintln!(
        "killed after {} of {all_up} links were down (exit {status})",
        all_up - left_up
    );

    let output = device.run(&["select", "eth0"]);

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    for i in 0..64 {
        assert_isolated(&format!("x{i}"));
    }
    assert_isolated("wlan0");
    assert_isolated("usb0");
    assert_uplink_intact();
    device.assert_check_passes();
}

/// The same kill, restarted as `select --watch`: convergence happens before it starts watching.
#[test]
fn watch_converges_after_sigkill() {
    let device = Device::build();
    add_managed_veths(device.gateway("usb0"), 64);
    let all_up = up_link_count();

    let mut child = device
        .rustyjack(&["select", "eth0", "--watch"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let started = wait_until(SETTLE, || up_link_count() < all_up);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        started,
        "select --watch changed nothing before it was killed"
    );

    let watcher = device.watch("eth0");

    for i in 0..64 {
        assert_isolated(&format!("x{i}"));
    }
    assert_isolated("wlan0");
    assert_uplink_intact();
    device.assert_check_passes();
    watcher.stop_cleanly();
}

/// A `select --watch` whose stdout reader went away (a closed journal stream, say) still stops
/// with exit 0 on SIGTERM instead of panicking on EPIPE while printing its summary.
#[test]
fn watch_stops_cleanly_with_stdout_closed() {
    let device = Device::build();
    let mut child = device
        .rustyjack(&["select", "eth0", "--watch"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(lines.any(|line| line.unwrap().contains("watching for changes")));
    drop(lines);

    // SAFETY: kill takes no pointers; the pid is our own child, not yet reaped.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) },
        0
    );
    let output = child.wait_with_output().unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}
