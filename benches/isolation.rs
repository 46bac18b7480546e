//! Time from a violation appearing in the kernel to its correction, and time to isolate.
//!
//! Run as root: `cargo bench --bench isolation`. The process first moves into a network namespace
//! of its own (unshare), so nothing here touches the machine's interfaces. It prints Markdown.
//!
//! Correction latency is measured from outside the enforcing process. A netlink socket in this
//! process joins the link and address groups with SO_TIMESTAMPNS, and every notification's
//! timestamp is taken from that control message. Netlink does not stamp its messages when it
//! queues them, so the kernel fills in the time of the recvmsg call: these are arrival times at
//! a reader thread that waits in recvmsg, and the bench prints the measured difference to its
//! own clock reading to show it. The violation is the first notification of the
//! change (RTM_NEWADDR on wlan0, or RTM_NEWLINK with IFF_UP), and the correction is the first
//! notification that undoes it (RTM_DELADDR of the same address, or RTM_NEWLINK without IFF_UP).
//! The same trials run against `select eth0 --watch` and against a shell loop that reacts to
//! `ip monitor` with `ip`, one after the other, in the same namespace.

mod support;

use support::*;

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Trials per violation kind and reactor.
const TRIALS: usize = 300;

/// `select` runs per interface count.
const SELECT_RUNS: usize = 7;

/// A violation that takes longer than this to be corrected counts as missed.
const MISS: Duration = Duration::from_secs(2);

const BINARY: &str = env!("CARGO_BIN_EXE_rustyjack");

fn main() {
    enter_private_namespace();
    let state = tempfile::tempdir().unwrap();
    let config = state.path().join("config.toml");
    // Peers stay in this namespace; the keep set leaves them alone, as a gateway would be.
    std::fs::write(&config, "[isolation]\nkeep = [\"kp*\"]\n").unwrap();
    let base = [
        "--config".to_string(),
        config.display().to_string(),
        "--state-dir".to_string(),
        state.path().display().to_string(),
    ];
    build_ports();
    let events = notifications::listen();
    let wlan0 = index_of("wlan0");

    let daemon = start_daemon(&base);
    let ours = measure_both(&events, wlan0);
    stop(daemon);
    let shell = start_shell_loop();
    let theirs = measure_both(&events, wlan0);
    stop(shell);

    println!("## Correction latency ({TRIALS} trials each)\n");
    println!(
        "| violation | reactor | p50 | p99 | max | missed | p50 ratio to shell | p99 ratio to shell |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (kind, mine, shell) in [
        ("address added", &ours.0, &theirs.0),
        ("link set up", &ours.1, &theirs.1),
    ] {
        let (a, b) = (mine.summary(), shell.summary());
        println!(
            "| {kind} | `select eth0 --watch` | {} | {} | {} | {} | {:.3} | {:.3} |",
            us(a.p50),
            us(a.p99),
            us(a.max),
            mine.missed,
            ratio(a.p50, b.p50),
            ratio(a.p99, b.p99)
        );
        println!(
            "| {kind} | shell loop on `ip monitor` | {} | {} | {} | {} | 1.000 | 1.000 |",
            us(b.p50),
            us(b.p99),
            us(b.max),
            shell.missed
        );
    }
    println!(
        "\nkernel timestamp minus arrival in this process, p50: {}",
        us(events.clock_skew())
    );

    println!(
        "\n## Time to isolate (wall time of `rustyjack select eth0`, median of {SELECT_RUNS})\n"
    );
    println!("| managed interfaces | median | min | max |");
    println!("| ---: | ---: | ---: | ---: |");
    ip_batch("link del wlan0\n");
    for count in [0, 2, 16, 128] {
        let mut times = time_select(&base, count);
        times.sort();
        println!(
            "| {count} | {} | {} | {} |",
            ms(times[times.len() / 2]),
            ms(times[0]),
            ms(times[times.len() - 1])
        );
    }
}

/// eth0 (the uplink) with addresses and defaults, and wlan0 down; both veths with kept peers.
fn build_ports() {
    ip_batch(
        "link set lo up
link add eth0 type veth peer name kp0
link add wlan0 type veth peer name kp1
link set kp0 up
link set kp1 up
link set eth0 up
address add 192.0.2.10/24 dev eth0
address add 2001:db8:1::10/64 dev eth0 nodad
route add default via 192.0.2.1 dev eth0 metric 100
route add default via 2001:db8:1::1 dev eth0 metric 100
",
    );
}

fn start_daemon(base: &[String]) -> Child {
    let mut child = Command::new(BINARY)
        .args(base)
        .args(["select", "eth0", "--watch"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let watching = lines.any(|line| line.unwrap().contains("watching for changes"));
    assert!(watching, "select --watch ended before watching");
    // Keep reading, so that the summary printed on SIGTERM finds an open pipe.
    std::thread::spawn(move || lines.for_each(drop));
    child
}

/// Starts the anchor: `ip monitor` piped into a shell loop that undoes each change with `ip`.
fn start_shell_loop() -> Child {
    let script = r#"ip -o monitor link address | while read -r line; do
  case "$line" in
    Deleted*) ;;
    *" wlan0"*inet*) ip address flush dev wlan0 ;;
    *" wlan0"*",UP"*) ip link set dev wlan0 down ;;
  esac
done"#;
    let child = Command::new("sh")
        .args(["-c", script])
        .process_group(0)
        .spawn()
        .unwrap();
    // Give `ip monitor` time to subscribe before the first trial, even on a loaded machine.
    std::thread::sleep(Duration::from_millis(500));
    child
}

/// Sends SIGTERM to the child's whole process group and reaps it.
fn stop(mut child: Child) {
    let group = child.id() as libc::pid_t;
    // SAFETY: kill takes no pointers. For the shell loop the child leads its own process group;
    // for the daemon, which shares ours, killing the pid alone is enough.
    unsafe {
        if libc::getpgid(group) == group {
            libc::kill(-group, libc::SIGTERM);
        } else {
            libc::kill(group, libc::SIGTERM);
        }
    }
    child.wait().unwrap();
}

#[derive(Default)]
struct Samples {
    latencies: Vec<Duration>,
    missed: usize,
}

struct Summary {
    p50: Duration,
    p99: Duration,
    max: Duration,
}

impl Samples {
    fn summary(&self) -> Summary {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let at = |fraction: f64| sorted[((sorted.len() - 1) as f64 * fraction).round() as usize];
        Summary {
            p50: at(0.50),
            p99: at(0.99),
            max: at(1.0),
        }
    }
}

/// Runs the address trials, then the link trials, against whatever reacts in the namespace.
fn measure_both(events: &notifications::Listener, wlan0: u32) -> (Samples, Samples) {
    let mut addresses = Samples::default();
    for i in 0..TRIALS {
        let address = format!("198.51.100.{}/32", i % 250 + 1);
        let trial = events.trial(
            || ip_batch(&format!("address add {address} dev wlan0\n")),
            |event| event.index == wlan0 && event.kind == notifications::Kind::AddressNew,
            |event| event.index == wlan0 && event.kind == notifications::Kind::AddressDel,
        );
        record(&mut addresses, trial);
    }
    let mut links = Samples::default();
    for _ in 0..TRIALS {
        let trial = events.trial(
            || ip_batch("link set wlan0 up\n"),
            |event| event.index == wlan0 && event.kind == notifications::Kind::LinkNew && event.up,
            |event| event.index == wlan0 && event.kind == notifications::Kind::LinkNew && !event.up,
        );
        record(&mut links, trial);
    }
    (addresses, links)
}

fn record(samples: &mut Samples, trial: Option<Duration>) {
    match trial {
        Some(latency) => samples.latencies.push(latency),
        None => samples.missed += 1,
    }
}

/// Times `select eth0` with `count` managed veths whose peers are kept.
///
/// Before every run each veth is brought up again with two addresses and a default route in a
/// table of its own.
fn time_select(base: &[String], count: usize) -> Vec<Duration> {
    let mut create = String::new();
    for i in 0..count {
        create.push_str(&format!(
            "link add x{i} type veth peer name kpx{i}\nlink set kpx{i} up\n"
        ));
    }
    ip_batch(&create);
    let mut times = Vec::new();
    for _ in 0..SELECT_RUNS {
        let mut restore = String::new();
        for i in 0..count {
            restore.push_str(&format!("link set x{i} up\n"));
            restore.push_str(&format!("address add 198.51.100.{}/32 dev x{i}\n", i + 1));
            restore.push_str(&format!(
                "address add 2001:db8:10::{:x}/128 dev x{i} nodad\n",
                i + 1
            ));
            restore.push_str(&format!("route add default dev x{i} table {}\n", 1000 + i));
        }
        ip_batch(&restore);
        let started = Instant::now();
        let status = Command::new(BINARY)
            .args(base)
            .args(["select", "eth0"])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        times.push(started.elapsed());
        assert!(
            status.success(),
            "select eth0 failed with {count} managed interfaces"
        );
    }
    let mut delete = String::new();
    for i in 0..count {
        delete.push_str(&format!("link del x{i}\n"));
    }
    ip_batch(&delete);
    times
}

fn index_of(name: &str) -> u32 {
    let text = output("ip", &["-o", "link", "show", "dev", name]);
    text.split(':').next().unwrap().trim().parse().unwrap()
}

fn us(duration: Duration) -> String {
    format!("{:.0} µs", duration.as_secs_f64() * 1e6)
}

/// Link and address notifications with kernel timestamps, read on a thread of their own.
mod notifications {
    use super::*;

    /// Multicast group bits for bind(2) (linux/rtnetlink.h, RTMGRP_*).
    const GROUPS: u32 = 0x1 | 0x10 | 0x100;

    const RTM_NEWLINK: u16 = 16;
    const RTM_NEWADDR: u16 = 20;
    const RTM_DELADDR: u16 = 21;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Kind {
        LinkNew,
        AddressNew,
        AddressDel,
    }

    /// One notification, with the kernel's SO_TIMESTAMPNS time and the time it was read here,
    /// both on CLOCK_REALTIME.
    #[derive(Debug, Clone, Copy)]
    pub struct Notification {
        pub kind: Kind,
        pub index: u32,
        /// IFF_UP, for links.
        pub up: bool,
        pub kernel: Duration,
        pub arrival: Duration,
    }

    pub struct Listener {
        receiver: mpsc::Receiver<Notification>,
        skews: std::cell::RefCell<Vec<Duration>>,
    }

    /// Opens the socket, then reads it on a new thread, which inherits this namespace.
    pub fn listen() -> Listener {
        let socket = open();
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || read_forever(socket, sender));
        Listener {
            receiver,
            skews: Default::default(),
        }
    }

    impl Listener {
        /// Runs `act`, then returns the time between the first notification that matches
        /// `violation` and the first later one that matches `correction`, by kernel timestamps.
        pub fn trial(
            &self,
            act: impl FnOnce(),
            violation: impl Fn(&Notification) -> bool,
            correction: impl Fn(&Notification) -> bool,
        ) -> Option<Duration> {
            // Let the previous trial's tail (IPv6 link-local churn, say) pass first.
            std::thread::sleep(Duration::from_millis(20));
            while self.receiver.try_recv().is_ok() {}
            act();
            let deadline = Instant::now() + MISS;
            let start = self.wait(deadline, &violation)?;
            let end = self.wait(deadline, &correction)?;
            Some(end.kernel.saturating_sub(start.kernel))
        }

        fn wait(
            &self,
            deadline: Instant,
            matches: &impl Fn(&Notification) -> bool,
        ) -> Option<Notification> {
            loop {
                let left = deadline.checked_duration_since(Instant::now())?;
                let event = self.receiver.recv_timeout(left).ok()?;
                self.skews
                    .borrow_mut()
                    .push(event.arrival.saturating_sub(event.kernel));
                if matches(&event) {
                    return Some(event);
                }
            }
        }

        /// Returns the median time between a notification's kernel timestamp and its arrival.
        pub fn clock_skew(&self) -> Duration {
            let mut skews = self.skews.borrow().clone();
            skews.sort();
            skews.get(skews.len() / 2).copied().unwrap_or_default()
        }
    }

    fn open() -> libc::c_int {
        // SAFETY: plain syscalls; every pointer refers to a live local of the size passed.
        unsafe {
            let socket = libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::NETLINK_ROUTE,
            );
            assert!(
                socket >= 0,
                "netlink socket: {}",
                std::io::Error::last_os_error()
            );
            let mut address: libc::sockaddr_nl = std::mem::zeroed();
            address.nl_family = libc::AF_NETLINK as libc::sa_family_t;
            address.nl_groups = GROUPS;
            let size = std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
            assert_eq!(
                libc::bind(socket, &address as *const _ as *const libc::sockaddr, size),
                0
            );
            let on: libc::c_int = 1;
            let buffer: libc::c_int = 4 << 20;
            let int = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
            let set = |option, value: &libc::c_int| {
                libc::setsockopt(
                    socket,
                    libc::SOL_SOCKET,
                    option,
                    value as *const _ as *const libc::c_void,
                    int,
                )
            };
            assert_eq!(set(libc::SO_TIMESTAMPNS, &on), 0, "SO_TIMESTAMPNS");
            assert_eq!(set(libc::SO_RCVBUFFORCE, &buffer), 0, "SO_RCVBUFFORCE");
            socket
        }
    }

    fn read_forever(socket: libc::c_int, sender: mpsc::Sender<Notification>) {
        let mut data = vec![0u8; 64 * 1024];
        let mut control = [0u64; 16];
        loop {
            let (size, kernel) = receive(socket, &mut data, &mut control);
            let arrival = realtime();
            let Some(size) = size else { continue };
            for mut event in parse(&data[..size]) {
                event.kernel = kernel.unwrap_or(arrival);
                event.arrival = arrival;
                if sender.send(event).is_err() {
                    return;
                }
            }
        }
    }

    /// Reads one datagram; returns its size (None on an error such as ENOBUFS) and timestamp.
    fn receive(
        socket: libc::c_int,
        data: &mut [u8],
        control: &mut [u64; 16],
    ) -> (Option<usize>, Option<Duration>) {
        // SAFETY: the iovec and msghdr point at buffers that outlive the call, with their sizes.
        // The control messages are read only within the length the kernel reported.
        unsafe {
            let mut iov = libc::iovec {
                iov_base: data.as_mut_ptr() as *mut libc::c_void,
                iov_len: data.len(),
            };
            let mut header: libc::msghdr = std::mem::zeroed();
            header.msg_iov = &mut iov;
            header.msg_iovlen = 1;
            header.msg_control = control.as_mut_ptr() as *mut libc::c_void;
            header.msg_controllen = std::mem::size_of_val(control);
            let size = libc::recvmsg(socket, &mut header, 0);
            if size < 0 {
                return (None, None);
            }
            let mut kernel = None;
            let mut message = libc::CMSG_FIRSTHDR(&header);
            while !message.is_null() {
                if (*message).cmsg_level == libc::SOL_SOCKET
                    && (*message).cmsg_type == libc::SCM_TIMESTAMPNS
                {
                    let time =
                        std::ptr::read_unaligned(libc::CMSG_DATA(message) as *const libc::timespec);
                    kernel = Some(Duration::new(time.tv_sec as u64, time.tv_nsec as u32));
                }
                message = libc::CMSG_NXTHDR(&header, message);
            }
            (Some(size as usize), kernel)
        }
    }

    /// Splits a datagram into link and address notifications (netlink(7), rtnetlink(7)).
    fn parse(datagram: &[u8]) -> Vec<Notification> {
        let mut found = Vec::new();
        let mut offset = 0;
        while offset + 16 <= datagram.len() {
            let message = &datagram[offset..];
            let length = u32::from_ne_bytes(message[0..4].try_into().unwrap()) as usize;
            let kind = u16::from_ne_bytes(message[4..6].try_into().unwrap());
            if length < 16 || length > message.len() {
                break;
            }
            let body = &message[16..length];
            let empty = Notification {
                kind: Kind::LinkNew,
                index: 0,
                up: false,
                kernel: Duration::ZERO,
                arrival: Duration::ZERO,
            };
            // struct ifinfomsg: family, pad, type, index (i32), flags (u32), change.
            if kind == RTM_NEWLINK && body.len() >= 16 {
                let index = i32::from_ne_bytes(body[4..8].try_into().unwrap()) as u32;
                let flags = u32::from_ne_bytes(body[8..12].try_into().unwrap());
                let up = flags & libc::IFF_UP as u32 != 0;
                found.push(Notification { index, up, ..empty });
            }
            // struct ifaddrmsg: family, prefix length, flags, scope, index (u32).
            if (kind == RTM_NEWADDR || kind == RTM_DELADDR) && body.len() >= 8 {
                let index = u32::from_ne_bytes(body[4..8].try_into().unwrap());
                let kind = if kind == RTM_NEWADDR {
                    Kind::AddressNew
                } else {
                    Kind::AddressDel
                };
                found.push(Notification {
                    kind,
                    index,
                    ..empty
                });
            }
            offset += (length + 3) & !3;
        }
        found
    }

    fn realtime() -> Duration {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
    }
}
