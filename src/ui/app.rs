//! The UI state machine: button events, model updates and the time in; what to draw and
//! [`UiAction`]s for the appliance out.
//!
//! Like [`Buttons`](super::buttons::Buttons), it reads no clock: the caller passes the time and
//! calls [`App::expire`] once [`App::next_deadline`] passes, which is when the backlight turns off.

use std::time::Duration;

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use tokio::time::Instant;

use super::buttons::{Button, ButtonAction, ButtonEvent};
use super::model::Model;
use super::page::{Page, draw_page, scroll_for};
use super::screens::{self, SYSTEM_ITEMS, SystemItem};

/// What the appliance must do for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UiAction {
    /// The operator confirmed this interface as the new uplink.
    Select(String),
    /// The operator asked to forget the saved selection.
    Release,
    /// Switch the backlight on or off.
    Backlight(bool),
}

/// The screen on view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// Shown until the first model with kernel state arrives.
    Splash,
    /// One of the pages reached with left and right, by index into [`screens::TABS`].
    Tab(usize),
    /// Detail of one interface, opened from the interface list.
    Detail(String),
    /// The uplink candidate list.
    Select,
    /// Confirmation of a new uplink.
    ConfirmSelect(String),
    /// Isolation in progress for the named uplink.
    Progress(String),
    /// Result of the selection of the named uplink.
    Outcome(String),
    /// Confirmation of a release.
    ConfirmRelease,
    /// After an orderly stop; input is ignored.
    Stopped,
}

const STATUS: usize = 0;
const INTERFACES: usize = 1;
const SYSTEM: usize = 4;

/// The whole UI state.
#[derive(Debug, Clone)]
pub struct App {
    model: Model,
    screen: Screen,
    /// The tab to return to from the pages that are not tabs.
    last_tab: usize,
    /// Selected item on pages with a cursor.
    cursor: usize,
    /// First body row on view.
    scroll: usize,
    backlight: bool,
    backlight_timeout: Duration,
    last_activity: Instant,
    /// The button whose press woke the backlight; its repeats and long press are ignored.
    waking: Option<Button>,
    redraw: bool,
}

impl App {
    /// Creates the UI on the splash screen, or on the status page when `model` is already known.
    pub fn new(model: Model, backlight_timeout: Duration, now: Instant) -> App {
        let screen = if model.known {
            Screen::Tab(STATUS)
        } else {
            Screen::Splash
        };
        App {
            model,
            screen,
            last_tab: STATUS,
            cursor: 0,
            scroll: 0,
            backlight: true,
            backlight_timeout,
            last_activity: now,
            waking: None,
            redraw: true,
        }
    }

    /// Returns the screen on view.
    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    /// Returns the model on view.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Returns true while the backlight is on.
    pub fn is_backlight_on(&self) -> bool {
        self.backlight
    }

    /// Returns true once when something changed since the last call, so the frame needs a redraw.
    pub fn take_redraw(&mut self) -> bool {
        std::mem::take(&mut self.redraw)
    }

    /// Replaces the model; an equal model changes nothing.
    pub fn set_model(&mut self, model: Model) {
        if self.model == model {
            return;
        }
        self.model = model;
        self.redraw = true;
        match &self.screen {
            Screen::Splash if self.model.known => self.show(Screen::Tab(STATUS)),
            Screen::Progress(name) if self.isolation_done(name) => {
                let name = name.clone();
                self.show(Screen::Outcome(name));
            }
            _ => {}
        }
    }

    fn isolation_done(&self, name: &str) -> bool {
        let engine = &self.model.engine;
        engine.uplink.as_deref() == Some(name) && engine.state != "isolating"
    }

    /// Shows the stopped screen; input is ignored from now on.
    pub fn stop(&mut self) {
        self.show(Screen::Stopped);
    }

    /// Returns when [`App::expire`] must run next: the backlight timeout, if the light is on.
    pub fn next_deadline(&self) -> Option<Instant> {
        let enabled = self.backlight && !self.backlight_timeout.is_zero();
        enabled.then(|| self.last_activity + self.backlight_timeout)
    }

    /// Turns the backlight off when the idle time has passed.
    pub fn expire(&mut self, now: Instant) -> Vec<UiAction> {
        match self.next_deadline() {
            Some(deadline) if deadline <= now => {
                self.backlight = false;
                vec![UiAction::Backlight(false)]
            }
            _ => Vec::new(),
        }
    }

    /// Handles one button event.
    pub fn button(&mut self, event: ButtonEvent, now: Instant) -> Vec<UiAction> {
        self.last_activity = now;
        if let Some(action) = self.wake(event) {
            return action;
        }
        let repeats = event.action == ButtonAction::Repeated && event.button.repeats();
        match event.action {
            ButtonAction::Pressed => self.press(event.button),
            _ if repeats => self.press(event.button),
            ButtonAction::LongPressed if event.button == Button::Key3 => {
                self.go_home();
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// Handles the backlight: the press that turns it on, and everything else from that
    /// button until its release, do nothing more.
    fn wake(&mut self, event: ButtonEvent) -> Option<Vec<UiAction>> {
        if self.waking == Some(event.button) {
            if event.action == ButtonAction::Released {
                self.waking = None;
            }
            return Some(Vec::new());
        }
        if self.backlight || event.action != ButtonAction::Pressed {
            return (!self.backlight).then(Vec::new);
        }
        self.backlight = true;
        self.waking = Some(event.button);
        Some(vec![UiAction::Backlight(true)])
    }

    fn press(&mut self, button: Button) -> Vec<UiAction> {
        if matches!(
            self.screen,
            Screen::Stopped | Screen::Splash | Screen::Progress(_)
        ) {
            return Vec::new();
        }
        match button {
            Button::Up => self.move_by(-1),
            Button::Down => self.move_by(1),
            Button::Left => self.left(),
            Button::Right => self.right(),
            Button::Press => return self.activate(),
            Button::Key1 => self.show(Screen::Select),
            Button::Key2 => self.go_home(),
            Button::Key3 => self.back(),
        }
        Vec::new()
    }

    fn left(&mut self) {
        match self.screen {
            Screen::Tab(tab) => self.show(Screen::Tab(
                (tab + screens::TABS.len() - 1) % screens::TABS.len(),
            )),
            _ => self.back(),
        }
    }

    fn right(&mut self) {
        if let Screen::Tab(tab) = self.screen {
            self.show(Screen::Tab((tab + 1) % screens::TABS.len()));
        }
    }

    fn back(&mut self) {
        match self.screen {
            Screen::Detail(_) => self.show(Screen::Tab(INTERFACES)),
            Screen::ConfirmSelect(_) => self.show(Screen::Select),
            Screen::Tab(_) => self.go_home(),
            _ => self.show(Screen::Tab(self.last_tab)),
        }
    }

    fn go_home(&mut self) {
        self.show(Screen::Tab(STATUS));
    }

    fn activate(&mut self) -> Vec<UiAction> {
        let cursor = self.cursor;
        match self.screen.clone() {
            Screen::Tab(STATUS) => self.show(Screen::Select),
            Screen::Tab(INTERFACES) => self.open_detail(cursor),
            Screen::Tab(SYSTEM) => return self.run_system_item(cursor),
            Screen::Select => self.pick_candidate(cursor),
            Screen::ConfirmSelect(name) if cursor == 1 => {
                self.show(Screen::Progress(name.clone()));
                return vec![UiAction::Select(name)];
            }
            Screen::ConfirmRelease if cursor == 1 => {
                self.go_home();
                return vec![UiAction::Release];
            }
            Screen::ConfirmSelect(_) | Screen::ConfirmRelease => self.back(),
            Screen::Outcome(_) => self.go_home(),
            _ => {}
        }
        Vec::new()
    }

    fn open_detail(&mut self, cursor: usize) {
        if let Some(interface) = self.model.interfaces.get(cursor) {
            self.show(Screen::Detail(interface.name.clone()));
        }
    }

    fn pick_candidate(&mut self, cursor: usize) {
        if let Some(name) = screens::candidate_names(&self.model)
            .into_iter()
            .nth(cursor)
        {
            self.show(Screen::ConfirmSelect(name));
        }
    }

    fn run_system_item(&mut self, cursor: usize) -> Vec<UiAction> {
        match SYSTEM_ITEMS.get(cursor) {
            Some(SystemItem::BacklightOff) => {
                self.backlight = false;
                vec![UiAction::Backlight(false)]
            }
            Some(SystemItem::Release) if self.model.engine.uplink.is_some() => {
                self.show(Screen::ConfirmRelease);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// Moves the cursor on pages with items, or scrolls by one row on the others.
    fn move_by(&mut self, step: isize) {
        let page = self.page();
        let rows = page.rows();
        let items = page.item_count();
        if items > 0 {
            self.cursor = self.cursor.saturating_add_signed(step).min(items - 1);
            self.scroll = scroll_for(&rows, self.scroll, Some(self.cursor));
        } else {
            self.scroll = scroll_for(&rows, self.scroll.saturating_add_signed(step), None);
        }
        self.redraw = true;
    }

    fn show(&mut self, screen: Screen) {
        if let Screen::Tab(tab) = screen {
            self.last_tab = tab;
        }
        self.screen = screen;
        self.cursor = 0;
        self.scroll = 0;
        self.redraw = true;
    }

    /// Builds the text page of the current screen; the splash and stopped screens, which draw
    /// without a page, return the status page.
    pub fn page(&self) -> Page {
        let model = &self.model;
        match &self.screen {
            Screen::Tab(STATUS) | Screen::Splash | Screen::Stopped => screens::status(model),
            Screen::Tab(INTERFACES) => screens::interfaces(model),
            Screen::Tab(2) => screens::routes(model),
            Screen::Tab(3) => screens::events(model),
            Screen::Tab(_) => screens::system(model),
            Screen::Detail(name) => screens::detail(model, name),
            Screen::Select => screens::select(model),
            Screen::ConfirmSelect(name) => screens::confirm_select(name),
            Screen::Progress(name) => screens::progress(model, name),
            Screen::Outcome(name) => screens::outcome(model, name),
            Screen::ConfirmRelease => screens::confirm_release(model),
        }
    }

    /// Draws the current screen into `target`.
    pub fn draw<D>(&self, target: &mut D) -> Result<(), D::Error>
    where
        D: DrawTarget<Color = Rgb565>,
    {
        match self.screen {
            Screen::Splash => return screens::draw_splash(&self.model, target),
            Screen::Stopped => return screens::draw_stopped(&self.model, target),
            _ => {}
        }
        let page = self.page();
        let items = page.item_count();
        let cursor = (items > 0).then(|| self.cursor.min(items - 1));
        draw_page(&page, self.scroll, cursor, target)
    }
}
