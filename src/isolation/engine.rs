//! The isolation engine: a pure state machine from kernel snapshots to corrective actions.
//!
//! The engine does no I/O and reads no clock. A caller hands it a [`Snapshot`] and the current
//! time through [`Engine::plan`], applies the returned actions in order, reports each result
//! through [`Engine::record`], and looks again no later than [`Plan::next_check`]. The executor
//! module does exactly that against any `Kernel`.
//!
//! Plans put every link-down first, then address deletes, then route deletes, and bring up the
//! selected uplink last, so the uplink only comes up after the other links were at least attempted.
//! Each action is independent: a failed step does not stop the others, and no action ever brings a
//! link other than the uplink up.
//!
//! A failed action is retried with exponential backoff from 100 ms up to 30 s, measured from the
//! `now` passed to [`Engine::record`]. A delete that the kernel rejects with "not found" counts as
//! done, and the next snapshot confirms it: if the object is still listed, the action becomes a
//! failure. ERFKILL on bringing the uplink up means the radio is blocked; that action then waits
//! for [`Engine::record_link_event`] on the uplink instead of a timer.
//!
//! Leak accounting compares each snapshot with the previous one. The first snapshot after a
//! selection is the baseline, and isolating it is not a leak. Afterwards every new violation on a
//! managed link counts as one corrected leak: a third party bringing a link up, an address from a
//! DHCP client, a route from a router advertisement. A hot-plugged interface that arrives up or
//! configured counts the same way, because it could carry traffic until the engine saw it; one that
//! arrives down and empty is only logged. A violation that persists because its correction keeps
//! failing counts once.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use tracing::{debug, info, warn};

use super::keep::KeepSet;
use super::uplink::{StaticUplink, static_shortfalls};
use super::violation::{Role, Roles, Violation, address_text, violations};
use crate::netlink::error::errno;
use crate::netlink::names::escape_controls;
use crate::netlink::{Address, Error, Route, Snapshot};

/// RT_SCOPE_UNIVERSE: an address that reaches beyond the link.
const SCOPE_GLOBAL: u8 = 0;
/// RTPROT_KERNEL (linux/rtnetlink.h): a route the kernel made itself, such as an address's prefix.
const RTPROT_KERNEL: u8 = 2;

/// Maximum leaks of one snapshot logged one by one. The rest are counted in one line, so a burst
/// (thousands of addresses from a misbehaving daemon) does not flood the journal.
const MAX_LEAK_LINES: usize = 8;

/// Delay before the first retry of a failed action; each further failure doubles it.
pub const FIRST_RETRY: Duration = Duration::from_millis(100);

/// Maximum delay between two retries of a failed action.
pub const MAX_RETRY: Duration = Duration::from_secs(30);

/// Number of recent events kept for the UI.
pub const MAX_EVENTS: usize = 32;

/// Isolation state, printed in one stable lowercase spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// No uplink is selected, so nothing is changed.
    Unselected,
    /// Corrective actions are planned or being applied.
    Isolating,
    /// Everything else is isolated, but the uplink is absent, down, blocked by rfkill, not running
    /// or without a usable address.
    WaitingForUplink,
    /// Everything else is isolated and the uplink is running with a usable address.
    Online,
    /// At least one action failed and waits for a retry.
    Degraded,
}

impl State {
    /// Returns the state's name as logs, the CLI and the screen print it.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Unselected => "unselected",
            State::Isolating => "isolating",
            State::WaitingForUplink => "waiting for uplink",
            State::Online => "online",
            State::Degraded => "degraded",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One kernel change the engine requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Set a managed link administratively down, like `ip link set dev X down`.
    LinkDown(u32),
    /// Delete an address exactly as listed, like `ip addr del`.
    AddrDel(Address),
    /// Delete a route exactly as listed, like `ip route del`.
    RouteDel(Route),
    /// Set the selected uplink administratively up, like `ip link set dev X up`.
    LinkUp(u32),
    /// Add an address configured for the uplink, like `ip addr add ADDR/LEN dev X`.
    AddrAdd {
        index: u32,
        address: IpAddr,
        prefix_len: u8,
    },
    /// Add the default route via a gateway configured for the uplink, like
    /// `ip route add default via GW dev X`.
    RouteAdd(Route),
}

impl Action {
    /// Returns a short name for the operation, for messages.
    pub fn verb(&self) -> &'static str {
        match self {
            Action::LinkDown(_) => "link down",
            Action::AddrDel(_) => "address delete",
            Action::RouteDel(_) => "route delete",
            Action::LinkUp(_) => "link up",
            Action::AddrAdd { .. } => "address add",
            Action::RouteAdd(_) => "route add",
        }
    }

    /// Returns the position of the action's kind in a plan.
    fn rank(&self) -> u8 {
        match self {
            Action::LinkDown(_) => 0,
            Action::AddrDel(_) => 1,
            Action::RouteDel(_) => 2,
            Action::LinkUp(_) => 3,
            Action::AddrAdd { .. } => 4,
            Action::RouteAdd(_) => 5,
        }
    }
}

/// Actions to apply in order, and when to plan again at the latest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub actions: Vec<Action>,
    /// The earliest retry deadline of a failed action, if any. The slow safety re-check is the
    /// caller's business.
    pub next_check: Option<Instant>,
}

/// When a failed action may run again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    At(Instant),
    /// After the next kernel event about the link, reported through
    /// [`Engine::record_link_event`].
    OnLinkEvent,
}

/// A failed action with the last error and the number of consecutive failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub action: Action,
    pub index: u32,
    /// The interface name when the action last failed.
    pub link: String,
    pub error: String,
    pub errno: Option<i32>,
    pub attempts: u32,
    pub retry: Retry,
}

impl Failure {
    /// Returns true when rfkill blocks bringing the uplink up, which is waiting rather than failure.
    pub fn is_rfkill(&self) -> bool {
        self.errno == Some(errno::ERFKILL) && matches!(self.action, Action::LinkUp(_))
    }

    /// Returns the message the UI and the CLI show for this failure.
    pub fn message(&self) -> String {
        if self.is_rfkill() {
            return "uplink unavailable (rfkill)".to_string();
        }
        format!(
            "{} failed: {} (attempt {})",
            self.action.verb(),
            self.error,
            self.attempts
        )
    }
}

/// Isolation status for the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineView {
    pub state: State,
    pub uplink: Option<String>,
    /// Managed links that satisfied isolation in the latest snapshot.
    pub isolated: usize,
    pub corrected_leaks: u64,
    /// Interface name and message of each failed action.
    pub failures: Vec<(String, String)>,
    /// Recent events, oldest first, at most [`MAX_EVENTS`].
    pub events: VecDeque<String>,
}

/// The isolation engine for one selection and keep set.
#[derive(Debug, Clone)]
pub struct Engine {
    selection: Option<String>,
    keep: KeepSet,
    state: State,
    uplink_index: Option<u32>,
    /// Link names in the latest snapshot, by index.
    names: BTreeMap<u32, String>,
    /// Corrections each managed link needed in the latest snapshot; `None` before the baseline.
    seen: Option<BTreeMap<u32, Vec<Action>>>,
    failures: Vec<Failure>,
    /// Deletes the kernel reported as "not found", to be confirmed by the next snapshot.
    unconfirmed: Vec<Action>,
    corrected_leaks: u64,
    isolated: usize,
    events: VecDeque<String>,
    statics: BTreeMap<String, StaticUplink>,
}

impl Engine {
    /// Creates an engine; with `selection` set, the first plan isolates everything else.
    pub fn new(selection: Option<String>, keep: KeepSet) -> Engine {
        let state = match selection {
            Some(_) => State::Isolating,
            None => State::Unselected,
        };
        Engine {
            selection,
            keep,
            state,
            uplink_index: None,
            names: BTreeMap::new(),
            seen: None,
            failures: Vec::new(),
            unconfirmed: Vec::new(),
            corrected_leaks: 0,
            isolated: 0,
            events: VecDeque::new(),
            statics: BTreeMap::new(),
        }
    }

    /// Changes the selected uplink; the next snapshot becomes a new baseline for leak accounting.
    pub fn select(&mut self, selection: Option<String>) {
        if selection == self.selection {
            return;
        }
        match &selection {
            Some(name) => self.push_event(format!("{name}: selected as uplink")),
            None => self.push_event("selection released".to_string()),
        }
        self.selection = selection;
        self.uplink_index = None;
        self.seen = None;
        self.failures.clear();
        self.unconfirmed.clear();
        self.isolated = 0;
        let state = match self.selection {
            Some(_) => State::Isolating,
            None => State::Unselected,
        };
        self.set_state(state);
    }

    /// Returns the uplink's index as the latest snapshot showed it.
    pub fn uplink_index(&self) -> Option<u32> {
        self.uplink_index
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn selection(&self) -> Option<&str> {
        self.selection.as_deref()
    }

    pub fn keep(&self) -> &KeepSet {
        &self.keep
    }

    pub fn failures(&self) -> &[Failure] {
        &self.failures
    }

    pub fn corrected_leaks(&self) -> u64 {
        self.corrected_leaks
    }

    /// Returns the name of `index` in the latest snapshot, or `#index` when it was not listed.
    pub fn link_name(&self, index: u32) -> String {
        self.names
            .get(&index)
            .cloned()
            .unwrap_or_else(|| format!("#{index}"))
    }

    /// Lists the violations of isolation in `snapshot` for this engine's selection and keep set,
    /// and the uplink's missing configured addressing.
    pub fn violations(&self, snapshot: &Snapshot) -> Vec<Violation> {
        let mut found = violations(self.selection(), &self.keep, snapshot);
        let uplink = self
            .selection()
            .and_then(|name| snapshot.link_by_name(name));
        let config = self.selection().and_then(|name| self.statics.get(name));
        if let (Some(uplink), Some(config)) = (uplink, config) {
            found.extend(static_shortfalls(uplink, config, snapshot));
        }
        found
    }

    /// Sets the addressing configured per uplink name; the selected uplink gets its entry.
    pub fn with_static_uplinks(mut self, statics: BTreeMap<String, StaticUplink>) -> Engine {
        self.statics = statics;
        self
    }

    /// Returns what the UI shows.
    pub fn view(&self) -> EngineView {
        EngineView {
            state: self.state,
            uplink: self.selection.clone(),
            isolated: self.isolated,
            corrected_leaks: self.corrected_leaks,
            failures: self
                .failures
                .iter()
                .map(|failure| (failure.link.clone(), failure.message()))
                .collect(),
            events: self.events.clone(),
        }
    }

    /// Observes `snapshot` and plans the actions that restore isolation, leaving out failed
    /// actions whose retry is not due at `now`.
    ///
    /// With no selection the plan is empty: nothing is changed until an uplink is chosen.
    pub fn plan(&mut self, snapshot: &Snapshot, now: Instant) -> Plan {
        let Some(selection) = self.selection.clone() else {
            self.set_state(State::Unselected);
            return Plan::default();
        };
        let found = self.violations(snapshot);
        self.observe(&selection, snapshot, &found);

        let mut needed: Vec<Action> = found.iter().map(correction).collect();
        needed.sort_by_key(Action::rank);
        self.confirm_not_found(&needed, now);
        self.failures
            .retain(|failure| needed.contains(&failure.action));

        let actions: Vec<Action> = needed
            .into_iter()
            .filter(|action| self.is_due(action, now))
            .collect();
        self.update_state(snapshot, &actions);
        Plan {
            actions,
            next_check: self.next_retry(),
        }
    }

    /// Records the result of applying `action` at `now`.
    ///
    /// A "not found" error counts as success until the next snapshot shows otherwise.
    pub fn record(&mut self, action: &Action, result: &Result<(), Error>, now: Instant) {
        match result {
            Ok(()) => self.forget_failure(action),
            Err(error) if error.is_not_found() => {
                debug!(iface = %self.action_link_name(action), %error, "{} found nothing to change", action.verb());
                self.forget_failure(action);
                self.unconfirmed.push(action.clone());
            }
            Err(error) => self.record_failure(action, error.to_string(), error.errno(), now),
        }
    }

    /// Records a kernel event about link `index`, so that an uplink blocked by rfkill is retried
    /// by the plan after `now`.
    pub fn record_link_event(&mut self, index: u32, now: Instant) {
        for failure in &mut self.failures {
            if failure.index == index && failure.retry == Retry::OnLinkEvent {
                failure.retry = Retry::At(now);
            }
        }
    }

    /// Updates names, the uplink, leak accounting and the isolated count from a new snapshot.
    fn observe(&mut self, selection: &str, snapshot: &Snapshot, found: &[Violation]) {
        let roles = Roles::resolve(selection, &self.keep, snapshot);
        let uplink = roles.uplink.map(|link| link.index);
        let mut current: BTreeMap<u32, Vec<Action>> = snapshot
            .links
            .iter()
            .filter(|link| roles.role(link.index) == Role::Managed)
            .map(|link| (link.index, Vec::new()))
            .collect();
        self.note_uplink(selection, uplink);
        self.note_renames(snapshot);

        for violation in found {
            if violation.is_uplink_shortfall() {
                continue;
            }
            current
                .entry(violation.index())
                .or_default()
                .push(correction(violation));
        }

        if let Some(previous) = self.seen.take() {
            let leaks = self.find_leaks(&previous, &current, snapshot, found);
            let extra = leaks.len().saturating_sub(MAX_LEAK_LINES);
            for (position, leak) in leaks.into_iter().enumerate() {
                self.count_leak(leak, position < MAX_LEAK_LINES);
            }
            if extra > 0 {
                info!(
                    more = extra,
                    total = self.corrected_leaks,
                    "correcting more leaks, not listed one by one"
                );
            }
        }
        self.isolated = current
            .iter()
            .filter(|(index, actions)| actions.is_empty() && snapshot.link(**index).is_some())
            .count();
        self.names = snapshot
            .links
            .iter()
            .map(|link| (link.index, link.name.clone()))
            .collect();
        self.seen = Some(current);
    }

    /// Describes every violation that was not there in the previous snapshot.
    fn find_leaks(
        &mut self,
        previous: &BTreeMap<u32, Vec<Action>>,
        current: &BTreeMap<u32, Vec<Action>>,
        snapshot: &Snapshot,
        found: &[Violation],
    ) -> Vec<String> {
        let mut leaks = Vec::new();
        for (index, actions) in current {
            let before = match previous.get(index) {
                Some(before) => before.as_slice(),
                // A link that just stopped being the uplink or kept is a role change, not a leak.
                None if self.names.contains_key(index) => continue,
                None => {
                    self.note_new_link(&snapshot.link_name(*index), actions.is_empty());
                    &[]
                }
            };
            let new: Vec<&Violation> = found
                .iter()
                .filter(|v| v.index() == *index && !before.contains(&correction(v)))
                .collect();
            let link_or_address = new.iter().any(|v| !matches!(v, Violation::Route { .. }));
            for violation in new {
                // The kernel adds local, prefix and multicast routes with every address and every
                // link that comes up. They belong to that leak, not to leaks of their own, and
                // they are still deleted.
                let follows = matches!(violation, Violation::Route { route, .. }
                    if route.protocol == RTPROT_KERNEL && link_or_address);
                if !follows {
                    leaks.push(leak_text(violation));
                }
            }
        }
        leaks
    }

    fn note_new_link(&mut self, name: &str, clean: bool) {
        let text = if clean {
            format!("{name}: new interface, already isolated")
        } else {
            format!("{name}: new interface, isolating")
        };
        info!(iface = name, "{text}");
        self.push_event(text);
    }

    fn count_leak(&mut self, text: String, log: bool) {
        self.corrected_leaks += 1;
        if log {
            info!(leak = %text, total = self.corrected_leaks, "correcting a leak");
        }
        self.push_event(text);
    }

    fn note_uplink(&mut self, selection: &str, index: Option<u32>) {
        if index == self.uplink_index {
            return;
        }
        match index {
            Some(index) => {
                info!(iface = selection, index, "uplink present");
                self.push_event(format!("{selection}: uplink present"));
            }
            None => {
                info!(iface = selection, "uplink not present, waiting for it");
                self.push_event(format!("{selection}: uplink not present"));
            }
        }
        self.uplink_index = index;
    }

    fn note_renames(&mut self, snapshot: &Snapshot) {
        for link in &snapshot.links {
            let Some(old) = self.names.get(&link.index) else {
                continue;
            };
            if *old != link.name {
                let text = format!("{old}: renamed to {}", link.name);
                info!(iface = %link.name, index = link.index, "{text}");
                self.push_event(text);
            }
        }
    }

    /// Turns deletes that the kernel called "not found" but that are still listed into failures.
    fn confirm_not_found(&mut self, needed: &[Action], now: Instant) {
        let unconfirmed = std::mem::take(&mut self.unconfirmed);
        for action in unconfirmed {
            if needed.contains(&action) {
                let error = "still listed after the kernel reported it not found".to_string();
                self.record_failure(&action, error, None, now);
            }
        }
    }

    fn record_failure(&mut self, action: &Action, error: String, errno: Option<i32>, now: Instant) {
        let index = self.action_index(action);
        let link = self.link_name(index);
        let position = self.failures.iter().position(|f| f.action == *action);
        let (attempts, repeated) = match position {
            Some(at) => (
                self.failures[at].attempts + 1,
                self.failures[at].error == error,
            ),
            None => (1, false),
        };
        let mut failure = Failure {
            action: action.clone(),
            index,
            link,
            error,
            errno,
            attempts,
            retry: Retry::At(now + backoff(attempts)),
        };
        if failure.is_rfkill() {
            failure.retry = Retry::OnLinkEvent;
        }
        self.report_failure(&failure, repeated);

        let state = if failure.is_rfkill() {
            State::WaitingForUplink
        } else {
            State::Degraded
        };
        match position {
            Some(at) => self.failures[at] = failure,
            None => self.failures.push(failure),
        }
        self.set_state(state);
    }

    /// Logs a failure and adds it to the events, at debug only when it repeats the previous error.
    fn report_failure(&mut self, failure: &Failure, repeated: bool) {
        let retry = match failure.retry {
            Retry::At(_) => format!("retry in {} ms", backoff(failure.attempts).as_millis()),
            Retry::OnLinkEvent => "retry on the next link event".to_string(),
        };
        if repeated {
            debug!(iface = %failure.link, cause = %failure.error, attempts = failure.attempts, "{} failed again, {retry}", failure.action.verb());
            return;
        }
        warn!(iface = %failure.link, cause = %failure.error, attempts = failure.attempts, "{} failed, {retry}", failure.action.verb());
        self.push_event(format!("{}: {}", failure.link, failure.message()));
    }

    fn forget_failure(&mut self, action: &Action) {
        self.failures.retain(|failure| failure.action != *action);
    }

    fn is_due(&self, action: &Action, now: Instant) -> bool {
        match self.failures.iter().find(|f| f.action == *action) {
            None => true,
            Some(failure) => match failure.retry {
                Retry::At(at) => at <= now,
                Retry::OnLinkEvent => false,
            },
        }
    }

    fn next_retry(&self) -> Option<Instant> {
        self.failures
            .iter()
            .filter_map(|failure| match failure.retry {
                Retry::At(at) => Some(at),
                Retry::OnLinkEvent => None,
            })
            .min()
    }

    /// Returns the link an action is about: for a route, its first output that is not the uplink.
    fn action_index(&self, action: &Action) -> u32 {
        match action {
            Action::LinkDown(index) | Action::LinkUp(index) => *index,
            Action::AddrAdd { index, .. } => *index,
            Action::RouteAdd(route) => route.oif.unwrap_or(0),
            Action::AddrDel(address) => address.index,
            Action::RouteDel(route) => {
                let mut outputs = route.output_links();
                let first = route.output_links().next().unwrap_or(0);
                outputs
                    .find(|index| Some(*index) != self.uplink_index)
                    .unwrap_or(first)
            }
        }
    }

    /// Returns the name of the link `action` is about, as the latest snapshot had it.
    pub fn action_link_name(&self, action: &Action) -> String {
        self.link_name(self.action_index(action))
    }

    fn update_state(&mut self, snapshot: &Snapshot, actions: &[Action]) {
        let state = if self.failures.iter().any(|failure| !failure.is_rfkill()) {
            State::Degraded
        } else if !actions.is_empty() {
            State::Isolating
        } else if self.is_uplink_online(snapshot) {
            State::Online
        } else {
            State::WaitingForUplink
        };
        self.set_state(state);
    }

    /// Returns true when the uplink is admin up, running, and has a usable global address
    /// (a link-local address alone reaches no further than the segment).
    fn is_uplink_online(&self, snapshot: &Snapshot) -> bool {
        let Some(uplink) = self.uplink_index.and_then(|index| snapshot.link(index)) else {
            return false;
        };
        let has_address = snapshot.addresses.iter().any(|address| {
            address.index == uplink.index && address.is_usable() && address.scope == SCOPE_GLOBAL
        });
        uplink.admin_up && uplink.is_running() && has_address
    }

    /// Moves to `new`, logging `old -> new`; does nothing when the state is unchanged.
    fn set_state(&mut self, new: State) {
        if new == self.state {
            return;
        }
        debug!("isolation state {} -> {new}", self.state);
        self.state = new;
    }

    fn push_event(&mut self, text: String) {
        if self.events.len() == MAX_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(text);
    }
}

/// Returns the action that removes `violation`.
fn correction(violation: &Violation) -> Action {
    match violation {
        Violation::LinkUp { index, .. } => Action::LinkDown(*index),
        Violation::Address { address, .. } => Action::AddrDel(address.clone()),
        Violation::Route { route, .. } => Action::RouteDel(route.clone()),
        Violation::UplinkDown { index, .. } => Action::LinkUp(*index),
        Violation::StaticAddressMissing {
            index,
            address,
            prefix_len,
            ..
        } => Action::AddrAdd {
            index: *index,
            address: *address,
            prefix_len: *prefix_len,
        },
        Violation::StaticGatewayMissing { route, .. } => Action::RouteAdd(route.clone()),
        Violation::StaticGatewayConflict { route, .. } => Action::RouteDel(route.clone()),
    }
}

/// Describes a corrected leak for logs and the UI event list.
fn leak_text(violation: &Violation) -> String {
    let who = escape_controls(violation.link_name());
    match violation {
        Violation::LinkUp { .. } => format!("{who}: link was up, set down"),
        Violation::Address { address, .. } => {
            format!("{who}: address {} removed", address_text(address))
        }
        Violation::Route { printed, .. } => format!("{who}: route {printed} removed"),
        Violation::UplinkDown { .. } => format!("{who}: uplink was down, set up"),
        other => format!("{other}; added"),
    }
}

/// Returns the delay before retry number `attempts` (1 after the first failure).
pub fn backoff(attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(20);
    FIRST_RETRY.saturating_mul(1 << doublings).min(MAX_RETRY)
}
