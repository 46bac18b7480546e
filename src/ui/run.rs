//! The UI task: input, model updates and timers in, frames and actions out.

use crate::ratelimit::Repeats;
use std::future::Future;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep_until};

use super::app::{App, UiAction};
use super::buttons::{ButtonAction, ButtonEvent, Buttons};
use super::config::ButtonConfig;
use super::display::Display;
use super::frame::Frame;
use super::input::{Input, InputEvent};
use super::model::Model;

/// Everything the UI task needs besides its channels.
pub struct UiParts {
    pub display: Display,
    pub input: Input,
    pub buttons: ButtonConfig,
    pub backlight_timeout: Duration,
}

/// Runs the UI until `shutdown` completes, then shows the stopped screen.
///
/// The task sleeps until an input event, a new model on `models`, a button deadline (debounce,
/// repeat, long press) or the backlight timeout, so it never polls. Each [`UiAction`] goes to
/// `actions`. The task also applies `Backlight` to the display itself.
pub async fn run(
    parts: UiParts,
    mut models: watch::Receiver<Model>,
    actions: mpsc::UnboundedSender<UiAction>,
    shutdown: impl Future<Output = ()>,
) {
    let UiParts {
        mut display,
        mut input,
        buttons,
        backlight_timeout,
    } = parts;
    let model = models.borrow_and_update().clone();
    let mut app = App::new(model, backlight_timeout, Instant::now());
    let mut buttons = Buttons::new(buttons);
    let mut frame = Frame::default();
    let mut input_open = true;
    let mut models_open = true;
    let mut failures = Repeats::default();
    tokio::pin!(shutdown);
    loop {
        redraw(&mut app, &mut frame, &mut display, &mut failures);
        let deadline = [buttons.next_deadline(), app.next_deadline()]
            .into_iter()
            .flatten()
            .min();
        let mut events = Vec::new();
        tokio::select! {
            () = &mut shutdown => break,
            received = input.events.recv(), if input_open => match received {
                Some(event) => read_input(event, &mut buttons, &mut events),
                None => input_open = false,
            },
            changed = models.changed(), if models_open => match changed {
                Ok(()) => app.set_model(models.borrow_and_update().clone()),
                Err(_) => models_open = false,
            },
            () = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                buttons.expire(Instant::now(), &mut events);
                dispatch(app.expire(Instant::now()), &mut display, &actions, &mut failures);
            }
        }
        for event in events {
            dispatch(
                app.button(event, Instant::now()),
                &mut display,
                &actions,
                &mut failures,
            );
        }
    }
    app.stop();
    redraw(&mut app, &mut frame, &mut display, &mut failures);
}

fn read_input(event: InputEvent, buttons: &mut Buttons, events: &mut Vec<ButtonEvent>) {
    match event {
        InputEvent::Edge { button, pressed } => {
            buttons.edge(Instant::now(), button, pressed, events)
        }
        InputEvent::Key(button) => {
            events.push(ButtonEvent::new(button, ButtonAction::Pressed));
            events.push(ButtonEvent::new(button, ButtonAction::Released));
        }
    }
}

fn dispatch(
    requested: Vec<UiAction>,
    display: &mut Display,
    actions: &mpsc::UnboundedSender<UiAction>,
    failures: &mut Repeats,
) {
    for action in requested {
        tracing::debug!(?action, "ui action");
        if let UiAction::Backlight(on) = action
            && let Err(error) = display.set_backlight(on)
            && failures.note()
        {
            let failures = failures.count();
            tracing::warn!(cause = %error, failures, "switching the backlight failed");
        }
        // A closed receiver means the appliance is stopping; the action no longer matters.
        let _ = actions.send(action);
    }
}

/// Draws the current screen when it changed; display failures are logged at a falling rate,
/// since a loose panel can fail every frame.
fn redraw(app: &mut App, frame: &mut Frame, display: &mut Display, failures: &mut Repeats) {
    if !app.take_redraw() {
        return;
    }
    let Ok(()) = app.draw(frame);
    if let Err(error) = display.show(frame)
        && failures.note()
    {
        let failures = failures.count();
        tracing::warn!(cause = %error, failures, "showing a frame failed");
    }
}
