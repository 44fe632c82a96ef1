//! Use cases that several functions need, written once below them: the
//! device registry's and ingest's functions call these, and so do the
//! scenario engine, the simulator and (later) the MCP tools and the agent.
//! Each takes the ports it needs as `Has…` bounds on its context, so any
//! function holding them can call it.

pub mod access;
pub mod alarm;
pub mod commands;
pub mod devices;
pub mod events;
pub mod incidents;
pub mod ingest;
