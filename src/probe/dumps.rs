//! Timed read-only dumps of links, addresses and routes.

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::netlink::{self, Netlink};

/// One timed dump.
#[derive(Debug, Clone, Serialize)]
pub struct DumpTiming {
    /// Object type of the dump: `links`, `addresses` or `routes`.
    pub dump: &'static str,
    /// Objects the dump returned; 0 when it failed.
    pub count: usize,
    pub duration_us: u64,
    pub error: Option<String>,
}

impl DumpTiming {
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }
}

/// Dumps links, addresses of both families and routes of every table, one after the other.
///
/// A failed dump is recorded and the next one still runs, so one slow or broken object type does
/// not hide the others.
pub async fn run(netlink: &Netlink) -> Vec<DumpTiming> {
    vec![
        timed("links", netlink.link_list()).await,
        timed("addresses", netlink.addr_list(None)).await,
        timed("routes", netlink.route_list()).await,
    ]
}

async fn timed<T>(
    dump: &'static str,
    request: impl Future<Output = netlink::Result<Vec<T>>>,
) -> DumpTiming {
    let started = Instant::now();
    let result = request.await;
    let duration_us = micros(started.elapsed());
    match result {
        Ok(objects) => DumpTiming {
            dump,
            count: objects.len(),
            duration_us,
            error: None,
        },
        Err(error) => DumpTiming {
            dump,
            count: 0,
            duration_us,
            error: Some(error.to_string()),
        },
    }
}

/// Returns `duration` in whole microseconds, saturating.
pub fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}
