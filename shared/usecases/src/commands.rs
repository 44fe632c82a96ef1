//! Sending a device a command, as a user would from the app.

use homeguard_domain::{CommandMessage, DeviceCommand};
use homeguard_runtime::ports::{HasBus, HasDevices, Holds};
use homeguard_runtime::{Caller, FnError, bus};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::access;

/// A command as a user sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandInput {
    pub command: String,
    #[serde(default)]
    pub parameters: Map<String, Value>,
}

/// A command accepted and queued.
#[derive(Debug, Clone, Serialize)]
pub struct CommandOutput {
    pub command_id: Uuid,
    pub device_id: Uuid,
    pub command: String,
    pub status: &'static str,
}

/// Checks that the caller may see the device and that its type takes the
/// command with these parameters, then queues it on `device.commands`.
pub async fn send(
    ctx: &(impl HasDevices + HasBus + Holds),
    caller: &Caller,
    device_id: Uuid,
    input: CommandInput,
) -> Result<CommandOutput, FnError> {
    let device = access::device(ctx, caller, device_id).await?;
    let cmd = DeviceCommand::parse(device.device_type, input.command.trim(), &input.parameters)?;
    let msg = CommandMessage::new(Uuid::now_v7(), device_id, device.user_id, caller.user_id, &cmd, ctx.clock().now());
    ctx.bus().publish(vec![bus::command_message(&msg)?]).await?;
    tracing::info!(device_id = %device_id, command = cmd.name(), command_id = %msg.command_id, "command queued");
    Ok(CommandOutput { command_id: msg.command_id, device_id, command: msg.command, status: "queued" })
}
