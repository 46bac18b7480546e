//! The appliance as a process: the enforcement loop, the operator commands that start it
//! (`select`, `release`, `check`, `run`), and the wiring to the screen and to systemd.

pub mod enforcer;
pub mod run;
pub mod signals;

pub use enforcer::{Command, Enforcer};
