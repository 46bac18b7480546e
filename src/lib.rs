//! rustyjack turns a Raspberry Pi Zero 2 W with an Ethernet HAT and a 1.44" ST7735 LCD HAT into a
//! network appliance: the operator picks one uplink, every other interface is isolated (down, no
//! addresses, no routes), and the screen shows the live address and route state.
//!
//! # Layout
//!
//! - [`netlink`]: links, addresses and routes over one shared NETLINK_ROUTE connection, with the
//!   deadlines, acknowledgements and dump checks that rtnetlink leaves out, plus a kernel event
//!   monitor on its own socket.
//! - [`appliance`]: the enforcement loop that reacts to kernel events, and the `run` service.
//! - [`isolation`]: the pure engine that turns a kernel snapshot and a selection into actions, the
//!   executor that applies them, and the saved selection.
//! - [`ui`]: screens drawn into an embedded-graphics `DrawTarget`, the ST7735 panel and buttons on
//!   the HAT, and the terminal simulator.
//! - [`config`]: the TOML configuration, read raw and then validated.
//! - [`demo`]: throwaway network namespaces with simulated uplinks and the appliance inside them.
//! - [`probe`]: timed dumps, a stress loop and a veth-only exercise, for checking a device.
//! - [`cli`]: the command line; `main.rs` only parses arguments and prints errors.

pub mod appliance;
pub mod cli;
pub mod config;
pub mod demo;
pub mod isolation;
pub mod netlink;
pub mod probe;
pub mod ratelimit;
pub mod ui;
