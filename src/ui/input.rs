//! Where button input comes from: the HAT's pins, the keyboard, or nowhere.
//!
//! The keyboard maps arrows to the joystick, Enter to its press and 1, 2, 3 to KEY1 to KEY3.
//! When stdin is not a terminal, the same bytes are read from it, so a script can pipe keys.
//! Lines with a button name (`up`, `down`, `left`, `right`, `press`, `key1`, `key2`, `key3`)
//! work too. End of input ends the input, not the appliance.

use std::io::{self, IsTerminal, Read};
use std::str::FromStr;
use std::thread;

use tokio::sync::mpsc;

use super::buttons::Button;
use super::config::ButtonConfig;
use super::hat::{self, HatError};

/// One input from a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputEvent {
    /// A raw pin edge from the HAT, still to be debounced.
    Edge { button: Button, pressed: bool },
    /// A whole key press from the keyboard, which debounces and repeats by itself.
    Key(Button),
}

/// The `--input` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Hat,
    Keys,
    None,
}

impl FromStr for InputKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "hat" => Ok(InputKind::Hat),
            "keys" => Ok(InputKind::Keys),
            "none" => Ok(InputKind::None),
            other => Err(format!(
                "invalid input {other:?}; expected hat, keys or none"
            )),
        }
    }
}

/// A failure to open an input backend.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Hat(#[from] HatError),
    #[error("cannot start the keyboard thread: {0}")]
    Thread(io::Error),
    #[error("cannot switch the terminal to raw mode: {0}")]
    Terminal(io::Error),
}

/// An open input backend; dropping it restores the terminal.
pub struct Input {
    pub events: mpsc::UnboundedReceiver<InputEvent>,
    _terminal: Option<RawTerminal>,
}

impl Input {
    /// Opens the backend `kind`.
    pub fn open(kind: InputKind, config: &ButtonConfig) -> Result<Input, InputError> {
        let (sender, events) = mpsc::unbounded_channel();
        let terminal = match kind {
            InputKind::Hat => {
                hat::spawn_buttons(config, sender)?;
                None
            }
            InputKind::Keys => spawn_keys(sender)?,
            // Keeping no sender closes the channel, so `recv` returns `None` at once.
            InputKind::None => None,
        };
        Ok(Input {
            events,
            _terminal: terminal,
        })
    }
}

fn spawn_keys(
    sender: mpsc::UnboundedSender<InputEvent>,
) -> Result<Option<RawTerminal>, InputError> {
    let stdin = io::stdin();
    let terminal = if stdin.is_terminal() {
        Some(RawTerminal::enter().map_err(InputError::Terminal)?)
    } else {
        None
    };
    thread::Builder::new()
        .name("keys".to_string())
        .spawn(move || read_keys(io::stdin(), sender))
        .map_err(InputError::Thread)?;
    Ok(terminal)
}

fn read_keys(mut source: impl Read, sender: mpsc::UnboundedSender<InputEvent>) {
    let mut decoder = KeyDecoder::default();
    let mut buffer = [0; 64];
    loop {
        let count = match source.read(&mut buffer) {
            Ok(0) => return,
            Ok(count) => count,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => {
                tracing::warn!(cause = %error, "reading keys failed; keyboard input stops");
                return;
            }
        };
        for &byte in &buffer[..count] {
            let Some(button) = decoder.push(byte) else {
                continue;
            };
            if sender.send(InputEvent::Key(button)).is_err() {
                return;
            }
        }
    }
}

/// Turns terminal bytes into buttons: escape sequences, single keys and named lines.
#[derive(Debug, Default)]
pub struct KeyDecoder {
    escape: Vec<u8>,
    word: String,
}

impl KeyDecoder {
    /// Feeds one byte; returns the button it completes, if any.
    pub fn push(&mut self, byte: u8) -> Option<Button> {
        if !self.escape.is_empty() || byte == 0x1b {
            return self.push_escape(byte);
        }
        match byte {
            b'\r' | b'\n' => self.end_line(),
            b'1' | b'2' | b'3' if self.word.is_empty() => Some(key(byte)),
            b'1' | b'2' | b'3' => {
                self.word.push(byte as char);
                None
            }
            b'a'..=b'z' => {
                self.word.push(byte as char);
                None
            }
            _ => {
                self.word.clear();
                None
            }
        }
    }

    /// Maps a finished line: empty is Enter, and a button name is that button.
    fn end_line(&mut self) -> Option<Button> {
        let word = std::mem::take(&mut self.word);
        match word.as_str() {
            "" | "press" => Some(Button::Press),
            "up" => Some(Button::Up),
            "down" => Some(Button::Down),
            "left" => Some(Button::Left),
            "right" => Some(Button::Right),
            "key1" => Some(Button::Key1),
            "key2" => Some(Button::Key2),
            "key3" => Some(Button::Key3),
            _ => None,
        }
    }

    /// Decodes the arrows, `ESC [ A` to `ESC [ D` (and `ESC O A` in application mode).
    fn push_escape(&mut self, byte: u8) -> Option<Button> {
        self.escape.push(byte);
        if self.escape.len() < 3 {
            return None;
        }
        let sequence = std::mem::take(&mut self.escape);
        match (sequence[1], sequence[2]) {
            (b'[' | b'O', b'A') => Some(Button::Up),
            (b'[' | b'O', b'B') => Some(Button::Down),
            (b'[' | b'O', b'C') => Some(Button::Right),
            (b'[' | b'O', b'D') => Some(Button::Left),
            _ => None,
        }
    }
}

fn key(byte: u8) -> Button {
    match byte {
        b'1' => Button::Key1,
        b'2' => Button::Key2,
        _ => Button::Key3,
    }
}

/// The terminal in non-canonical mode without echo, restored on drop.
struct RawTerminal {
    saved: libc::termios,
}

impl RawTerminal {
    fn enter() -> io::Result<RawTerminal> {
        // SAFETY: tcgetattr writes a termios into the zeroed value we own; fd 0 is stdin.
        let saved = unsafe {
            let mut saved: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(libc::STDIN_FILENO, &mut saved) != 0 {
                return Err(io::Error::last_os_error());
            }
            saved
        };
        let mut raw = saved;
        // Keys arrive one at a time and are not echoed; ISIG stays so Ctrl-C still stops the
        // appliance with SIGINT.
        raw.c_lflag &= !(libc::ICANON | libc::ECHO);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        // SAFETY: `raw` is a valid termios derived from the current settings.
        if unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &raw) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(RawTerminal { saved })
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `enter` on the same descriptor.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &self.saved);
        }
    }
}
