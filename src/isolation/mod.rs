//! Isolation: every interface but the selected uplink, loopback and the keep set is held down,
//! without addresses and without routes.
//!
//! - [`keep`]: the keep set of interface name patterns.
//! - [`violation`]: what isolation requires of a snapshot, and where a snapshot breaks it.
//! - [`engine`]: the pure state machine that turns snapshots, results and the time into actions.
//! - [`executor`]: applies the engine's actions through a [`Kernel`](crate::netlink::Kernel).
//! - [`fake`]: an in-memory kernel for tests and demonstrations.
//! - [`uplink`]: addresses and gateways configured for the uplink.
//! - [`state`]: the saved selection, written atomically under the state directory.

pub mod engine;
pub mod executor;
pub mod fake;
pub mod keep;
pub mod state;
pub mod uplink;
pub mod violation;

pub use engine::{Action, Engine, EngineView, Failure, Plan, Retry, State};
pub use executor::{Report, enforce};
pub use keep::{InvalidPattern, KeepSet};
pub use uplink::{StaticUplink, static_shortfalls};
pub use violation::{Violation, violations};
