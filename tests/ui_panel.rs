//! The real st7735-lcd driver, driven by the panel layer, against the fake ST7735S controller.
//!
//! Each case checks what the viewer sees on the glass: the frame turned by the rotation, with
//! the offsets that place it on the glass and the colour order and inversion of the glass.

mod ui_support;

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};
use rustyjack::ui::fake::{self, FakePin, Glass, NoDelay};
use rustyjack::ui::panel::{MAX_WRITE, Panel};
use rustyjack::ui::{DisplayConfig, Frame, Model, Rotation};
use std::time::Duration;
use tokio::time::Instant;
use ui_support::*;

/// Offsets that put the 128x128 image on the default glass (memory columns 2..=129, rows
/// 1..=128), worked out from the MADCTL address mapping for each rotation.
fn offsets(rotation: Rotation) -> (u16, u16) {
    match rotation {
        Rotation::Deg0 => (2, 1),
        Rotation::Deg90 => (1, 2),
        Rotation::Deg180 => (2, 33),
        Rotation::Deg270 => (33, 2),
    }
}

/// Returns where frame pixel (x, y) lands on the glass, as (column, row) from its top left.
fn on_glass(rotation: Rotation, x: usize, y: usize) -> (usize, usize) {
    match rotation {
        Rotation::Deg0 => (x, y),
        Rotation::Deg90 => (127 - y, x),
        Rotation::Deg180 => (127 - x, 127 - y),
        Rotation::Deg270 => (y, 127 - x),
    }
}

/// A frame whose corners differ in colour, so that any turn, mirror or red-blue swap shows.
fn corner_frame() -> Frame {
    let mut frame = Frame::new(Rgb565::new(4, 8, 4));
    let corners = [
        (Point::new(0, 0), Rgb565::RED),
        (Point::new(96, 0), Rgb565::GREEN),
        (Point::new(0, 96), Rgb565::BLUE),
        (Point::new(96, 96), Rgb565::YELLOW),
    ];
    for (corner, color) in corners {
        let square = Rectangle::new(corner, Size::new(32, 32));
        square
            .into_styled(PrimitiveStyle::with_fill(color))
            .draw(&mut frame)
            .unwrap();
    }
    frame
}

fn status_frame(model: Model) -> Frame {
    let app = rustyjack::ui::App::new(model, Duration::from_secs(60), Instant::now());
    let mut frame = Frame::default();
    app.draw(&mut frame).unwrap();
    frame
}

fn config(rotation: Rotation, glass: Glass) -> DisplayConfig {
    let (col_offset, row_offset) = offsets(rotation);
    DisplayConfig {
        rotation,
        col_offset,
        row_offset,
        bgr: glass.bgr,
        invert: glass.inverted,
        ..DisplayConfig::default()
    }
}

fn assert_glass_shows(controller: &fake::SharedController, rotation: Rotation, frame: &Frame) {
    let state = fake::snapshot(controller);
    let image = state.glass_image();
    let mut wrong = 0;
    for y in 0..128 {
        for x in 0..128 {
            let (column, row) = on_glass(rotation, x, y);
            if image[row * 128 + column] != frame.pixel(x as u16, y as u16) {
                wrong += 1;
            }
        }
    }
    assert_eq!(wrong, 0, "{rotation:?}: {wrong} pixels differ on the glass");
}

fn check_rotation(rotation: Rotation, glass: Glass) {
    let (spi, dc, controller) = fake::fake_panel(glass);
    let mut panel = Panel::new(spi, dc, FakePin, &config(rotation, glass));
    panel.init(&mut NoDelay).unwrap();

    let corners = corner_frame();
    assert_eq!(panel.flush(&corners).unwrap(), 1);
    assert_glass_shows(&controller, rotation, &corners);

    let online = status_frame(online_model());
    panel.flush(&online).unwrap();
    assert_glass_shows(&controller, rotation, &online);

    let degraded = status_frame(failing_model());
    panel.flush(&degraded).unwrap();
    assert_glass_shows(&controller, rotation, &degraded);

    let state = fake::snapshot(&controller);
    assert_eq!(state.colmod, 0x05, "16-bit pixels");
    assert!(!state.sleeping);
    assert!(state.display_on);
    assert!(state.traffic.largest_write <= MAX_WRITE);
}

#[test]
fn panel_rotations_on_bgr_glass() {
    for rotation in Rotation::ALL {
        check_rotation(rotation, Glass::default());
    }
}

#[test]
fn panel_rotations_on_rgb_glass() {
    let glass = Glass {
        bgr: false,
        ..Glass::default()
    };
    for rotation in Rotation::ALL {
        check_rotation(rotation, glass);
    }
}

#[test]
fn panel_on_inverted_glass() {
    let glass = Glass {
        inverted: true,
        ..Glass::default()
    };
    check_rotation(Rotation::Deg90, glass);
}

#[test]
fn panel_default_madctl_on_wire() {
    let (spi, dc, controller) = fake::fake_panel(Glass::default());
    let mut panel = Panel::new(spi, dc, FakePin, &DisplayConfig::default());
    panel.init(&mut NoDelay).unwrap();
    assert_eq!(fake::snapshot(&controller).madctl, 0x68);
}

#[test]
fn panel_wrong_colour_order_shows() {
    let (spi, dc, controller) = fake::fake_panel(Glass::default());
    let config = DisplayConfig {
        bgr: false,
        ..config(Rotation::Deg90, Glass::default())
    };
    let mut panel = Panel::new(spi, dc, FakePin, &config);
    panel.init(&mut NoDelay).unwrap();
    panel.flush(&corner_frame()).unwrap();
    let image = fake::snapshot(&controller).glass_image();
    let (column, row) = on_glass(Rotation::Deg90, 0, 0);
    assert_eq!(image[row * 128 + column], Rgb565::BLUE, "red shows as blue");
}

#[test]
fn panel_unchanged_frame_sends_nothing() {
    let (spi, dc, controller) = fake::fake_panel(Glass::default());
    let mut panel = Panel::new(spi, dc, FakePin, &DisplayConfig::default());
    panel.init(&mut NoDelay).unwrap();
    let frame = status_frame(online_model());
    panel.flush(&frame).unwrap();
    fake::reset_traffic(&controller);
    assert_eq!(panel.flush(&frame).unwrap(), 0);
    assert_eq!(fake::snapshot(&controller).traffic.transactions, 0);
}

#[test]
fn panel_full_frame_in_large_writes() {
    let (spi, dc, controller) = fake::fake_panel(Glass::default());
    let mut panel = Panel::new(spi, dc, FakePin, &DisplayConfig::default());
    panel.init(&mut NoDelay).unwrap();
    fake::reset_traffic(&controller);
    panel.flush(&corner_frame()).unwrap();
    let traffic = fake::snapshot(&controller).traffic;
    // CASET, RASET (one command and two words each), RAMWR, then 32768 bytes in 8 writes.
    assert_eq!(traffic.transactions, 6 + 1 + 8);
    assert_eq!(traffic.largest_write, MAX_WRITE);
}
