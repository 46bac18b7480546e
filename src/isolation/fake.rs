//! An in-memory [`Kernel`] for the engine's tests and for demonstrations without a network.
//!
//! It models the side effects that make isolation tricky, as Linux applies them with default
//! sysctls (Documentation/networking/ip-sysctl.rst):
//!
//! - setting a link down removes its IPv6 addresses (`keep_addr_on_down=0`) and the routes through
//!   it, but keeps its IPv4 addresses and their host-scope local routes;
//! - after a link goes down, an IPv4 multipath route stays while one of its nexthops is on a link
//!   that is up, and an IPv6 multipath route loses the nexthop on the down link;
//! - adding an address adds its local route in table 255, and on a link that is up its prefix
//!   route in table 254;
//! - an IPv4 address in the subnet of another one with the same prefix length is secondary, and
//!   deleting the primary deletes its secondaries (`promote_secondaries=0`);
//! - deleting an address or route that does not match exactly fails with EADDRNOTAVAIL or ESRCH;
//! - a route through a link that is down is rejected with ENETDOWN, and an IPv6 route without a
//!   metric is stored with 1024.
//!
//! It does not model IPv6 link-local autoconfiguration, DAD timing (an IPv6 address added to a
//! down link stays tentative), broadcast routes or routing rules.
//!
//! Requests made through the trait are logged in order, so tests can check what the executor sent
//! and when; changes made through the other methods stand for third parties and are not logged.
//! Failures can be injected per operation and link.

use std::cell::{Cell, RefCell};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::netlink::error::errno;
use crate::netlink::types::{addr_flags, route_type, table};
use crate::netlink::{
    Address, Error, ErrorKind, Family, Kernel, Link, Nexthop, OperState, Result, Route, Snapshot,
};

/// ENETDOWN (asm-generic/errno.h), which `netlink::error::errno` does not list.
const ENETDOWN: i32 = 100;

const ARPHRD_ETHER: u16 = 1;
const ARPHRD_LOOPBACK: u16 = 772;
const ARPHRD_NONE: u16 = 65534;
const RTPROT_KERNEL: u8 = 2;
const RTPROT_STATIC: u8 = 4;
const SCOPE_UNIVERSE: u8 = 0;
const SCOPE_LINK: u8 = 253;
const SCOPE_HOST: u8 = 254;
const IPV6_DEFAULT_METRIC: u32 = 1024;

/// The kind of a request, for injecting failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    LinkUp,
    LinkDown,
    AddrAdd,
    AddrDel,
    RouteAdd,
    RouteDel,
}

/// One changing request received through the [`Kernel`] trait, whether it succeeded or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    LinkUp(u32),
    LinkDown(u32),
    AddrAdd(u32, IpAddr, u8),
    AddrDel(Address),
    RouteAdd(Route),
    RouteDel(Route),
}

impl Op {
    pub fn kind(&self) -> OpKind {
        match self {
            Op::LinkUp(_) => OpKind::LinkUp,
            Op::LinkDown(_) => OpKind::LinkDown,
            Op::AddrAdd(..) => OpKind::AddrAdd,
            Op::AddrDel(_) => OpKind::AddrDel,
            Op::RouteAdd(_) => OpKind::RouteAdd,
            Op::RouteDel(_) => OpKind::RouteDel,
        }
    }

    /// Returns the link the request is about; for a route, its first output link.
    pub fn index(&self) -> Option<u32> {
        match self {
            Op::LinkUp(index) | Op::LinkDown(index) | Op::AddrAdd(index, ..) => Some(*index),
            Op::AddrDel(address) => Some(address.index),
            Op::RouteAdd(route) | Op::RouteDel(route) => route.output_links().next(),
        }
    }
}

#[derive(Debug, Clone)]
struct Fault {
    kind: OpKind,
    index: u32,
    errno: i32,
    /// Failures left before the fault clears itself; `None` fails forever.
    remaining: Option<u32>,
}

/// A kernel held in memory.
#[derive(Debug, Default)]
pub struct FakeKernel {
    state: RefCell<Snapshot>,
    ops: RefCell<Vec<Op>>,
    faults: RefCell<Vec<Fault>>,
    /// The last index handed out; like the kernel, indexes of removed links are not reused.
    last_index: Cell<u32>,
}

impl FakeKernel {
    /// Creates a kernel with loopback (index 1, up, 127.0.0.1/8 and ::1/128).
    pub fn new() -> FakeKernel {
        let kernel = FakeKernel::default();
        let lo = kernel.insert_link("lo", ARPHRD_LOOPBACK, None);
        kernel.set_admin(lo, true);
        kernel.add_address(address(lo, "127.0.0.1/8")).unwrap();
        kernel.add_address(address(lo, "::1/128")).unwrap();
        kernel
    }

    /// Adds an Ethernet-like link, admin down with carrier on, and returns its index.
    pub fn add_link(&self, name: &str) -> u32 {
        self.insert_link(name, ARPHRD_ETHER, None)
    }

    /// Adds a tun link (no MAC, no carrier until opened) and returns its index.
    pub fn add_tun(&self, name: &str) -> u32 {
        let index = self.insert_link(name, ARPHRD_NONE, Some("tun"));
        self.set_carrier(index, false);
        index
    }

    /// Removes a link together with its addresses and every route through it, like unplugging.
    pub fn remove_link(&self, index: u32) {
        let mut state = self.state.borrow_mut();
        state.links.retain(|link| link.index != index);
        state.addresses.retain(|address| address.index != index);
        state.routes.retain(|route| !route.uses_link(index));
    }

    pub fn rename_link(&self, index: u32, name: &str) {
        if let Some(link) = self
            .state
            .borrow_mut()
            .links
            .iter_mut()
            .find(|l| l.index == index)
        {
            link.name = name.to_string();
        }
    }

    /// Sets the physical carrier (IFF_LOWER_UP); the operational state follows.
    pub fn set_carrier(&self, index: u32, carrier: bool) {
        self.with_link(index, |link| {
            link.lower_up = carrier;
            link.carrier = Some(carrier);
            link.oper_state = oper_state(link.admin_up, carrier);
        });
    }

    /// Sets a link up or down as another program would, with the same side effects.
    pub fn set_admin(&self, index: u32, up: bool) {
        if up {
            self.link_up(index);
        } else {
            self.link_down(index);
        }
    }

    /// Adds an address as another program would (a DHCP client, a router advertisement).
    pub fn add_address(&self, address: Address) -> Result<()> {
        let object = address.local.to_string();
        let Some(link) = self.state.borrow().link(address.index).cloned() else {
            return Err(kernel_error("addr_add", object, errno::ENODEV));
        };
        let mut state = self.state.borrow_mut();
        if state.addresses.iter().any(|a| same_address(a, &address)) {
            return Err(kernel_error("addr_add", object, errno::EEXIST));
        }
        let address = with_kernel_flags(address, &state.addresses, link.admin_up);
        let routes = address_routes(&address, link.admin_up);
        state.addresses.push(address);
        state.routes.extend(routes);
        Ok(())
    }

    /// Adds a route as another program would.
    pub fn add_route(&self, route: Route) -> Result<()> {
        let object = route_object(&route);
        let mut state = self.state.borrow_mut();
        for index in route.output_links() {
            match state.link(index) {
                None => return Err(kernel_error("route_add", object, errno::ENODEV)),
                Some(link) if !link.admin_up => {
                    return Err(kernel_error("route_add", object, ENETDOWN));
                }
                Some(_) => {}
            }
        }
        let mut route = route;
        if route.family == Family::Inet6 && route.priority.is_none() {
            route.priority = Some(IPV6_DEFAULT_METRIC);
        }
        if state.routes.iter().any(|r| same_route_key(r, &route)) {
            return Err(kernel_error("route_add", object, errno::EEXIST));
        }
        state.routes.push(route);
        Ok(())
    }

    /// Removes an address exactly as another program would, with its secondaries and routes.
    pub fn remove_address(&self, address: &Address) -> Result<()> {
        self.delete_address(address)
    }

    /// Removes a route exactly as another program would.
    pub fn remove_route(&self, route: &Route) -> Result<()> {
        self.delete_route(route)
    }

    /// Returns the current state.
    pub fn snapshot_now(&self) -> Snapshot {
        self.state.borrow().clone()
    }

    /// Returns the requests received through the trait so far, in order.
    pub fn ops(&self) -> Vec<Op> {
        self.ops.borrow().clone()
    }

    pub fn clear_ops(&self) {
        self.ops.borrow_mut().clear();
    }

    /// Makes requests of `kind` about link `index` fail with `errno`, `times` times or forever.
    pub fn fail(&self, kind: OpKind, index: u32, errno: i32, times: Option<u32>) {
        self.faults.borrow_mut().push(Fault {
            kind,
            index,
            errno,
            remaining: times,
        });
    }

    pub fn clear_faults(&self) {
        self.faults.borrow_mut().clear();
    }

    fn insert_link(&self, name: &str, link_type: u16, kind: Option<&str>) -> u32 {
        let index = self.last_index.get() + 1;
        self.last_index.set(index);
        let mut state = self.state.borrow_mut();
        state.links.push(Link {
            index,
            name: name.to_string(),
            admin_up: false,
            lower_up: true,
            oper_state: OperState::Down,
            carrier: Some(true),
            mac: (link_type == ARPHRD_ETHER)
                .then(|| crate::netlink::HwAddr(vec![2, 0, 0, 0, 0, index as u8])),
            mtu: Some(1500),
            kind: kind.map(str::to_string),
            link_type,
            wireless: name.starts_with("wlan"),
        });
        index
    }

    fn with_link(&self, index: u32, change: impl FnOnce(&mut Link)) -> bool {
        let mut state = self.state.borrow_mut();
        match state.links.iter_mut().find(|link| link.index == index) {
            Some(link) => {
                change(link);
                true
            }
            None => false,
        }
    }

    fn link_up(&self, index: u32) -> bool {
        let was_up = self.state.borrow().link(index).is_some_and(|l| l.admin_up);
        let found = self.with_link(index, |link| {
            link.admin_up = true;
            link.oper_state = oper_state(true, link.lower_up);
        });
        if found && !was_up {
            let mut state = self.state.borrow_mut();
            let prefix_routes: Vec<Route> = state
                .addresses
                .iter()
                .filter(|a| a.index == index && a.family == Family::Inet)
                .flat_map(|a| address_routes(a, true))
                .filter(|r| r.table == table::MAIN)
                .collect();
            state.routes.extend(prefix_routes);
        }
        found
    }

    fn link_down(&self, index: u32) -> bool {
        let found = self.with_link(index, |link| {
            link.admin_up = false;
            link.oper_state = OperState::Down;
        });
        if !found {
            return false;
        }
        let mut state = self.state.borrow_mut();
        state
            .addresses
            .retain(|a| !(a.index == index && a.family == Family::Inet6));
        let down: Vec<u32> = state
            .links
            .iter()
            .filter(|l| !l.admin_up)
            .map(|l| l.index)
            .collect();
        let routes = std::mem::take(&mut state.routes);
        state.routes = routes
            .into_iter()
            .filter_map(|route| route_after_down(route, index, &down))
            .collect();
        true
    }

    fn delete_address(&self, address: &Address) -> Result<()> {
        let mut state = self.state.borrow_mut();
        let Some(at) = state
            .addresses
            .iter()
            .position(|a| same_address(a, address))
        else {
            let object = address.local.to_string();
            return Err(kernel_error("addr_del", object, errno::EADDRNOTAVAIL));
        };
        let removed = state.addresses.remove(at);
        let mut removed_addresses = vec![removed.clone()];
        if removed.family == Family::Inet && removed.flags & addr_flags::SECONDARY == 0 {
            let (secondaries, rest) = std::mem::take(&mut state.addresses)
                .into_iter()
                .partition(|a| a.index == removed.index && same_subnet(a, &removed));
            state.addresses = rest;
            removed_addresses.extend::<Vec<Address>>(secondaries);
        }
        for address in &removed_addresses {
            let still_covered = state
                .addresses
                .iter()
                .any(|a| a.index == address.index && same_subnet(a, address));
            state
                .routes
                .retain(|route| !is_route_of(route, address, still_covered));
        }
        Ok(())
    }

    fn delete_route(&self, route: &Route) -> Result<()> {
        let mut state = self.state.borrow_mut();
        match state.routes.iter().position(|r| same_route(r, route)) {
            Some(at) => {
                state.routes.remove(at);
                Ok(())
            }
            None => Err(kernel_error("route_del", route_object(route), errno::ESRCH)),
        }
    }

    /// Logs a request and returns the injected failure for it, if any.
    fn begin(&self, op: Op) -> Option<i32> {
        let kind = op.kind();
        let index = op.index().unwrap_or(0);
        self.ops.borrow_mut().push(op);
        let mut faults = self.faults.borrow_mut();
        let at = faults
            .iter()
            .position(|f| f.kind == kind && f.index == index)?;
        let errno = faults[at].errno;
        match &mut faults[at].remaining {
            Some(1) => {
                faults.remove(at);
            }
            Some(left) => *left -= 1,
            None => {}
        }
        Some(errno)
    }
}

impl Kernel for FakeKernel {
    async fn link_list(&self) -> Result<Vec<Link>> {
        Ok(self.state.borrow().links.clone())
    }

    async fn link_set_up(&self, index: u32) -> Result<()> {
        if let Some(errno) = self.begin(Op::LinkUp(index)) {
            return Err(kernel_error("link_set_up", format!("#{index}"), errno));
        }
        match self.link_up(index) {
            true => Ok(()),
            false => Err(kernel_error(
                "link_set_up",
                format!("#{index}"),
                errno::ENODEV,
            )),
        }
    }

    async fn link_set_down(&self, index: u32) -> Result<()> {
        if let Some(errno) = self.begin(Op::LinkDown(index)) {
            return Err(kernel_error("link_set_down", format!("#{index}"), errno));
        }
        match self.link_down(index) {
            true => Ok(()),
            false => Err(kernel_error(
                "link_set_down",
                format!("#{index}"),
                errno::ENODEV,
            )),
        }
    }

    async fn addr_list(&self, family: Option<Family>) -> Result<Vec<Address>> {
        let state = self.state.borrow();
        Ok(state
            .addresses
            .iter()
            .filter(|a| family.is_none_or(|f| a.family == f))
            .cloned()
            .collect())
    }

    async fn addr_add(&self, index: u32, local: IpAddr, prefix_len: u8) -> Result<()> {
        if let Some(errno) = self.begin(Op::AddrAdd(index, local, prefix_len)) {
            return Err(kernel_error("addr_add", local.to_string(), errno));
        }
        self.add_address(Address {
            index,
            ..address_of(local, prefix_len)
        })
    }

    async fn addr_del(&self, address: &Address) -> Result<()> {
        if let Some(errno) = self.begin(Op::AddrDel(address.clone())) {
            return Err(kernel_error("addr_del", address.local.to_string(), errno));
        }
        self.delete_address(address)
    }

    async fn route_list(&self) -> Result<Vec<Route>> {
        Ok(self.state.borrow().routes.clone())
    }

    async fn route_add(&self, route: &Route) -> Result<()> {
        if let Some(errno) = self.begin(Op::RouteAdd(route.clone())) {
            return Err(kernel_error("route_add", route_object(route), errno));
        }
        self.add_route(route.clone())
    }

    async fn route_del(&self, route: &Route) -> Result<()> {
        if let Some(errno) = self.begin(Op::RouteDel(route.clone())) {
            return Err(kernel_error("route_del", route_object(route), errno));
        }
        self.delete_route(route)
    }
}

fn kernel_error(op: &'static str, object: impl Into<String>, errno: i32) -> Error {
    Error::new(
        op,
        object,
        ErrorKind::Kernel {
            errno,
            message: None,
        },
    )
}

fn oper_state(admin_up: bool, lower_up: bool) -> OperState {
    match (admin_up, lower_up) {
        (false, _) => OperState::Down,
        (true, true) => OperState::Up,
        (true, false) => OperState::LowerLayerDown,
    }
}

/// Returns what is left of `route` after link `index` went down, given every link now down.
fn route_after_down(mut route: Route, index: u32, down: &[u32]) -> Option<Route> {
    if !route.uses_link(index) {
        return Some(route);
    }
    if route.nexthops.is_empty() {
        // IPv4 keeps host-scope local routes of its addresses; everything else through it goes.
        let keep = route.family == Family::Inet && route.scope == SCOPE_HOST;
        return keep.then_some(route);
    }
    if route.family == Family::Inet {
        let alive = route.nexthops.iter().any(|hop| !down.contains(&hop.oif));
        return alive.then_some(route);
    }
    route.nexthops.retain(|hop| hop.oif != index);
    match route.nexthops.len() {
        0 => None,
        1 => {
            let hop = route.nexthops.remove(0);
            route.oif = Some(hop.oif);
            route.gateway = hop.gateway;
            Some(route)
        }
        _ => Some(route),
    }
}

/// Sets the flags the kernel would: secondary for a second IPv4 address in one subnet, tentative
/// for an IPv6 address on a link that is down.
fn with_kernel_flags(mut address: Address, existing: &[Address], link_up: bool) -> Address {
    let has_primary = existing.iter().any(|a| {
        a.index == address.index
            && a.family == Family::Inet
            && a.flags & addr_flags::SECONDARY == 0
            && same_subnet(a, &address)
    });
    if address.family == Family::Inet && has_primary {
        address.flags |= addr_flags::SECONDARY;
    }
    if address.family == Family::Inet6 && !link_up {
        address.flags |= addr_flags::TENTATIVE;
    }
    address
}

/// Returns the routes the kernel adds with an address: its local route, and its prefix route when
/// the link is up and the address is not a secondary.
fn address_routes(address: &Address, link_up: bool) -> Vec<Route> {
    let max = address.family.max_prefix_len();
    let mut routes = vec![Route {
        table: table::LOCAL,
        destination: Some(address.local),
        dst_len: max,
        protocol: RTPROT_KERNEL,
        scope: SCOPE_HOST,
        kind: route_type::LOCAL,
        pref_source: (address.family == Family::Inet).then_some(address.local),
        ..route_to(address.family, Some(address.index))
    }];
    let secondary = address.flags & addr_flags::SECONDARY != 0;
    if link_up && !secondary && address.prefix_len < max {
        let is_v4 = address.family == Family::Inet;
        routes.push(Route {
            destination: Some(network(address.local, address.prefix_len)),
            dst_len: address.prefix_len,
            protocol: RTPROT_KERNEL,
            scope: if is_v4 { SCOPE_LINK } else { SCOPE_UNIVERSE },
            pref_source: is_v4.then_some(address.local),
            priority: (!is_v4).then_some(256),
            ..route_to(address.family, Some(address.index))
        });
    }
    routes
}

/// Returns true when `route` is a kernel route created for `address`.
///
/// The prefix route counts only when no other address on the link still covers the subnet.
fn is_route_of(route: &Route, address: &Address, still_covered: bool) -> bool {
    if route.protocol != RTPROT_KERNEL || route.oif != Some(address.index) {
        return false;
    }
    let max = address.family.max_prefix_len();
    let is_local = route.table == table::LOCAL
        && route.destination == Some(address.local)
        && route.dst_len == max;
    let is_prefix = route.table == table::MAIN
        && route.dst_len == address.prefix_len
        && route.destination == Some(network(address.local, address.prefix_len));
    is_local || (is_prefix && !still_covered)
}

fn same_address(a: &Address, b: &Address) -> bool {
    a.index == b.index && a.local == b.local && a.prefix_len == b.prefix_len && a.peer == b.peer
}

fn same_subnet(a: &Address, b: &Address) -> bool {
    a.family == b.family
        && a.prefix_len == b.prefix_len
        && network(a.local, a.prefix_len) == network(b.local, b.prefix_len)
}

/// Returns true when two routes share the key that makes an add fail with EEXIST.
fn same_route_key(a: &Route, b: &Route) -> bool {
    a.family == b.family
        && a.table == b.table
        && a.destination == b.destination
        && a.dst_len == b.dst_len
        && a.tos == b.tos
        && a.metric() == b.metric()
}

/// Returns true when a delete request for `b` matches the stored route `a` exactly.
fn same_route(a: &Route, b: &Route) -> bool {
    same_route_key(a, b)
        && a.kind == b.kind
        && a.oif == b.oif
        && a.gateway == b.gateway
        && a.nexthops == b.nexthops
}

fn route_object(route: &Route) -> String {
    match route.destination {
        _ if route.dst_len == 0 => "default".to_string(),
        Some(destination) => format!("{destination}/{}", route.dst_len),
        None => format!("?/{}", route.dst_len),
    }
}

/// Masks `addr` to its first `prefix_len` bits.
pub fn network(addr: IpAddr, prefix_len: u8) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let mask = u32::MAX
                .checked_shl(32 - u32::from(prefix_len))
                .unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(bits & mask))
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let mask = u128::MAX
                .checked_shl(128 - u32::from(prefix_len))
                .unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(bits & mask))
        }
    }
}

fn address_of(local: IpAddr, prefix_len: u8) -> Address {
    let scope = match local {
        IpAddr::V4(v4) if v4.is_loopback() => SCOPE_HOST,
        IpAddr::V6(v6) if v6.is_loopback() => SCOPE_HOST,
        IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80 => SCOPE_LINK,
        _ => SCOPE_UNIVERSE,
    };
    Address {
        index: 0,
        family: Family::of(&local),
        local,
        peer: None,
        prefix_len,
        scope,
        flags: addr_flags::PERMANENT,
        wire_local: Some(local),
        wire_address: Some(local),
    }
}

/// Builds an address from `ip addr` notation such as `192.0.2.5/24` or `2001:db8::5/64`.
///
/// Panics on malformed text; it is meant for tests and fixtures.
pub fn address(index: u32, text: &str) -> Address {
    let (local, prefix_len) = parse_prefix(text);
    Address {
        index,
        ..address_of(local, prefix_len)
    }
}

/// Builds a static unicast route in the main table from `ip route` notation for the destination
/// (`default`, `default6` for the IPv6 default, `198.51.100.0/24`), with an optional gateway.
///
/// A route without a gateway has scope link, like `ip route add ... dev X`. Panics on malformed
/// text; it is meant for tests and fixtures.
pub fn route(destination: &str, gateway: Option<&str>, oif: u32) -> Route {
    let gateway: Option<IpAddr> = gateway.map(|g| g.parse().expect("gateway address"));
    let (family, destination, dst_len) = parse_destination(destination);
    Route {
        destination,
        dst_len,
        gateway,
        scope: if gateway.is_some() {
            SCOPE_UNIVERSE
        } else {
            SCOPE_LINK
        },
        ..route_to(family, Some(oif))
    }
}

/// Builds a multipath route from (gateway, output link) pairs.
pub fn multipath(destination: &str, hops: &[(&str, u32)]) -> Route {
    let (family, destination, dst_len) = parse_destination(destination);
    let nexthops = hops
        .iter()
        .map(|(gateway, oif)| Nexthop {
            gateway: Some(gateway.parse().expect("gateway address")),
            oif: *oif,
            weight: 1,
        })
        .collect();
    Route {
        destination,
        dst_len,
        nexthops,
        ..route_to(family, None)
    }
}

/// Builds a route of a type without output link, such as `route_type::BLACKHOLE`.
pub fn unroutable(destination: &str, kind: u8) -> Route {
    let (family, destination, dst_len) = parse_destination(destination);
    Route {
        destination,
        dst_len,
        kind,
        ..route_to(family, None)
    }
}

fn route_to(family: Family, oif: Option<u32>) -> Route {
    Route {
        family,
        table: table::MAIN,
        destination: None,
        dst_len: 0,
        gateway: None,
        oif,
        priority: None,
        protocol: RTPROT_STATIC,
        scope: SCOPE_UNIVERSE,
        kind: route_type::UNICAST,
        tos: 0,
        pref_source: None,
        nexthops: Vec::new(),
    }
}

fn parse_destination(text: &str) -> (Family, Option<IpAddr>, u8) {
    match text {
        "default" => (Family::Inet, None, 0),
        "default6" => (Family::Inet6, None, 0),
        _ => {
            let (addr, len) = parse_prefix(text);
            (Family::of(&addr), Some(addr), len)
        }
    }
}

fn parse_prefix(text: &str) -> (IpAddr, u8) {
    let (addr, len) = text.split_once('/').expect("ADDRESS/LEN");
    (
        addr.parse().expect("IP address"),
        len.parse().expect("prefix length"),
    )
}
