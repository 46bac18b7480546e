//! `rustyjack run`: the boot service. It restores and enforces the saved selection first, then
//! starts the screen and buttons, and keeps isolation holding until SIGTERM.
//!
//! A screen or button backend that fails to open is reported and the appliance goes on without
//! it: isolation matters more than the display, and stopping would leave new leaks uncorrected.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::enforcer::{Command, Enforcer};
use super::signals;
use crate::cli::context::Context;
use crate::config::{ColourOrder, Config};
use crate::isolation::{self, Engine, Report};
use crate::ui::{
    self, ButtonConfig, ButtonPins, Display, DisplayConfig, DisplayKind, Input, InputKind, Model,
    PanelPins, Rotation, UiAction, UiParts,
};

/// The screen, button and frame options of `run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub display: DisplayKind,
    pub input: InputKind,
    pub frames: Option<PathBuf>,
}

/// Runs the appliance until SIGINT or SIGTERM; returns the exit code.
pub async fn run(context: &Context, options: RunOptions) -> anyhow::Result<u8> {
    let shutdown = signals::shutdown_on_signal()?;
    let _lock = context.lock()?;
    // An unreadable state directory must not stop the appliance: with no selection nothing is
    // changed, and the operator can still choose on the screen.
    let selection = context.saved_selection().unwrap_or_else(|error| {
        tracing::error!(cause = %format!("{error:#}"), "cannot read the saved selection; starting without one");
        eprintln!("rustyjack: {error:#}; starting with no uplink selected");
        None
    });
    let netlink = context.connect()?;
    let engine = context.engine(selection);
    let recheck = context.config.isolation.recheck_interval;
    let mut enforcer = Enforcer::new(netlink, engine, Some(context.store.clone()), recheck)?;

    let mut ready = false;
    let mut model = Model::empty(env!("CARGO_PKG_VERSION"));
    match enforcer.enforce_once().await {
        Ok(report) => {
            notify_ready_once(&mut ready, &report);
            model.update_snapshot(&report.snapshot);
            model.update_engine(engine_view(enforcer.engine()));
        }
        Err(error) => tracing::error!(cause = %error, "first isolation pass failed; retrying"),
    }

    let (models, models_receiver) = watch::channel(model);
    let (actions, action_receiver) = mpsc::unbounded_channel();
    let (commands, command_receiver) = mpsc::unbounded_channel();
    let ui_task = start_ui(
        &context.config,
        &options,
        models_receiver,
        actions,
        shutdown.clone(),
    );
    tokio::task::spawn_local(forward_actions(action_receiver, commands));

    enforcer
        .run(shutdown, command_receiver, |report, engine| {
            notify_ready_once(&mut ready, report);
            models.send_if_modified(|model| {
                let snapshot_changed = model.update_snapshot(&report.snapshot);
                model.update_engine(engine_view(engine)) || snapshot_changed
            });
        })
        .await?;

    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    if let Some(task) = ui_task {
        let _ = task.await;
    }
    tracing::info!(
        leaks = enforcer.engine().corrected_leaks(),
        "appliance stopped"
    );
    Ok(0)
}

/// Tells systemd the service is ready once every interface but the uplink is isolated.
fn notify_ready_once(ready: &mut bool, report: &Report) {
    if *ready || !report.others_isolated() {
        return;
    }
    *ready = true;
    if let Err(error) = sd_notify::notify(&[sd_notify::NotifyState::Ready]) {
        tracing::warn!(cause = %error, "cannot notify systemd");
    }
    tracing::info!("isolation verified; ready");
}

/// Opens the screen and buttons and runs the UI task; `None` when the display cannot open.
fn start_ui(
    config: &Config,
    options: &RunOptions,
    models: watch::Receiver<Model>,
    actions: mpsc::UnboundedSender<UiAction>,
    mut shutdown: watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    let display_config = display_config(config);
    let display = match Display::open(options.display, &display_config, options.frames.as_deref()) {
        Ok(display) => display,
        Err(error) => {
            tracing::error!(cause = %error, "screen unavailable; running without it");
            eprintln!("rustyjack: {error}; isolation keeps running without the screen");
            return None;
        }
    };
    let buttons = button_config(config);
    let input = match Input::open(options.input, &buttons) {
        Ok(input) => input,
        Err(error) => {
            tracing::error!(cause = %error, "buttons unavailable; running without them");
            eprintln!("rustyjack: {error}; isolation keeps running without the buttons");
            Input::open(InputKind::None, &buttons).ok()?
        }
    };
    let parts = UiParts {
        display,
        input,
        buttons,
        backlight_timeout: display_config.backlight_timeout,
    };
    let stop = async move {
        let _ = shutdown.wait_for(|stop| *stop).await;
    };
    Some(tokio::task::spawn_local(ui::run(
        parts, models, actions, stop,
    )))
}

/// Turns the operator's choices on the screen into commands for the enforcer.
async fn forward_actions(
    mut actions: mpsc::UnboundedReceiver<UiAction>,
    commands: mpsc::UnboundedSender<Command>,
) {
    while let Some(action) = actions.recv().await {
        let command = match action {
            UiAction::Select(name) => Command::Select(name),
            UiAction::Release => Command::Release,
            UiAction::Backlight(_) => continue,
        };
        if commands.send(command).is_err() {
            return;
        }
    }
}

/// Copies the engine's view into the UI's display-oriented form.
pub fn engine_view(engine: &Engine) -> ui::EngineView {
    let view: isolation::EngineView = engine.view();
    ui::EngineView {
        state: view.state.to_string(),
        uplink: view.uplink,
        isolated: view.isolated,
        corrected_leaks: view.corrected_leaks,
        failures: view.failures,
        events: view.events.into_iter().collect(),
    }
}

/// Maps `[display]` onto the panel driver's settings.
///
/// The configuration counts rotation from the HAT's usual landscape mounting, which the
/// controller calls 90 degrees (MADCTL 0x60).
pub fn display_config(config: &Config) -> DisplayConfig {
    let settings = &config.display;
    let degrees = (settings.rotation.degrees() + 90) % 360;
    DisplayConfig {
        rotation: Rotation::from_degrees(degrees).unwrap_or(Rotation::Deg90),
        col_offset: settings.col_offset,
        row_offset: settings.row_offset,
        bgr: settings.colour_order == ColourOrder::Bgr,
        invert: settings.invert,
        spi_hz: settings.spi_hz,
        backlight_timeout: settings.backlight_timeout.unwrap_or(Duration::ZERO),
        pins: PanelPins {
            dc: settings.dc_pin,
            reset: settings.rst_pin,
            backlight: settings.backlight_pin,
        },
    }
}

/// Maps `[buttons]` onto the button state machine's settings.
pub fn button_config(config: &Config) -> ButtonConfig {
    let settings = &config.buttons;
    ButtonConfig {
        pins: ButtonPins {
            up: settings.up,
            down: settings.down,
            left: settings.left,
            right: settings.right,
            press: settings.press,
            key1: settings.key1,
            key2: settings.key2,
            key3: settings.key3,
        },
        debounce: settings.debounce,
        repeat_delay: settings.repeat_delay,
        repeat_interval: settings.repeat_interval,
        long_press: settings.long_press,
    }
}
