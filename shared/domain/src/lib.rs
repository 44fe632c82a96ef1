//! HomeGuard's domain: users and roles, devices and their state, the event
//! schema, device commands, automations and home modes, and the stable error
//! codes of the API's error body.
//!
//! This crate sits at the bottom of the workspace: it depends on no other
//! HomeGuard crate and does no I/O, so every rule here is checked by plain
//! unit tests.

pub mod agent;
pub mod alarm;
pub mod automation;
pub mod bus;
pub mod channels;
pub mod command;
pub mod dc09;
pub mod device;
pub mod error;
pub mod event;
pub mod home;
pub mod incident;
pub mod mode;
pub mod notification;
pub mod page;
pub mod playbook;
pub mod security;
pub mod seed;
pub mod simulation;
pub mod state;
pub mod user;
pub mod wellness;

pub use automation::{Automation, AutomationAction, AutomationTrigger, NewAutomation};
pub use bus::{CommandMessage, Heartbeat, Topic};
pub use command::DeviceCommand;
pub use device::{Device, DeviceDraft, DevicePatch, DeviceState, DeviceType, Location};
pub use error::{DomainError, ErrorCode};
pub use event::{Event, EventType};
pub use mode::HomeMode;
pub use simulation::{AnomalyKind, AnomalyLabel};
pub use user::{Role, User};
