//! mailtrace: follow mail across Postfix relays by searching each host's logs
//! over SSH and joining what comes back into one cross-host trace.
//!
//! The modules follow the data: [`inventory`] → [`plan`] → [`collect`] →
//! [`parse`] → [`trace`] (correlation) → [`analyze`], driven in rounds by [`engine`] and
//! handed on as [`report`] values and shown by [`render`]; [`cli`], [`mcp`] and [`demo`] are front ends.

pub mod analyze;
pub mod cli;
pub mod collect;
pub mod demo;
pub mod engine;
pub mod inventory;
pub mod mcp;
pub mod parse;
pub mod plan;
pub mod render;
pub mod report;
pub mod time;
pub mod trace;
