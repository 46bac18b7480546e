//! Random kernel events interleaved with enforcement: isolation must hold at the end, and the
//! engine must never touch the uplink's or kept links' configuration.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures::executor::block_on;
use proptest::prelude::*;
use rustyjack::isolation::fake::{self, FakeKernel, Op, OpKind};
use rustyjack::isolation::{Engine, KeepSet, enforce, violations};
use rustyjack::netlink::error::errno;
use rustyjack::netlink::{Address, Route};

const UPLINK: &str = "eth0";
const TABLES: [u32; 4] = [254, 100, 51820, 255];

#[derive(Debug, Clone)]
enum Event {
    /// A new managed link, or the uplink when it is absent.
    Plug {
        uplink: bool,
    },
    Unplug(usize),
    SetUp(usize),
    SetDown(usize),
    Carrier(usize, bool),
    AddAddress {
        link: usize,
        host: u8,
        v6: bool,
        prefix: u8,
    },
    AddRoute {
        link: usize,
        host: u8,
        default: bool,
        table: usize,
        metric: u32,
    },
    AddMultipath {
        first: usize,
        second: usize,
        table: usize,
    },
    RemoveAddress(usize),
    RemoveRoute(usize),
    Rename(usize),
    Busy {
        link: usize,
        down: bool,
    },
    Enforce {
        advance_ms: u64,
    },
}

fn event() -> impl Strategy<Value = Event> {
    let pick = 0usize..16;
    prop_oneof![
        any::<bool>().prop_map(|uplink| Event::Plug { uplink }),
        pick.clone().prop_map(Event::Unplug),
        pick.clone().prop_map(Event::SetUp),
        pick.clone().prop_map(Event::SetDown),
        (pick.clone(), any::<bool>()).prop_map(|(l, c)| Event::Carrier(l, c)),
        (
            pick.clone(),
            1u8..8,
            any::<bool>(),
            prop::sample::select(vec![24u8, 32, 64])
        )
            .prop_map(|(link, host, v6, prefix)| Event::AddAddress {
                link,
                host,
                v6,
                prefix
            }),
        (
            pick.clone(),
            1u8..8,
            any::<bool>(),
            0usize..4,
            prop::sample::select(vec![0u32, 100, 600])
        )
            .prop_map(|(link, host, default, table, metric)| Event::AddRoute {
                link,
                host,
                default,
                table,
                metric
            }),
        (pick.clone(), pick.clone(), 0usize..3).prop_map(|(first, second, table)| {
            Event::AddMultipath {
                first,
                second,
                table,
            }
        }),
        (0usize..64).prop_map(Event::RemoveAddress),
        (0usize..64).prop_map(Event::RemoveRoute),
        pick.clone().prop_map(Event::Rename),
        (pick, any::<bool>()).prop_map(|(link, down)| Event::Busy { link, down }),
        (0u64..500).prop_map(|advance_ms| Event::Enforce { advance_ms }),
    ]
}

/// The kernel, the engine, and which link indexes are the uplink or kept (roles never change
/// here: renames only give managed links fresh managed names).
struct World {
    kernel: FakeKernel,
    engine: Engine,
    now: Instant,
    uplinks: BTreeSet<u32>,
    protected: BTreeSet<u32>,
    names: u32,
}

impl World {
    fn new(uplink_present: bool) -> World {
        let kernel = FakeKernel::new();
        let mut protected = BTreeSet::from([1]);
        let mut uplinks = BTreeSet::new();
        if uplink_present {
            let eth0 = kernel.add_link(UPLINK);
            uplinks.insert(eth0);
            protected.insert(eth0);
        }
        let wg0 = kernel.add_tun("wg0");
        kernel.set_admin(wg0, true);
        protected.insert(wg0);
        let wlan0 = kernel.add_link("wlan0");
        kernel.set_admin(wlan0, true);

        let keep = KeepSet::new(["wg*"]).unwrap();
        let engine = Engine::new(Some(UPLINK.to_string()), keep);
        World {
            kernel,
            engine,
            now: Instant::now(),
            uplinks,
            protected,
            names: 0,
        }
    }

    /// Returns the index of a link other than loopback, chosen by `pick`.
    fn link(&self, pick: usize) -> Option<u32> {
        let links = self.kernel.snapshot_now().links;
        let candidates: Vec<u32> = links.iter().map(|l| l.index).filter(|i| *i != 1).collect();
        (!candidates.is_empty()).then(|| candidates[pick % candidates.len()])
    }

    fn enforce(&mut self) {
        block_on(enforce(&self.kernel, &mut self.engine, self.now)).unwrap();
    }

    fn apply(&mut self, event: Event) {
        match event {
            Event::Plug { uplink } => self.plug(uplink),
            Event::Unplug(pick) => self.with_link(pick, |w, i| w.kernel.remove_link(i)),
            Event::SetUp(pick) => self.with_link(pick, |w, i| w.kernel.set_admin(i, true)),
            Event::SetDown(pick) => self.with_link(pick, |w, i| w.kernel.set_admin(i, false)),
            Event::Carrier(pick, on) => self.with_link(pick, |w, i| w.kernel.set_carrier(i, on)),
            Event::AddAddress {
                link,
                host,
                v6,
                prefix,
            } => {
                self.with_link(link, |w, i| {
                    let _ = w.kernel.add_address(address(i, host, v6, prefix));
                });
            }
            Event::AddRoute {
                link,
                host,
                default,
                table,
                metric,
            } => {
                self.with_link(link, |w, i| {
                    let _ = w.kernel.add_route(route(i, host, default, table, metric));
                });
            }
            Event::AddMultipath {
                first,
                second,
                table,
            } => self.add_multipath(first, second, table),
            Event::RemoveAddress(pick) => {
                let addresses = self.kernel.snapshot_now().addresses;
                if let Some(address) = addresses.get(pick % addresses.len().max(1)) {
                    let _ = self.kernel.remove_address(address);
                }
            }
            Event::RemoveRoute(pick) => {
                let routes = self.kernel.snapshot_now().routes;
                if let Some(route) = routes.get(pick % routes.len().max(1)) {
                    let _ = self.kernel.remove_route(route);
                }
            }
            Event::Rename(pick) => self.rename(pick),
            Event::Busy { link, down } => {
                let kind = if down {
                    OpKind::LinkDown
                } else {
                    OpKind::AddrDel
                };
                self.with_link(link, |w, i| w.kernel.fail(kind, i, errno::EBUSY, Some(1)));
            }
            Event::Enforce { advance_ms } => {
                self.now += Duration::from_millis(advance_ms);
                self.enforce();
            }
        }
    }

    fn with_link(&mut self, pick: usize, change: impl FnOnce(&mut World, u32)) {
        if let Some(index) = self.link(pick) {
            change(self, index);
        }
    }

    fn plug(&mut self, uplink: bool) {
        let present = self.kernel.snapshot_now().link_by_name(UPLINK).is_some();
        if uplink && !present {
            let index = self.kernel.add_link(UPLINK);
            self.uplinks.insert(index);
            self.protected.insert(index);
        } else {
            self.names += 1;
            self.kernel.add_link(&format!("usb{}", self.names));
        }
    }

    fn rename(&mut self, pick: usize) {
        let Some(index) = self.link(pick) else { return };
        if !self.protected.contains(&index) {
            self.names += 1;
            self.kernel.rename_link(index, &format!("x{}", self.names));
        }
    }

    fn add_multipath(&mut self, first: usize, second: usize, table: usize) {
        let (Some(a), Some(b)) = (self.link(first), self.link(second)) else {
            return;
        };
        if a == b {
            return;
        }
        let route = fake::multipath("default", &[("192.0.2.1", a), ("198.51.100.1", b)]);
        let _ = self.kernel.add_route(Route {
            table: TABLES[table],
            ..route
        });
    }

    fn uplink_config(&self) -> (Vec<Address>, Vec<Route>) {
        let snapshot = self.kernel.snapshot_now();
        let index = snapshot.link_by_name(UPLINK).map(|l| l.index);
        let addresses = snapshot
            .addresses
            .into_iter()
            .filter(|a| Some(a.index) == index);
        let routes = snapshot.routes.into_iter().filter(|r| {
            index.is_some_and(|i| r.output_links().all(|o| o == i))
                && r.output_links().next().is_some()
        });
        (addresses.collect(), routes.collect())
    }

    /// Checks that every request the engine sent targeted a managed link, or brought the uplink up.
    fn check_ops(&self) -> Result<(), TestCaseError> {
        for op in self.kernel.ops() {
            match &op {
                Op::LinkUp(index) => prop_assert!(self.uplinks.contains(index), "{op:?}"),
                Op::AddrDel(address) => {
                    prop_assert!(!self.protected.contains(&address.index), "{op:?}")
                }
                Op::RouteDel(route) => prop_assert!(
                    route.output_links().any(|i| !self.protected.contains(&i)),
                    "{op:?}"
                ),
                Op::LinkDown(index) => prop_assert!(!self.protected.contains(index), "{op:?}"),
                Op::AddrAdd(..) | Op::RouteAdd(_) => prop_assert!(false, "{op:?}"),
            }
        }
        Ok(())
    }
}

fn address(index: u32, host: u8, v6: bool, prefix: u8) -> Address {
    match v6 {
        true => fake::address(index, &format!("2001:db8::{host}/{}", prefix.max(64))),
        false => fake::address(index, &format!("192.0.2.{host}/{}", prefix.min(32))),
    }
}

fn route(index: u32, host: u8, default: bool, table: usize, metric: u32) -> Route {
    let destination = if default {
        "default".to_string()
    } else {
        format!("198.51.100.{host}/32")
    };
    let route = fake::route(&destination, Some("192.0.2.1"), index);
    Route {
        table: TABLES[table],
        priority: Some(metric),
        ..route
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn isolation_holds_after_random_events(
        uplink_present in any::<bool>(),
        events in prop::collection::vec(event(), 0..40),
    ) {
        let mut world = World::new(uplink_present);
        for event in events {
            world.apply(event);
        }

        world.kernel.clear_faults();
        let (addresses, routes) = world.uplink_config();
        for _ in 0..3 {
            world.now += Duration::from_secs(60);
            world.enforce();
        }

        let snapshot = world.kernel.snapshot_now();
        let left = violations(Some(UPLINK), world.engine.keep(), &snapshot);
        prop_assert!(left.is_empty(), "{:?}", left.iter().map(ToString::to_string).collect::<Vec<_>>());
        // The same rules checked without the engine's own violation finder.
        for link in snapshot.links.iter().filter(|l| !world.protected.contains(&l.index)) {
            prop_assert!(!link.admin_up, "{} is up", link.name);
            prop_assert!(!snapshot.addresses.iter().any(|a| a.index == link.index), "{} has addresses", link.name);
            prop_assert!(!snapshot.routes.iter().any(|r| r.uses_link(link.index)), "{} has routes", link.name);
        }
        if let Some(uplink) = snapshot.link_by_name(UPLINK) {
            prop_assert!(uplink.admin_up);
        }
        let (addresses_after, routes_after) = world.uplink_config();
        prop_assert_eq!(addresses_after, addresses);
        for route in &routes {
            prop_assert!(routes_after.contains(route), "{:?} lost", route);
        }
        prop_assert!(world.engine.failures().is_empty(), "{:?}", world.engine.failures());
        world.check_ops()?;
    }
}
