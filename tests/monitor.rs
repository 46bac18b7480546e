//! The kernel event monitor in private namespaces.

mod common;

use std::time::Duration;

use common::*;
use rustyjack::netlink::monitor::{Event, Monitor};

async fn collect_until(monitor: &mut Monitor, done: impl Fn(&[Event]) -> bool) -> Vec<Event> {
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !done(&events) {
        let batch = tokio::time::timeout_at(deadline, monitor.next())
            .await
            .expect("events within 5 s")
            .unwrap();
        events.extend(batch);
    }
    events
}

#[test]
fn monitor_reports_links_addresses_routes() {
    let _ns = Netns::enter();
    block_on(async {
        let mut monitor = Monitor::open(256 * 1024).unwrap();
        assert!(monitor.receive_buffer() >= 256 * 1024);
        veth("v0");
        ip(&["addr", "add", "192.0.2.10/24", "dev", "v0"]);
        ip(&["-6", "addr", "add", "2001:db8::10/64", "dev", "v0", "nodad"]);
        ip(&[
            "route",
            "add",
            "default",
            "via",
            "192.0.2.1",
            "dev",
            "v0",
            "table",
            "51820",
        ]);
        ip(&[
            "route",
            "del",
            "default",
            "via",
            "192.0.2.1",
            "dev",
            "v0",
            "table",
            "51820",
        ]);
        ip(&["link", "del", "v0"]);
        let events = collect_until(&mut monitor, |events| {
            events
                .iter()
                .any(|e| matches!(e, Event::LinkDel(link) if link.name == "v0"))
        })
        .await;

        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::LinkNew(l) if l.name == "v0"))
        );
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::AddressNew(a) if a.local.to_string() == "192.0.2.10"))
        );
        assert!(
            events.iter().any(
                |e| matches!(e, Event::AddressNew(a) if a.local.to_string() == "2001:db8::10")
            )
        );
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::RouteNew(r) if r.table == 51820 && r.is_default()))
        );
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::RouteDel(r) if r.table == 51820 && r.is_default()))
        );
        assert!(!events.contains(&Event::Overrun));
    });
}

/// A reader that does not keep up with a small buffer gets ENOBUFS; the monitor reports
/// an overrun, not the end of the stream, and the socket keeps delivering afterwards.
#[test]
fn overrun_reported_and_socket_survives() {
    let _ns = Netns::enter();
    veth("v0");
    block_on(async {
        let mut monitor = Monitor::open(4096).unwrap();
        let batch: String = (1..=4000)
            .map(|i| format!("address add 2001:db8:aa::{i:x}/128 dev v0 nodad\n"))
            .collect();
        ip_batch(&batch);

        // IPv6 finishes each address in a kernel work item (addrconf), so notifications keep
        // coming after `ip` returns: read until the kernel has been quiet for 300 ms.
        let mut events = Vec::new();
        while let Ok(batch) = tokio::time::timeout(Duration::from_millis(300), monitor.next()).await
        {
            events.extend(batch.unwrap());
        }
        assert!(
            events.contains(&Event::Overrun),
            "no overrun among {} events",
            events.len()
        );
        let delivered = events
            .iter()
            .filter(|e| matches!(e, Event::AddressNew(_)))
            .count();
        assert!(
            delivered < 4000,
            "all {delivered} delivered: the buffer did not overflow"
        );

        ip(&["addr", "add", "192.0.2.77/24", "dev", "v0"]);
        let after = collect_until(&mut monitor, |events| {
            events
                .iter()
                .any(|e| matches!(e, Event::AddressNew(a) if a.local.to_string() == "192.0.2.77"))
        })
        .await;
        assert!(!after.is_empty());
    });
}
