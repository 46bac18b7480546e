//! Where frames go: the HAT's panel, the terminal simulator, or nowhere.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::pixelcolor::raw::RawU16;
use embedded_graphics::prelude::*;

use super::config::DisplayConfig;
use super::frame::{Frame, SIZE};
use super::hat::{HatDisplay, HatError};
use super::image::write_png;

/// A failed display operation.
#[derive(Debug, thiserror::Error)]
pub enum DisplayError {
    #[error(transparent)]
    Hat(#[from] HatError),
    #[error("cannot create the frames directory {path}: {source}")]
    FramesDir { path: PathBuf, source: io::Error },
    #[error("cannot write frame {path}: {source}")]
    FrameFile { path: PathBuf, source: io::Error },
    #[error("cannot write to the terminal: {0}")]
    Terminal(io::Error),
}

/// The `--display` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisplayKind {
    Hat,
    Sim,
    None,
}

impl FromStr for DisplayKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "hat" => Ok(DisplayKind::Hat),
            "sim" => Ok(DisplayKind::Sim),
            "none" => Ok(DisplayKind::None),
            other => Err(format!(
                "invalid display {other:?}; expected hat, sim or none"
            )),
        }
    }
}

/// A display backend.
pub enum Display {
    Hat(Box<HatDisplay>),
    Sim(SimDisplay),
    None,
}

impl Display {
    /// Opens the backend `kind`; `frames` only applies to the simulator.
    pub fn open(
        kind: DisplayKind,
        config: &DisplayConfig,
        frames: Option<&Path>,
    ) -> Result<Display, DisplayError> {
        match kind {
            DisplayKind::Hat => Ok(Display::Hat(Box::new(HatDisplay::open(config)?))),
            DisplayKind::Sim => {
                let terminal = Box::new(io::stdout());
                Ok(Display::Sim(SimDisplay::new(Some(terminal), frames)?))
            }
            DisplayKind::None => Ok(Display::None),
        }
    }

    /// Shows `frame`; backends skip a frame equal to the one on view.
    pub fn show(&mut self, frame: &Frame) -> Result<(), DisplayError> {
        match self {
            Display::Hat(hat) => Ok(hat.show(frame)?),
            Display::Sim(sim) => sim.show(frame),
            Display::None => Ok(()),
        }
    }

    /// Switches the backlight.
    pub fn set_backlight(&mut self, on: bool) -> Result<(), DisplayError> {
        match self {
            Display::Hat(hat) => Ok(hat.set_backlight(on)?),
            Display::Sim(sim) => sim.set_backlight(on),
            Display::None => Ok(()),
        }
    }
}

/// The simulator: the frame in the terminal, two pixels per character cell, and optionally each
/// new frame as a numbered PNG.
pub struct SimDisplay {
    terminal: Option<Box<dyn Write + Send>>,
    frames_dir: Option<PathBuf>,
    written: u64,
    shown: Option<Frame>,
    backlight: bool,
    /// True once the terminal was cleared before the first frame.
    cleared: bool,
}

impl SimDisplay {
    /// Creates the simulator; without a terminal it only writes PNGs.
    pub fn new(
        terminal: Option<Box<dyn Write + Send>>,
        frames_dir: Option<&Path>,
    ) -> Result<SimDisplay, DisplayError> {
        if let Some(dir) = frames_dir {
            fs::create_dir_all(dir).map_err(|source| DisplayError::FramesDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        Ok(SimDisplay {
            terminal,
            frames_dir: frames_dir.map(Path::to_path_buf),
            written: 0,
            shown: None,
            backlight: true,
            cleared: false,
        })
    }

    /// Returns how many frames were shown.
    pub fn frames_shown(&self) -> u64 {
        self.written
    }

    fn show(&mut self, frame: &Frame) -> Result<(), DisplayError> {
        if self.shown.as_ref() == Some(frame) {
            return Ok(());
        }
        self.written += 1;
        if let Some(dir) = &self.frames_dir {
            let path = dir.join(format!("frame-{:06}.png", self.written));
            write_png(frame, &path).map_err(|source| DisplayError::FrameFile { path, source })?;
        }
        self.shown = Some(frame.clone());
        self.paint()
    }

    fn set_backlight(&mut self, on: bool) -> Result<(), DisplayError> {
        self.backlight = on;
        self.paint()
    }

    /// Draws the frame with `▀`: the foreground colour is the upper pixel, the background
    /// colour the lower one, both as 24-bit ANSI colours. A dark backlight paints black.
    fn paint(&mut self) -> Result<(), DisplayError> {
        let (Some(terminal), Some(frame)) = (self.terminal.as_mut(), self.shown.as_ref()) else {
            return Ok(());
        };
        let mut text = String::with_capacity(SIZE as usize * SIZE as usize * 20);
        if !self.cleared {
            text.push_str("\x1b[2J");
            self.cleared = true;
        }
        text.push_str("\x1b[H");
        for y in (0..SIZE).step_by(2) {
            for x in 0..SIZE {
                let upper = lit(frame.raw_pixel(x, y), self.backlight);
                let lower = lit(frame.raw_pixel(x, y + 1), self.backlight);
                text.push_str(&format!(
                    "\x1b[38;2;{};{};{}m\x1b[48;2;{};{};{}m▀",
                    upper.0, upper.1, upper.2, lower.0, lower.1, lower.2
                ));
            }
            text.push_str("\x1b[0m\r\n");
        }
        terminal
            .write_all(text.as_bytes())
            .map_err(DisplayError::Terminal)?;
        terminal.flush().map_err(DisplayError::Terminal)
    }
}

/// Returns the 8-bit RGB of a raw RGB565 value, black when the backlight is off.
fn lit(value: u16, backlight: bool) -> (u8, u8, u8) {
    if !backlight {
        return (0, 0, 0);
    }
    let color: Rgb565 = RawU16::new(value).into();
    (color.r() << 3, color.g() << 2, color.b() << 3)
}
