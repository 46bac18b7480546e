//! Fixed kernel snapshots and engine states shared by the UI tests and the UI bench.

#![allow(dead_code)]

use std::net::IpAddr;

use rustyjack::netlink::types::{addr_flags, route_type, table};
use rustyjack::netlink::{Address, Family, HwAddr, Link, Nexthop, OperState, Route, Snapshot};
use rustyjack::ui::{EngineView, Model};

pub const VERSION: &str = "0.1.0";

/// A long global IPv6 address: 39 characters, which needs more than one 21-column row.
pub const LONG_IPV6: &str = "2001:db8:85a3:1234:5678:8a2e:370:7334";

pub fn link(index: u32, name: &str, up: bool, kind: Option<&str>) -> Link {
    Link {
        index,
        name: name.to_string(),
        admin_up: up,
        lower_up: up,
        oper_state: if up { OperState::Up } else { OperState::Down },
        carrier: Some(up),
        mac: Some(HwAddr(vec![0x02, 0, 0, 0, 0, index as u8])),
        mtu: Some(1500),
        kind: kind.map(str::to_string),
        link_type: 1,
        wireless: name.starts_with("wlan"),
    }
}

fn loopback() -> Link {
    Link {
        oper_state: OperState::Unknown,
        mac: None,
        mtu: Some(65536),
        link_type: 772,
        ..link(1, "lo", true, None)
    }
}

pub fn address(index: u32, text: &str, prefix_len: u8, scope: u8, flags: u32) -> Address {
    let local: IpAddr = text.parse().unwrap();
    Address {
        index,
        family: Family::of(&local),
        local,
        peer: None,
        prefix_len,
        scope,
        flags,
        wire_local: Some(local),
        wire_address: Some(local),
    }
}

pub fn route(
    destination: Option<&str>,
    dst_len: u8,
    gateway: Option<&str>,
    oif: u32,
    metric: u32,
) -> Route {
    let destination: Option<IpAddr> = destination.map(|text| text.parse().unwrap());
    let gateway: Option<IpAddr> = gateway.map(|text| text.parse().unwrap());
    let family = match destination.or(gateway) {
        Some(addr) => Family::of(&addr),
        None => Family::Inet,
    };
    Route {
        family,
        table: table::MAIN,
        destination,
        dst_len,
        gateway,
        oif: Some(oif),
        priority: Some(metric),
        protocol: 4,
        scope: 0,
        kind: route_type::UNICAST,
        tos: 0,
        pref_source: None,
        nexthops: Vec::new(),
    }
}

/// A Pi with eth0 as uplink, on-board Wi-Fi and the USB gadget isolated.
pub fn online_snapshot() -> Snapshot {
    let links = vec![
        loopback(),
        link(2, "eth0", true, None),
        link(3, "wlan0", false, None),
        link(4, "usb0", false, None),
    ];
    let addresses = vec![
        address(1, "127.0.0.1", 8, 254, addr_flags::PERMANENT),
        address(2, "192.0.2.10", 24, 0, 0),
        address(2, LONG_IPV6, 64, 0, addr_flags::MANAGETEMPADDR),
        address(2, "fe80::ff:fe00:2", 64, 253, addr_flags::PERMANENT),
    ];
    let v6_default = Route {
        family: Family::Inet6,
        ..route(None, 0, Some("fe80::1"), 2, 1024)
    };
    let routes = vec![
        route(None, 0, Some("192.0.2.1"), 2, 100),
        v6_default,
        route(Some("192.0.2.0"), 24, None, 2, 100),
        route(Some("2001:db8:85a3:1234::"), 64, None, 2, 256),
    ];
    Snapshot {
        links,
        addresses,
        routes,
    }
}

pub fn online_engine() -> EngineView {
    EngineView {
        state: "online".to_string(),
        uplink: Some("eth0".to_string()),
        isolated: 2,
        corrected_leaks: 3,
        failures: Vec::new(),
        events: vec![
            "selected eth0".to_string(),
            "wlan0 brought up by another process; taken down".to_string(),
            "route 10.0.0.0/8 via usb0 removed".to_string(),
        ],
    }
}

pub fn online_model() -> Model {
    Model::new(&online_snapshot(), online_engine(), VERSION)
}

/// Thirteen interfaces: more than the ten body rows of a page.
pub fn crowded_snapshot() -> Snapshot {
    let mut snapshot = online_snapshot();
    let extra = [
        ("eth1", None),
        ("wlan1", None),
        ("veth-lab0", Some("veth")),
        ("br-lab", Some("bridge")),
        ("tun0", Some("tun")),
        ("vxlan100", Some("vxlan")),
        ("macvlan-long-nm", Some("macvlan")),
        ("ifb0", Some("ifb")),
        ("eth2", None),
    ];
    for (offset, (name, kind)) in extra.iter().enumerate() {
        snapshot
            .links
            .push(link(5 + offset as u32, name, false, *kind));
    }
    snapshot
}

/// eth1 selected but unplugged, wlan0 refused to go down, and a multipath leak on table 100.
pub fn failing_model() -> Model {
    let mut snapshot = online_snapshot();
    snapshot.links[1].admin_up = true;
    snapshot.links[1].lower_up = false;
    snapshot.links[1].oper_state = OperState::LowerLayerDown;
    snapshot.links[1].carrier = Some(false);
    snapshot.links[2].admin_up = true;
    snapshot
        .addresses
        .push(address(2, "fe80::2", 64, 253, addr_flags::TENTATIVE));
    let mut multipath = route(None, 0, None, 2, 50);
    multipath.oif = None;
    multipath.table = 100;
    multipath.nexthops = vec![
        Nexthop {
            gateway: Some("192.0.2.1".parse().unwrap()),
            oif: 2,
            weight: 1,
        },
        Nexthop {
            gateway: Some("198.51.100.1".parse().unwrap()),
            oif: 3,
            weight: 1,
        },
    ];
    snapshot.routes.push(multipath);
    let engine = EngineView {
        state: "degraded".to_string(),
        uplink: Some("eth0".to_string()),
        isolated: 1,
        corrected_leaks: 12,
        failures: vec![(
            "wlan0".to_string(),
            "link set down: operation not supported (EOPNOTSUPP)".to_string(),
        )],
        events: vec!["isolation of wlan0 failed".to_string()],
    };
    Model::new(&snapshot, engine, VERSION)
}
