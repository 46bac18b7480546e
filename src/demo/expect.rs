//! The checks behind `expect` steps, as pure functions of a kernel snapshot.

use crate::isolation::{KeepSet, violations};
use crate::netlink::Snapshot;

/// Lists why `name` is not a working uplink with everything else isolated; empty when it is.
///
/// `saved` is the selection the appliance saved, which must be `name` as well. A working uplink
/// also holds a global address and a default route, which the demo's configuration gives every
/// simulated uplink.
pub fn uplink_problems(snapshot: &Snapshot, name: &str, saved: Option<&str>) -> Vec<String> {
    let mut problems = Vec::new();
    if saved != Some(name) {
        problems.push(format!(
            "the saved selection is {}",
            saved.unwrap_or("none")
        ));
    }
    match snapshot.link_by_name(name) {
        None => problems.push(format!("there is no interface {name}")),
        Some(link) if !link.admin_up => problems.push(format!("{name} is down")),
        Some(_) => {}
    }
    let keep = KeepSet::default();
    for violation in violations(Some(name), &keep, snapshot) {
        problems.push(violation.to_string());
    }
    if let Some(link) = snapshot.link_by_name(name) {
        let addressed = snapshot
            .addresses
            .iter()
            .any(|address| address.index == link.index && address.scope == 0);
        if !addressed {
            problems.push(format!("{name} has no global address"));
        }
        if !snapshot
            .routes
            .iter()
            .any(|route| route.is_default() && route.uses_link(link.index))
        {
            problems.push(format!("{name} has no default route"));
        }
    }
    problems
}

/// Lists why `name` is not isolated (down, no address, no route); an absent link is isolated.
pub fn isolated_problems(snapshot: &Snapshot, name: &str) -> Vec<String> {
    let Some(link) = snapshot.link_by_name(name) else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    if link.admin_up {
        problems.push(format!("{name} is up"));
    }
    for address in snapshot
        .addresses
        .iter()
        .filter(|address| address.index == link.index)
    {
        problems.push(format!(
            "{name} has address {}",
            crate::isolation::violation::address_text(address)
        ));
    }
    for route in snapshot
        .routes
        .iter()
        .filter(|route| route.uses_link(link.index))
    {
        problems.push(format!(
            "route {} uses {name}",
            crate::isolation::violation::route_text(route, snapshot)
        ));
    }
    problems
}
