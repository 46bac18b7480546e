//! `rustyjack run` on simulated uplinks: threads, resident memory after start and after kernel
//! event bursts, idle wake-ups, and the time from start to the first frame.
//!
//! Run as root: `cargo bench --bench appliance`. The process moves into a network namespace of
//! its own first (unshare), so the appliance it starts isolates only that namespace's links.
//! Wake-ups are context switches of every thread of the appliance (/proc/PID/task/*/status),
//! which counts each time the process was scheduled, whatever woke it.

mod support;

use support::*;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const EVENT_BURSTS: usize = 8;
const IDLE_SECONDS: u64 = 10;

fn main() {
    enter_private_namespace();
    build_uplinks();
    let work = tempdir();
    std::fs::write(work.join("config.toml"), "[isolation]\nkeep = [\"*p\"]\n").unwrap();
    std::fs::write(
        work.join("selection.json"),
        r#"{"version":1,"uplink":"eth0"}"#,
    )
    .unwrap();
    let frames = work.join("frames");

    let started = Instant::now();
    let mut child = start_appliance(&work, &frames);
    let first_frame = wait_for_file(&frames.join("frame-000001.png"), started);
    std::thread::sleep(Duration::from_secs(1));
    let pid = child.id();
    let threads = status_field(pid, "Threads:");
    let rss_start = status_field(pid, "VmRSS:");

    // Let IPv6 duplicate address detection on the new links finish before counting idle wake-ups.
    std::thread::sleep(Duration::from_secs(5));
    let switches_before = context_switches(pid);
    std::thread::sleep(Duration::from_secs(IDLE_SECONDS));
    let idle_wakeups = (context_switches(pid) - switches_before) as f64 / IDLE_SECONDS as f64;

    let mut rss_after = Vec::new();
    for burst in 0..EVENT_BURSTS {
        address_burst(burst);
        std::thread::sleep(Duration::from_secs(2));
        rss_after.push(status_field(pid, "VmRSS:"));
    }
    let threads_after = status_field(pid, "Threads:");
    stop(&mut child);

    println!("| measure | value |");
    println!("| --- | --- |");
    println!(
        "| time from start to the first frame | {:.1} ms |",
        first_frame.as_secs_f64() * 1000.0
    );
    println!(
        "| threads after start / after {} events | {threads} / {threads_after} |",
        EVENT_BURSTS * 10_000
    );
    println!("| resident memory after start | {rss_start} KiB |");
    for (burst, rss) in rss_after.iter().enumerate() {
        println!(
            "| resident memory after {} kernel events | {rss} KiB |",
            (burst + 1) * 10_000
        );
    }
    println!("| wake-ups per second while idle ({IDLE_SECONDS} s) | {idle_wakeups:.2} |");
}

/// eth0, wlan0 and usb0 as veth pairs; the peers (`*p`) stand for the gateways and are kept.
fn build_uplinks() {
    let mut batch = String::from("link set lo up\n");
    for (name, net) in [
        ("eth0", "192.0.2"),
        ("wlan0", "198.51.100"),
        ("usb0", "203.0.113"),
    ] {
        batch.push_str(&format!("link add {name} type veth peer name {name}p\n"));
        batch.push_str(&format!("link set {name} up\nlink set {name}p up\n"));
        batch.push_str(&format!(
            "addr add {net}.10/24 dev {name}\naddr add {net}.1/24 dev {name}p\n"
        ));
    }
    batch.push_str("route add default via 192.0.2.1 dev eth0 metric 100\n");
    ip_batch(&batch);
}

/// 5,000 addresses added to and removed from the uplink: 10,000 address notifications, plus
/// the local routes the kernel adds and removes with them.
fn address_burst(burst: usize) {
    let mut batch = String::new();
    for i in 0..5000 {
        batch.push_str(&format!(
            "addr add 198.18.{}.{}/32 dev eth0\n",
            burst * 20 + i / 250,
            i % 250 + 1
        ));
    }
    for i in 0..5000 {
        batch.push_str(&format!(
            "addr del 198.18.{}.{}/32 dev eth0\n",
            burst * 20 + i / 250,
            i % 250 + 1
        ));
    }
    ip_batch(&batch);
}

fn start_appliance(work: &Path, frames: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_rustyjack"))
        .arg("--config")
        .arg(work.join("config.toml"))
        .arg("--state-dir")
        .arg(work)
        .args(["run", "--display", "sim", "--input", "none", "--frames"])
        .arg(frames)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start rustyjack run")
}

fn stop(child: &mut Child) {
    // SAFETY: kill takes a pid and a signal number, no pointers.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(status.success(), "rustyjack run exited with {status}");
}

fn wait_for_file(path: &Path, started: Instant) -> Duration {
    while !path.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no first frame within 10 s"
        );
        std::thread::sleep(Duration::from_micros(500));
    }
    started.elapsed()
}

fn status_field(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|line| line.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn context_switches(pid: u32) -> u64 {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let status = std::fs::read_to_string(task.unwrap().path().join("status")).unwrap();
        for line in status
            .lines()
            .filter(|line| line.contains("ctxt_switches:"))
        {
            total += line
                .split_whitespace()
                .nth(1)
                .unwrap()
                .parse::<u64>()
                .unwrap();
        }
    }
    total
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rustyjack-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
