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
