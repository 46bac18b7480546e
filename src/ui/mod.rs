//! The LCD HAT user interface: screens, buttons, the ST7735 panel, and a terminal simulator.
//!
//! # Layout
//!
//! - [`model`]: the view model built from a kernel snapshot and the engine's state.
//! - [`app`]: the UI state machine; button events and models in, a drawing and actions out.
//! - [`screens`] and [`page`]: what each screen shows, as wrapped and scrolled text pages.
//! - [`buttons`]: debounce, auto-repeat and long press as a pure state machine.
//! - [`frame`]: the in-memory frame every screen draws into, and its changed regions.
//! - [`config`]: panel and button settings with the HAT's defaults.
//! - [`display`], [`input`] and [`run`]: the backends (`hat`, `sim` or `keys`, `none`) and the
//!   task that ties them to the state machine.
//! - [`panel`] and [`hat`]: the ST7735S over rppal, sending only changed regions in large SPI
//!   writes; [`fake`] is a decoding stand-in for the controller used by tests and the bench.

pub mod app;
pub mod buttons;
pub mod config;
pub mod display;
pub mod fake;
pub mod frame;
pub mod hat;
pub mod image;
pub mod input;
pub mod model;
pub mod page;
pub mod panel;
pub mod run;
pub mod screens;

pub use app::{App, Screen, UiAction};
pub use buttons::{Button, ButtonAction, ButtonEvent, Buttons};
pub use config::{ButtonConfig, ButtonPins, DisplayConfig, PanelPins, Rotation};
pub use display::{Display, DisplayError, DisplayKind};
pub use frame::{Frame, Region};
pub use input::{Input, InputEvent, InputKind};
pub use model::{EngineView, Model};
pub use run::{UiParts, run};
