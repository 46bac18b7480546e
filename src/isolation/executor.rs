//! Applies the engine's plans through a [`Kernel`] until nothing is left to do.

use std::time::Instant;

use tracing::debug;

use super::engine::{Action, Engine, Failure, State};
use super::violation::Violation;
use crate::netlink::{Kernel, Result, Route, Snapshot};

/// Rounds of snapshot, plan and apply that one [`enforce`] call runs at most.
///
/// Two rounds settle a quiet kernel: one to act and one to confirm. The rest absorb objects that
/// reappear while isolating, for example an address a DHCP client adds back at once.
pub const MAX_ROUNDS: usize = 4;

/// Routes kept for the screen beyond those isolation needs: a few dozen fill every page.
pub const SPARE_ROUTES: usize = 64;

/// Returns true for a route isolation must see: a default, or one that leaves through any link
/// other than the uplink (or through none). Routes only through the uplink are the operator's own;
/// with a full routing table on the uplink they would fill memory for nothing.
fn route_matters(route: &Route, uplink: Option<u32>) -> bool {
    let Some(uplink) = uplink else {
        return true;
    };
    let only_uplink =
        route.output_links().next().is_some() && route.output_links().all(|index| index == uplink);
    route.is_default() || !only_uplink
}

/// The outcome of one [`enforce`] call, taken from the last snapshot it read.
#[derive(Debug, Clone)]
pub struct Report {
    pub state: State,
    /// True when the last snapshot has no violation of isolation.
    pub satisfied: bool,
    pub violations: Vec<Violation>,
    /// Failed actions waiting for a retry, one per action.
    pub failures: Vec<Failure>,
    /// Actions attempted over all rounds.
    pub attempted: usize,
    pub rounds: usize,
    /// When to call [`enforce`] again at the latest: the earliest retry deadline, or the `now`
    /// passed in when the round limit left due actions unapplied.
    pub next_check: Option<Instant>,
    /// The last snapshot read, which the report describes.
    pub snapshot: Snapshot,
}

impl Report {
    /// Returns true when every interface but the uplink is isolated; the uplink itself may still
    /// be absent or down (a USB adapter not plugged in, a radio blocked by rfkill).
    pub fn others_isolated(&self) -> bool {
        self.violations.iter().all(Violation::is_uplink_shortfall)
    }
}

/// Enforces isolation: reads a snapshot, applies the engine's plan in order, and repeats until a
/// snapshot needs no due action or [`MAX_ROUNDS`] rounds have run.
///
/// Every action result goes back to the engine, so failures are retried with backoff by later
/// calls. Only reading a snapshot can make this fail; the engine keeps its state, so the caller
/// may simply call again.
pub async fn enforce<K: Kernel>(kernel: &K, engine: &mut Engine, now: Instant) -> Result<Report> {
    let mut attempted = 0;
    let mut rounds = 0;
    loop {
        let uplink = engine.uplink_index();
        let snapshot = kernel
            .snapshot_filtered(&|route| route_matters(route, uplink), SPARE_ROUTES)
            .await?;
        let plan = engine.plan(&snapshot, now);
        if plan.actions.is_empty() || rounds == MAX_ROUNDS {
            let next_check = match plan.actions.is_empty() {
                true => plan.next_check,
                false => Some(now),
            };
            return Ok(report(engine, snapshot, attempted, rounds, next_check));
        }

        rounds += 1;
        for action in &plan.actions {
            let result = apply(kernel, action).await;
            debug!(iface = %engine.action_link_name(action), ok = result.is_ok(), "{}", action.verb());
            engine.record(action, &result, now);
            attempted += 1;
        }
    }
}

/// Sends one action to the kernel.
pub async fn apply<K: Kernel>(kernel: &K, action: &Action) -> Result<()> {
    match action {
        Action::LinkDown(index) => kernel.link_set_down(*index).await,
        Action::AddrDel(address) => kernel.addr_del(address).await,
        Action::RouteDel(route) => kernel.route_del(route).await,
        Action::LinkUp(index) => kernel.link_set_up(*index).await,
        Action::AddrAdd {
            index,
            address,
            prefix_len,
        } => kernel.addr_add(*index, *address, *prefix_len).await,
        Action::RouteAdd(route) => kernel.route_add(route).await,
    }
}

fn report(
    engine: &Engine,
    snapshot: Snapshot,
    attempted: usize,
    rounds: usize,
    next_check: Option<Instant>,
) -> Report {
    let violations = engine.violations(&snapshot);
    Report {
        state: engine.state(),
        satisfied: violations.is_empty(),
        violations,
        failures: engine.failures().to_vec(),
        attempted,
        rounds,
        next_check,
        snapshot,
    }
}
