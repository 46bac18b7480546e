//! The display and input backends that run without the HAT, and the UI task.

mod ui_support;

use std::time::Duration;

use rustyjack::ui::display::SimDisplay;
use rustyjack::ui::input::KeyDecoder;
use rustyjack::ui::{
    Button, ButtonConfig, Display, DisplayConfig, DisplayKind, Frame, Input, InputKind, Model,
    UiAction, UiParts,
};
use tokio::sync::{mpsc, oneshot, watch};
use ui_support::*;

#[test]
fn hat_display_absent_names_device_and_fix() {
    if std::path::Path::new("/dev/spidev0.0").exists() {
        return;
    }
    let Err(error) = Display::open(DisplayKind::Hat, &DisplayConfig::default(), None) else {
        panic!("the HAT opened on a machine without /dev/spidev0.0");
    };
    let message = error.to_string();
    assert!(message.contains("cannot open /dev/spidev0.0"), "{message}");
    assert!(message.contains("dtparam=spi=on"), "{message}");
}

#[test]
fn hat_input_absent_names_fix() {
    if std::path::Path::new("/dev/gpiochip0").exists() {
        return;
    }
    let Err(error) = Input::open(InputKind::Hat, &ButtonConfig::default()) else {
        panic!("the HAT buttons opened on a machine without /dev/gpiochip0");
    };
    assert!(error.to_string().contains("--input keys"), "{error}");
}

#[test]
fn backend_names_parse() {
    assert_eq!("sim".parse::<DisplayKind>(), Ok(DisplayKind::Sim));
    assert_eq!("keys".parse::<InputKind>(), Ok(InputKind::Keys));
    assert!(
        "lcd"
            .parse::<DisplayKind>()
            .unwrap_err()
            .contains("hat, sim or none")
    );
}

#[test]
fn key_decoder_maps_keys() {
    let mut decoder = KeyDecoder::default();
    let bytes = b"\x1b[A\x1b[B\x1b[C\x1b[D\r123down\nkey3\n\nbogus\n";
    let buttons: Vec<Button> = bytes
        .iter()
        .filter_map(|byte| decoder.push(*byte))
        .collect();
    let expected = [
        Button::Up,
        Button::Down,
        Button::Right,
        Button::Left,
        Button::Press,
        Button::Key1,
        Button::Key2,
        Button::Key3,
        Button::Down,
        Button::Key3,
        Button::Press,
    ];
    assert_eq!(buttons, expected);
}

#[test]
fn sim_writes_each_new_frame_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut sim = Display::Sim(SimDisplay::new(None, Some(dir.path())).unwrap());
    let frame = Frame::default();
    sim.show(&frame).unwrap();
    sim.show(&frame).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, vec!["frame-000001.png"]);
}

#[test]
fn sim_terminal_uses_half_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("terminal");
    let file = std::fs::File::create(&path).unwrap();
    let mut sim = Display::Sim(SimDisplay::new(Some(Box::new(file)), None).unwrap());
    sim.show(&Frame::default()).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches('▀').count(), 128 * 64);
    assert_eq!(text.matches("\r\n").count(), 64);
}

#[tokio::test(start_paused = true)]
async fn ui_task_follows_models_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let display = Display::Sim(SimDisplay::new(None, Some(dir.path())).unwrap());
    let input = Input::open(InputKind::None, &ButtonConfig::default()).unwrap();
    let parts = UiParts {
        display,
        input,
        buttons: ButtonConfig::default(),
        backlight_timeout: Duration::from_secs(30),
    };
    let (models, model_updates) = watch::channel(Model::empty(VERSION));
    let (actions, mut taken) = mpsc::unbounded_channel();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(rustyjack::ui::run(parts, model_updates, actions, async {
        let _ = stopped.await;
    }));

    tokio::time::sleep(Duration::from_millis(10)).await;
    models.send(online_model()).unwrap();
    tokio::time::sleep(Duration::from_secs(31)).await;
    assert_eq!(taken.recv().await, Some(UiAction::Backlight(false)));
    stop.send(()).unwrap();
    task.await.unwrap();

    let count = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(count, 3, "splash, status and stopped");
}
