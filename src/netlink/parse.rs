//! Conversion of decoded netlink-packet-route messages into this crate's value types.
//!
//! The attribute rules follow what the kernel sends (rtnetlink(7), linux/if_addr.h,
//! linux/rtnetlink.h), including the cases where naive readers go wrong:
//! IFA_LOCAL against IFA_ADDRESS, IFA_FLAGS against the 8-bit header field, RTA_TABLE against
//! the one-byte `rtm_table`, and links with no IFLA_ADDRESS at all.

use std::net::IpAddr;

use netlink_packet_route::AddressFamily;
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkInfo, LinkMessage, State};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteMessage, RouteVia};

use super::types::{Address, Family, HwAddr, Link, Nexthop, OperState, Route};

/// Converts an RTM_NEWLINK message; every link message names an index and (nearly always) a name.
pub fn link(message: &LinkMessage) -> Link {
    let flags = message.header.flags;
    let mut link = Link {
        index: message.header.index,
        name: String::new(),
        admin_up: flags.contains(LinkFlags::Up),
        lower_up: flags.contains(LinkFlags::LowerUp),
        oper_state: OperState::Unknown,
        carrier: None,
        mac: None,
        mtu: None,
        kind: None,
        link_type: u16::from(message.header.link_layer_type),
        wireless: false,
    };
    for attribute in &message.attributes {
        match attribute {
            LinkAttribute::IfName(name) => link.name = name.clone(),
            LinkAttribute::OperState(state) => link.oper_state = oper_state(*state),
            LinkAttribute::Carrier(carrier) => link.carrier = Some(*carrier != 0),
            // An L3 device (tun, wireguard) has no IFLA_ADDRESS; an empty one means the same.
            LinkAttribute::Address(bytes) if !bytes.is_empty() => {
                link.mac = Some(HwAddr(bytes.clone()))
            }
            LinkAttribute::Mtu(mtu) => link.mtu = Some(*mtu),
            LinkAttribute::LinkInfo(infos) => link.kind = info_kind(infos),
            LinkAttribute::Wireless(_) => link.wireless = true,
            _ => {}
        }
    }
    link.wireless |= link.kind.is_none() && link.name.starts_with("wlan");
    link
}

fn info_kind(infos: &[LinkInfo]) -> Option<String> {
    infos.iter().find_map(|info| match info {
        LinkInfo::Kind(kind) => Some(kind.to_string()),
        _ => None,
    })
}

fn oper_state(state: State) -> OperState {
    match state {
        State::NotPresent => OperState::NotPresent,
        State::Down => OperState::Down,
        State::LowerLayerDown => OperState::LowerLayerDown,
        State::Testing => OperState::Testing,
        State::Dormant => OperState::Dormant,
        State::Up => OperState::Up,
        _ => OperState::Unknown,
    }
}

/// Converts an RTM_NEWADDR message, or returns `None` for a family other than IPv4 and IPv6 or a
/// message with neither IFA_LOCAL nor IFA_ADDRESS.
pub fn address(message: &AddressMessage) -> Option<Address> {
    let family = family(message.header.family)?;
    let mut wire_local = None;
    let mut wire_address = None;
    let mut long_flags = None;
    for attribute in &message.attributes {
        match attribute {
            AddressAttribute::Local(ip) => wire_local = Some(*ip),
            AddressAttribute::Address(ip) => wire_address = Some(*ip),
            AddressAttribute::Flags(flags) => long_flags = Some(flags.bits()),
            _ => {}
        }
    }
    // A PPP-like address may carry IFA_LOCAL alone; an IPv6 address without peer IFA_ADDRESS alone.
    let local = wire_local.or(wire_address)?;
    let peer = wire_address.filter(|address| Some(*address) != wire_local && wire_local.is_some());
    Some(Address {
        index: message.header.index,
        family,
        local,
        peer,
        prefix_len: message.header.prefix_len,
        scope: u8::from(message.header.scope),
        // IFA_FLAGS holds all 32 bits; the header keeps only the low eight.
        flags: long_flags.unwrap_or(u32::from(message.header.flags.bits())),
        wire_local,
        wire_address,
    })
}

/// Converts an RTM_NEWROUTE message, or returns `None` for a family other than IPv4 and IPv6.
pub fn route(message: &RouteMessage) -> Option<Route> {
    let header = &message.header;
    let family = family(header.address_family)?;
    let mut route = Route {
        family,
        table: u32::from(header.table),
        destination: None,
        dst_len: header.destination_prefix_length,
        gateway: None,
        oif: None,
        priority: None,
        protocol: u8::from(header.protocol),
        scope: u8::from(header.scope),
        kind: u8::from(header.kind),
        tos: header.tos,
        pref_source: None,
        nexthops: Vec::new(),
    };
    for attribute in &message.attributes {
        match attribute {
            // The header byte is 252 (RT_TABLE_COMPAT) for ids above 255; RTA_TABLE has the real id.
            RouteAttribute::Table(table) => route.table = *table,
            RouteAttribute::Destination(address) => route.destination = ip(address),
            RouteAttribute::Gateway(address) => route.gateway = ip(address),
            RouteAttribute::Via(via) => route.gateway = via_ip(via),
            RouteAttribute::Oif(index) => route.oif = Some(*index),
            RouteAttribute::Priority(priority) => route.priority = Some(*priority),
            RouteAttribute::PrefSource(address) => route.pref_source = ip(address),
            RouteAttribute::MultiPath(hops) => {
                route.nexthops = hops.iter().map(nexthop).collect();
            }
            _ => {}
        }
    }
    Some(route)
}

fn nexthop(hop: &netlink_packet_route::route::RouteNextHop) -> Nexthop {
    let gateway = hop.attributes.iter().find_map(|attribute| match attribute {
        RouteAttribute::Gateway(address) => ip(address),
        RouteAttribute::Via(via) => via_ip(via),
        _ => None,
    });
    Nexthop {
        gateway,
        oif: hop.interface_index,
        weight: u16::from(hop.hops) + 1,
    }
}

fn ip(address: &RouteAddress) -> Option<IpAddr> {
    match address {
        RouteAddress::Inet(v4) => Some(IpAddr::V4(*v4)),
        RouteAddress::Inet6(v6) => Some(IpAddr::V6(*v6)),
        _ => None,
    }
}

fn via_ip(via: &RouteVia) -> Option<IpAddr> {
    match via {
        RouteVia::Inet(v4) => Some(IpAddr::V4(*v4)),
        RouteVia::Inet6(v6) => Some(IpAddr::V6(*v6)),
        _ => None,
    }
}

fn family(family: AddressFamily) -> Option<Family> {
    match family {
        AddressFamily::Inet => Some(Family::Inet),
        AddressFamily::Inet6 => Some(Family::Inet6),
        _ => None,
    }
}

/// Returns the netlink-packet-route value for `family`.
pub fn address_family(family: Family) -> AddressFamily {
    match family {
        Family::Inet => AddressFamily::Inet,
        Family::Inet6 => AddressFamily::Inet6,
    }
}

#[cfg(test)]
mod tests {
    //! Parsing of captured kernel replies; `testdata/README.md` lists the commands behind them.

    use super::*;
    use crate::netlink::monitor::{Event, decode_datagram};
    use crate::netlink::types::{addr_flags, route_type};

    fn events(hex: &str) -> Vec<Event> {
        hex.lines()
            .flat_map(|line| decode_datagram(&bytes(line)))
            .collect()
    }

    fn bytes(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn links() -> Vec<Link> {
        events(include_str!("testdata/links.hex"))
            .into_iter()
            .map(|event| match event {
                Event::LinkNew(link) => link,
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    fn addresses() -> Vec<Address> {
        events(include_str!("testdata/addrs.hex"))
            .into_iter()
            .map(|event| match event {
                Event::AddressNew(address) => address,
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    fn routes() -> Vec<Route> {
        events(include_str!("testdata/routes.hex"))
            .into_iter()
            .map(|event| match event {
                Event::RouteNew(route) => route,
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    #[test]
    fn tun_link_has_no_mac() {
        let links = links();
        let tun = links.iter().find(|link| link.name == "tun0").unwrap();
        assert_eq!(tun.index, 4);
        assert_eq!(tun.mac, None);
        assert_eq!(tun.link_type, 65534);
        assert_eq!(tun.kind.as_deref(), Some("tun"));
        assert!(tun.admin_up);
        assert!(!tun.lower_up);
        assert!(!tun.is_running());
    }

    #[test]
    fn veth_link_fields() {
        let links = links();
        let v0 = links.iter().find(|link| link.name == "v0").unwrap();
        assert_eq!(v0.index, 3);
        assert_eq!(v0.mac.as_ref().unwrap().to_string(), "0e:ef:60:d1:4b:9f");
        assert_eq!(v0.oper_state, OperState::Up);
        assert_eq!(v0.carrier, Some(true));
        assert_eq!(v0.mtu, Some(1500));
        assert!(v0.is_running());
        let lo = links.iter().find(|link| link.name == "lo").unwrap();
        assert!(lo.is_loopback());
        assert!(!lo.admin_up);
    }

    #[test]
    fn peer_address_local_from_ifa_local() {
        let addresses = addresses();
        let peer = addresses
            .iter()
            .find(|a| a.local == ip("192.0.2.1"))
            .unwrap();
        assert_eq!(peer.peer, Some(ip("192.0.2.2")));
        assert_eq!(peer.prefix_len, 32);
        assert_eq!(peer.wire_address, Some(ip("192.0.2.2")));
    }

    #[test]
    fn local_only_address_kept() {
        let addresses = addresses();
        let tun = addresses.iter().find(|a| a.index == 4).unwrap();
        assert_eq!(tun.local, ip("198.51.100.1"));
        assert_eq!(tun.peer, None);
        assert_eq!(tun.wire_address, None);
    }

    #[test]
    fn flags_above_eight_bits_from_ifa_flags() {
        let addresses = addresses();
        let plain = addresses
            .iter()
            .find(|a| a.local == ip("192.0.2.5"))
            .unwrap();
        assert_ne!(plain.flags & addr_flags::NOPREFIXROUTE, 0);
        assert_ne!(plain.flags & addr_flags::PERMANENT, 0);
        assert_eq!(plain.flag_names(), vec!["permanent", "noprefixroute"]);
    }

    #[test]
    fn table_id_from_rta_table() {
        let routes = routes();
        let wireguard = routes.iter().find(|r| r.table == 51820).unwrap();
        assert!(wireguard.is_default());
        assert_eq!(wireguard.destination, None);
        assert_eq!(wireguard.gateway, Some(ip("192.0.2.2")));
        assert_eq!(wireguard.oif, Some(3));
        assert!(!routes.iter().any(|r| r.table == 252));
    }

    #[test]
    fn multipath_lists_each_nexthop() {
        let routes = routes();
        let multipath = routes.iter().find(|r| !r.nexthops.is_empty()).unwrap();
        assert_eq!(multipath.destination, Some(ip("203.0.113.0")));
        assert_eq!(multipath.oif, None);
        let hops: Vec<_> = multipath
            .nexthops
            .iter()
            .map(|h| (h.oif, h.gateway, h.weight))
            .collect();
        assert_eq!(hops, vec![(3, Some(ip("192.0.2.2")), 2), (4, None, 1)]);
        assert!(multipath.uses_link(4));
    }

    #[test]
    fn device_only_default_has_scope_link() {
        let routes = routes();
        let tun = routes
            .iter()
            .find(|r| r.is_default() && r.oif == Some(4))
            .unwrap();
        assert_eq!(tun.gateway, None);
        assert_eq!(tun.scope, 253);
        assert_eq!(tun.priority, Some(50));
        assert_eq!(tun.kind, route_type::UNICAST);
    }
}
