//! `select`, `release` and `check`: the operator's commands for the uplink and isolation.

use std::io::Write;
use std::time::Instant;

use tokio::sync::mpsc;

use super::BadInput;
use super::context::Context;
use crate::appliance::{Enforcer, signals};
use crate::isolation::{Engine, Report, enforce};
use crate::netlink::names::{check_link_name, escape_controls};
use crate::netlink::{Kernel, Link, Netlink};

/// Makes `name` the uplink, isolates the rest, and saves the choice; with `watch`, keeps
/// enforcing until SIGINT or SIGTERM.
pub async fn select(context: &Context, name: &str, watch: bool) -> anyhow::Result<u8> {
    check_link_name("select", name).map_err(|error| BadInput(error.to_string()))?;
    let shutdown = if watch {
        Some(signals::shutdown_on_signal()?)
    } else {
        None
    };
    let _lock = context.lock()?;
    let netlink = context.connect()?;
    let link = resolve(&netlink, name).await?;
    if link.is_loopback() {
        return Err(BadInput(format!(
            "{name:?} is the loopback interface, which is always kept; choose the interface that carries traffic, for example eth0"
        ))
        .into());
    }
    // The kernel also finds a link by an alternative name; isolation matches primary names.
    let requested = name;
    let name = link.name.as_str();
    if name != requested {
        println!("{requested} is an alternative name of {name}; selecting {name}");
    }
    context.store.save(name)?;
    let engine = context.engine(Some(name.to_string()));

    let Some(shutdown) = shutdown else {
        let mut engine = engine;
        let report = enforce(&netlink, &mut engine, Instant::now()).await?;
        print_report(&report, &engine);
        return Ok(if report.satisfied { 0 } else { 1 });
    };

    let recheck = context.config.isolation.recheck_interval;
    let mut enforcer = Enforcer::new(netlink, engine, Some(context.store.clone()), recheck)?;
    let report = enforcer.enforce_once().await?;
    print_report(&report, enforcer.engine());
    println!("watching for changes; stop with Ctrl-C");
    let (_commands, receiver) = mpsc::unbounded_channel();
    enforcer.run(shutdown, receiver, |_, _| {}).await?;
    // stdout may be closed by now, for example when the journal stream went away. println!
    // would panic on EPIPE, so the summary is best effort and the stop stays orderly.
    let corrected = enforcer.engine().corrected_leaks();
    let _ = writeln!(
        std::io::stdout(),
        "stopped; {corrected} leaks corrected while watching"
    );
    Ok(0)
}

/// Fails with bad input when no interface is called `name` (by its name or an alternative one).
async fn resolve(netlink: &Netlink, name: &str) -> anyhow::Result<Link> {
    match netlink.link_by_name(name).await {
        Ok(link) => Ok(link),
        Err(error) if error.is_not_found() => Err(BadInput(format!(
            "unknown interface {name:?}; `rustyjack status` lists the interfaces"
        ))
        .into()),
        Err(error) => Err(error.into()),
    }
}

fn print_report(report: &Report, engine: &Engine) {
    let uplink = engine.selection().unwrap_or("none");
    println!("uplink {uplink}: {}", report.state);
    println!(
        "{}",
        count(
            engine.view().isolated,
            "interface isolated",
            "interfaces isolated"
        )
    );
    for failure in &report.failures {
        println!("{}: {}", failure.link, failure.message());
    }
    for violation in &report.violations {
        println!("{violation}");
    }
}

/// Forgets the saved selection; links stay as they are.
pub fn release(context: &Context) -> anyhow::Result<u8> {
    let _lock = context.lock()?;
    if context.store.clear()? {
        println!("selection released; interfaces stay as they are");
    } else {
        println!("no selection was saved; nothing to release");
    }
    Ok(0)
}

/// Checks the kernel state against the saved selection; exit 1 lists each violation.
pub async fn check(context: &Context) -> anyhow::Result<u8> {
    let Some(selection) = context.saved_selection()? else {
        println!("no uplink selected; nothing is enforced, so there is nothing to check");
        return Ok(0);
    };
    let netlink = context.connect()?;
    let snapshot = netlink.snapshot().await?;
    let shown = escape_controls(&selection).into_owned();
    let found = context
        .engine(Some(selection.clone()))
        .violations(&snapshot);
    if found.is_empty() {
        println!("isolation holds for uplink {shown}");
        return Ok(0);
    }
    for violation in &found {
        println!("{violation}");
    }
    let violations = count(found.len(), "violation", "violations");
    println!("{violations} of isolation for uplink {shown}");
    Ok(1)
}

/// Returns "1 thing" or "N things".
fn count(n: usize, one: &str, many: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}
