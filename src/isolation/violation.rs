//! Isolation requirements for a snapshot, and the violations found in it.
//!
//! Every link falls in one of three roles: the uplink (found by the selected name), kept (loopback
//! or a keep pattern), or managed (everything else, including an output index the snapshot does not
//! list). A managed link must be admin down, hold no address and be the output of no route in any
//! table, and the uplink must be admin up.
//!
//! Route policy:
//! - A multipath route with any nexthop on a managed link is deleted whole, nexthops on the uplink
//!   included, because the kernel cannot drop one path of an IPv4 multipath route in place.
//! - A route without an output interface (blackhole, unreachable, prohibit) sends nothing out of
//!   any link, so it is not a leak and is left alone, default or not.
//! - Routes whose outputs are only the uplink or kept links are left alone.

use std::fmt;
use std::net::IpAddr;

use super::keep::KeepSet;
use crate::netlink::names::escape_controls;
use crate::netlink::types::route_type;
use crate::netlink::{Address, Link, Route, Snapshot};

/// The role a link plays for isolation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Uplink,
    Kept,
    Managed,
}

/// The selected uplink and keep set applied to one snapshot.
pub(crate) struct Roles<'a> {
    pub uplink: Option<&'a Link>,
    keep: &'a KeepSet,
    snapshot: &'a Snapshot,
}

impl<'a> Roles<'a> {
    pub fn resolve(selection: &str, keep: &'a KeepSet, snapshot: &'a Snapshot) -> Roles<'a> {
        Roles {
            uplink: snapshot.link_by_name(selection),
            keep,
            snapshot,
        }
    }

    /// Returns the role of `index`; an index missing from the snapshot is managed.
    pub fn role(&self, index: u32) -> Role {
        if self.uplink.is_some_and(|uplink| uplink.index == index) {
            return Role::Uplink;
        }
        match self.snapshot.link(index) {
            Some(link) if self.keep.keeps(link) => Role::Kept,
            _ => Role::Managed,
        }
    }

    /// Returns the first output link of `route` that is managed.
    fn first_managed_output(&self, route: &Route) -> Option<u32> {
        route
            .output_links()
            .find(|index| self.role(*index) == Role::Managed)
    }
}

/// One place where the kernel state breaks isolation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// A managed link is administratively up.
    LinkUp { index: u32, name: String },
    /// A managed link has an address.
    Address { name: String, address: Address },
    /// A route leaves through managed link `index`; `printed` is the route as `ip route` prints it.
    Route {
        index: u32,
        name: String,
        route: Route,
        printed: String,
    },
    /// The selected uplink is present but administratively down.
    UplinkDown { index: u32, name: String },
    /// An address configured for the uplink is missing from it.
    StaticAddressMissing {
        index: u32,
        name: String,
        address: IpAddr,
        prefix_len: u8,
    },
    /// The default route via a gateway configured for the uplink is missing; `route` is the one
    /// to add.
    StaticGatewayMissing {
        index: u32,
        name: String,
        route: Route,
    },
    /// A default route of the uplink that blocks the configured gateway's (same metric).
    StaticGatewayConflict {
        index: u32,
        name: String,
        route: Route,
        gateway: IpAddr,
    },
}

impl Violation {
    /// Returns the index of the link the violation concerns.
    pub fn index(&self) -> u32 {
        match self {
            Violation::LinkUp { index, .. }
            | Violation::UplinkDown { index, .. }
            | Violation::StaticAddressMissing { index, .. }
            | Violation::StaticGatewayMissing { index, .. }
            | Violation::StaticGatewayConflict { index, .. }
            | Violation::Route { index, .. } => *index,
            Violation::Address { address, .. } => address.index,
        }
    }

    /// Returns the name of the link the violation concerns.
    pub fn link_name(&self) -> &str {
        match self {
            Violation::LinkUp { name, .. }
            | Violation::Address { name, .. }
            | Violation::Route { name, .. }
            | Violation::UplinkDown { name, .. }
            | Violation::StaticAddressMissing { name, .. }
            | Violation::StaticGatewayMissing { name, .. }
            | Violation::StaticGatewayConflict { name, .. } => name,
        }
    }

    /// Returns true for a shortfall of the uplink itself (down, or missing its configured
    /// addressing), as opposed to a leak through another link.
    pub fn is_uplink_shortfall(&self) -> bool {
        matches!(
            self,
            Violation::UplinkDown { .. }
                | Violation::StaticAddressMissing { .. }
                | Violation::StaticGatewayMissing { .. }
                | Violation::StaticGatewayConflict { .. }
        )
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = escape_controls(self.link_name());
        match self {
            Violation::LinkUp { .. } => write!(f, "{who}: link is up"),
            Violation::Address { address, .. } => {
                write!(f, "{who}: address {} present", address_text(address))
            }
            Violation::Route { route, printed, .. } if route.is_default() => {
                write!(
                    f,
                    "{who}: {printed} leaves through it, which is not the uplink"
                )
            }
            Violation::Route { printed, .. } => write!(f, "{who}: route {printed} uses it"),
            Violation::UplinkDown { .. } => write!(f, "{who}: uplink is down"),
            Violation::StaticAddressMissing {
                address,
                prefix_len,
                ..
            } => write!(
                f,
                "{who}: configured address {address}/{prefix_len} missing"
            ),
            Violation::StaticGatewayConflict { route, gateway, .. } => {
                let via = route
                    .gateway
                    .map(|g| format!(" via {g}"))
                    .unwrap_or_default();
                write!(
                    f,
                    "{who}: default{via} metric {} blocks the configured gateway {gateway}",
                    route.metric()
                )
            }
            Violation::StaticGatewayMissing { route, .. } => {
                let gateway = route.gateway.map(|g| g.to_string()).unwrap_or_default();
                write!(f, "{who}: configured default via {gateway} missing")
            }
        }
    }
}

/// Lists every violation of isolation in `snapshot` for the selected uplink name and keep set.
///
/// With no selection nothing is required, so the list is empty. Links come first, then addresses,
/// then routes, each in snapshot order.
pub fn violations(selection: Option<&str>, keep: &KeepSet, snapshot: &Snapshot) -> Vec<Violation> {
    let Some(selection) = selection else {
        return Vec::new();
    };
    let roles = Roles::resolve(selection, keep, snapshot);
    let mut found = Vec::new();

    for link in &snapshot.links {
        let role = roles.role(link.index);
        if role == Role::Managed && link.admin_up {
            found.push(Violation::LinkUp {
                index: link.index,
                name: link.name.clone(),
            });
        }
        if role == Role::Uplink && !link.admin_up {
            found.push(Violation::UplinkDown {
                index: link.index,
                name: link.name.clone(),
            });
        }
    }

    for address in &snapshot.addresses {
        if roles.role(address.index) == Role::Managed {
            found.push(Violation::Address {
                name: snapshot.link_name(address.index),
                address: address.clone(),
            });
        }
    }

    for route in &snapshot.routes {
        if let Some(index) = roles.first_managed_output(route) {
            found.push(Violation::Route {
                index,
                name: snapshot.link_name(index),
                route: route.clone(),
                printed: route_text(route, snapshot),
            });
        }
    }
    found
}

/// Formats an address the way `ip addr` does: `192.0.2.5/24`, or `LOCAL peer PEER/LEN`.
pub fn address_text(address: &Address) -> String {
    match address.peer {
        Some(peer) => format!("{} peer {peer}/{}", address.local, address.prefix_len),
        None => format!("{}/{}", address.local, address.prefix_len),
    }
}

/// Formats a route close to `ip route` output, always naming the table.
pub fn route_text(route: &Route, snapshot: &Snapshot) -> String {
    let mut words = Vec::new();
    if let Some(kind) = route_kind_name(route.kind) {
        words.push(kind.to_string());
    }
    words.push(destination_text(route));
    if let Some(gateway) = route.gateway {
        words.push(format!("via {gateway}"));
    }
    if let Some(oif) = route.oif {
        words.push(format!("dev {}", snapshot.link_name(oif)));
    }
    words.push(format!("table {}", route.table));
    if let Some(metric) = route.priority {
        words.push(format!("metric {metric}"));
    }
    for hop in &route.nexthops {
        words.push(nexthop_text(hop.gateway, snapshot.link_name(hop.oif)));
    }
    words.join(" ")
}

fn destination_text(route: &Route) -> String {
    match route.destination {
        _ if route.dst_len == 0 => "default".to_string(),
        Some(destination) => format!("{destination}/{}", route.dst_len),
        None => format!("?/{}", route.dst_len),
    }
}

fn nexthop_text(gateway: Option<IpAddr>, name: String) -> String {
    match gateway {
        Some(gateway) => format!("nexthop via {gateway} dev {name}"),
        None => format!("nexthop dev {name}"),
    }
}

/// Returns the `ip route` type keyword, or `None` for unicast, which `ip` leaves unprinted.
fn route_kind_name(kind: u8) -> Option<&'static str> {
    match kind {
        route_type::UNICAST => None,
        route_type::LOCAL => Some("local"),
        route_type::BROADCAST => Some("broadcast"),
        route_type::ANYCAST => Some("anycast"),
        route_type::MULTICAST => Some("multicast"),
        route_type::BLACKHOLE => Some("blackhole"),
        route_type::UNREACHABLE => Some("unreachable"),
        route_type::PROHIBIT => Some("prohibit"),
        _ => None,
    }
}
