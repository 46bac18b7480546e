//! `rustyjack probe` in private namespaces: every mode leaves the namespace as it found it, and
//! the stress figures catch memory or thread leaks in interface listing.

mod common;

use common::*;
use serde_json::Value;

/// Resident memory growth the leak regression accepts, in KiB; the probe's own default.
const MAX_GROWTH_KIB: i64 = 1024;
/// The appliance's thread budget.
const MAX_THREADS: u64 = 3;

/// Builds furniture the probe must leave alone: a veth pair with addresses of both families, a
/// default route and a route in a second table.
fn furnish_namespace() {
    veth("v0");
    ip(&["addr", "add", "192.0.2.10/24", "dev", "v0"]);
    ip(&["-6", "addr", "add", "2001:db8::10/64", "dev", "v0", "nodad"]);
    ip(&["route", "add", "default", "via", "192.0.2.1", "dev", "v0"]);
    ip(&[
        "route",
        "add",
        "198.51.100.0/24",
        "via",
        "192.0.2.1",
        "table",
        "100",
    ]);
}

/// Links, addresses and routes of both families in every table, as iproute2 prints them, with
/// counters and lifetimes removed because they change on their own.
fn namespace_state() -> Value {
    let mut state = serde_json::json!({
        "addr": ip_json(&["addr"]),
        "route": ip_json(&["route", "show", "table", "all"]),
        "route6": ip_json(&["-6", "route", "show", "table", "all"]),
        "link": ip_json(&["link"]),
    });
    strip_volatile(&mut state);
    state
}

fn strip_volatile(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|key, _| {
                !key.starts_with("stats") && !key.ends_with("life_time") && key != "expires"
            });
            map.values_mut().for_each(strip_volatile);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_volatile),
        _ => {}
    }
}

/// Runs the probe with `args` and returns its exit code and parsed JSON.
fn probe_json(args: &[&str]) -> (i32, Value) {
    let output = rustyjack()
        .arg("probe")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("probe --json printed no JSON ({error}); stderr: {stderr}"));
    (output.status.code().expect("probe exited"), report)
}

fn uint(report: &Value, pointer: &str) -> u64 {
    report
        .pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{pointer} missing or not an unsigned integer in {report:#}"))
}

#[test]
fn dumps_leave_namespace_unchanged() {
    let _ns = Netns::enter();
    furnish_namespace();
    let before = namespace_state();

    let (code, report) = probe_json(&[]);

    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["mode"], "dumps");
    assert_eq!(report["passed"], true);
    let dumps = report["dumps"].as_array().unwrap();
    let names: Vec<&str> = dumps.iter().map(|d| d["dump"].as_str().unwrap()).collect();
    assert_eq!(names, ["links", "addresses", "routes"]);
    for dump in dumps {
        assert!(dump["error"].is_null(), "{dump}");
        assert!(dump["duration_us"].is_u64(), "{dump}");
    }
    let links = ip_out(&["-o", "link", "show"]).lines().count() as u64;
    let addresses = ip_out(&["-o", "addr", "show"]).lines().count() as u64;
    assert_eq!(uint(&report, "/dumps/0/count"), links);
    assert_eq!(uint(&report, "/dumps/1/count"), addresses);
    assert!(uint(&report, "/dumps/2/count") >= 3, "{report:#}");
    assert_eq!(uint(&report, "/requests"), 3);
    assert!(uint(&report, "/process/rss_kib") > 0);
    assert_eq!(namespace_state(), before);
}

#[test]
fn dumps_text_is_a_table() {
    let _ns = Netns::enter();
    furnish_namespace();

    let output = rustyjack().arg("probe").output().unwrap();

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.starts_with("dump"), "{text}");
    assert!(header.contains("count"), "{text}");
    for expected in [
        "links",
        "addresses",
        "routes",
        "threads",
        "result               passed",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn stress_leaves_namespace_unchanged() {
    let _ns = Netns::enter();
    furnish_namespace();
    let before = namespace_state();

    let (code, report) = probe_json(&["--stress", "--seconds", "1"]);

    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["mode"], "stress");
    let stress = &report["stress"];
    assert!(uint(&report, "/stress/calls") > 0, "{stress:#}");
    assert_eq!(uint(&report, "/stress/errors"), 0);
    assert_eq!(uint(&report, "/stress/interfaces"), 3);
    assert_eq!(
        uint(&report, "/stress/requests"),
        2 * uint(&report, "/stress/calls")
    );
    assert!(stress["calls_per_second"].as_f64().unwrap() > 0.0);
    assert!(uint(&report, "/stress/peak_rss_kib") >= uint(&report, "/stress/final_rss_kib"));
    assert!(uint(&report, "/stress/hwm_kib") >= uint(&report, "/stress/peak_rss_kib"));
    assert!(stress["cpu_ms"].is_u64(), "{stress:#}");
    assert!(stress["log_bytes"].is_u64(), "{stress:#}");
    assert_eq!(namespace_state(), before);
}

#[test]
fn stress_over_thread_budget_exits_1() {
    let _ns = Netns::enter();

    let (code, report) = probe_json(&["--stress", "--seconds", "1", "--max-threads", "0"]);

    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["passed"], false);
    let failures = report["stress"]["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].as_str().unwrap().contains("threads"),
        "{failures:?}"
    );
}

#[test]
fn stress_counts_log_bytes() {
    let _ns = Netns::enter();

    let output = rustyjack()
        .args([
            "--log-level",
            "debug",
            "probe",
            "--stress",
            "--seconds",
            "1",
            "--json",
        ])
        .output()
        .unwrap();

    assert!(output.status.success());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let counted = uint(&report, "/log_bytes");
    assert!(counted > 0, "debug logging wrote nothing: {report:#}");
    assert_eq!(
        counted,
        output.stderr.len() as u64,
        "counted bytes vs bytes on stderr"
    );
}

#[test]
fn safe_ops_leave_namespace_unchanged() {
    let _ns = Netns::enter();
    furnish_namespace();
    let before = namespace_state();

    let (code, report) = probe_json(&["--safe-ops"]);

    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["mode"], "safe-ops");
    let safe_ops = &report["safe_ops"];
    assert_eq!(safe_ops["removed"], true);
    assert_eq!(safe_ops["interrupted"], false);
    assert!(safe_ops["link"].as_str().unwrap().starts_with("rjprobe"));
    let steps: Vec<&str> = safe_ops["steps"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|step| assert!(step["error"].is_null(), "{step}"))
        .map(|step| step["step"].as_str().unwrap())
        .collect();
    for expected in [
        "link_add_veth",
        "link_set_up",
        "link_set_down",
        "addr_add",
        "addr_del",
        "addr_flush",
        "route_add",
        "route_del",
        "link_del",
    ] {
        assert!(
            steps.contains(&expected),
            "{expected} missing from {steps:?}"
        );
    }
    assert_eq!(namespace_state(), before);
}

/// Regression: listing interfaces must not leak memory or start threads. The figures come from
/// the probe's own JSON, over a namespace with enough links to make each dump real work.
#[test]
fn interface_listing_leaks_nothing() {
    let _ns = Netns::enter();
    let batch: String = (0..20)
        .map(|i| format!("link add s{i} type veth peer name s{i}p\n"))
        .collect();
    ip_batch(&batch);

    let (code, report) = probe_json(&["--stress", "--seconds", "3"]);

    assert_eq!(code, 0, "{report:#}");
    assert_eq!(uint(&report, "/stress/interfaces"), 41);
    assert!(uint(&report, "/stress/calls") >= 100, "{report:#}");
    let threads = uint(&report, "/stress/threads_peak");
    assert!(
        threads <= MAX_THREADS,
        "{threads} threads, budget {MAX_THREADS}"
    );
    let growth = report["stress"]["growth_kib"].as_i64().unwrap();
    assert!(
        growth <= MAX_GROWTH_KIB,
        "resident memory grew by {growth} KiB: {report:#}"
    );
}
