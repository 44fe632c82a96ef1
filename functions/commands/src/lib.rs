//! The command function: carries out each command on `device.commands` as
//! the device would, and answers with the events the device emits (a lock
//! reports `locked`, a thermostat its new set point and its first step
//! toward it), published on `device.events` like any device's events.
//!
//! A resulting event's id derives from the command's id, so a redelivered
//! command yields the same events, which the bus and the event store keep once.

use homeguard_domain::state::command_result;
use homeguard_domain::{CommandMessage, DeviceCommand, Event, Topic};
use homeguard_runtime::{FnError, Function, bus};
use serde_json::json;
use uuid::Uuid;

homeguard_runtime::holds! {
    /// What the command handler holds: the registry, each device's state
    /// (a command's result depends on it), and the bus it answers on.
    pub struct CommandsCtx { devices, state, bus }
}

/// The function: carries out `device.commands`.
pub fn function() -> Function<CommandsCtx> {
    Function::new(env!("CARGO_PKG_NAME"), "Carries out device commands")
        .subscribe(Topic::DeviceCommands, |ctx, commands| Box::pin(async move { apply(&ctx, commands).await }))
}

/// The events `command` makes its device emit.
pub async fn results(ctx: &CommandsCtx, command: &CommandMessage) -> Result<Vec<Event>, FnError> {
    let Some(device) = ctx.devices.get(command.device_id).await? else {
        tracing::info!(device_id = %command.device_id, "dropping a command for a device that no longer exists");
        return Ok(vec![]);
    };
    let cmd = match DeviceCommand::parse(device.device_type, &command.command, &command.parameters) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(command_id = %command.command_id, error = %e, "dropping a command the device cannot take");
            return Ok(vec![]);
        }
    };
    let state = ctx.state.get(device.device_id).await?;
    let now = ctx.clock.now();
    Ok(command_result(&cmd, &state)
        .into_iter()
        .enumerate()
        .map(|(i, (event_type, payload))| Event {
            event_id: Uuid::new_v5(&command.command_id, format!("result-{i}").as_bytes()),
            device_id: device.device_id,
            user_id: device.user_id,
            event_type,
            payload,
            // One millisecond apart, so that they fold into state in the order emitted.
            timestamp: chrono::SubsecRound::trunc_subsecs(now, 3) + chrono::Duration::milliseconds(i as i64),
            metadata: serde_json::from_value(json!({
                "command_id": command.command_id,
                "command": command.command,
                "parameters": command.parameters,
                "issued_by": command.issued_by,
                "firmware_version": device.firmware_version,
                "is_simulated": true,
            }))
            .unwrap_or_default(),
        })
        .collect())
}

/// Carries out commands and publishes what the devices report.
#[tracing::instrument(skip_all, fields(commands = commands.len()))]
pub async fn apply(ctx: &CommandsCtx, commands: Vec<CommandMessage>) -> Result<(), FnError> {
    let mut out = vec![];
    for c in &commands {
        for e in results(ctx, c).await? {
            out.push(bus::event_message(&e)?);
        }
    }
    ctx.bus.publish(out).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use homeguard_domain::EventType;
    use homeguard_domain::seed::{device_id, user_id};
    use homeguard_runtime::Holds;

    #[tokio::test]
    async fn a_lock_answers_unlock_with_unlocked_once() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        let ctx = CommandsCtx::from_ctx(&ctx);
        let john = user_id("john@demo.com");
        let lock = device_id("john@demo.com", "Front Door Lock");
        let cmd = CommandMessage::new(Uuid::now_v7(), lock, john, john, &DeviceCommand::Unlock, ctx.clock.now());
        apply(&ctx, vec![cmd.clone()]).await.unwrap();
        apply(&ctx, vec![cmd]).await.unwrap();
        let got = ctx.bus.poll("test", Topic::DeviceEvents, 10, std::time::Duration::ZERO).await.unwrap();
        assert_eq!(got.len(), 1, "a redelivered command yields its events once");
        let e: Event = serde_json::from_str(&got[0].payload).unwrap();
        assert_eq!((e.event_type, e.device_id, e.user_id), (EventType::Unlocked, lock, john));
    }
}
