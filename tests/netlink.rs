//! The netlink layer against the real kernel, each test in a network namespace of its own.
//!
//! Many tests reproduce real-world failures of other netlink code; the iproute2 commands
//! behind each are in its comment.

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::*;
use rustyjack::netlink::ops::{DefaultRoute, DefaultRouteFilter};
use rustyjack::netlink::types::{addr_flags, route_type};
use rustyjack::netlink::{ErrorKind, Family, Kernel, Netlink, NetlinkOptions, OperState};

fn connect() -> Netlink {
    Netlink::connect(NetlinkOptions::default()).expect("netlink connection")
}

fn ipaddr(text: &str) -> IpAddr {
    text.parse().unwrap()
}

async fn addresses_on(netlink: &Netlink, index: u32) -> Vec<rustyjack::netlink::Address> {
    netlink
        .addr_list(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.index == index)
        .collect()
}

#[test]
fn link_up_down_and_lookup() {
    let _ns = Netns::enter();
    ip(&["link", "add", "v0", "type", "veth", "peer", "name", "v0p"]);
    block_on(async {
        let netlink = connect();
        let index = netlink.link_index("v0").await.unwrap();
        assert_eq!(index, index_of("v0"));

        netlink.link_set_up(index).await.unwrap();
        assert!(ip_out(&["link", "show", "v0"]).contains(",UP"));
        assert!(netlink.link_get(index).await.unwrap().admin_up);

        netlink.link_set_down(index).await.unwrap();
        assert!(!ip_out(&["link", "show", "v0"]).contains(",UP"));
        assert!(!netlink.link_get(index).await.unwrap().admin_up);
    });
}

#[test]
fn link_mac_get_and_set() {
    let _ns = Netns::enter();
    veth("v0");
    block_on(async {
        let netlink = connect();
        let index = netlink.link_index("v0").await.unwrap();
        let mac = rustyjack::netlink::names::parse_mac("test", "02:00:00:00:00:0a").unwrap();
        netlink.link_set_mac(index, &mac).await.unwrap();
        assert_eq!(netlink.link_mac(index).await.unwrap(), Some(mac));
        let witness = ip_json(&["link", "show", "v0"]);
        assert_eq!(witness[0]["address"], "02:00:00:00:00:0a");
    });
}

#[test]
fn invalid_names_rejected_before_any_request() {
    let _ns = Netns::enter();
    block_on(async {
        let netlink = connect();
        for name in ["", "sixteen-bytes-xx", "a/b", "a:b", "a b", "a\0b"] {
            let error = netlink.link_index(name).await.unwrap_err();
            assert!(error.is_invalid_argument(), "{name:?}: {error}");
        }
        assert_eq!(netlink.requests_sent(), 0);
    });
}

#[test]
fn unknown_link_is_not_found() {
    let _ns = Netns::enter();
    block_on(async {
        let netlink = connect();
        let error = netlink.link_index("nosuch0").await.unwrap_err();
        assert!(error.is_not_found(), "{error}");
        assert!(error.to_string().contains("nosuch0"), "{error}");
    });
}

#[test]
fn address_add_list_delete_both_families() {
    let _ns = Netns::enter();
    veth("v0");
    let index = index_of("v0");
    block_on(async {
        let netlink = connect();
        netlink
            .addr_add(index, ipaddr("192.0.2.10"), 24)
            .await
            .unwrap();
        netlink
            .addr_add(index, ipaddr("2001:db8::10"), 64)
            .await
            .unwrap();

        let error = netlink
            .addr_add(index, ipaddr("192.0.2.10"), 24)
            .await
            .unwrap_err();
        assert!(error.is_exists(), "{error}");

        let v4 = netlink.addr_list(Some(Family::Inet)).await.unwrap();
        assert!(v4.iter().all(|a| a.family == Family::Inet));
        let ours = v4
            .iter()
            .find(|a| a.index == index)
            .expect("IPv4 address listed");
        assert_eq!(
            (ours.local, ours.prefix_len, ours.peer),
            (ipaddr("192.0.2.10"), 24, None)
        );

        let all = addresses_on(&netlink, index).await;
        let v6 = all
            .iter()
            .find(|a| a.local == ipaddr("2001:db8::10"))
            .expect("IPv6 listed");
        assert_eq!(v6.prefix_len, 64);

        for address in all.iter().filter(|a| a.scope == 0) {
            netlink.addr_del(address).await.unwrap();
        }
        let witness = ip_out(&["addr", "show", "dev", "v0", "scope", "global"]);
        assert!(!witness.contains("inet"), "{witness}");
    });
}

#[test]
fn prefix_len_checked_per_family() {
    let _ns = Netns::enter();
    veth("v0");
    let index = index_of("v0");
    block_on(async {
        let netlink = connect();
        let error = netlink
            .addr_add(index, ipaddr("192.0.2.1"), 33)
            .await
            .unwrap_err();
        assert!(error.is_invalid_argument(), "{error}");
        assert!(
            netlink
                .addr_add(index, ipaddr("2001:db8::1"), 129)
                .await
                .is_err()
        );
        assert_eq!(netlink.requests_sent(), 0);
    });
}

/// A peer address has the peer in IFA_ADDRESS and the own address in IFA_LOCAL.
/// `ip addr add 192.0.2.1 peer 192.0.2.2/32 dev v0`; `ip -6 addr add 2001:db8::1 peer
/// 2001:db8::2/128 dev v0`; `ip addr add 198.51.100.1/32 peer 0.0.0.0 dev tun0` (IFA_LOCAL only).
#[test]
fn peer_addresses_listed_and_deleted() {
    let _ns = Netns::enter();
    veth("v0");
    ip(&[
        "addr",
        "add",
        "192.0.2.1",
        "peer",
        "192.0.2.2/32",
        "dev",
        "v0",
    ]);
    ip(&[
        "-6",
        "addr",
        "add",
        "2001:db8::1",
        "peer",
        "2001:db8::2/128",
        "dev",
        "v0",
        "nodad",
    ]);
    ip(&["tuntap", "add", "mode", "tun", "name", "tun0"]);
    ip(&["link", "set", "tun0", "up"]);
    ip(&[
        "addr",
        "add",
        "198.51.100.1/32",
        "peer",
        "0.0.0.0",
        "dev",
        "tun0",
    ]);
    let (v0, tun0) = (index_of("v0"), index_of("tun0"));

    block_on(async {
        let netlink = connect();
        let all = netlink.addr_list(None).await.unwrap();
        let find = |local: &str| all.iter().find(|a| a.local == ipaddr(local)).cloned();

        let v4 = find("192.0.2.1").expect("IPv4 peer address listed by its local value");
        assert_eq!(v4.peer, Some(ipaddr("192.0.2.2")));
        let v6 = find("2001:db8::1").expect("IPv6 peer address listed by its local value");
        assert_eq!(v6.peer, Some(ipaddr("2001:db8::2")));
        let tun = find("198.51.100.1").expect("IFA_LOCAL-only address listed");
        assert_eq!(tun.peer, None);
        assert_eq!(tun.wire_address, None);

        let v0_report = netlink.addr_flush(v0, None).await.unwrap();
        let tun_report = netlink.addr_flush(tun0, None).await.unwrap();
        assert!(v0_report.failed.is_empty(), "{:?}", v0_report.failed);
        assert!(tun_report.failed.is_empty(), "{:?}", tun_report.failed);
        assert!(addresses_on(&netlink, v0).await.is_empty());
        assert!(addresses_on(&netlink, tun0).await.is_empty());
    });
    let witness = ip_out(&["addr", "show"]);
    for gone in ["192.0.2.1", "2001:db8::1", "198.51.100.1"] {
        assert!(!witness.contains(gone), "{gone} still present: {witness}");
    }
}

/// Defaults without a gateway (tun, blackhole, custom tables) are listed and deletable.
/// `ip route add default dev tun0 metric 50`; `ip route add blackhole default table 100`.
#[test]
fn device_only_defaults() {
    let _ns = Netns::enter();
    veth("v0");
    ip(&["addr", "add", "192.0.2.10/24", "dev", "v0"]);
    ip(&["tuntap", "add", "mode", "tun", "name", "tun0"]);
    ip(&["link", "set", "tun0", "up"]);
    ip(&["addr", "add", "198.51.100.2/32", "dev", "tun0"]);
    ip(&[
        "route",
        "add",
        "default",
        "via",
        "192.0.2.1",
        "dev",
        "v0",
        "metric",
        "100",
    ]);
    ip(&["route", "add", "default", "dev", "tun0", "metric", "50"]);
    ip(&[
        "-6", "route", "add", "default", "dev", "tun0", "metric", "50",
    ]);
    ip(&["route", "add", "blackhole", "default", "table", "100"]);
    ip(&["route", "add", "default", "dev", "tun0", "table", "112"]);
    let tun0 = index_of("tun0");

    block_on(async {
        let netlink = connect();
        let routes = netlink.route_list().await.unwrap();
        let defaults: Vec<_> = routes.iter().filter(|r| r.is_default()).collect();
        let dev_only = |family, table| {
            defaults.iter().find(|r| {
                r.family == family && r.table == table && r.oif == Some(tun0) && r.gateway.is_none()
            })
        };
        assert!(dev_only(Family::Inet, 254).is_some(), "{defaults:?}");
        assert!(dev_only(Family::Inet6, 254).is_some(), "{defaults:?}");
        assert!(dev_only(Family::Inet, 112).is_some(), "{defaults:?}");
        let blackhole = defaults
            .iter()
            .find(|r| r.table == 100)
            .expect("blackhole default in table 100");
        assert_eq!(blackhole.kind, route_type::BLACKHOLE);
        assert_eq!(
            (blackhole.oif, blackhole.gateway, blackhole.destination),
            (None, None, None)
        );

        // Replacing the gateway default must not touch the device-only ones.
        let mut spec = DefaultRoute::via(ipaddr("192.0.2.1"));
        spec.metric = Some(10);
        netlink.route_default_replace(&spec).await.unwrap();
        let after = netlink.route_list().await.unwrap();
        assert!(
            after
                .iter()
                .any(|r| r.is_default() && r.oif == Some(tun0) && r.table == 254)
        );
        assert!(after.iter().any(|r| r.is_default() && r.metric() == 10));
        assert!(
            !after
                .iter()
                .any(|r| r.is_default() && r.metric() == 100 && r.family == Family::Inet)
        );

        // Every listed default can be deleted by feeding it back.
        for route in after.iter().filter(|r| r.is_default()) {
            netlink
                .route_del(route)
                .await
                .unwrap_or_else(|e| panic!("{route:?}: {e}"));
        }
        let left = netlink.route_list().await.unwrap();
        assert!(!left.iter().any(|r| r.is_default()), "{left:?}");
    });
    assert!(
        ip_out(&["route", "show", "table", "all", "default"])
            .trim()
            .is_empty()
    );
}

/// A delete with scope global does not match a scope-link default.
#[test]
fn scope_link_default_needs_wildcard_scope() {
    let _ns = Netns::enter();
    ip(&["tuntap", "add", "mode", "tun", "name", "tun0"]);
    ip(&["link", "set", "tun0", "up"]);
    ip(&["route", "add", "default", "dev", "tun0", "metric", "50"]);
    let witness = run_ip(&[
        "route", "del", "default", "dev", "tun0", "metric", "50", "scope", "global",
    ]);
    assert!(
        !witness.status.success(),
        "the kernel matched scope global: reproduction broke"
    );
    block_on(async {
        let netlink = connect();
        let filter = DefaultRouteFilter {
            family: Some(Family::Inet),
            table: None,
            oif: Some(index_of("tun0")),
            gateway: None,
            include_device_only: true,
        };
        let removed = netlink.route_default_del(&filter).await.unwrap();
        assert_eq!(removed.len(), 1);
    });
    assert!(ip_out(&["route", "show", "default"]).trim().is_empty());
}

/// Table ids above 255 only fit in RTA_TABLE. `ip route add default via 192.0.2.1 dev v0
/// table 51820`; `ip -6 route add default dev v0 table 51820 metric 5`; `... table 1000`.
#[test]
fn tables_above_255() {
    let _ns = Netns::enter();
    veth("v0");
    ip(&["addr", "add", "192.0.2.10/24", "dev", "v0"]);
    ip(&[
        "route",
        "add",
        "default",
        "via",
        "192.0.2.1",
        "dev",
        "v0",
        "table",
        "51820",
    ]);
    ip(&[
        "-6", "route", "add", "default", "dev", "v0", "table", "51820", "metric", "5",
    ]);
    ip(&[
        "route",
        "add",
        "default",
        "via",
        "192.0.2.1",
        "dev",
        "v0",
        "table",
        "1000",
    ]);
    let v0 = index_of("v0");

    block_on(async {
        let netlink = connect();
        let routes = netlink.route_list().await.unwrap();
        let in_table = |family, table| {
            routes
                .iter()
                .find(|r| r.is_default() && r.family == family && r.table == table)
                .cloned()
        };
        assert!(in_table(Family::Inet, 51820).is_some(), "{routes:?}");
        assert!(in_table(Family::Inet6, 51820).is_some(), "{routes:?}");
        assert!(in_table(Family::Inet, 1000).is_some(), "{routes:?}");
        assert!(
            in_table(Family::Inet, 252).is_none(),
            "the compat byte leaked into the table id"
        );

        // Add lands in the named table, not in main or 252.
        let spec = DefaultRoute {
            gateway: Some(ipaddr("192.0.2.1")),
            family: None,
            oif: Some(v0),
            metric: None,
            table: 1024,
        };
        netlink.route_default_add(&spec).await.unwrap();
        assert!(ip_out(&["route", "show", "table", "1024"]).contains("default via 192.0.2.1"));
        assert!(!ip_out(&["route", "show", "table", "main"]).contains("default"));

        for route in [
            in_table(Family::Inet, 51820),
            in_table(Family::Inet6, 51820),
            in_table(Family::Inet, 1000),
        ] {
            netlink.route_del(&route.unwrap()).await.unwrap();
        }
    });
    assert!(
        ip_out(&["route", "show", "table", "51820"])
            .trim()
            .is_empty()
    );
    assert!(
        ip_out(&["-6", "route", "show", "table", "51820"])
            .trim()
            .is_empty()
    );
    assert!(
        ip_out(&["route", "show", "table", "1000"])
            .trim()
            .is_empty()
    );
}

/// Several defaults, EEXIST on the same metric, IPv6's metric 1024, exact deletes.
#[test]
fn several_defaults_and_metrics() {
    let _ns = Netns::enter();
    veth("v0");
    veth("v1");
    ip(&["addr", "add", "192.0.2.10/24", "dev", "v0"]);
    ip(&["addr", "add", "198.51.100.10/24", "dev", "v1"]);
    let (v0, v1) = (index_of("v0"), index_of("v1"));

    block_on(async {
        let netlink = connect();
        netlink
            .route_default_add(&DefaultRoute::via(ipaddr("192.0.2.1")))
            .await
            .unwrap();
        let clash = netlink
            .route_default_add(&DefaultRoute::via(ipaddr("198.51.100.1")))
            .await
            .unwrap_err();
        assert!(clash.is_exists(), "{clash}");
        let mut backup = DefaultRoute::via(ipaddr("198.51.100.1"));
        backup.metric = Some(100);
        netlink.route_default_add(&backup).await.unwrap();

        // IPv6 without a metric is stored with 1024, and the module returns that metric.
        let mut v6 = DefaultRoute::via(ipaddr("fe80::1"));
        v6.oif = Some(v0);
        let added = netlink.route_default_add(&v6).await.unwrap();
        assert_eq!(added.priority, Some(1024));
        let mut v6_backup = DefaultRoute::via(ipaddr("fe80::1"));
        v6_backup.oif = Some(v1);
        let clash6 = netlink.route_default_add(&v6_backup).await.unwrap_err();
        assert!(clash6.is_exists(), "{clash6}");
        v6_backup.metric = Some(2048);
        netlink.route_default_add(&v6_backup).await.unwrap();

        let routes = netlink.route_list().await.unwrap();
        let defaults: Vec<_> = routes
            .iter()
            .filter(|r| r.is_default() && r.table == 254)
            .collect();
        assert_eq!(defaults.len(), 4, "{defaults:?}");
        let v4_main = defaults
            .iter()
            .find(|r| r.oif == Some(v0) && r.family == Family::Inet)
            .unwrap();
        assert_eq!(v4_main.metric(), 0);
        let v6_main = defaults
            .iter()
            .find(|r| r.oif == Some(v0) && r.family == Family::Inet6)
            .unwrap();
        assert_eq!(v6_main.priority, Some(1024));

        // Removing v1's defaults leaves v0's.
        let filter = DefaultRouteFilter {
            family: None,
            table: None,
            oif: Some(v1),
            gateway: None,
            include_device_only: false,
        };
        let removed = netlink.route_default_del(&filter).await.unwrap();
        assert_eq!(removed.len(), 2, "{removed:?}");
    });
    let v4 = ip_out(&["route", "show", "default"]);
    assert!(
        v4.contains("via 192.0.2.1 dev v0") && !v4.contains("v1"),
        "{v4}"
    );
    let v6 = ip_out(&["-6", "route", "show", "default"]);
    assert!(v6.contains("dev v0"), "{v6}");
    assert!(!v6.contains("dev v1"), "{v6}");
}

/// An IPv6 link-local gateway without an output interface is rejected up front.
#[test]
fn link_local_gateway_needs_interface() {
    let _ns = Netns::enter();
    block_on(async {
        let netlink = connect();
        let error = netlink
            .route_default_add(&DefaultRoute::via(ipaddr("fe80::1")))
            .await
            .unwrap_err();
        assert!(error.is_invalid_argument(), "{error}");
        assert_eq!(netlink.requests_sent(), 0);
    });
}

/// A delete with another prefix length does not match; duplicates are all flushed.
/// `ip addr add 192.0.2.20/24 dev v0; ip addr del 192.0.2.20/32 dev v0` fails with EADDRNOTAVAIL.
#[test]
fn prefix_length_must_match() {
    let _ns = Netns::enter();
    veth("v0");
    ip(&["addr", "add", "192.0.2.20/24", "dev", "v0"]);
    let v0 = index_of("v0");
    block_on(async {
        let netlink = connect();
        let mut wrong = addresses_on(&netlink, v0)
            .await
            .into_iter()
            .find(|a| a.family == Family::Inet)
            .unwrap();
        wrong.prefix_len = 32;
        let error = netlink.addr_del(&wrong).await.unwrap_err();
        assert!(error.is_not_found(), "{error}");
        assert!(ip_out(&["addr", "show", "dev", "v0"]).contains("192.0.2.20/24"));

        ip(&["addr", "add", "192.0.2.20/32", "dev", "v0"]);
        ip(&[
            "-6",
            "addr",
            "add",
            "2001:db8:5::20/64",
            "dev",
            "v0",
            "nodad",
        ]);
        let report = netlink.addr_flush(v0, None).await.unwrap();
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        assert!(report.removed.len() >= 3, "{:?}", report.removed);
        assert!(addresses_on(&netlink, v0).await.is_empty());
    });
}

/// With promote_secondaries=0, deleting the primary takes the secondaries along; a flush
/// still ends empty and reports no failure.
#[test]
fn secondaries_leave_with_primary() {
    let _ns = Netns::enter();
    sysctl("net.ipv4.conf.all.promote_secondaries", "0");
    sysctl("net.ipv4.conf.default.promote_secondaries", "0");
    veth("v0");
    sysctl("net.ipv4.conf.v0.promote_secondaries", "0");
    for last in ["10", "11", "12"] {
        ip(&["addr", "add", &format!("192.0.2.{last}/24"), "dev", "v0"]);
    }
    let v0 = index_of("v0");
    block_on(async {
        let netlink = connect();
        let listed = netlink.addr_list(Some(Family::Inet)).await.unwrap();
        let secondaries = listed
            .iter()
            .filter(|a| a.index == v0 && a.flags & addr_flags::SECONDARY != 0)
            .count();
        assert_eq!(secondaries, 2);

        // Deleting the primary first (the trap): the secondaries vanish and their deletes fail.
        let primary = listed
            .iter()
            .find(|a| a.index == v0 && a.flags & addr_flags::SECONDARY == 0)
            .unwrap();
        netlink.addr_del(primary).await.unwrap();
        let secondary = listed
            .iter()
            .find(|a| a.flags & addr_flags::SECONDARY != 0)
            .unwrap();
        assert!(
            netlink
                .addr_del(secondary)
                .await
                .unwrap_err()
                .is_not_found()
        );

        for last in ["10", "11", "12"] {
            ip(&["addr", "add", &format!("192.0.2.{last}/24"), "dev", "v0"]);
        }
        let report = netlink.addr_flush(v0, Some(Family::Inet)).await.unwrap();
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        assert_eq!(report.removed.len(), 3);
    });
    assert!(!ip_out(&["-4", "addr", "show", "dev", "v0"]).contains("inet"));
}

/// Tentative, dadfailed, deprecated and flags above 0xff come from IFA_FLAGS.
#[test]
fn address_flags_from_ifa_flags() {
    let _ns = Netns::enter();
    veth("v0");
    ip(&[
        "addr",
        "add",
        "2001:db8:2::5/64",
        "dev",
        "v0",
        "noprefixroute",
        "nodad",
    ]);
    ip(&["addr", "add", "192.0.2.5/24", "dev", "v0", "noprefixroute"]);
    ip(&[
        "addr",
        "add",
        "2001:db8:3::5/64",
        "dev",
        "v0",
        "preferred_lft",
        "0",
        "nodad",
    ]);
    ip(&["addr", "add", "2001:db8:4::5/64", "dev", "v0"]);
    let v0 = index_of("v0");
    block_on(async {
        let netlink = connect();
        let listed = addresses_on(&netlink, v0).await;
        let flags_of = |text: &str| {
            listed
                .iter()
                .find(|a| a.local == ipaddr(text))
                .unwrap()
                .flags
        };
        assert_ne!(flags_of("2001:db8:2::5") & addr_flags::NOPREFIXROUTE, 0);
        assert_ne!(flags_of("192.0.2.5") & addr_flags::NOPREFIXROUTE, 0);
        assert_ne!(flags_of("2001:db8:3::5") & addr_flags::DEPRECATED, 0);
        let fresh = listed
            .iter()
            .find(|a| a.local == ipaddr("2001:db8:4::5"))
            .unwrap();
        assert_ne!(
            fresh.flags & addr_flags::TENTATIVE,
            0,
            "DAD should still run"
        );
        assert!(!fresh.is_usable());

        let report = netlink.addr_flush(v0, None).await.unwrap();
        assert!(report.failed.is_empty(), "{:?}", report.failed);
    });
}

/// An address whose DAD failed is listed as dadfailed and still flushed.
#[test]
fn dadfailed_visible_and_flushed() {
    let _ns = Netns::enter();
    ip(&["link", "add", "v0", "type", "veth", "peer", "name", "v0p"]);
    ip(&["link", "set", "v0", "up"]);
    ip(&["link", "set", "v0p", "up"]);
    ip(&["addr", "add", "2001:db8:1::5/64", "dev", "v0p", "nodad"]);
    sysctl("net.ipv6.conf.v0.dad_transmits", "1");
    sysctl("net.ipv6.conf.v0.accept_dad", "1");
    // DAD needs the link up on both ends; wait until v0 is operationally up.
    wait_for(|| ip_out(&["link", "show", "v0"]).contains("state UP"));
    ip(&["addr", "add", "2001:db8:1::5/64", "dev", "v0"]);
    let v0 = index_of("v0");
    wait_for(|| ip_out(&["addr", "show", "dev", "v0"]).contains("dadfailed"));
    block_on(async {
        let netlink = connect();
        let failed = addresses_on(&netlink, v0)
            .await
            .into_iter()
            .find(|a| a.local == ipaddr("2001:db8:1::5"))
            .unwrap();
        assert_ne!(failed.flags & addr_flags::DADFAILED, 0);
        assert!(!failed.is_usable());
        let report = netlink.addr_flush(v0, None).await.unwrap();
        assert!(report.failed.is_empty(), "{:?}", report.failed);
    });
}

fn wait_for(condition: impl Fn() -> bool) {
    for _ in 0..100 {
        if condition() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("condition not met within 10 s");
}

/// Under address churn a dump is either complete or reported inconsistent, never partial.
#[test]
fn interrupted_dumps_never_partial() {
    let _ns = Netns::enter();
    veth("v0");
    let batch: String = (1..=250)
        .map(|i| format!("address add 203.0.113.{i}/32 dev v0\n"))
        .collect();
    ip_batch(&batch);
    let v0 = index_of("v0");
    let churn = std::process::Command::new("sh")
        .arg("-c")
        .arg("for i in $(seq 1 400); do ip addr add 198.51.100.$((i%250+1))/32 dev v0p; ip addr del 198.51.100.$((i%250+1))/32 dev v0p; done")
        .spawn()
        .unwrap();
    let (complete, inconsistent, requests) = block_on(async {
        let netlink = connect();
        let (mut complete, mut inconsistent) = (0, 0);
        for _ in 0..200 {
            match netlink.addr_list(Some(Family::Inet)).await {
                Ok(list) => {
                    let stable = list.iter().filter(|a| a.index == v0).count();
                    assert_eq!(stable, 250, "a dump returned as complete lacks addresses");
                    complete += 1;
                }
                Err(error) => {
                    assert!(
                        matches!(error.kind, ErrorKind::DumpInconsistent { .. }),
                        "{error}"
                    );
                    inconsistent += 1;
                }
            }
        }
        (complete, inconsistent, netlink.requests_sent())
    });
    let mut churn = churn;
    churn.wait().unwrap();
    eprintln!(
        "complete {complete}, inconsistent {inconsistent}, requests {requests} for 200 lists"
    );
    assert!(complete > 0);
}

/// A large table streams and the one default among thousands of routes is found.
#[test]
fn large_route_dump() {
    let _ns = Netns::enter();
    veth("v0");
    ip(&["addr", "add", "192.0.2.10/24", "dev", "v0"]);
    ip(&[
        "-6",
        "addr",
        "add",
        "2001:db8:ffff::10/64",
        "dev",
        "v0",
        "nodad",
    ]);
    let mut batch = String::new();
    for table in 1000..1040 {
        for net in ["192.0.2", "198.51.100", "203.0.113"] {
            for i in 0..256 {
                batch.push_str(&format!("route add {net}.{i}/32 dev v0 table {table}\n"));
            }
        }
    }
    for i in 0..10_000 {
        batch.push_str(&format!(
            "route add 2001:db8:{i:x}::/48 via 2001:db8:ffff::1 dev v0\n"
        ));
    }
    ip_batch(&batch);
    ip(&[
        "route",
        "add",
        "default",
        "via",
        "192.0.2.1",
        "dev",
        "v0",
        "metric",
        "10",
    ]);
    block_on(async {
        let netlink = connect();
        let mut count = 0usize;
        let mut defaults = Vec::new();
        netlink
            .route_each(|route| match route {
                None => {
                    count = 0;
                    defaults.clear();
                }
                Some(route) => {
                    count += 1;
                    if route.is_default() {
                        defaults.push(route);
                    }
                }
            })
            .await
            .unwrap();
        assert!(count >= 40 * 768 + 10_000, "{count}");
        assert_eq!(defaults.len(), 1, "{defaults:?}");
        assert_eq!(defaults[0].gateway, Some(ipaddr("192.0.2.1")));
        assert_eq!(defaults[0].metric(), 10);
    });
}

/// Tun has no IFLA_ADDRESS; it lists with no MAC and can be set down and flushed.
#[test]
fn link_without_mac() {
    let _ns = Netns::enter();
    ip(&["tuntap", "add", "mode", "tun", "name", "tun0"]);
    ip(&["link", "set", "tun0", "up"]);
    ip(&["addr", "add", "198.51.100.1/32", "dev", "tun0"]);
    let tun0 = index_of("tun0");
    block_on(async {
        let netlink = connect();
        let links = netlink.link_list().await.unwrap();
        let tun = links.iter().find(|l| l.name == "tun0").unwrap();
        assert_eq!(tun.mac, None);
        assert_eq!(tun.link_type, 65534);
        assert_eq!(tun.kind.as_deref(), Some("tun"));

        let mac = rustyjack::netlink::names::parse_mac("t", "02:00:00:00:00:01").unwrap();
        let error = netlink.link_set_mac(tun0, &mac).await.unwrap_err();
        assert!(error.errno().is_some(), "{error}");

        netlink.link_set_down(tun0).await.unwrap();
        let report = netlink.addr_flush(tun0, None).await.unwrap();
        assert!(report.failed.is_empty());
        assert!(!netlink.link_get(tun0).await.unwrap().admin_up);
    });
}

/// Admin state, lower-layer state, operstate and carrier are separate facts.
#[test]
fn admin_and_oper_state_separate() {
    let _ns = Netns::enter();
    ip(&["link", "add", "w0", "type", "veth", "peer", "name", "w0p"]);
    ip(&["link", "set", "w0", "up"]);
    ip(&["link", "add", "ifb0", "type", "ifb"]);
    let (w0, ifb0) = (index_of("w0"), index_of("ifb0"));
    block_on(async {
        let netlink = connect();
        let w = netlink.link_get(w0).await.unwrap();
        assert!(w.admin_up);
        assert_eq!(w.oper_state, OperState::LowerLayerDown);
        assert!(
            !w.is_running(),
            "admin up without a peer is not a usable uplink"
        );

        ip(&["link", "set", "w0p", "up"]);
        wait_for(|| ip_out(&["link", "show", "w0"]).contains("state UP"));
        let w = netlink.link_get(w0).await.unwrap();
        assert!(w.is_running());
        assert!(w.lower_up);

        let ifb = netlink.link_get(ifb0).await.unwrap();
        assert!(!ifb.admin_up);
        assert_eq!(ifb.carrier, Some(true));
        assert_eq!(ifb.oper_state, OperState::Down);
    });
}

/// ESRCH on a route the kernel already removed is a typed not-found; link down keeps IPv4
/// addresses, so a flush is still needed.
#[test]
fn routes_gone_after_link_down() {
    let _ns = Netns::enter();
    veth("v1");
    ip(&["addr", "add", "198.51.100.10/24", "dev", "v1"]);
    ip(&[
        "-6",
        "addr",
        "add",
        "2001:db8:7::10/64",
        "dev",
        "v1",
        "nodad",
    ]);
    ip(&[
        "route",
        "add",
        "default",
        "via",
        "198.51.100.1",
        "dev",
        "v1",
        "metric",
        "100",
    ]);
    ip(&[
        "route",
        "add",
        "203.0.113.42/32",
        "dev",
        "v1",
        "table",
        "201",
    ]);
    let v1 = index_of("v1");
    block_on(async {
        let netlink = connect();
        let routes = netlink.route_list().await.unwrap();
        let in_201 = routes.iter().find(|r| r.table == 201).cloned().unwrap();
        let default = routes
            .iter()
            .find(|r| r.is_default() && r.oif == Some(v1))
            .cloned()
            .unwrap();

        netlink.link_set_down(v1).await.unwrap();
        for route in [&in_201, &default] {
            let error = netlink.route_del(route).await.unwrap_err();
            assert!(error.is_not_found(), "{error}");
            assert_eq!(error.errno(), Some(3), "ESRCH turned positive once");
        }
        let v4_left = netlink.addr_list(Some(Family::Inet)).await.unwrap();
        assert!(
            v4_left.iter().any(|a| a.index == v1),
            "link down keeps IPv4 addresses"
        );
        let report = netlink.addr_flush(v1, None).await.unwrap();
        assert!(report.failed.is_empty());
    });
}

/// An error reply ends its request and the next request still completes.
/// (The timeout path is tested in `conn.rs` with a request the kernel never replies to.)
#[test]
fn error_then_list_and_timeout() {
    let _ns = Netns::enter();
    veth("v0");
    block_on(async {
        let netlink = connect();
        let error = netlink.link_set_up(999_999).await.unwrap_err();
        assert!(error.is_not_found(), "{error}");
        assert_eq!(error.errno(), Some(19), "ENODEV");
        assert!(netlink.link_list().await.unwrap().len() >= 3);
    });
}

/// Multipath routes list every nexthop and can be deleted by feeding them back.
#[test]
fn multipath_route_lists_nexthops() {
    let _ns = Netns::enter();
    veth("v0");
    veth("v1");
    ip(&["addr", "add", "192.0.2.10/24", "dev", "v0"]);
    ip(&["addr", "add", "198.51.100.10/24", "dev", "v1"]);
    ip(&[
        "route",
        "add",
        "203.0.113.0/24",
        "nexthop",
        "via",
        "192.0.2.1",
        "dev",
        "v0",
        "weight",
        "2",
        "nexthop",
        "via",
        "198.51.100.1",
        "dev",
        "v1",
    ]);
    let (v0, v1) = (index_of("v0"), index_of("v1"));
    block_on(async {
        let netlink = connect();
        let routes = netlink.route_list().await.unwrap();
        let multipath = routes
            .iter()
            .find(|r| r.nexthops.len() == 2)
            .expect("multipath listed");
        assert!(multipath.uses_link(v0));
        assert!(multipath.uses_link(v1));
        let weights: Vec<u16> = multipath.nexthops.iter().map(|hop| hop.weight).collect();
        assert_eq!(weights, vec![2, 1]);
        netlink.route_del(multipath).await.unwrap();
    });
    assert!(!ip_out(&["route", "show"]).contains("203.0.113.0"));
}

/// Extended-ack text from the kernel travels with the errno.
#[test]
fn kernel_error_keeps_extended_ack() {
    let _ns = Netns::enter();
    veth("v0");
    let v0 = index_of("v0");
    block_on(async {
        let netlink = connect();
        let mut route = rustyjack::netlink::Route {
            family: Family::Inet,
            table: 254,
            destination: Some(ipaddr("203.0.113.0")),
            dst_len: 24,
            gateway: Some(ipaddr("192.0.2.1")),
            oif: Some(v0),
            priority: None,
            protocol: 4,
            scope: 0,
            kind: route_type::UNICAST,
            tos: 0,
            pref_source: None,
            nexthops: Vec::new(),
        };
        let error = netlink.route_add(&route).await.unwrap_err();
        let ErrorKind::Kernel { errno, message } = &error.kind else {
            panic!("expected a kernel error: {error}");
        };
        assert!(*errno > 0);
        assert!(message.is_some(), "no extended ack text: {error}");
        route.gateway = None;
        netlink.route_add(&route).await.unwrap();
    });
}

/// A filtered snapshot keeps the routes that matter and only a few of the rest, while
/// still reading the whole dump.
#[test]
fn filtered_snapshot_keeps_few_routes() {
    let _ns = Netns::enter();
    veth("v0");
    veth("v1");
    ip(&["addr", "add", "192.0.2.10/24", "dev", "v0"]);
    ip(&["addr", "add", "198.51.100.10/24", "dev", "v1"]);
    let batch: String = (0..2000)
        .map(|i| {
            format!(
                "route add 203.0.113.{}/32 dev v0 table {}\n",
                i % 256,
                1000 + i / 256
            )
        })
        .collect();
    ip_batch(&batch);
    ip(&["route", "add", "default", "via", "192.0.2.1", "dev", "v0"]);
    ip(&[
        "route",
        "add",
        "198.18.0.0/15",
        "via",
        "198.51.100.1",
        "dev",
        "v1",
    ]);
    let (v0, v1) = (index_of("v0"), index_of("v1"));
    block_on(async {
        let netlink = connect();
        let only_v0 = |route: &rustyjack::netlink::Route| {
            route.output_links().next().is_some() && route.output_links().all(|i| i == v0)
        };
        let wanted = |route: &rustyjack::netlink::Route| route.is_default() || !only_v0(route);

        let snapshot = netlink.snapshot_filtered(&wanted, 10).await.unwrap();

        let spare = snapshot.routes.iter().filter(|r| !wanted(r)).count();
        assert_eq!(spare, 10);
        assert!(
            snapshot
                .routes
                .iter()
                .any(|r| r.uses_link(v1) && r.dst_len == 15)
        );
        assert!(
            snapshot
                .routes
                .iter()
                .any(|r| r.is_default() && r.uses_link(v0))
        );
        assert!(
            snapshot.routes.len() < 100,
            "{} routes kept",
            snapshot.routes.len()
        );
    });
}
