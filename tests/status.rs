//! `rustyjack status` against iproute2 as the witness, in private namespaces.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

fn status_json() -> Value {
    let output = rustyjack().args(["status", "--json"]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("status --json prints JSON")
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_string)
}

/// Builds a namespace with the objects that trip naive readers: peer addresses, tun without MAC,
/// a table above 255, a multipath route, device-only defaults and both families.
fn build_mixed_namespace() {
    veth("v0");
    veth("v1");
    ip(&["tuntap", "add", "mode", "tun", "name", "tun0"]);
    ip(&["link", "set", "tun0", "up"]);
    ip(&["addr", "add", "192.0.2.10/24", "dev", "v0"]);
    ip(&[
        "addr",
        "add",
        "192.0.2.1",
        "peer",
        "192.0.2.2/32",
        "dev",
        "v1",
    ]);
    ip(&["addr", "add", "198.51.100.10/24", "dev", "v1"]);
    ip(&["-6", "addr", "add", "2001:db8::10/64", "dev", "v0", "nodad"]);
    ip(&[
        "-6",
        "addr",
        "add",
        "2001:db8:1::1",
        "peer",
        "2001:db8:1::2/128",
        "dev",
        "v1",
        "nodad",
    ]);
    ip(&["addr", "add", "203.0.113.5/32", "dev", "tun0"]);
    ip(&[
        "route",
        "add",
        "default",
        "via",
        "192.0.2.254",
        "dev",
        "v0",
        "metric",
        "100",
    ]);
    ip(&["route", "add", "default", "dev", "tun0", "metric", "50"]);
    ip(&[
        "route",
        "add",
        "default",
        "via",
        "198.51.100.1",
        "dev",
        "v1",
        "table",
        "51820",
    ]);
    ip(&["route", "add", "blackhole", "default", "table", "100"]);
    ip(&[
        "-6",
        "route",
        "add",
        "default",
        "via",
        "2001:db8::1",
        "dev",
        "v0",
    ]);
    ip(&[
        "route",
        "add",
        "203.0.113.0/24",
        "nexthop",
        "via",
        "192.0.2.254",
        "dev",
        "v0",
        "nexthop",
        "via",
        "198.51.100.1",
        "dev",
        "v1",
    ]);
}

#[test]
fn status_json_matches_iproute2() {
    let _ns = Netns::enter();
    build_mixed_namespace();
    let status = status_json();
    let witness = ip_json(&["addr", "show"]);

    let ours = status["interfaces"].as_array().unwrap();
    let theirs = witness.as_array().unwrap();
    assert_eq!(ours.len(), theirs.len());
    for (mine, link) in ours.iter().zip(theirs) {
        let name = link["ifname"].as_str().unwrap();
        assert_eq!(mine["name"], link["ifname"], "name");
        assert_eq!(mine["index"], link["ifindex"], "{name}: index");
        let up = link["flags"].as_array().unwrap().iter().any(|f| f == "UP");
        assert_eq!(mine["admin_up"], up, "{name}: admin_up");
        let oper = link["operstate"].as_str().unwrap().to_lowercase();
        assert_eq!(
            mine["oper_state"].as_str().unwrap(),
            oper,
            "{name}: oper_state"
        );
        assert_eq!(mine["mtu"], link["mtu"], "{name}: mtu");
        let mac = if link["link_type"] == "none" {
            None
        } else {
            text(&link["address"])
        };
        assert_eq!(text(&mine["mac"]), mac, "{name}: mac");

        let addresses = mine["addresses"].as_array().unwrap();
        let infos = link["addr_info"].as_array().unwrap();
        assert_eq!(addresses.len(), infos.len(), "{name}: address count");
        for (address, info) in addresses.iter().zip(infos) {
            assert_eq!(address["family"], info["family"], "{name}: family");
            assert_eq!(address["address"], info["local"], "{name}: local");
            assert_eq!(address["prefix_len"], info["prefixlen"], "{name}: prefix");
            assert_eq!(
                text(&address["peer"]),
                text(&info["address"]),
                "{name}: peer"
            );
            assert_eq!(address["scope"], info["scope"], "{name}: scope");
        }
    }

    let mut expected = BTreeSet::new();
    for family in ["-4", "-6"] {
        for route in ip_json(&[family, "route", "show", "table", "all"])
            .as_array()
            .unwrap()
        {
            if let Some(key) = witness_route_key(route, family) {
                expected.insert(key);
            }
        }
    }
    let actual: BTreeSet<String> = status["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(our_route_key)
        .collect();
    assert!(
        expected.len() >= 10,
        "the witness lists too few routes: {expected:?}"
    );
    assert_eq!(actual, expected);
    let multipath = status["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["destination"] == "203.0.113.0/24")
        .unwrap();
    assert_eq!(multipath["nexthops"].as_array().unwrap().len(), 2);
}

/// One comparable line per route as iproute2 prints it; local-table and non-unicast kernel
/// bookkeeping (broadcast, local, multicast, anycast) are left out, as `status --json` documents.
fn witness_route_key(route: &Value, family: &str) -> Option<String> {
    let table = route["table"].as_str().unwrap_or("main");
    let kind = route["type"].as_str().unwrap_or("unicast");
    if table == "local" || !matches!(kind, "unicast" | "blackhole" | "unreachable" | "prohibit") {
        return None;
    }
    let table = match table {
        "main" => "254".to_string(),
        "default" => "253".to_string(),
        other => other.to_string(),
    };
    let family = if family == "-4" { "inet" } else { "inet6" };
    let host_len = if family == "inet" { "/32" } else { "/128" };
    let mut destination = route["dst"].as_str().unwrap().to_string();
    if destination != "default" && !destination.contains('/') {
        destination.push_str(host_len);
    }
    // iproute2 leaves out a metric of 0.
    let metric = route["metric"].as_u64().unwrap_or(0).to_string();
    let gateway = route["gateway"].as_str().unwrap_or("-");
    let dev = route["dev"].as_str().unwrap_or("-");
    Some(format!(
        "{family} {destination} {kind} via {gateway} dev {dev} metric {metric} table {table}"
    ))
}

fn our_route_key(route: &Value) -> String {
    let metric = route["metric"]
        .as_u64()
        .map(|m| m.to_string())
        .unwrap_or("-".into());
    format!(
        "{} {} {} via {} dev {} metric {metric} table {}",
        route["family"].as_str().unwrap(),
        route["destination"].as_str().unwrap(),
        route["type"].as_str().unwrap(),
        route["gateway"].as_str().unwrap_or("-"),
        route["interface"].as_str().unwrap_or("-"),
        route["table"],
    )
}

/// Counts netlink requests of one `status` run twice: the product's own counter (debug log) and
/// strace's count of sendto calls, which does not depend on the product's code.
fn status_requests() -> (u64, usize) {
    let output = rustyjack()
        .args(["--log-level", "debug", "status", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let log = String::from_utf8_lossy(&output.stderr);
    let counted = log
        .lines()
        .find_map(|line| line.split("requests=").nth(1))
        .and_then(|rest| rest.trim().parse().ok())
        .expect("status logs its request count at debug");

    let traced = std::process::Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=sendto,sendmsg",
            "-o",
            "/dev/stderr",
        ])
        .arg(env!("CARGO_BIN_EXE_rustyjack"))
        .args(["status", "--json"])
        .output()
        .expect("strace is installed (apt-get install strace)");
    let sends = String::from_utf8_lossy(&traced.stderr)
        .lines()
        .filter(|line| line.contains("sendto(") || line.contains("sendmsg("))
        .count();
    (counted, sends)
}

#[test]
fn status_request_count_independent_of_interfaces() {
    let _ns = Netns::enter();
    veth("a0");
    let small = status_requests();

    let batch: String = (0..150)
        .map(|i| format!("link add n{i} type veth peer name n{i}p\n"))
        .collect();
    ip_batch(&batch);
    let links = ip_out(&["-o", "link", "show"]).lines().count();
    assert!(links >= 300, "{links}");
    let large = status_requests();

    assert_eq!(small.0, 3, "three dumps: links, addresses, routes");
    assert!(small.1 >= 3, "strace saw {} sends", small.1);
    assert_eq!(
        large, small,
        "(counter, sendto calls) for 3 links vs {links} links"
    );
}

#[test]
fn status_text_lists_interfaces_and_routes() {
    let _ns = Netns::enter();
    build_mixed_namespace();
    let output = rustyjack().arg("status").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    for expected in [
        "v0",
        "tun0",
        "192.0.2.1 peer 192.0.2.2/32",
        "default via 198.51.100.1 dev v1 table 51820",
        "default blackhole table 100",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}
