//! The isolation engine and executor against the in-memory kernel, one section per engine state.

use std::time::{Duration, Instant};

use futures::executor::block_on;
use rustyjack::isolation::engine::backoff;
use rustyjack::isolation::fake::{self, FakeKernel, Op, OpKind};
use rustyjack::isolation::{Action, Engine, KeepSet, Report, State, enforce};
use rustyjack::netlink::error::errno;
use rustyjack::netlink::types::{addr_flags, route_type};
use rustyjack::netlink::{Route, Snapshot};

/// A small network: `eth0` (the usual uplink, down, with an IPv4 address), `wlan0` and `usb0`
/// (up and configured), `tun0` (a managed tun) and `wg0` (a kept tun).
struct Lab {
    kernel: FakeKernel,
    engine: Engine,
    now: Instant,
    eth0: u32,
    wlan0: u32,
    usb0: u32,
    tun0: u32,
    wg0: u32,
}

impl Lab {
    fn new(selection: Option<&str>) -> Lab {
        let kernel = FakeKernel::new();
        let eth0 = kernel.add_link("eth0");
        let wlan0 = kernel.add_link("wlan0");
        let usb0 = kernel.add_link("usb0");
        let tun0 = kernel.add_tun("tun0");
        let wg0 = kernel.add_tun("wg0");
        for index in [wlan0, usb0, tun0, wg0] {
            kernel.set_admin(index, true);
        }
        let add = |index, text| kernel.add_address(fake::address(index, text)).unwrap();
        let route = |route: Route| kernel.add_route(route).unwrap();

        add(eth0, "192.0.2.10/24");
        add(wlan0, "198.51.100.10/24");
        add(wlan0, "2001:db8:1::10/64");
        route(with_metric(
            fake::route("default", Some("198.51.100.1"), wlan0),
            600,
        ));
        route(fake::route("default6", Some("2001:db8:1::1"), wlan0));
        add(usb0, "203.0.113.5/24");
        add(usb0, "203.0.113.6/24");
        add(usb0, "203.0.113.5/32");
        route(in_table(
            fake::route("default", Some("203.0.113.1"), usb0),
            100,
        ));
        route(in_table(
            fake::route("198.18.0.0/15", Some("203.0.113.1"), usb0),
            51820,
        ));
        add(tun0, "198.51.100.200/32");
        route(with_metric(fake::route("default", None, tun0), 50));
        route(with_metric(fake::route("default6", None, tun0), 50));
        add(wg0, "192.0.2.200/32");
        route(in_table(fake::route("default", None, wg0), 51820));
        route(in_table(fake::route("default6", None, wg0), 51820));
        route(in_table(
            fake::unroutable("default", route_type::BLACKHOLE),
            200,
        ));

        let keep = KeepSet::new(["wg*"]).unwrap();
        let engine = Engine::new(selection.map(str::to_string), keep);
        Lab {
            kernel,
            engine,
            now: Instant::now(),
            eth0,
            wlan0,
            usb0,
            tun0,
            wg0,
        }
    }

    fn enforce(&mut self) -> Report {
        block_on(enforce(&self.kernel, &mut self.engine, self.now)).unwrap()
    }

    fn advance(&mut self, millis: u64) {
        self.now += Duration::from_millis(millis);
    }

    fn snapshot(&self) -> Snapshot {
        self.kernel.snapshot_now()
    }

    fn is_up(&self, index: u32) -> bool {
        self.snapshot().link(index).unwrap().admin_up
    }

    fn addresses_on(&self, index: u32) -> usize {
        self.snapshot()
            .addresses
            .iter()
            .filter(|a| a.index == index)
            .count()
    }

    fn routes_through(&self, index: u32) -> Vec<Route> {
        let snapshot = self.snapshot();
        snapshot
            .routes
            .into_iter()
            .filter(|r| r.uses_link(index))
            .collect()
    }

    fn has_event(&self, text: &str) -> bool {
        self.engine.view().events.iter().any(|event| event == text)
    }

    fn ops_of(&self, kind: OpKind) -> Vec<Op> {
        self.kernel
            .ops()
            .into_iter()
            .filter(|op| op.kind() == kind)
            .collect()
    }
}

fn in_table(route: Route, table: u32) -> Route {
    Route { table, ..route }
}

fn with_metric(route: Route, metric: u32) -> Route {
    Route {
        priority: Some(metric),
        ..route
    }
}

/// Builds a lab selected on `eth0` and enforced once, with the op log cleared.
fn online() -> Lab {
    let mut lab = Lab::new(Some("eth0"));
    lab.enforce();
    lab.kernel.clear_ops();
    lab
}

mod unselected {
    use super::*;

    #[test]
    fn unselected_changes_nothing() {
        let mut lab = Lab::new(None);
        let before = lab.snapshot();

        let report = lab.enforce();

        assert_eq!(report.state, State::Unselected);
        assert!(lab.kernel.ops().is_empty());
        assert_eq!(lab.snapshot(), before);
    }

    #[test]
    fn unselected_plan_is_empty() {
        let lab = Lab::new(None);
        let mut engine = Engine::new(None, KeepSet::default());

        let plan = engine.plan(&lab.snapshot(), lab.now);

        assert!(plan.actions.is_empty());
        assert_eq!(plan.next_check, None);
    }

    #[test]
    fn unselected_after_release_ignores_changes() {
        let mut lab = online();
        lab.engine.select(None);
        lab.kernel.set_admin(lab.wlan0, true);

        let report = lab.enforce();

        assert_eq!(report.state, State::Unselected);
        assert!(lab.kernel.ops().is_empty());
        assert!(report.violations.is_empty());
        assert!(lab.is_up(lab.wlan0));
    }
}

mod isolating {
    use super::*;

    #[test]
    fn isolating_first_plan_is_ordered() {
        let mut lab = Lab::new(Some("eth0"));

        let plan = lab.engine.plan(&lab.snapshot(), lab.now);

        assert_eq!(lab.engine.state(), State::Isolating);
        let ranks: Vec<u8> = plan.actions.iter().map(rank).collect();
        let mut sorted = ranks.clone();
        sorted.sort();
        assert_eq!(ranks, sorted, "{:?}", plan.actions);
        assert_eq!(plan.actions.last(), Some(&Action::LinkUp(lab.eth0)));
        let ups = plan
            .actions
            .iter()
            .filter(|a| matches!(a, Action::LinkUp(_)))
            .count();
        assert_eq!(ups, 1);
    }

    #[test]
    fn isolating_takes_down_and_flushes_others() {
        let mut lab = Lab::new(Some("eth0"));

        let report = lab.enforce();

        assert!(report.satisfied, "{:?}", report.violations);
        for index in [lab.wlan0, lab.usb0, lab.tun0] {
            assert!(!lab.is_up(index), "link {index} still up");
            assert_eq!(lab.addresses_on(index), 0, "link {index} has addresses");
            assert!(
                lab.routes_through(index).is_empty(),
                "link {index} has routes"
            );
        }
        assert!(lab.is_up(lab.eth0));
        assert_eq!(report.state, State::Online);
    }

    #[test]
    fn isolating_brings_uplink_up_last() {
        let mut lab = Lab::new(Some("eth0"));

        lab.enforce();

        let ops = lab.kernel.ops();
        let first_up = ops
            .iter()
            .position(|op| op.kind() == OpKind::LinkUp)
            .unwrap();
        assert_eq!(ops[first_up], Op::LinkUp(lab.eth0));
        assert_eq!(lab.ops_of(OpKind::LinkUp).len(), 1);
        assert!(ops[first_up..].iter().all(|op| op.kind() == OpKind::LinkUp));
        let last_down = ops
            .iter()
            .rposition(|op| op.kind() == OpKind::LinkDown)
            .unwrap();
        let first_del = ops
            .iter()
            .position(|op| op.kind() == OpKind::AddrDel)
            .unwrap();
        assert!(last_down < first_del);
    }

    #[test]
    fn isolating_fresh_selection_is_not_a_leak() {
        let mut lab = Lab::new(Some("eth0"));

        lab.enforce();

        assert_eq!(lab.engine.corrected_leaks(), 0);
    }

    #[test]
    fn isolating_clears_tables_100_and_51820() {
        let mut lab = Lab::new(Some("eth0"));

        lab.enforce();

        let routes = lab.snapshot().routes;
        assert!(
            !routes
                .iter()
                .any(|r| r.table == 100 && r.uses_link(lab.usb0))
        );
        assert!(
            !routes
                .iter()
                .any(|r| r.table == 51820 && r.uses_link(lab.usb0))
        );
    }

    #[test]
    fn isolating_device_only_default_on_managed_tun_removed() {
        let mut lab = Lab::new(Some("eth0"));

        lab.enforce();

        assert!(lab.routes_through(lab.tun0).is_empty());
        assert!(!lab.is_up(lab.tun0));
    }

    #[test]
    fn isolating_device_only_default_on_kept_tun_kept() {
        let mut lab = Lab::new(Some("eth0"));
        let before = lab.routes_through(lab.wg0);

        lab.enforce();

        assert_eq!(lab.routes_through(lab.wg0), before);
        assert_eq!(before.iter().filter(|r| r.is_default()).count(), 2);
        assert!(lab.is_up(lab.wg0));
        assert_eq!(lab.addresses_on(lab.wg0), 1);
    }

    #[test]
    fn isolating_blackhole_default_untouched() {
        let mut lab = Lab::new(Some("eth0"));

        lab.enforce();

        let blackholes = lab
            .snapshot()
            .routes
            .into_iter()
            .filter(|r| r.kind == route_type::BLACKHOLE && r.is_default() && r.table == 200)
            .count();
        assert_eq!(blackholes, 1);
        assert!(
            !lab.kernel
                .ops()
                .iter()
                .any(|op| matches!(op, Op::RouteDel(r) if r.kind == route_type::BLACKHOLE))
        );
    }

    #[test]
    fn isolating_flushes_duplicate_prefixes() {
        let mut lab = Lab::new(Some("eth0"));

        lab.enforce();

        assert_eq!(lab.addresses_on(lab.usb0), 0);
        let deleted: Vec<String> = lab
            .ops_of(OpKind::AddrDel)
            .into_iter()
            .filter_map(|op| match op {
                Op::AddrDel(a) if a.index == lab.usb0 => {
                    Some(format!("{}/{}", a.local, a.prefix_len))
                }
                _ => None,
            })
            .collect();
        assert!(deleted.contains(&"203.0.113.5/24".to_string()));
        assert!(deleted.contains(&"203.0.113.5/32".to_string()));
    }

    #[test]
    fn isolating_secondary_gone_with_primary_is_success() {
        let mut lab = Lab::new(Some("eth0"));
        let secondary = lab
            .snapshot()
            .addresses
            .into_iter()
            .find(|a| a.flags & addr_flags::SECONDARY != 0)
            .unwrap();
        assert_eq!(secondary.local.to_string(), "203.0.113.6");

        let report = lab.enforce();

        assert!(lab.kernel.ops().contains(&Op::AddrDel(secondary)));
        assert!(report.failures.is_empty(), "{:?}", report.failures);
        assert_eq!(report.state, State::Online);
    }

    #[test]
    fn isolating_leaves_uplink_addresses_and_routes() {
        let mut lab = Lab::new(Some("eth0"));
        lab.kernel.set_admin(lab.eth0, true);
        lab.kernel
            .add_route(with_metric(
                fake::route("default", Some("192.0.2.1"), lab.eth0),
                100,
            ))
            .unwrap();
        let addresses = lab.addresses_on(lab.eth0);
        let routes = lab.routes_through(lab.eth0);

        lab.enforce();

        assert_eq!(lab.addresses_on(lab.eth0), addresses);
        assert_eq!(lab.routes_through(lab.eth0), routes);
        assert!(lab.ops_of(OpKind::LinkUp).is_empty());
    }

    #[test]
    fn isolating_second_enforce_sends_nothing() {
        let mut lab = online();

        let report = lab.enforce();

        assert!(lab.kernel.ops().is_empty(), "{:?}", lab.kernel.ops());
        assert_eq!(report.rounds, 0);
        assert_eq!(report.state, State::Online);
    }

    fn rank(action: &Action) -> u8 {
        match action {
            Action::LinkDown(_) => 0,
            Action::AddrDel(_) => 1,
            Action::RouteDel(_) => 2,
            Action::LinkUp(_) => 3,
            Action::AddrAdd { .. } => 4,
            Action::RouteAdd(_) => 5,
        }
    }
}

mod waiting_for_uplink {
    use super::*;

    #[test]
    fn waiting_for_uplink_absent_isolates_the_rest() {
        let mut lab = Lab::new(Some("eth1"));

        let report = lab.enforce();

        assert_eq!(report.state, State::WaitingForUplink);
        assert!(report.satisfied, "{:?}", report.violations);
        assert!(lab.ops_of(OpKind::LinkUp).is_empty());
        for index in [lab.eth0, lab.wlan0, lab.usb0, lab.tun0] {
            assert!(!lab.is_up(index));
            assert_eq!(lab.addresses_on(index), 0);
        }
    }

    #[test]
    fn waiting_for_uplink_appears_and_comes_up() {
        let mut lab = Lab::new(Some("eth1"));
        lab.enforce();
        lab.kernel.clear_ops();

        let eth1 = lab.kernel.add_link("eth1");
        lab.kernel
            .add_address(fake::address(eth1, "192.0.2.50/24"))
            .unwrap();
        let report = lab.enforce();

        assert_eq!(lab.kernel.ops(), vec![Op::LinkUp(eth1)]);
        assert_eq!(report.state, State::Online);
        assert_eq!(lab.engine.corrected_leaks(), 0);
        assert!(lab.has_event("eth1: uplink present"));
    }

    #[test]
    fn waiting_for_uplink_rfkill_waits_for_link_event() {
        let mut lab = Lab::new(Some("wlan0"));
        lab.kernel.set_admin(lab.wlan0, false);
        lab.kernel
            .fail(OpKind::LinkUp, lab.wlan0, errno::ERFKILL, None);

        let report = lab.enforce();

        assert_eq!(report.state, State::WaitingForUplink);
        assert_eq!(
            lab.engine.view().failures,
            vec![(
                "wlan0".to_string(),
                "uplink unavailable (rfkill)".to_string()
            )]
        );
        assert_eq!(report.next_check, None);
        assert!(!lab.is_up(lab.eth0));

        lab.advance(3_600_000);
        lab.kernel.clear_ops();
        lab.enforce();
        assert!(lab.kernel.ops().is_empty(), "retried without a link event");

        lab.kernel.clear_faults();
        lab.engine.record_link_event(lab.wlan0, lab.now);
        let report = lab.enforce();
        assert_eq!(lab.kernel.ops(), vec![Op::LinkUp(lab.wlan0)]);
        assert_eq!(report.state, State::Online);
        assert!(report.failures.is_empty());
    }

    #[test]
    fn waiting_for_uplink_without_carrier() {
        let mut lab = Lab::new(Some("eth0"));
        lab.kernel.set_carrier(lab.eth0, false);

        let report = lab.enforce();

        assert_eq!(report.state, State::WaitingForUplink);
        assert!(lab.is_up(lab.eth0));
        lab.kernel.set_carrier(lab.eth0, true);
        assert_eq!(lab.enforce().state, State::Online);
    }

    #[test]
    fn waiting_for_uplink_tentative_address_is_not_online() {
        let mut lab = Lab::new(Some("eth1"));
        let eth1 = lab.kernel.add_link("eth1");
        let mut tentative = fake::address(eth1, "2001:db8:9::5/64");
        tentative.flags |= addr_flags::TENTATIVE;
        lab.kernel.add_address(tentative).unwrap();

        let report = lab.enforce();

        assert_eq!(report.state, State::WaitingForUplink);
        assert!(lab.is_up(eth1));
    }

    #[test]
    fn waiting_for_uplink_link_local_only() {
        let mut lab = Lab::new(Some("eth1"));
        let eth1 = lab.kernel.add_link("eth1");
        lab.kernel
            .add_address(fake::address(eth1, "fe80::5/64"))
            .unwrap();

        assert_eq!(lab.enforce().state, State::WaitingForUplink);

        lab.kernel
            .add_address(fake::address(eth1, "2001:db8:9::5/64"))
            .unwrap();
        assert_eq!(lab.enforce().state, State::Online);
    }
}

mod online {
    use super::*;

    #[test]
    fn online_rogue_default_removed() {
        let mut lab = online();
        lab.kernel.set_admin(lab.wlan0, true);
        lab.kernel
            .add_address(fake::address(lab.wlan0, "198.51.100.10/24"))
            .unwrap();
        let rogue = with_metric(fake::route("default", Some("198.51.100.1"), lab.wlan0), 600);
        lab.kernel.add_route(rogue).unwrap();

        let report = lab.enforce();

        assert!(report.satisfied, "{:?}", report.violations);
        assert!(!lab.is_up(lab.wlan0));
        assert!(lab.has_event(
            "wlan0: route default via 198.51.100.1 dev wlan0 table 254 metric 600 removed"
        ));
        assert!(lab.has_event("wlan0: link was up, set down"));
        assert!(lab.has_event("wlan0: address 198.51.100.10/24 removed"));
        // Link up, the address (with the local and prefix routes the kernel made for it), and
        // the default route.
        assert_eq!(lab.engine.corrected_leaks(), 3);
        assert_eq!(report.state, State::Online);
    }

    #[test]
    fn online_address_burst_counts_each_address() {
        let mut lab = online();
        lab.kernel.set_admin(lab.usb0, true);
        for host in 1..=40 {
            let text = format!("198.18.0.{host}/32");
            lab.kernel
                .add_address(fake::address(lab.usb0, &text))
                .unwrap();
        }

        let report = lab.enforce();

        assert!(report.satisfied, "{:?}", report.violations);
        assert_eq!(lab.addresses_on(lab.usb0), 0);
        // The link brought up, and each address once, whatever routes the kernel made for them.
        assert_eq!(lab.engine.corrected_leaks(), 41);
    }

    #[test]
    fn online_uplink_dhcp_default_kept() {
        let mut lab = online();
        let dhcp = with_metric(fake::route("default", Some("192.0.2.1"), lab.eth0), 100);
        lab.kernel.add_route(dhcp.clone()).unwrap();

        let report = lab.enforce();

        assert!(lab.kernel.ops().is_empty());
        assert!(lab.snapshot().routes.contains(&dhcp));
        assert_eq!(lab.engine.corrected_leaks(), 0);
        assert_eq!(report.state, State::Online);
    }

    #[test]
    fn online_multipath_with_isolated_nexthop_removed() {
        let mut lab = online();
        lab.kernel.set_admin(lab.wlan0, true);
        let multipath = fake::multipath(
            "default",
            &[("192.0.2.1", lab.eth0), ("198.51.100.1", lab.wlan0)],
        );
        let multipath = in_table(multipath, 100);
        lab.kernel.add_route(multipath.clone()).unwrap();

        let report = lab.enforce();

        assert!(report.satisfied, "{:?}", report.violations);
        assert!(lab.kernel.ops().contains(&Op::RouteDel(multipath.clone())));
        assert!(!lab.snapshot().routes.contains(&multipath));
        assert!(lab.is_up(lab.eth0));
    }

    #[test]
    fn online_rename_keeps_isolation() {
        let mut lab = online();
        lab.kernel.rename_link(lab.usb0, "usb9");

        lab.enforce();
        assert!(lab.kernel.ops().is_empty());
        assert!(lab.has_event("usb0: renamed to usb9"));
        assert_eq!(lab.engine.corrected_leaks(), 0);

        lab.kernel.set_admin(lab.usb0, true);
        let report = lab.enforce();
        assert_eq!(lab.kernel.ops(), vec![Op::LinkDown(lab.usb0)]);
        assert!(lab.has_event("usb9: link was up, set down"));
        assert_eq!(report.state, State::Online);
    }

    #[test]
    fn online_rename_into_keep_set_left_alone() {
        let mut lab = online();
        lab.kernel.rename_link(lab.tun0, "wg1");
        lab.kernel.set_admin(lab.tun0, true);

        let report = lab.enforce();

        assert!(lab.kernel.ops().is_empty());
        assert!(lab.is_up(lab.tun0));
        assert!(report.satisfied);
    }

    #[test]
    fn online_vanished_link_counts_as_isolated() {
        let mut lab = online();
        lab.kernel.set_admin(lab.wlan0, true);
        lab.kernel
            .add_address(fake::address(lab.wlan0, "198.51.100.10/24"))
            .unwrap();
        let plan = lab.engine.plan(&lab.snapshot(), lab.now);
        assert!(plan.actions.contains(&Action::LinkDown(lab.wlan0)));

        lab.kernel.remove_link(lab.wlan0);
        for action in &plan.actions {
            let result = block_on(apply(&lab.kernel, action));
            lab.engine.record(action, &result, lab.now);
        }

        assert!(lab.engine.failures().is_empty());
        let report = lab.enforce();
        assert!(report.failures.is_empty());
        assert!(report.satisfied);
        assert_eq!(report.state, State::Online);
    }

    #[test]
    fn online_hotplug_quiet_link_isolated_without_leak() {
        let mut lab = online();
        lab.kernel.add_link("eth2");

        lab.enforce();

        assert!(lab.kernel.ops().is_empty());
        assert_eq!(lab.engine.corrected_leaks(), 0);
        assert!(lab.has_event("eth2: new interface, already isolated"));
    }

    #[test]
    fn online_hotplug_configured_link_is_a_leak() {
        let mut lab = online();
        let eth2 = lab.kernel.add_link("eth2");
        lab.kernel.set_admin(eth2, true);

        let report = lab.enforce();

        assert_eq!(lab.kernel.ops(), vec![Op::LinkDown(eth2)]);
        assert_eq!(lab.engine.corrected_leaks(), 1);
        assert!(lab.has_event("eth2: new interface, isolating"));
        assert!(report.satisfied);
    }

    #[test]
    fn online_view_reports_counts() {
        let lab = online();

        let view = lab.engine.view();

        assert_eq!(view.state, State::Online);
        assert_eq!(view.uplink.as_deref(), Some("eth0"));
        assert_eq!(view.isolated, 3);
        assert_eq!(view.corrected_leaks, 0);
        assert!(view.failures.is_empty());
    }

    async fn apply(kernel: &FakeKernel, action: &Action) -> rustyjack::netlink::Result<()> {
        rustyjack::isolation::executor::apply(kernel, action).await
    }
}

mod degraded {
    use super::*;

    #[test]
    fn degraded_ebusy_retried_with_backoff() {
        let mut lab = Lab::new(Some("eth0"));
        lab.kernel
            .fail(OpKind::LinkDown, lab.wlan0, errno::EBUSY, Some(2));
        let start = lab.now;

        let report = lab.enforce();
        assert_eq!(report.state, State::Degraded);
        assert_eq!(report.next_check, Some(start + Duration::from_millis(100)));
        assert_eq!(lab.addresses_on(lab.wlan0), 0, "flush waits for nothing");
        assert!(lab.is_up(lab.eth0));

        lab.advance(50);
        lab.kernel.clear_ops();
        lab.enforce();
        assert!(
            lab.ops_of(OpKind::LinkDown).is_empty(),
            "retried before the deadline"
        );

        lab.advance(50);
        let report = lab.enforce();
        assert_eq!(lab.ops_of(OpKind::LinkDown), vec![Op::LinkDown(lab.wlan0)]);
        assert_eq!(report.failures[0].attempts, 2);
        assert_eq!(report.next_check, Some(start + Duration::from_millis(300)));

        lab.advance(200);
        let report = lab.enforce();
        assert_eq!(report.state, State::Online);
        assert!(report.failures.is_empty());
        assert!(!lab.is_up(lab.wlan0));
    }

    #[test]
    fn degraded_failures_never_bring_others_up() {
        let mut lab = Lab::new(Some("eth0"));
        lab.kernel
            .fail(OpKind::LinkDown, lab.wlan0, errno::EBUSY, None);
        lab.kernel
            .fail(OpKind::LinkDown, lab.usb0, errno::EPERM, None);
        lab.kernel
            .fail(OpKind::AddrDel, lab.tun0, errno::EBUSY, None);

        let report = lab.enforce();

        assert_eq!(report.state, State::Degraded);
        assert_eq!(lab.ops_of(OpKind::LinkUp), vec![Op::LinkUp(lab.eth0)]);
        let ops = lab.kernel.ops();
        let up = ops
            .iter()
            .position(|op| *op == Op::LinkUp(lab.eth0))
            .unwrap();
        let last_down = ops
            .iter()
            .rposition(|op| op.kind() == OpKind::LinkDown)
            .unwrap();
        assert!(last_down < up);
        assert!(
            !lab.is_up(lab.tun0),
            "tun0 down although its address delete fails"
        );
        assert_eq!(lab.addresses_on(lab.usb0), 0);
        assert!(lab.routes_through(lab.wlan0).is_empty());
    }

    #[test]
    fn degraded_view_lists_each_failure() {
        let mut lab = Lab::new(Some("eth0"));
        lab.kernel
            .fail(OpKind::LinkDown, lab.wlan0, errno::EBUSY, None);

        lab.enforce();

        let view = lab.engine.view();
        assert_eq!(view.state, State::Degraded);
        assert_eq!(view.failures.len(), 1);
        assert_eq!(view.failures[0].0, "wlan0");
        assert!(
            view.failures[0].1.starts_with("link down failed: "),
            "{}",
            view.failures[0].1
        );
        assert!(
            view.failures[0].1.ends_with("(attempt 1)"),
            "{}",
            view.failures[0].1
        );
        assert!(lab.engine.failures()[0].errno == Some(errno::EBUSY));
    }

    #[test]
    fn degraded_not_found_yet_still_listed() {
        let mut lab = Lab::new(Some("eth0"));
        lab.kernel
            .fail(OpKind::AddrDel, lab.usb0, errno::EADDRNOTAVAIL, None);

        let report = lab.enforce();

        assert_eq!(report.state, State::Degraded);
        assert!(!report.satisfied);
        let failure = &report.failures[0];
        assert_eq!(failure.link, "usb0");
        assert_eq!(
            failure.error,
            "still listed after the kernel reported it not found"
        );
    }

    #[test]
    fn degraded_backoff_doubles_to_limit() {
        let expected = [100, 200, 400, 800, 1600];
        for (attempt, millis) in (1..).zip(expected) {
            assert_eq!(backoff(attempt), Duration::from_millis(millis));
        }
        assert_eq!(backoff(20), Duration::from_secs(30));
        assert_eq!(backoff(u32::MAX), Duration::from_secs(30));
    }
}

mod check {
    use super::*;
    use rustyjack::isolation::violations;

    #[test]
    fn check_lines_name_link_and_object() {
        let lab = Lab::new(Some("eth0"));
        let keep = KeepSet::new(["wg*"]).unwrap();

        let lines: Vec<String> = violations(Some("eth0"), &keep, &lab.snapshot())
            .iter()
            .map(ToString::to_string)
            .collect();

        assert!(lines.contains(&"wlan0: link is up".to_string()));
        assert!(lines.contains(&"eth0: uplink is down".to_string()));
        assert!(lines.contains(&"usb0: address 203.0.113.5/32 present".to_string()));
        assert!(lines.contains(
            &"usb0: route 198.18.0.0/15 via 203.0.113.1 dev usb0 table 51820 uses it".to_string()
        ));
        assert!(lines.contains(&"wlan0: default via 198.51.100.1 dev wlan0 table 254 metric 600 leaves through it, which is not the uplink".to_string()));
        assert!(
            !lines
                .iter()
                .any(|line| line.starts_with("wg0") || line.starts_with("lo"))
        );
    }

    #[test]
    fn check_without_selection_is_empty() {
        let lab = Lab::new(None);

        assert!(violations(None, &KeepSet::default(), &lab.snapshot()).is_empty());
    }

    #[test]
    fn state_names_are_stable() {
        let names: Vec<String> = [
            State::Unselected,
            State::Isolating,
            State::WaitingForUplink,
            State::Online,
            State::Degraded,
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            names,
            [
                "unselected",
                "isolating",
                "waiting for uplink",
                "online",
                "degraded"
            ]
        );
    }
}

mod static_uplink {
    use super::*;
    use std::collections::BTreeMap;
    use std::net::IpAddr;

    use rustyjack::isolation::StaticUplink;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    /// `eth0` selected, with 192.0.2.20/24, 2001:db8:5::20/64 and both gateways configured.
    fn lab_with_static_eth0() -> Lab {
        let mut lab = Lab::new(Some("eth0"));
        let config = StaticUplink {
            addresses: vec![(ip("192.0.2.20"), 24), (ip("2001:db8:5::20"), 64)],
            gateways: vec![ip("192.0.2.1"), ip("2001:db8:5::1")],
        };
        let statics = BTreeMap::from([("eth0".to_string(), config)]);
        lab.engine = lab.engine.clone().with_static_uplinks(statics);
        lab
    }

    fn has_address(lab: &Lab, index: u32, text: &str, prefix_len: u8) -> bool {
        lab.snapshot()
            .addresses
            .iter()
            .any(|a| a.index == index && a.local == ip(text) && a.prefix_len == prefix_len)
    }

    fn has_default_via(lab: &Lab, index: u32, gateway: &str) -> bool {
        lab.routes_through(index)
            .iter()
            .any(|r| r.is_default() && r.gateway == Some(ip(gateway)) && r.table == 254)
    }

    #[test]
    fn static_uplink_addressing_added_after_link_up() {
        let mut lab = lab_with_static_eth0();
        let report = lab.enforce();

        assert!(report.satisfied, "{:?}", report.violations);
        let eth0 = lab.eth0;
        assert!(lab.is_up(eth0));
        assert!(has_address(&lab, eth0, "192.0.2.20", 24));
        assert!(has_address(&lab, eth0, "2001:db8:5::20", 64));
        assert!(has_default_via(&lab, eth0, "192.0.2.1"));
        assert!(has_default_via(&lab, eth0, "2001:db8:5::1"));
        assert!(
            has_address(&lab, eth0, "192.0.2.10", 24),
            "existing address left alone"
        );

        let ops = lab.kernel.ops();
        let up = ops.iter().position(|op| *op == Op::LinkUp(eth0)).unwrap();
        let first_add = ops
            .iter()
            .position(|op| op.kind() == OpKind::AddrAdd)
            .unwrap();
        let first_route = ops
            .iter()
            .position(|op| op.kind() == OpKind::RouteAdd)
            .unwrap();
        assert!(up < first_add, "{ops:?}");
        assert!(first_add < first_route, "{ops:?}");
    }

    #[test]
    fn static_address_removed_by_third_party_restored() {
        let mut lab = lab_with_static_eth0();
        lab.enforce();
        let eth0 = lab.eth0;
        let address = lab
            .snapshot()
            .addresses
            .into_iter()
            .find(|a| a.index == eth0 && a.local == ip("192.0.2.20"))
            .unwrap();
        lab.kernel.remove_address(&address).unwrap();
        assert!(!has_address(&lab, eth0, "192.0.2.20", 24));

        let report = lab.enforce();
        assert!(report.satisfied, "{:?}", report.violations);
        assert!(has_address(&lab, eth0, "192.0.2.20", 24));
        assert_eq!(
            lab.engine.corrected_leaks(),
            0,
            "restoring the uplink is not a leak"
        );
    }

    #[test]
    fn static_gateway_failure_backs_off() {
        let mut lab = lab_with_static_eth0();
        let eth0 = lab.eth0;
        lab.kernel.fail(OpKind::RouteAdd, eth0, errno::EEXIST, None);
        let report = lab.enforce();

        assert_eq!(report.state, State::Degraded);
        assert!(!report.satisfied);
        let next = report.next_check.expect("a retry deadline");
        assert!(next > lab.now, "a failing add must not be retried at once");
        let attempts = lab.ops_of(OpKind::RouteAdd).len();
        lab.enforce();
        assert_eq!(
            lab.ops_of(OpKind::RouteAdd).len(),
            attempts,
            "no retry before the deadline"
        );
    }

    #[test]
    fn static_gateway_replaces_same_metric_default() {
        let mut lab = lab_with_static_eth0();
        let eth0 = lab.eth0;
        lab.kernel.set_admin(eth0, true);
        let dhcp = fake::route("default", Some("192.0.2.254"), eth0);
        lab.kernel.add_route(dhcp).unwrap();

        let report = lab.enforce();

        assert!(report.satisfied, "{:?}", report.violations);
        assert!(has_default_via(&lab, eth0, "192.0.2.1"));
        assert!(!has_default_via(&lab, eth0, "192.0.2.254"));
        let kept = with_metric(fake::route("default", Some("192.0.2.253"), eth0), 100);
        lab.kernel.add_route(kept).unwrap();
        assert!(lab.enforce().satisfied);
        assert!(
            has_default_via(&lab, eth0, "192.0.2.253"),
            "other metrics are left alone"
        );
    }

    #[test]
    fn static_config_of_other_uplink_ignored() {
        let mut lab = lab_with_static_eth0();
        lab.engine.select(Some("wlan0".to_string()));
        lab.enforce();
        assert_eq!(lab.ops_of(OpKind::AddrAdd).len(), 0);
        assert_eq!(lab.ops_of(OpKind::RouteAdd).len(), 0);
    }
}
