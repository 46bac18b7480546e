//! The view model: what the screens show, as plain preformatted values.
//!
//! A [`Model`] is built from a kernel [`Snapshot`] and an [`EngineView`]. Every text is formatted
//! once here, so drawing does no formatting and two models compare with `==`; the UI redraws
//! only when an update yields a different model.

use crate::netlink::types::{addr_flags, route_type, table};
use crate::netlink::{Family, Link, Snapshot};

/// The isolation engine's state as the UI shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineView {
    /// One of "unselected", "isolating", "waiting for uplink", "online" or "degraded".
    pub state: String,
    /// The selected uplink, if any.
    pub uplink: Option<String>,
    /// Number of interfaces currently isolated.
    pub isolated: usize,
    /// Leaks corrected since start (links brought up, addresses or routes added by others).
    pub corrected_leaks: u64,
    /// Per-interface failures of the last isolation run: (interface, error message).
    pub failures: Vec<(String, String)>,
    /// Recent events, newest last.
    pub events: Vec<String>,
}

/// One address of an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressView {
    pub family: Family,
    /// `address/prefix_len`, plus ` peer X` for a point-to-point address.
    pub text: String,
    /// True for scope link (fe80::/10 and 169.254/16 in practice).
    pub link_local: bool,
    /// Flags worth showing: tentative, dadfailed, deprecated.
    pub notes: Vec<&'static str>,
}

/// One interface with its addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceView {
    pub name: String,
    pub index: u32,
    /// "ethernet", "wifi", "loopback", or the IFLA_INFO_KIND (`veth`, `bridge`, ...).
    pub kind: String,
    pub admin_up: bool,
    /// True when the link can carry traffic (see [`Link::is_running`]).
    pub running: bool,
    /// Operational state in `ip link` spelling.
    pub oper_state: &'static str,
    pub carrier: Option<bool>,
    pub mac: Option<String>,
    pub mtu: Option<u32>,
    pub is_loopback: bool,
    pub addresses: Vec<AddressView>,
}

impl InterfaceView {
    /// Returns the short state shown in lists: "up", "no carrier" or "down".
    pub fn state_label(&self) -> &'static str {
        match (self.admin_up, self.running) {
            (false, _) => "down",
            (true, true) => "up",
            (true, false) => "no carrier",
        }
    }
}

/// One path of a route: the gateway, if any, and the output interface by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HopView {
    pub gateway: Option<String>,
    pub device: Option<String>,
}

/// One route, formatted like `ip route` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteView {
    pub family: Family,
    pub is_default: bool,
    /// `default`, `198.51.100.0/24`, or a route type and destination (`unreachable default`).
    pub destination: String,
    /// One hop for a single-path route, several for a multipath route.
    pub hops: Vec<HopView>,
    pub metric: u32,
    /// The table id when it is not the main table.
    pub table: Option<u32>,
}

impl RouteView {
    /// Formats the route as one line in `ip route` word order.
    pub fn line(&self) -> String {
        let mut line = self.destination.clone();
        let multipath = self.hops.len() > 1;
        for hop in &self.hops {
            if multipath {
                line.push_str(" nexthop");
            }
            if let Some(gateway) = &hop.gateway {
                line.push_str(&format!(" via {gateway}"));
            }
            if let Some(device) = &hop.device {
                line.push_str(&format!(" dev {device}"));
            }
        }
        line.push_str(&format!(" metric {}", self.metric));
        if let Some(table) = self.table {
            line.push_str(&format!(" table {table}"));
        }
        line
    }

    /// Returns true when one of the hops leaves through `name`.
    pub fn uses(&self, name: &str) -> bool {
        self.hops
            .iter()
            .any(|hop| hop.device.as_deref() == Some(name))
    }

    /// Returns the gateway of the first hop that has one.
    pub fn first_gateway(&self) -> Option<&str> {
        self.hops.iter().find_map(|hop| hop.gateway.as_deref())
    }
}

/// Everything the screens show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Model {
    /// The program version shown on the splash and system screens.
    pub version: String,
    /// False until the first snapshot arrives; the splash screen stays up until then.
    pub known: bool,
    pub engine: EngineView,
    /// Interfaces in index order, loopback included.
    pub interfaces: Vec<InterfaceView>,
    /// Default routes first, then the rest, each group in kernel order.
    pub routes: Vec<RouteView>,
}

impl Model {
    /// Returns the model shown before any kernel state is known.
    pub fn empty(version: &str) -> Model {
        Model {
            version: version.to_string(),
            ..Model::default()
        }
    }

    /// Builds the model from a kernel snapshot and the engine's state.
    pub fn new(snapshot: &Snapshot, engine: EngineView, version: &str) -> Model {
        let mut interfaces: Vec<InterfaceView> = snapshot
            .links
            .iter()
            .map(|link| interface_view(link, snapshot))
            .collect();
        interfaces.sort_by_key(|interface| interface.index);
        Model {
            version: version.to_string(),
            known: true,
            engine,
            interfaces,
            routes: route_views(snapshot),
        }
    }

    /// Replaces the kernel part; returns true when the model changed.
    pub fn update_snapshot(&mut self, snapshot: &Snapshot) -> bool {
        let next = Model::new(snapshot, self.engine.clone(), &self.version);
        self.replace(next)
    }

    /// Replaces the engine part; returns true when the model changed.
    pub fn update_engine(&mut self, engine: EngineView) -> bool {
        if self.engine == engine {
            return false;
        }
        self.engine = engine;
        true
    }

    fn replace(&mut self, next: Model) -> bool {
        if *self == next {
            return false;
        }
        *self = next;
        true
    }

    /// Returns the interface called `name`.
    pub fn interface(&self, name: &str) -> Option<&InterfaceView> {
        self.interfaces
            .iter()
            .find(|interface| interface.name == name)
    }

    /// Returns the interfaces an operator may choose as uplink: all but loopback.
    pub fn candidates(&self) -> impl Iterator<Item = &InterfaceView> {
        self.interfaces
            .iter()
            .filter(|interface| !interface.is_loopback)
    }

    /// Returns the default routes that leave through `name`.
    pub fn default_routes_via<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a RouteView> {
        self.routes
            .iter()
            .filter(move |route| route.is_default && route.uses(name))
    }
}

fn interface_view(link: &Link, snapshot: &Snapshot) -> InterfaceView {
    let addresses = snapshot
        .addresses
        .iter()
        .filter(|address| address.index == link.index)
        .map(address_view)
        .collect();
    InterfaceView {
        name: link.name.clone(),
        index: link.index,
        kind: kind_label(link),
        admin_up: link.admin_up,
        running: link.is_running(),
        oper_state: link.oper_state.as_str(),
        carrier: link.carrier,
        mac: link.mac.as_ref().map(|mac| mac.to_string()),
        mtu: link.mtu,
        is_loopback: link.is_loopback(),
        addresses,
    }
}

/// ARPHRD_ETHER from linux/if_arp.h.
const ARPHRD_ETHER: u16 = 1;

fn kind_label(link: &Link) -> String {
    if link.is_loopback() {
        return "loopback".to_string();
    }
    if link.wireless {
        return "wifi".to_string();
    }
    match (&link.kind, link.link_type) {
        (Some(kind), _) => kind.clone(),
        (None, ARPHRD_ETHER) => "ethernet".to_string(),
        (None, other) => format!("type {other}"),
    }
}

/// RT_SCOPE_LINK from linux/rtnetlink.h.
const SCOPE_LINK: u8 = 253;

fn address_view(address: &crate::netlink::Address) -> AddressView {
    let mut text = format!("{}/{}", address.local, address.prefix_len);
    if let Some(peer) = address.peer {
        text.push_str(&format!(" peer {peer}"));
    }
    let shown = [
        (addr_flags::TENTATIVE, "tentative"),
        (addr_flags::DADFAILED, "dadfailed"),
        (addr_flags::DEPRECATED, "deprecated"),
    ];
    AddressView {
        family: address.family,
        text,
        link_local: address.scope == SCOPE_LINK,
        notes: shown
            .iter()
            .filter(|(bit, _)| address.flags & bit != 0)
            .map(|(_, name)| *name)
            .collect(),
    }
}

fn route_views(snapshot: &Snapshot) -> Vec<RouteView> {
    let mut routes: Vec<RouteView> = snapshot
        .routes
        .iter()
        .filter(|route| route.table != table::LOCAL)
        .map(|route| route_view(route, snapshot))
        .collect();
    routes.sort_by_key(|route| !route.is_default);
    routes
}

fn route_view(route: &crate::netlink::Route, snapshot: &Snapshot) -> RouteView {
    let prefix = match route.destination {
        None => "default".to_string(),
        Some(_) if route.dst_len == 0 => "default".to_string(),
        Some(destination) => format!("{destination}/{}", route.dst_len),
    };
    let destination = match route_type_name(route.kind) {
        Some(name) => format!("{name} {prefix}"),
        None => prefix,
    };
    RouteView {
        family: route.family,
        is_default: route.is_default(),
        destination,
        hops: hop_views(route, snapshot),
        metric: route.metric(),
        table: (route.table != table::MAIN).then_some(route.table),
    }
}

fn hop_views(route: &crate::netlink::Route, snapshot: &Snapshot) -> Vec<HopView> {
    let name = |index: u32| snapshot.link_name(index);
    if route.nexthops.is_empty() {
        return vec![HopView {
            gateway: route.gateway.map(|gateway| gateway.to_string()),
            device: route.oif.map(name),
        }];
    }
    route
        .nexthops
        .iter()
        .map(|hop| HopView {
            gateway: hop.gateway.map(|gateway| gateway.to_string()),
            device: Some(name(hop.oif)),
        })
        .collect()
}

/// Names the route types that are not plain unicast, as `ip route` prefixes them.
fn route_type_name(kind: u8) -> Option<&'static str> {
    match kind {
        route_type::BLACKHOLE => Some("blackhole"),
        route_type::UNREACHABLE => Some("unreachable"),
        route_type::PROHIBIT => Some("prohibit"),
        _ => None,
    }
}
