//! Links, addresses and routes: one method per object and verb, each like an `ip` command.
//!
//! Deletes send back exactly what a dump held, so every listed object can be deleted, and no
//! delete relies on the kernel's wildcard matching.

use std::collections::HashMap;
use std::net::IpAddr;

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteMessage, RouteNextHop, RouteProtocol, RouteScope, RouteType,
};

use super::conn::{DumpEvent, Netlink};
use super::error::{Error, ErrorKind, Result};
use super::names::{check_link_name, check_prefix_len};
use super::types::{Address, Family, HwAddr, Link, Route, Snapshot, addr_flags, table};
use super::{Kernel, parse};

/// RT_SCOPE_NOWHERE: the only scope an IPv4 route delete treats as "any".
const SCOPE_NOWHERE: u8 = 255;
/// RT_SCOPE_LINK, the scope of a route without a gateway.
const SCOPE_LINK: u8 = 253;
/// The metric the kernel stores for an IPv6 route added without one (IP6_RT_PRIO_USER).
pub const IPV6_DEFAULT_METRIC: u32 = 1024;

/// A link together with its addresses, as `ip addr show` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub link: Link,
    pub addresses: Vec<Address>,
}

/// The addresses a flush removed and those it could not remove, each with its error.
#[derive(Debug, Default)]
pub struct FlushReport {
    pub removed: Vec<Address>,
    pub failed: Vec<(Address, Error)>,
}

/// A default route to add or replace: the family comes from the gateway or is given explicitly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultRoute {
    pub gateway: Option<IpAddr>,
    pub family: Option<Family>,
    pub oif: Option<u32>,
    pub metric: Option<u32>,
    pub table: u32,
}

impl DefaultRoute {
    /// A default route via `gateway` in the main table.
    pub fn via(gateway: IpAddr) -> DefaultRoute {
        DefaultRoute {
            gateway: Some(gateway),
            family: None,
            oif: None,
            metric: None,
            table: table::MAIN,
        }
    }

    /// Checks the combination and turns it into the route the kernel will hold.
    fn to_route(&self, op: &'static str) -> Result<Route> {
        let family = match (self.gateway, self.family) {
            (Some(gateway), Some(family)) if Family::of(&gateway) != family => {
                return Err(Error::invalid(
                    op,
                    &gateway.to_string(),
                    format!("gateway is not an {family} address"),
                ));
            }
            (Some(gateway), _) => Family::of(&gateway),
            (None, Some(family)) => family,
            (None, None) => {
                return Err(Error::invalid(
                    op,
                    "default",
                    "a default route needs a gateway or an explicit family",
                ));
            }
        };
        if self.gateway.is_none() && self.oif.is_none() {
            return Err(Error::invalid(
                op,
                "default",
                "a device-only default needs an interface",
            ));
        }
        if let Some(IpAddr::V6(v6)) = self.gateway
            && v6.is_unicast_link_local()
            && self.oif.is_none()
        {
            return Err(Error::invalid(
                op,
                &v6.to_string(),
                "a link-local gateway needs an output interface",
            ));
        }
        let priority = match (self.metric, family) {
            (None, Family::Inet6) => Some(IPV6_DEFAULT_METRIC),
            (metric, _) => metric,
        };
        Ok(Route {
            family,
            table: self.table,
            destination: None,
            dst_len: 0,
            gateway: self.gateway,
            oif: self.oif,
            priority,
            protocol: super::types::PROTOCOL_STATIC,
            scope: if self.gateway.is_some() {
                0
            } else {
                SCOPE_LINK
            },
            kind: super::types::route_type::UNICAST,
            tos: 0,
            pref_source: None,
            nexthops: Vec::new(),
        })
    }
}

/// A selection of default routes to delete; device-only defaults only when asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultRouteFilter {
    pub family: Option<Family>,
    pub table: Option<u32>,
    pub oif: Option<u32>,
    pub gateway: Option<IpAddr>,
    pub include_device_only: bool,
}

impl DefaultRouteFilter {
    fn matches(&self, route: &Route) -> bool {
        route.is_default()
            && self.family.is_none_or(|family| route.family == family)
            && self.table.is_none_or(|table| route.table == table)
            && self.oif.is_none_or(|oif| route.uses_link(oif))
            && self
                .gateway
                .is_none_or(|gateway| route.gateway == Some(gateway))
            && (self.include_device_only || route.gateway.is_some() || !route.nexthops.is_empty())
            && route.kind == super::types::route_type::UNICAST
    }
}

impl Netlink {
    /// Lists links, like `ip link show`.
    pub async fn link_list(&self) -> Result<Vec<Link>> {
        let mut links = Vec::new();
        let request = RouteNetlinkMessage::GetLink(LinkMessage::default());
        self.dump("link_list", request, |event| match event {
            DumpEvent::Restart => links.clear(),
            DumpEvent::Message(RouteNetlinkMessage::NewLink(link)) => {
                links.push(parse::link(&link))
            }
            DumpEvent::Message(_) => {}
        })
        .await?;
        Ok(links)
    }

    /// Reads one link by index, like `ip link show dev X`.
    pub async fn link_get(&self, index: u32) -> Result<Link> {
        let mut request = LinkMessage::default();
        request.header.index = index;
        let reply = self
            .get(
                "link_get",
                &format!("#{index}"),
                RouteNetlinkMessage::GetLink(request),
            )
            .await?;
        link_from_reply("link_get", &format!("#{index}"), reply)
    }

    /// Resolves a name to a link, like `ip link show dev NAME`; ENODEV becomes a not-found error.
    pub async fn link_by_name(&self, name: &str) -> Result<Link> {
        check_link_name("link_by_name", name)?;
        let mut request = LinkMessage::default();
        request
            .attributes
            .push(LinkAttribute::IfName(name.to_string()));
        let reply = self
            .get("link_by_name", name, RouteNetlinkMessage::GetLink(request))
            .await?;
        link_from_reply("link_by_name", name, reply)
    }

    /// Returns the index of the link called `name`.
    pub async fn link_index(&self, name: &str) -> Result<u32> {
        Ok(self.link_by_name(name).await?.index)
    }

    /// Sets a link up, like `ip link set dev X up`.
    pub async fn link_set_up(&self, index: u32) -> Result<()> {
        self.link_set_flag("link_set_up", index, true).await?;
        tracing::debug!(iface = index, "link set up");
        Ok(())
    }

    /// Sets a link down, like `ip link set dev X down`.
    pub async fn link_set_down(&self, index: u32) -> Result<()> {
        self.link_set_flag("link_set_down", index, false).await?;
        tracing::debug!(iface = index, "link set down");
        Ok(())
    }

    async fn link_set_flag(&self, op: &'static str, index: u32, up: bool) -> Result<()> {
        let mut request = LinkMessage::default();
        request.header.index = index;
        request.header.change_mask = LinkFlags::Up;
        if up {
            request.header.flags = LinkFlags::Up;
        }
        self.change(
            op,
            &format!("#{index}"),
            0,
            RouteNetlinkMessage::NewLink(request),
        )
        .await
    }

    /// Creates a veth pair, like `ip link add NAME type veth peer name PEER`; EEXIST when either
    /// name is taken. Both ends start administratively down.
    pub async fn link_add_veth(&self, name: &str, peer: &str) -> Result<()> {
        check_link_name("link_add_veth", name)?;
        check_link_name("link_add_veth", peer)?;
        let mut peer_message = LinkMessage::default();
        peer_message
            .attributes
            .push(LinkAttribute::IfName(peer.to_string()));
        let mut request = LinkMessage::default();
        request
            .attributes
            .push(LinkAttribute::IfName(name.to_string()));
        request.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Veth),
            LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer_message))),
        ]));
        let object = format!("{name} peer {peer}");
        let message = RouteNetlinkMessage::NewLink(request);
        self.change("link_add_veth", &object, NLM_F_CREATE | NLM_F_EXCL, message)
            .await?;
        tracing::info!(iface = name, peer, "veth pair created");
        Ok(())
    }

    /// Deletes a link, like `ip link del dev X`; deleting one end of a veth removes both.
    pub async fn link_del(&self, index: u32) -> Result<()> {
        let mut request = LinkMessage::default();
        request.header.index = index;
        self.change(
            "link_del",
            &format!("#{index}"),
            0,
            RouteNetlinkMessage::DelLink(request),
        )
        .await?;
        tracing::info!(iface = index, "link deleted");
        Ok(())
    }

    /// Reads a link's MAC address; `None` for a device without one (tun).
    pub async fn link_mac(&self, index: u32) -> Result<Option<HwAddr>> {
        Ok(self.link_get(index).await?.mac)
    }

    /// Sets a link's MAC address, like `ip link set dev X address MAC`.
    pub async fn link_set_mac(&self, index: u32, mac: &HwAddr) -> Result<()> {
        if mac.0.len() != 6 {
            return Err(Error::invalid(
                "link_set_mac",
                &mac.to_string(),
                "a MAC address has six octets",
            ));
        }
        let mut request = LinkMessage::default();
        request.header.index = index;
        request
            .attributes
            .push(LinkAttribute::Address(mac.0.clone()));
        self.change(
            "link_set_mac",
            &format!("#{index}"),
            0,
            RouteNetlinkMessage::NewLink(request),
        )
        .await?;
        tracing::debug!(iface = index, %mac, "link address set");
        Ok(())
    }

    /// Lists addresses of one family or both, like `ip [-4|-6] addr show`.
    pub async fn addr_list(&self, family: Option<Family>) -> Result<Vec<Address>> {
        let mut addresses = Vec::new();
        let mut request = AddressMessage::default();
        if let Some(family) = family {
            request.header.family = parse::address_family(family);
        }
        self.dump(
            "addr_list",
            RouteNetlinkMessage::GetAddress(request),
            |event| match event {
                DumpEvent::Restart => addresses.clear(),
                DumpEvent::Message(RouteNetlinkMessage::NewAddress(message)) => {
                    let parsed = parse::address(&message);
                    if let Some(address) = parsed.filter(|a| family.is_none_or(|f| a.family == f)) {
                        addresses.push(address);
                    }
                }
                DumpEvent::Message(_) => {}
            },
        )
        .await?;
        Ok(addresses)
    }

    /// Adds an address, like `ip addr add ADDR/LEN dev X`; EEXIST when it is already there.
    pub async fn addr_add(&self, index: u32, address: IpAddr, prefix_len: u8) -> Result<()> {
        let family = Family::of(&address);
        let object = format!("{address}/{prefix_len} on #{index}");
        check_prefix_len("addr_add", family, prefix_len)?;
        let mut request = AddressMessage::default();
        request.header.family = parse::address_family(family);
        request.header.prefix_len = prefix_len;
        request.header.index = index;
        request.attributes.push(AddressAttribute::Local(address));
        request.attributes.push(AddressAttribute::Address(address));
        let message = RouteNetlinkMessage::NewAddress(request);
        self.change("addr_add", &object, NLM_F_CREATE | NLM_F_EXCL, message)
            .await?;
        tracing::debug!(iface = index, %address, prefix_len, "address added");
        Ok(())
    }

    /// Deletes exactly the listed address, like `ip addr del LOCAL peer PEER/LEN dev X`.
    pub async fn addr_del(&self, address: &Address) -> Result<()> {
        let object = describe_address(address);
        let mut request = AddressMessage::default();
        request.header.family = parse::address_family(address.family);
        request.header.prefix_len = address.prefix_len;
        request.header.index = address.index;
        if let Some(local) = address.wire_local {
            request.attributes.push(AddressAttribute::Local(local));
        }
        if let Some(wire_address) = address.wire_address {
            request
                .attributes
                .push(AddressAttribute::Address(wire_address));
        }
        let message = RouteNetlinkMessage::DelAddress(request);
        self.change("addr_del", &object, 0, message).await?;
        tracing::debug!(iface = address.index, address = %object, "address deleted");
        Ok(())
    }

    /// Removes every address of a link, like `ip addr flush dev X`, and confirms by listing again.
    ///
    /// Secondaries go first, because with promote_secondaries off deleting a primary takes its
    /// secondaries along. A delete that finds nothing counts as removed once the fresh list
    /// confirms the address is gone; anything still listed is reported as failed.
    pub async fn addr_flush(&self, index: u32, family: Option<Family>) -> Result<FlushReport> {
        let mut targets: Vec<Address> = self
            .addr_list(family)
            .await?
            .into_iter()
            .filter(|address| address.index == index)
            .collect();
        targets.sort_by_key(|address| address.flags & addr_flags::SECONDARY == 0);

        let mut errors = HashMap::new();
        for (position, address) in targets.iter().enumerate() {
            if let Err(error) = self.addr_del(address).await {
                errors.insert(position, error);
            }
        }

        let remaining = self.addr_list(family).await?;
        let mut report = FlushReport::default();
        for (position, address) in targets.into_iter().enumerate() {
            let still_there = remaining.iter().any(|held| same_address(held, &address));
            let error = errors.remove(&position);
            match (still_there, error) {
                (false, _) => report.removed.push(address),
                (true, Some(error)) => report.failed.push((address, error)),
                (true, None) => {
                    let object = describe_address(&address);
                    let kind = ErrorKind::StillPresent;
                    report
                        .failed
                        .push((address, Error::new("addr_flush", object, kind)));
                }
            }
        }
        Ok(report)
    }

    /// Lists routes of every table and both families, like `ip route show table all`.
    pub async fn route_list(&self) -> Result<Vec<Route>> {
        let mut routes = Vec::new();
        self.route_each(|route| match route {
            Some(route) => routes.push(route),
            None => routes.clear(),
        })
        .await?;
        Ok(routes)
    }

    /// Streams every route to `visit` without keeping the dump; for large tables.
    ///
    /// `visit(None)` announces a new pass after an interrupted dump: drop what came before.
    pub async fn route_each(&self, mut visit: impl FnMut(Option<Route>)) -> Result<()> {
        let request = RouteNetlinkMessage::GetRoute(RouteMessage::default());
        self.dump("route_list", request, |event| match event {
            DumpEvent::Restart => visit(None),
            DumpEvent::Message(RouteNetlinkMessage::NewRoute(message)) => {
                if let Some(route) = parse::route(&message) {
                    visit(Some(route));
                }
            }
            DumpEvent::Message(_) => {}
        })
        .await
    }

    /// Adds a route, like `ip route add`; EEXIST when one with the same key is there.
    pub async fn route_add(&self, route: &Route) -> Result<()> {
        let object = describe_route(route);
        let message = RouteNetlinkMessage::NewRoute(route_message(route, route.scope));
        self.change("route_add", &object, NLM_F_CREATE | NLM_F_EXCL, message)
            .await?;
        tracing::debug!(route = %object, "route added");
        Ok(())
    }

    /// Deletes exactly the listed route, like `ip route del ... table T metric M`.
    pub async fn route_del(&self, route: &Route) -> Result<()> {
        let object = describe_route(route);
        // IPv4 only treats RT_SCOPE_NOWHERE as "any scope"; a dev-only default has scope link.
        let message = RouteNetlinkMessage::DelRoute(route_message(route, SCOPE_NOWHERE));
        self.change("route_del", &object, 0, message).await?;
        tracing::debug!(route = %object, "route deleted");
        Ok(())
    }

    /// Adds a default route, like `ip route add default via GW [dev X] [metric M] [table T]`.
    ///
    /// Returns the route as the kernel stores it: an IPv6 default without a metric has 1024.
    pub async fn route_default_add(&self, spec: &DefaultRoute) -> Result<Route> {
        let route = spec.to_route("route_default_add")?;
        self.route_add(&route).await?;
        Ok(route)
    }

    /// Makes `spec` the default route of its family and table, like `ip route replace default`,
    /// without touching device-only defaults.
    ///
    /// NLM_F_REPLACE is not used: it would overwrite whatever default has the same metric,
    /// device-only ones included. The new route is added first and the other gateway defaults of
    /// the same family and table are deleted afterwards, so there is no moment without a default;
    /// only a gateway default with the very same metric is deleted before the add.
    pub async fn route_default_replace(&self, spec: &DefaultRoute) -> Result<Route> {
        let route = spec.to_route("route_default_replace")?;
        let filter = DefaultRouteFilter {
            family: Some(route.family),
            table: Some(route.table),
            oif: None,
            gateway: None,
            include_device_only: false,
        };
        let others: Vec<Route> = self
            .route_list()
            .await?
            .into_iter()
            .filter(|held| filter.matches(held) && !same_route(held, &route))
            .collect();
        let (clashing, later): (Vec<Route>, Vec<Route>) = others
            .into_iter()
            .partition(|held| held.metric() == route.metric());
        for held in &clashing {
            self.route_del_tolerant(held).await?;
        }
        match self.route_add(&route).await {
            Err(error) if error.is_exists() => {}
            other => other?,
        }
        for held in &later {
            self.route_del_tolerant(held).await?;
        }
        Ok(route)
    }

    /// Deletes the default routes that match `filter` and returns them.
    pub async fn route_default_del(&self, filter: &DefaultRouteFilter) -> Result<Vec<Route>> {
        let targets: Vec<Route> = self
            .route_list()
            .await?
            .into_iter()
            .filter(|route| filter.matches(route))
            .collect();
        for route in &targets {
            self.route_del_tolerant(route).await?;
        }
        Ok(targets)
    }

    /// Lists links with their addresses: one link dump and one address dump in total.
    pub async fn interfaces(&self) -> Result<Vec<Interface>> {
        let links = self.link_list().await?;
        let addresses = self.addr_list(None).await?;
        Ok(group_addresses(links, addresses))
    }

    async fn route_del_tolerant(&self, route: &Route) -> Result<()> {
        match self.route_del(route).await {
            Err(error) if error.is_not_found() => Ok(()),
            other => other,
        }
    }
}

/// Pairs each link with its addresses, keeping the kernel's order of both.
pub fn group_addresses(links: Vec<Link>, addresses: Vec<Address>) -> Vec<Interface> {
    let mut by_index: HashMap<u32, Vec<Address>> = HashMap::new();
    for address in addresses {
        by_index.entry(address.index).or_default().push(address);
    }
    links
        .into_iter()
        .map(|link| {
            let addresses = by_index.remove(&link.index).unwrap_or_default();
            Interface { link, addresses }
        })
        .collect()
}

fn link_from_reply(op: &'static str, object: &str, reply: RouteNetlinkMessage) -> Result<Link> {
    match reply {
        RouteNetlinkMessage::NewLink(message) => Ok(parse::link(&message)),
        other => Err(Error::new(
            op,
            object,
            ErrorKind::Decode(format!(
                "expected a link message, got {:?}",
                other.message_type()
            )),
        )),
    }
}

/// Builds a route message carrying every key field, with the table in RTA_TABLE as well.
fn route_message(route: &Route, scope: u8) -> RouteMessage {
    let mut message = RouteMessage::default();
    let header = &mut message.header;
    header.address_family = parse::address_family(route.family);
    header.destination_prefix_length = route.dst_len;
    header.tos = route.tos;
    // Ids above 255 only fit in RTA_TABLE, so the header then carries RT_TABLE_COMPAT.
    header.table = u8::try_from(route.table).unwrap_or(table::COMPAT as u8);
    header.protocol = RouteProtocol::from(route.protocol);
    header.scope = RouteScope::from(scope);
    header.kind = RouteType::from(route.kind);

    let attributes = &mut message.attributes;
    attributes.push(RouteAttribute::Table(route.table));
    if let Some(destination) = route.destination {
        attributes.push(RouteAttribute::Destination(RouteAddress::from(destination)));
    }
    if let Some(gateway) = route.gateway {
        attributes.push(RouteAttribute::Gateway(RouteAddress::from(gateway)));
    }
    if let Some(oif) = route.oif {
        attributes.push(RouteAttribute::Oif(oif));
    }
    if let Some(priority) = route.priority {
        attributes.push(RouteAttribute::Priority(priority));
    }
    if !route.nexthops.is_empty() {
        attributes.push(RouteAttribute::MultiPath(
            route.nexthops.iter().map(nexthop).collect(),
        ));
    }
    message
}

fn nexthop(hop: &super::types::Nexthop) -> RouteNextHop {
    let mut message = RouteNextHop::default();
    message.interface_index = hop.oif;
    message.hops = hop.weight.saturating_sub(1).min(255) as u8;
    if let Some(gateway) = hop.gateway {
        message
            .attributes
            .push(RouteAttribute::Gateway(RouteAddress::from(gateway)));
    }
    message
}

fn same_address(a: &Address, b: &Address) -> bool {
    a.index == b.index && a.local == b.local && a.peer == b.peer && a.prefix_len == b.prefix_len
}

fn same_route(a: &Route, b: &Route) -> bool {
    a.family == b.family
        && a.table == b.table
        && a.dst_len == b.dst_len
        && a.destination == b.destination
        && a.gateway == b.gateway
        && a.metric() == b.metric()
        && (b.oif.is_none() || a.oif == b.oif)
}

/// Returns `ip`-style text for an address: `192.0.2.1 peer 192.0.2.2/32 on #3`.
pub fn describe_address(address: &Address) -> String {
    match address.peer {
        Some(peer) => format!(
            "{} peer {peer}/{} on #{}",
            address.local, address.prefix_len, address.index
        ),
        None => format!(
            "{}/{} on #{}",
            address.local, address.prefix_len, address.index
        ),
    }
}

/// Returns `ip route`-style text for a route, naming links by index.
pub fn describe_route(route: &Route) -> String {
    let mut text = match route.destination {
        Some(destination) => format!("{destination}/{}", route.dst_len),
        None if route.dst_len == 0 => "default".to_string(),
        None => format!("?/{}", route.dst_len),
    };
    if let Some(gateway) = route.gateway {
        text.push_str(&format!(" via {gateway}"));
    }
    if let Some(oif) = route.oif {
        text.push_str(&format!(" dev #{oif}"));
    }
    for hop in &route.nexthops {
        text.push_str(&format!(" nexthop dev #{}", hop.oif));
        if let Some(gateway) = hop.gateway {
            text.push_str(&format!(" via {gateway}"));
        }
    }
    text.push_str(&format!(" table {} metric {}", route.table, route.metric()));
    text
}

impl Kernel for Netlink {
    async fn link_list(&self) -> Result<Vec<Link>> {
        Netlink::link_list(self).await
    }

    async fn link_set_up(&self, index: u32) -> Result<()> {
        Netlink::link_set_up(self, index).await
    }

    async fn link_set_down(&self, index: u32) -> Result<()> {
        Netlink::link_set_down(self, index).await
    }

    async fn addr_list(&self, family: Option<Family>) -> Result<Vec<Address>> {
        Netlink::addr_list(self, family).await
    }

    async fn addr_add(&self, index: u32, address: IpAddr, prefix_len: u8) -> Result<()> {
        Netlink::addr_add(self, index, address, prefix_len).await
    }

    async fn addr_del(&self, address: &Address) -> Result<()> {
        Netlink::addr_del(self, address).await
    }

    async fn route_list(&self) -> Result<Vec<Route>> {
        Netlink::route_list(self).await
    }

    async fn route_add(&self, route: &Route) -> Result<()> {
        Netlink::route_add(self, route).await
    }

    async fn route_del(&self, route: &Route) -> Result<()> {
        Netlink::route_del(self, route).await
    }

    /// Streams the route dump and stores only what the filter keeps.
    async fn snapshot_filtered(
        &self,
        wanted: &dyn Fn(&Route) -> bool,
        spare: usize,
    ) -> Result<Snapshot> {
        let links = self.link_list().await?;
        let addresses = self.addr_list(None).await?;
        let mut routes = Vec::new();
        let mut others = 0;
        self.route_each(|route| match route {
            None => {
                routes.clear();
                others = 0;
            }
            Some(route) if wanted(&route) => routes.push(route),
            Some(route) if others < spare => {
                others += 1;
                routes.push(route);
            }
            Some(_) => {}
        })
        .await?;
        Ok(Snapshot {
            links,
            addresses,
            routes,
        })
    }
}
