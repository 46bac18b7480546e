//! `status --json` against iproute2, and one-dump listing against a per-interface listing.
//!
//! Run as root: `cargo bench --bench status`. The process first moves into a network namespace
//! of its own (unshare), builds 512 interfaces and 5,000 routes there, and measures runs
//! interleaved so that machine noise hits both sides alike. It prints a Markdown table.

mod support;

use support::*;

use std::process::Command;
use std::time::{Duration, Instant};

use rustyjack::netlink::{Netlink, NetlinkOptions};

const RUNS: usize = 20;

fn main() {
    enter_private_namespace();
    build_namespace();
    let binary = env!("CARGO_BIN_EXE_rustyjack");

    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for _ in 0..RUNS {
        ours.push(time(|| run(binary, &["status", "--json"])));
        theirs.push(time(|| {
            run("ip", &["-j", "addr", "show"]);
            run("ip", &["-j", "route", "show", "table", "all"]);
        }));
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (one_dump, per_interface) = tokio::task::LocalSet::new().block_on(&runtime, listing());

    let links = count_lines(&["-o", "link", "show"]);
    let routes = count_lines(&["route", "show", "table", "all"])
        + count_lines(&["-6", "route", "show", "table", "all"]);
    println!(
        "namespace: {links} interfaces, {routes} routes (all tables, both families); median of {RUNS} interleaved runs\n"
    );
    println!("| what | median | ratio |");
    println!("| --- | --- | --- |");
    let (a, b) = (median(&mut ours), median(&mut theirs));
    println!(
        "| `rustyjack status --json` | {} | {:.2} |",
        ms(a),
        ratio(a, b)
    );
    println!(
        "| `ip -j addr show` + `ip -j route show table all` | {} | 1.00 |",
        ms(b)
    );
    let (c, d) = (
        median(&mut one_dump.clone()),
        median(&mut per_interface.clone()),
    );
    println!(
        "| in-process listing, one link + one address dump | {} | {:.3} |",
        ms(c),
        ratio(c, d)
    );
    println!(
        "| in-process listing, link dump + one address dump per interface (N+1) | {} | 1.000 |",
        ms(d)
    );
}

async fn listing() -> (Vec<Duration>, Vec<Duration>) {
    let netlink = Netlink::connect(NetlinkOptions::default()).unwrap();
    let mut one_dump = Vec::new();
    let mut per_interface = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let interfaces = netlink.interfaces().await.unwrap();
        one_dump.push(started.elapsed());

        let started = Instant::now();
        let links = netlink.link_list().await.unwrap();
        let mut count = 0;
        for link in &links {
            let all = netlink.addr_list(None).await.unwrap();
            count += all.iter().filter(|a| a.index == link.index).count();
        }
        per_interface.push(started.elapsed());
        assert_eq!(
            count,
            interfaces.iter().map(|i| i.addresses.len()).sum::<usize>()
        );
    }
    (one_dump, per_interface)
}

/// 256 veth pairs (512 interfaces) with an IPv4 address each, and 5,000 routes in 10 tables.
fn build_namespace() {
    let mut batch = String::from("link set lo up\n");
    for i in 0..256 {
        batch.push_str(&format!(
            "link add b{i} type veth peer name b{i}p\nlink set b{i} up\nlink set b{i}p up\n"
        ));
        batch.push_str(&format!(
            "addr add 198.18.{}.{}/32 dev b{i}\n",
            i / 250,
            i % 250 + 1
        ));
        batch.push_str(&format!(
            "addr add 198.19.{}.{}/32 dev b{i}p\n",
            i / 250,
            i % 250 + 1
        ));
    }
    for i in 0..5000 {
        let (host, table) = (i % 256, 1000 + i / 256);
        batch.push_str(&format!(
            "route add 203.0.113.{host}/32 dev b{host} table {table}\n"
        ));
    }
    let mut child = Command::new("ip")
        .args(["-batch", "-"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(batch.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

fn run(program: &str, args: &[&str]) {
    let output = Command::new(program).args(args).output().unwrap();
    assert!(output.status.success(), "{program} {args:?} failed");
}

fn time(work: impl FnOnce()) -> Duration {
    let started = Instant::now();
    work();
    started.elapsed()
}

fn count_lines(args: &[&str]) -> usize {
    let output = Command::new("ip").args(args).output().unwrap();
    String::from_utf8_lossy(&output.stdout).lines().count()
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}
