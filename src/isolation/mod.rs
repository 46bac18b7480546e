//! The isolation engine, its executor and the saved selection.
pub mod state;
