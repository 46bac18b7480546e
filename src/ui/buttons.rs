//! The button state machine: raw edges and the current time in, button events out.
//!
//! Nothing here reads a pin or a clock. The hardware input only reports edges; the runtime feeds
//! them to [`Buttons::edge`] together with the time they arrived, and calls [`Buttons::expire`]
//! when [`Buttons::next_deadline`] passes, which is how repeats and long presses fire.
//!
//! Debouncing accepts the first edge at once and ignores the button for the debounce time after
//! it; when that time ends, the last reported level wins. A press therefore reacts without delay,
//! and a contact that bounces produces one press and one release.

use tokio::time::Instant;

use super::config::ButtonConfig;

/// One of the eight inputs of the HAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Button {
    Up,
    Down,
    Left,
    Right,
    /// The joystick pushed in.
    Press,
    Key1,
    Key2,
    Key3,
}

impl Button {
    /// Every button, in the order of [`Button::slot`].
    pub const ALL: [Button; 8] = [
        Button::Up,
        Button::Down,
        Button::Left,
        Button::Right,
        Button::Press,
        Button::Key1,
        Button::Key2,
        Button::Key3,
    ];

    fn slot(self) -> usize {
        self as usize
    }

    /// Returns true for the buttons that repeat while held instead of reporting a long press.
    pub fn repeats(self) -> bool {
        matches!(self, Button::Up | Button::Down)
    }
}

/// What happened to a button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonAction {
    Pressed,
    /// Up or down is still held after the repeat delay, once per repeat interval.
    Repeated,
    /// Any other button is still held after the long-press time, once per press.
    LongPressed,
    Released,
}

/// A debounced button event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ButtonEvent {
    pub button: Button,
    pub action: ButtonAction,
}

impl ButtonEvent {
    pub fn new(button: Button, action: ButtonAction) -> ButtonEvent {
        ButtonEvent { button, action }
    }
}

/// State of one button.
#[derive(Debug, Clone, Copy, Default)]
struct Contact {
    /// The debounced level: true while pressed.
    pressed: bool,
    /// The last level an edge reported, possibly a bounce.
    raw: bool,
    /// End of the debounce window that follows the last accepted edge.
    settle_at: Option<Instant>,
    /// When the next repeat or the long press fires, while pressed.
    hold_at: Option<Instant>,
}

/// Debounce, auto-repeat and long-press logic for all eight buttons.
#[derive(Debug, Clone)]
pub struct Buttons {
    config: ButtonConfig,
    contacts: [Contact; 8],
}

impl Buttons {
    pub fn new(config: ButtonConfig) -> Buttons {
        Buttons {
            config,
            contacts: [Contact::default(); 8],
        }
    }

    /// Feeds one raw edge (`pressed` is the new level) and appends the resulting events.
    pub fn edge(
        &mut self,
        now: Instant,
        button: Button,
        pressed: bool,
        out: &mut Vec<ButtonEvent>,
    ) {
        self.expire(now, out);
        let contact = &mut self.contacts[button.slot()];
        contact.raw = pressed;
        if contact.settle_at.is_some() || contact.pressed == pressed {
            return;
        }
        self.accept(now, button, pressed, out);
    }

    /// Fires every deadline at or before `now`: ends debounce windows, repeats and long presses.
    pub fn expire(&mut self, now: Instant, out: &mut Vec<ButtonEvent>) {
        for button in Button::ALL {
            self.expire_button(now, button, out);
        }
    }

    /// Returns the earliest time at which [`Buttons::expire`] has work to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.contacts
            .iter()
            .flat_map(|contact| [contact.settle_at, contact.hold_at])
            .flatten()
            .min()
    }

    /// Returns true while the debounced level of `button` is pressed.
    pub fn is_pressed(&self, button: Button) -> bool {
        self.contacts[button.slot()].pressed
    }

    fn expire_button(&mut self, now: Instant, button: Button, out: &mut Vec<ButtonEvent>) {
        let contact = &mut self.contacts[button.slot()];
        if let Some(settle_at) = contact.settle_at
            && settle_at <= now
        {
            contact.settle_at = None;
            if contact.raw != contact.pressed {
                let pressed = contact.raw;
                self.accept(settle_at, button, pressed, out);
            }
        }
        self.expire_hold(now, button, out);
    }

    fn expire_hold(&mut self, now: Instant, button: Button, out: &mut Vec<ButtonEvent>) {
        let interval = self.config.repeat_interval;
        let contact = &mut self.contacts[button.slot()];
        while let Some(hold_at) = contact.hold_at.filter(|at| *at <= now) {
            if button.repeats() {
                out.push(ButtonEvent::new(button, ButtonAction::Repeated));
                contact.hold_at = Some(hold_at + interval.max(Self::MIN_REPEAT));
            } else {
                out.push(ButtonEvent::new(button, ButtonAction::LongPressed));
                contact.hold_at = None;
            }
        }
    }

    /// Lower bound on the repeat interval, so that a zero in the config cannot loop forever.
    const MIN_REPEAT: std::time::Duration = std::time::Duration::from_millis(10);

    fn accept(&mut self, at: Instant, button: Button, pressed: bool, out: &mut Vec<ButtonEvent>) {
        let contact = &mut self.contacts[button.slot()];
        contact.pressed = pressed;
        contact.settle_at = Some(at + self.config.debounce);
        if !pressed {
            contact.hold_at = None;
            out.push(ButtonEvent::new(button, ButtonAction::Released));
            return;
        }
        let hold = if button.repeats() {
            self.config.repeat_delay
        } else {
            self.config.long_press
        };
        contact.hold_at = Some(at + hold);
        out.push(ButtonEvent::new(button, ButtonAction::Pressed));
    }
}
