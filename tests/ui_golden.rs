//! Golden images of every screen, drawn from fixed data.
//!
//! A mismatch writes `tests/golden/NAME.actual.png` beside the golden image. Run with
//! `RUSTYJACK_BLESS=1` to rewrite the golden images after an intended change, then look at them.

mod ui_support;

use std::path::PathBuf;
use std::time::Duration;

use rustyjack::netlink::Snapshot;
use rustyjack::ui::image::{read_png, write_png};
use rustyjack::ui::{App, Button, ButtonAction, ButtonEvent, EngineView, Frame, Model, Screen};
use tokio::time::Instant;
use ui_support::*;

fn golden_path(name: &str, suffix: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/{name}{suffix}.png"))
}

fn assert_golden(name: &str, app: &App) {
    let mut frame = Frame::default();
    app.draw(&mut frame).unwrap();
    let golden = golden_path(name, "");
    let actual = golden_path(name, ".actual");
    if std::env::var_os("RUSTYJACK_BLESS").is_some_and(|value| value == "1") {
        write_png(&frame, &golden).unwrap();
        let _ = std::fs::remove_file(&actual);
        return;
    }
    let expected = read_png(&golden).unwrap_or_else(|error| {
        panic!("{}: {error}; run with RUSTYJACK_BLESS=1", golden.display())
    });
    if expected != frame {
        write_png(&frame, &actual).unwrap();
        let differing = frame
            .diff(&expected)
            .iter()
            .map(|region| region.area())
            .sum::<usize>();
        panic!(
            "{name}: frame differs in regions covering {differing} pixels; see {}",
            actual.display()
        );
    }
    let _ = std::fs::remove_file(&actual);
}

fn app(model: Model) -> App {
    App::new(model, Duration::from_secs(60), Instant::now())
}

fn press(app: &mut App, button: Button) {
    app.button(
        ButtonEvent::new(button, ButtonAction::Pressed),
        Instant::now(),
    );
    app.button(
        ButtonEvent::new(button, ButtonAction::Released),
        Instant::now(),
    );
}

fn press_times(app: &mut App, button: Button, times: usize) {
    for _ in 0..times {
        press(app, button);
    }
}

#[test]
fn splash_before_first_state() {
    let app = app(Model::empty(VERSION));
    assert_eq!(app.screen(), &Screen::Splash);
    assert_golden("splash", &app);
}

#[test]
fn status_online() {
    assert_golden("status_online", &app(online_model()));
}

#[test]
fn status_scrolled_to_gateways() {
    let mut app = app(online_model());
    press_times(&mut app, Button::Down, 6);
    assert_golden("status_scrolled", &app);
}

#[test]
fn status_without_uplink() {
    let engine = EngineView {
        state: "unselected".to_string(),
        ..EngineView::default()
    };
    assert_golden(
        "status_unselected",
        &app(Model::new(&online_snapshot(), engine, VERSION)),
    );
}

#[test]
fn status_uplink_absent() {
    let engine = EngineView {
        state: "waiting for uplink".to_string(),
        uplink: Some("eth1".to_string()),
        isolated: 3,
        ..EngineView::default()
    };
    assert_golden(
        "status_absent",
        &app(Model::new(&online_snapshot(), engine, VERSION)),
    );
}

#[test]
fn status_degraded_with_failure() {
    assert_golden("status_degraded", &app(failing_model()));
}

#[test]
fn interfaces_list_top() {
    let mut app = app(Model::new(&crowded_snapshot(), online_engine(), VERSION));
    press(&mut app, Button::Right);
    assert_golden("interfaces_top", &app);
}

#[test]
fn interfaces_list_scrolled_to_end() {
    let mut app = app(Model::new(&crowded_snapshot(), online_engine(), VERSION));
    press(&mut app, Button::Right);
    press_times(&mut app, Button::Down, 20);
    assert_golden("interfaces_end", &app);
}

#[test]
fn interface_detail_uplink() {
    let mut app = app(online_model());
    press(&mut app, Button::Right);
    press(&mut app, Button::Down);
    press(&mut app, Button::Press);
    assert_eq!(app.screen(), &Screen::Detail("eth0".to_string()));
    assert_golden("detail_eth0", &app);
}

#[test]
fn interface_detail_gone() {
    let mut app = app(online_model());
    press(&mut app, Button::Right);
    press_times(&mut app, Button::Down, 2);
    press(&mut app, Button::Press);
    let mut snapshot = online_snapshot();
    snapshot.links.retain(|link| link.name != "wlan0");
    app.set_model(Model::new(&snapshot, online_engine(), VERSION));
    assert_golden("detail_gone", &app);
}

#[test]
fn routes_with_multipath() {
    let mut app = app(failing_model());
    press_times(&mut app, Button::Right, 2);
    assert_golden("routes", &app);
}

#[test]
fn events_with_failure() {
    let mut app = app(failing_model());
    press_times(&mut app, Button::Left, 2);
    assert_golden("events", &app);
}

#[test]
fn events_empty() {
    let engine = EngineView {
        events: Vec::new(),
        ..online_engine()
    };
    let mut app = app(Model::new(&online_snapshot(), engine, VERSION));
    press_times(&mut app, Button::Right, 3);
    assert_golden("events_empty", &app);
}

#[test]
fn system_page() {
    let mut app = app(online_model());
    press(&mut app, Button::Left);
    assert_golden("system", &app);
}

#[test]
fn select_candidates() {
    let mut app = app(Model::new(&crowded_snapshot(), online_engine(), VERSION));
    press(&mut app, Button::Key1);
    press_times(&mut app, Button::Down, 1);
    assert_golden("select", &app);
}

#[test]
fn select_without_interfaces() {
    let mut snapshot = Snapshot::default();
    snapshot.links.push(online_snapshot().links[0].clone());
    let mut app = app(Model::new(&snapshot, EngineView::default(), VERSION));
    press(&mut app, Button::Key1);
    assert_golden("select_empty", &app);
}

#[test]
fn confirm_selection() {
    let mut app = app(online_model());
    press(&mut app, Button::Key1);
    press(&mut app, Button::Down);
    press(&mut app, Button::Press);
    assert_eq!(app.screen(), &Screen::ConfirmSelect("wlan0".to_string()));
    assert_golden("confirm", &app);
}

#[test]
fn progress_while_isolating() {
    let mut app = app(online_model());
    app.set_model(Model::new(&online_snapshot(), online_engine(), VERSION));
    press(&mut app, Button::Key1);
    press(&mut app, Button::Down);
    press(&mut app, Button::Press);
    press(&mut app, Button::Down);
    press(&mut app, Button::Press);
    let engine = EngineView {
        state: "isolating".to_string(),
        uplink: Some("wlan0".to_string()),
        ..online_engine()
    };
    app.set_model(Model::new(&online_snapshot(), engine, VERSION));
    assert_eq!(app.screen(), &Screen::Progress("wlan0".to_string()));
    assert_golden("progress", &app);
}

#[test]
fn outcome_without_failures() {
    let mut app = app(online_model());
    press(&mut app, Button::Key1);
    press(&mut app, Button::Press);
    press(&mut app, Button::Down);
    press(&mut app, Button::Press);
    app.set_model(Model::new(
        &online_snapshot(),
        EngineView {
            corrected_leaks: 4,
            ..online_engine()
        },
        VERSION,
    ));
    assert_eq!(app.screen(), &Screen::Outcome("eth0".to_string()));
    assert_golden("outcome_ok", &app);
}

#[test]
fn outcome_with_failures() {
    let mut app = app(online_model());
    press(&mut app, Button::Key1);
    press(&mut app, Button::Press);
    press(&mut app, Button::Down);
    press(&mut app, Button::Press);
    app.set_model(failing_model());
    assert_eq!(app.screen(), &Screen::Outcome("eth0".to_string()));
    assert_golden("outcome_failed", &app);
}

#[test]
fn release_confirmation() {
    let mut app = app(online_model());
    press(&mut app, Button::Left);
    press(&mut app, Button::Down);
    press(&mut app, Button::Press);
    assert_eq!(app.screen(), &Screen::ConfirmRelease);
    assert_golden("release", &app);
}

#[test]
fn stopped_screen() {
    let mut app = app(online_model());
    app.stop();
    assert_golden("stopped", &app);
}
