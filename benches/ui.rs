//! UI bench: SPI traffic of a frame on the fake ST7735S, and the time to build a frame.
//!
//! Run with `cargo bench --bench ui`; prints a markdown table. Traffic is counted on the fake
//! SPI device, so it is exact and independent of the machine; times are from this machine.

#[path = "../tests/ui_support/mod.rs"]
mod ui_support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use rustyjack::ui::fake::{self, FakePin, Glass, NoDelay, Traffic};
use rustyjack::ui::panel::Panel;
use rustyjack::ui::{App, DisplayConfig, EngineView, Frame, Model};
use st7735_lcd::ST7735;
use ui_support::*;

fn frame_of(model: Model) -> Frame {
    let app = App::new(model, Duration::ZERO, tokio::time::Instant::now());
    let mut frame = Frame::default();
    let Ok(()) = app.draw(&mut frame);
    frame
}

/// The status page before and after the uplink's IPv4 address changes.
fn status_frames() -> (Frame, Frame) {
    let before = frame_of(online_model());
    let mut snapshot = online_snapshot();
    snapshot.addresses[1] = address(2, "192.0.2.123", 24, 0, 0);
    let after = frame_of(Model::new(&snapshot, online_engine(), VERSION));
    (before, after)
}

/// Traffic of our flush: `first` is on the panel already, then `second` is sent.
fn region_traffic(first: Option<&Frame>, second: &Frame) -> (Traffic, usize) {
    let (spi, dc, controller) = fake::fake_panel(Glass::default());
    let mut panel = Panel::new(spi, dc, FakePin, &DisplayConfig::default());
    panel.init(&mut NoDelay).unwrap();
    if let Some(first) = first {
        panel.flush(first).unwrap();
    }
    fake::reset_traffic(&controller);
    let regions = panel.flush(second).unwrap();
    (fake::snapshot(&controller).traffic, regions)
}

type Driver = ST7735<fake::FakeSpi, fake::FakeDc, FakePin>;

fn driver() -> (Driver, fake::SharedController) {
    let (spi, dc, controller) = fake::fake_panel(Glass::default());
    let mut driver = ST7735::new(spi, dc, FakePin, false, false, 128, 128);
    driver.init(&mut NoDelay).unwrap();
    fake::reset_traffic(&controller);
    (driver, controller)
}

/// Traffic of st7735-lcd's `set_pixel`, once per pixel that differs from `previous`.
fn per_pixel_traffic(previous: Option<&Frame>, frame: &Frame) -> Traffic {
    let (mut driver, controller) = driver();
    for y in 0..128 {
        for x in 0..128 {
            let value = frame.raw_pixel(x, y);
            if previous.is_some_and(|previous| previous.raw_pixel(x, y) == value) {
                continue;
            }
            driver.set_pixel(x, y, value).unwrap();
        }
    }
    fake::snapshot(&controller).traffic
}

/// Traffic of st7735-lcd's `set_pixels_buffered` for the whole frame (32-byte writes).
fn buffered_traffic(frame: &Frame) -> Traffic {
    let (mut driver, controller) = driver();
    let pixels = frame.raw_pixels().iter().copied();
    driver.set_pixels_buffered(0, 0, 127, 127, pixels).unwrap();
    fake::snapshot(&controller).traffic
}

fn time_per_call(iterations: u32, mut work: impl FnMut()) -> Duration {
    work();
    let start = Instant::now();
    for _ in 0..iterations {
        work();
    }
    start.elapsed() / iterations
}

fn traffic_row(case: &str, path: &str, traffic: Traffic) {
    println!(
        "| {case} | {path} | {} | {} | {} |",
        traffic.bytes, traffic.transactions, traffic.largest_write
    );
}

fn main() {
    let (before, after) = status_frames();

    println!("| case | path | bytes | SPI transactions | largest write |");
    println!("| --- | --- | ---: | ---: | ---: |");
    let (full, _) = region_traffic(None, &after);
    traffic_row("full frame", "changed regions (rustyjack)", full);
    traffic_row(
        "full frame",
        "st7735-lcd set_pixels_buffered",
        buffered_traffic(&after),
    );
    traffic_row(
        "full frame",
        "st7735-lcd set_pixel per pixel",
        per_pixel_traffic(None, &after),
    );
    let (update, regions) = region_traffic(Some(&before), &after);
    traffic_row(
        &format!("one address changes ({regions} region)"),
        "changed regions (rustyjack)",
        update,
    );
    let changed = per_pixel_traffic(Some(&before), &after);
    traffic_row(
        "one address changes",
        "st7735-lcd set_pixel, changed pixels only",
        changed,
    );

    let model = online_model();
    let app = App::new(model.clone(), Duration::ZERO, tokio::time::Instant::now());
    let mut frame = Frame::default();
    let draw = time_per_call(2000, || {
        let Ok(()) = app.draw(black_box(&mut frame));
    });
    let diff = time_per_call(2000, || {
        black_box(after.diff(black_box(&before)));
    });
    let snapshot = online_snapshot();
    let build_model = time_per_call(2000, || {
        black_box(Model::new(
            black_box(&snapshot),
            EngineView::clone(&model.engine),
            VERSION,
        ));
    });
    println!();
    println!("| step | time per call |");
    println!("| --- | ---: |");
    println!("| build the model from a snapshot | {build_model:?} |");
    println!("| draw the status page into a frame | {draw:?} |");
    println!("| diff two frames | {diff:?} |");
}
