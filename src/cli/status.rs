//! `rustyjack status`: interfaces, addresses and routes, as text or as the JSON of the contract.
//!
//! It costs three dumps (links, addresses, routes), whatever the number of interfaces.

use std::collections::HashMap;
use std::io::Write;

use serde::Serialize;

use crate::netlink::names::escape_controls;
use crate::netlink::types::{protocol_name, route_type, scope_name, table};
use crate::netlink::{Address, Kernel, Link, Netlink, NetlinkOptions, Route, Snapshot};

/// The contract's JSON object. Routes are converted one at a time while they are written, so
/// a table of hundreds of thousands of routes is held once (in the snapshot), not three times.
#[derive(Serialize)]
pub struct StatusJson<'a> {
    pub interfaces: Vec<InterfaceJson>,
    pub routes: Routes<'a>,
}

/// The listed routes of a snapshot, with interface names resolved.
pub struct Routes<'a> {
    routes: &'a [Route],
    names: HashMap<u32, &'a str>,
}

impl Routes<'_> {
    /// Returns the routes the contract lists, in kernel order.
    pub fn iter(&self) -> impl Iterator<Item = RouteJson> + '_ {
        self.routes
            .iter()
            .filter(|route| route.table != table::LOCAL && is_listed_type(route.kind))
            .map(|route| route_json(route, &self.names))
    }
}

impl Serialize for Routes<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

#[derive(Debug, Serialize)]
pub struct InterfaceJson {
    pub name: String,
    pub index: u32,
    pub admin_up: bool,
    pub oper_state: &'static str,
    pub carrier: Option<bool>,
    pub mac: Option<String>,
    pub mtu: Option<u32>,
    pub kind: Option<String>,
    pub addresses: Vec<AddressJson>,
}

#[derive(Debug, Serialize)]
pub struct AddressJson {
    pub family: &'static str,
    pub address: String,
    pub prefix_len: u8,
    pub peer: Option<String>,
    pub scope: String,
    pub flags: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct RouteJson {
    pub family: &'static str,
    pub destination: String,
    pub gateway: Option<String>,
    pub interface: Option<String>,
    pub metric: Option<u32>,
    pub table: u32,
    pub protocol: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nexthops: Vec<NexthopJson>,
}

#[derive(Debug, Serialize)]
pub struct NexthopJson {
    pub gateway: Option<String>,
    pub interface: Option<String>,
    pub weight: u16,
}

/// Reads the kernel state and prints it.
pub async fn run(json: bool) -> anyhow::Result<u8> {
    let netlink = Netlink::connect(NetlinkOptions::default())?;
    let snapshot = netlink.snapshot().await?;
    tracing::debug!(requests = netlink.requests_sent(), "status read");
    let status = build(&snapshot);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        serde_json::to_writer_pretty(&mut out, &status)?;
        writeln!(out)?;
    } else {
        write_text(&mut out, &status)?;
    }
    out.flush()?;
    Ok(0)
}

/// Builds the contract's JSON shape from a snapshot; routes of the local table are left out.
pub fn build(snapshot: &Snapshot) -> StatusJson<'_> {
    let names: HashMap<u32, &str> = snapshot
        .links
        .iter()
        .map(|link| (link.index, link.name.as_str()))
        .collect();
    let mut by_link: HashMap<u32, Vec<AddressJson>> = HashMap::new();
    for address in &snapshot.addresses {
        by_link
            .entry(address.index)
            .or_default()
            .push(address_json(address));
    }
    let interfaces = snapshot
        .links
        .iter()
        .map(|link| interface_json(link, by_link.remove(&link.index).unwrap_or_default()))
        .collect();
    let routes = Routes {
        routes: &snapshot.routes,
        names,
    };
    StatusJson { interfaces, routes }
}

/// Unicast routes plus the no-interface kinds (blackhole, unreachable, prohibit) that can stand in
/// for a default; broadcast, local and multicast entries are the kernel's own bookkeeping.
fn is_listed_type(kind: u8) -> bool {
    matches!(
        kind,
        route_type::UNICAST
            | route_type::BLACKHOLE
            | route_type::UNREACHABLE
            | route_type::PROHIBIT
    )
}

fn interface_json(link: &Link, addresses: Vec<AddressJson>) -> InterfaceJson {
    InterfaceJson {
        name: link.name.clone(),
        index: link.index,
        admin_up: link.admin_up,
        oper_state: link.oper_state.as_str(),
        carrier: link.carrier,
        mac: link.mac.as_ref().map(ToString::to_string),
        mtu: link.mtu,
        kind: link.kind.clone(),
        addresses,
    }
}

fn address_json(address: &Address) -> AddressJson {
    AddressJson {
        family: address.family.as_str(),
        address: address.local.to_string(),
        prefix_len: address.prefix_len,
        peer: address.peer.map(|peer| peer.to_string()),
        scope: scope_name(address.scope),
        flags: address.flag_names(),
    }
}

fn route_json(route: &Route, names: &HashMap<u32, &str>) -> RouteJson {
    let name = |index: u32| {
        names
            .get(&index)
            .map(|name| name.to_string())
            .unwrap_or_else(|| format!("#{index}"))
    };
    let destination = match route.destination {
        Some(destination) => format!("{destination}/{}", route.dst_len),
        None => "default".to_string(),
    };
    RouteJson {
        family: route.family.as_str(),
        destination,
        gateway: route.gateway.map(|gateway| gateway.to_string()),
        interface: route.oif.map(name),
        // An IPv4 route without RTA_PRIORITY has metric 0 in the kernel's eyes.
        metric: Some(route.metric()),
        table: route.table,
        protocol: protocol_name(route.protocol),
        kind: type_name(route.kind),
        nexthops: route
            .nexthops
            .iter()
            .map(|hop| NexthopJson {
                gateway: hop.gateway.map(|gateway| gateway.to_string()),
                interface: Some(name(hop.oif)),
                weight: hop.weight,
            })
            .collect(),
    }
}

fn type_name(kind: u8) -> &'static str {
    match kind {
        route_type::UNICAST => "unicast",
        route_type::BLACKHOLE => "blackhole",
        route_type::UNREACHABLE => "unreachable",
        route_type::PROHIBIT => "prohibit",
        _ => "other",
    }
}

/// Writes the status as text in the spirit of `ip -br addr` and `ip route`.
pub fn write_text(text: &mut impl std::io::Write, status: &StatusJson) -> std::io::Result<()> {
    for interface in &status.interfaces {
        let admin = if interface.admin_up { "UP" } else { "DOWN" };
        writeln!(
            text,
            "{:<16} {:<5} {:<15} {}",
            escape_controls(&interface.name),
            admin,
            interface.oper_state,
            interface.mac.as_deref().unwrap_or("-")
        )?;
        for address in &interface.addresses {
            let peer = address
                .peer
                .as_ref()
                .map(|p| format!(" peer {p}"))
                .unwrap_or_default();
            let flags = address.flags.join(" ");
            writeln!(
                text,
                "    {} {}{peer}/{} scope {} {flags}",
                address.family, address.address, address.prefix_len, address.scope
            )?;
        }
    }
    writeln!(text, "routes:")?;
    for route in status.routes.iter() {
        write!(text, "    {} {}", route.family, route.destination)?;
        if route.kind != "unicast" {
            write!(text, " {}", route.kind)?;
        }
        if let Some(gateway) = &route.gateway {
            write!(text, " via {gateway}")?;
        }
        if let Some(interface) = &route.interface {
            write!(text, " dev {}", escape_controls(interface))?;
        }
        for hop in &route.nexthops {
            let via = hop.gateway.as_deref().unwrap_or("-");
            let dev = escape_controls(hop.interface.as_deref().unwrap_or("-"));
            write!(text, " nexthop via {via} dev {dev} weight {}", hop.weight)?;
        }
        let metric = route
            .metric
            .map(|m| m.to_string())
            .unwrap_or_else(|| "-".into());
        writeln!(
            text,
            " table {} metric {metric} proto {}",
            route.table, route.protocol
        )?;
    }
    Ok(())
}
