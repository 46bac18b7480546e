//! Button timing with tokio's paused clock: debounce, auto-repeat, long press, backlight wake.

mod ui_support;

use std::time::Duration;

use rustyjack::ui::{
    App, Button, ButtonAction, ButtonConfig, ButtonEvent, Buttons, Screen, UiAction,
};
use tokio::time::{Instant, advance};
use ui_support::online_model;

use ButtonAction::{LongPressed, Pressed, Released, Repeated};

fn ms(value: u64) -> Duration {
    Duration::from_millis(value)
}

/// Feeds edges at the given offsets in ms (true = pressed) and collects the events, firing
/// deadlines on the paused clock the way the runtime does.
async fn feed(buttons: &mut Buttons, button: Button, edges: &[(u64, bool)]) -> Vec<ButtonAction> {
    let start = Instant::now();
    let mut out = Vec::new();
    for &(at, pressed) in edges {
        advance_to(buttons, start + ms(at), &mut out).await;
        buttons.edge(Instant::now(), button, pressed, &mut out);
    }
    out.iter().map(|event| event.action).collect()
}

async fn advance_to(buttons: &mut Buttons, target: Instant, out: &mut Vec<ButtonEvent>) {
    while let Some(deadline) = buttons
        .next_deadline()
        .filter(|deadline| *deadline <= target)
    {
        advance(deadline.saturating_duration_since(Instant::now())).await;
        buttons.expire(Instant::now(), out);
    }
    advance(target.saturating_duration_since(Instant::now())).await;
}

async fn run_until(buttons: &mut Buttons, after: Duration) -> Vec<ButtonAction> {
    let mut out = Vec::new();
    advance_to(buttons, Instant::now() + after, &mut out).await;
    out.iter().map(|event| event.action).collect()
}

#[tokio::test(start_paused = true)]
async fn bouncing_press_and_release_debounced() {
    let mut buttons = Buttons::new(ButtonConfig::default());
    let edges = [(0, true), (1, false), (2, true), (4, false), (5, true)];
    assert_eq!(
        feed(&mut buttons, Button::Key1, &edges).await,
        vec![Pressed]
    );
    assert!(buttons.is_pressed(Button::Key1));

    let edges = [(100, false), (101, true), (103, false)];
    assert_eq!(
        feed(&mut buttons, Button::Key1, &edges).await,
        vec![Released]
    );
    assert_eq!(
        run_until(&mut buttons, ms(1000)).await,
        Vec::<ButtonAction>::new()
    );
}

#[tokio::test(start_paused = true)]
async fn bounce_ending_released_gives_release() {
    let mut buttons = Buttons::new(ButtonConfig::default());
    let edges = [(0, true), (3, false)];
    assert_eq!(
        feed(&mut buttons, Button::Press, &edges).await,
        vec![Pressed]
    );
    assert_eq!(run_until(&mut buttons, ms(20)).await, vec![Released]);
}

#[tokio::test(start_paused = true)]
async fn held_down_repeats_on_schedule() {
    let config = ButtonConfig::default();
    let mut buttons = Buttons::new(config.clone());
    assert_eq!(
        feed(&mut buttons, Button::Down, &[(0, true)]).await,
        vec![Pressed]
    );
    assert!(
        run_until(&mut buttons, config.repeat_delay - ms(1))
            .await
            .is_empty()
    );
    assert_eq!(run_until(&mut buttons, ms(1)).await, vec![Repeated]);
    let three_more = config.repeat_interval * 3;
    assert_eq!(run_until(&mut buttons, three_more).await, vec![Repeated; 3]);
    buttons.edge(Instant::now(), Button::Down, false, &mut Vec::new());
    assert!(run_until(&mut buttons, ms(2000)).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn long_press_fires_once() {
    let config = ButtonConfig::default();
    let mut buttons = Buttons::new(config.clone());
    assert_eq!(
        feed(&mut buttons, Button::Key3, &[(0, true)]).await,
        vec![Pressed]
    );
    assert!(
        run_until(&mut buttons, config.long_press - ms(1))
            .await
            .is_empty()
    );
    assert_eq!(run_until(&mut buttons, ms(1)).await, vec![LongPressed]);
    assert!(run_until(&mut buttons, ms(5000)).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn short_press_is_not_long() {
    let mut buttons = Buttons::new(ButtonConfig::default());
    let edges = [(0, true), (300, false)];
    assert_eq!(
        feed(&mut buttons, Button::Key2, &edges).await,
        vec![Pressed, Released]
    );
    assert!(run_until(&mut buttons, ms(5000)).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn backlight_turns_off_when_idle() {
    let timeout = Duration::from_secs(30);
    let mut app = App::new(online_model(), timeout, Instant::now());
    advance(timeout - ms(1)).await;
    assert!(app.expire(Instant::now()).is_empty());
    advance(ms(1)).await;
    assert_eq!(app.expire(Instant::now()), vec![UiAction::Backlight(false)]);
    assert_eq!(app.next_deadline(), None);
}

#[tokio::test(start_paused = true)]
async fn wake_press_does_nothing_else() {
    let timeout = Duration::from_secs(30);
    let mut app = App::new(online_model(), timeout, Instant::now());
    advance(timeout).await;
    app.expire(Instant::now());
    let mut buttons = Buttons::new(ButtonConfig::default());
    let mut events = Vec::new();

    buttons.edge(Instant::now(), Button::Down, true, &mut events);
    advance(Duration::from_secs(1)).await;
    buttons.expire(Instant::now(), &mut events);
    buttons.edge(Instant::now(), Button::Down, false, &mut events);
    assert!(events.len() > 3, "press, repeats and release: {events:?}");

    let mut actions = Vec::new();
    for event in events {
        actions.extend(app.button(event, Instant::now()));
    }
    assert_eq!(actions, vec![UiAction::Backlight(true)]);
    assert_eq!(app.screen(), &Screen::Tab(0));
    assert!(app.take_redraw());
    let next = ButtonEvent::new(Button::Right, Pressed);
    assert!(app.button(next, Instant::now()).is_empty());
    assert_eq!(app.screen(), &Screen::Tab(1));
}

#[tokio::test(start_paused = true)]
async fn activity_postpones_backlight_off() {
    let timeout = Duration::from_secs(30);
    let mut app = App::new(online_model(), timeout, Instant::now());
    advance(Duration::from_secs(20)).await;
    app.button(ButtonEvent::new(Button::Down, Pressed), Instant::now());
    advance(Duration::from_secs(20)).await;
    assert!(app.expire(Instant::now()).is_empty());
    assert_eq!(
        app.next_deadline(),
        Some(Instant::now() + Duration::from_secs(10))
    );
}

#[test]
fn select_flow_emits_select_once() {
    let now = Instant::now();
    let mut app = App::new(online_model(), Duration::ZERO, now);
    let mut actions = Vec::new();
    for button in [
        Button::Key1,
        Button::Down,
        Button::Press,
        Button::Down,
        Button::Press,
    ] {
        actions.extend(app.button(ButtonEvent::new(button, Pressed), now));
    }
    assert_eq!(actions, vec![UiAction::Select("wlan0".to_string())]);
    assert_eq!(app.screen(), &Screen::Progress("wlan0".to_string()));
    assert!(
        app.button(ButtonEvent::new(Button::Key2, Pressed), now)
            .is_empty()
    );
    assert_eq!(
        app.screen(),
        &Screen::Progress("wlan0".to_string()),
        "input waits for the result"
    );
}

#[test]
fn confirm_defaults_to_cancel() {
    let now = Instant::now();
    let mut app = App::new(online_model(), Duration::ZERO, now);
    let mut actions = Vec::new();
    for button in [Button::Key1, Button::Press, Button::Press] {
        actions.extend(app.button(ButtonEvent::new(button, Pressed), now));
    }
    assert!(actions.is_empty());
    assert_eq!(app.screen(), &Screen::Select);
}

#[test]
fn release_flow_emits_release() {
    let now = Instant::now();
    let mut app = App::new(online_model(), Duration::ZERO, now);
    let mut actions = Vec::new();
    for button in [
        Button::Left,
        Button::Down,
        Button::Press,
        Button::Down,
        Button::Press,
    ] {
        actions.extend(app.button(ButtonEvent::new(button, Pressed), now));
    }
    assert_eq!(actions, vec![UiAction::Release]);
    assert_eq!(app.screen(), &Screen::Tab(0));
}
