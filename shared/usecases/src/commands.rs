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
    send_once(ctx, caller, device_id, input, Uuid::now_v7()).await
}

/// [`send`] with the command's id given: sent again with the same id (an
/// automation's firing redelivered), it is the same command, which the bus
/// and the device's handler take once.
pub async fn send_once(
    ctx: &(impl HasDevices + HasBus + Holds),
    caller: &Caller,
    device_id: Uuid,
    input: CommandInput,
    command_id: Uuid,
) -> Result<CommandOutput, FnError> {
    let device = access::device(ctx, caller, device_id).await?;
    let cmd = DeviceCommand::parse(device.device_type, input.command.trim(), &input.parameters)?;
    let msg = CommandMessage::new(command_id, device_id, device.user_id, caller.user_id, &cmd, ctx.clock().now());
    ctx.bus().publish(vec![bus::command_message(&msg)?]).await?;
    tracing::info!(device_id = %device_id, command = cmd.name(), command_id = %msg.command_id, "command queued");
    Ok(CommandOutput { command_id: msg.command_id, device_id, command: msg.command, status: "queued" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use homeguard_domain::seed::{device_id, user_id};
    use homeguard_domain::{ErrorCode, Role, Topic};

    fn caller(email: &str, role: Role) -> Caller {
        Caller { user_id: user_id(email), role, session_id: Uuid::new_v4(), expires_at: chrono::Utc::now() }
    }

    fn input(command: &str, parameters: serde_json::Value) -> CommandInput {
        CommandInput { command: command.into(), parameters: serde_json::from_value(parameters).unwrap() }
    }

    #[tokio::test]
    async fn a_command_is_checked_against_its_device_before_it_is_queued() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        let john = caller("john@demo.com", Role::User);
        let thermostat = device_id("john@demo.com", "Hallway Thermostat");
        let sarahs = device_id("sarah@demo.com", "Back Door Lock");

        let e = send(&*ctx, &john, sarahs, input("unlock", serde_json::json!({}))).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::DeviceNotFound, "another home's device is not even there");
        let e = send(&*ctx, &john, thermostat, input("unlock", serde_json::json!({}))).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationError, "a thermostat has no lock");
        let hot = input("set_temperature", serde_json::json!({ "temperature": 120 }));
        assert_eq!(send(&*ctx, &john, thermostat, hot).await.unwrap_err().code, ErrorCode::ValidationError);
        let polled = ctx.bus.poll("test", Topic::DeviceCommands, 10, std::time::Duration::ZERO).await.unwrap();
        assert!(polled.is_empty(), "nothing refused reached the bus");

        let ok = input(" set_temperature ", serde_json::json!({ "temperature": 70 }));
        let out = send(&*ctx, &john, thermostat, ok).await.unwrap();
        assert_eq!((out.status, out.command.as_str()), ("queued", "set_temperature"));
        let polled = ctx.bus.poll("test", Topic::DeviceCommands, 10, std::time::Duration::ZERO).await.unwrap();
        assert_eq!(polled.len(), 1);
        assert_eq!(polled[0].id, out.command_id);
        let admin = caller("admin@demo.com", Role::Admin);
        assert!(
            send(&*ctx, &admin, sarahs, input("lock", serde_json::json!({}))).await.is_ok(),
            "admins act on any home"
        );
    }
}
