//! The device state function (the requirements' Event Processor, state
//! half): it folds events and heartbeats into each device's current state
//! and online flag, and publishes what changed on the pub/sub channels the
//! notification stream listens to:
//!
//! - `events:user:{user_id}` and `events:global`: every event (`device_event`);
//! - `device:state:{device_id}`: the device's new state (`device_state`).
//!
//! (The names are [`homeguard_domain::channels`].)

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use homeguard_domain::channels;
use homeguard_domain::state::{hvac_activity, is_newer, state_change};
use homeguard_domain::{Device, DeviceState, DeviceType, Event, EventType, Heartbeat, Topic};
use homeguard_ports::{EventQuery, StateUpdate};
use homeguard_runtime::{FnError, Function};
use serde_json::{Value, json};
use uuid::Uuid;

homeguard_runtime::holds! {
    /// What the state handler holds: the state it keeps, the registry (each
    /// device's type), the pub/sub it announces on, the event store it
    /// rebuilds from after a restart, and the bus it tells of devices going
    /// offline and coming back on.
    pub struct StateCtx { state, devices, pubsub, events, bus }
}

/// The function: folds `device.events` and `device.heartbeats` into state.
pub fn function() -> Function<StateCtx> {
    Function::new(NAME, "Device state and live publication")
        .always_on()
        .subscribe(Topic::DeviceEvents, |ctx, events| Box::pin(async move { on_events(&ctx, events).await }))
        .subscribe(Topic::DeviceHeartbeats, |ctx, beats| Box::pin(async move { on_heartbeats(&ctx, beats).await }))
        .every("online watch", WATCH, |ctx, _| Box::pin(async move { watch_online(&ctx).await }))
}

/// How often devices are checked for having gone silent: a device that
/// stops is reported offline within [`ONLINE_TTL`] and this.
pub const WATCH: Duration = Duration::from_secs(5);

/// The event that tells of `device` going offline or coming back, with an
/// id derived from the moment it speaks of, so that telling it twice
/// (another replica, a restart) is one event.
fn presence_event(device: &Device, event_type: EventType, since: DateTime<Utc>, now: DateTime<Utc>) -> Event {
    let key = format!("{}:{}", event_type.as_str(), since.to_rfc3339_opts(SecondsFormat::Millis, true));
    Event {
        event_id: Uuid::new_v5(&device.device_id, key.as_bytes()),
        device_id: device.device_id,
        user_id: device.user_id,
        event_type,
        payload: serde_json::from_value(json!({ "last_seen": since.to_rfc3339_opts(SecondsFormat::Millis, true) }))
            .unwrap_or_default(),
        timestamp: now,
        metadata: serde_json::from_value(json!({ "source": "homeguard", "reason": "online watch" }))
            .unwrap_or_default(),
    }
}

/// Emits `device_offline` for each device that has been heard from but not
/// within [`ONLINE_TTL`] and was not reported offline yet. (Its return is
/// told by [`on_heartbeats`].)
pub async fn watch_online(ctx: &StateCtx) -> Result<(), FnError> {
    let devices = ctx.devices.list_all().await?;
    let ids: Vec<Uuid> = devices.iter().map(|d| d.device_id).collect();
    let online = ctx.state.last_heartbeats(&ids).await?;
    let states = ctx.state.get_many(&ids).await?;
    let now = ctx.clock.now();
    let mut out = vec![];
    for ((device, online), state) in devices.iter().zip(online).zip(states) {
        let seen = state.get("last_heartbeat").and_then(Value::as_str).and_then(|s| s.parse::<DateTime<Utc>>().ok());
        let reported = state.get("offline") == Some(&Value::Bool(true));
        if let (None, Some(seen), false) = (online, seen, reported) {
            tracing::info!(device_id = %device.device_id, last_seen = %seen, "device offline");
            out.push(homeguard_runtime::bus::event_message(&presence_event(
                device,
                EventType::DeviceOffline,
                seen,
                now,
            ))?);
        }
    }
    if !out.is_empty() {
        ctx.bus.publish(out).await?;
    }
    Ok(())
}

/// Its name, also its consumer group (the host replays from its position).
pub const NAME: &str = env!("CARGO_PKG_NAME");

/// A device is online while it has sent something within this long.
pub const ONLINE_TTL: Duration = Duration::from_secs(60);

/// How many of a device's latest events rebuild its state after a restart.
pub const REBUILD_DEPTH: usize = 100;

/// The `device_event` message of the notification protocol.
pub fn event_message(e: &Event) -> Value {
    json!({
        "type": "device_event",
        "event_id": e.event_id,
        "device_id": e.device_id,
        "user_id": e.user_id,
        "event_type": e.event_type,
        "timestamp": e.timestamp.to_rfc3339_opts(SecondsFormat::Millis, true),
        "data": e.payload,
        "metadata": e.metadata,
    })
}

/// The `device_state` message of the notification protocol, as of `now`.
pub fn state_message(device: Uuid, state: &DeviceState, online: bool, now: DateTime<Utc>) -> Value {
    json!({
        "type": "device_state",
        "device_id": device,
        "state": state,
        "online": online,
        "timestamp": now.to_rfc3339_opts(SecondsFormat::Millis, true),
    })
}

/// The fields an event sets, plus what follows from them (a thermostat's
/// running state).
fn fold(device_type: DeviceType, state: &mut DeviceState, e: &Event) -> bool {
    if !is_newer(state, e) {
        return false;
    }
    state.extend(state_change(device_type, e));
    if device_type == DeviceType::Thermostat
        && let Some(activity) = hvac_activity(state)
    {
        state.insert("state".into(), json!(activity));
    }
    true
}

async fn publish(ctx: &StateCtx, messages: &[(String, String)]) {
    // Pub/sub is best effort by design: a listener that misses a message
    // reads the feed; failing the batch would only replay it.
    if let Err(e) = ctx.pubsub.publish_many(messages).await {
        tracing::warn!(messages = messages.len(), error = %e, "publish failed");
    }
}

async fn devices_of(ctx: &StateCtx, ids: impl Iterator<Item = Uuid>) -> Result<HashMap<Uuid, Device>, FnError> {
    let mut out = HashMap::new();
    for id in ids {
        if let std::collections::hash_map::Entry::Vacant(slot) = out.entry(id)
            && let Some(d) = ctx.devices.get(id).await?
        {
            slot.insert(d);
        }
    }
    Ok(out)
}

/// The current state of each of `ids` (distinct), in one read.
async fn states_of(ctx: &StateCtx, ids: &[Uuid]) -> Result<BTreeMap<Uuid, DeviceState>, FnError> {
    let states = ctx.state.get_many(ids).await?;
    Ok(ids.iter().copied().zip(states).collect())
}

/// Applies events to their devices' state, then announces them: each event
/// on its owner's and the global channel, each changed device's new state
/// on its own (so that a listener told of an event finds the state already
/// changed). A batch costs three round trips to the state store and pub/sub
/// whatever its size: one read, one write, one publish.
#[tracing::instrument(skip_all, fields(events = events.len()))]
pub async fn on_events(ctx: &StateCtx, events: Vec<Event>) -> Result<(), FnError> {
    let devices = devices_of(ctx, events.iter().map(|e| e.device_id)).await?;
    // A device that was removed since keeps its history, but has no state.
    let ids: Vec<Uuid> = devices.keys().copied().collect();
    let mut states = states_of(ctx, &ids).await?;
    for e in &events {
        if let (Some(device), Some(state)) = (devices.get(&e.device_id), states.get_mut(&e.device_id)) {
            fold(device.device_type, state, e);
        }
    }
    // What a device sends says it is alive; the platform's word that it went silent does not.
    let heard: std::collections::HashSet<Uuid> =
        events.iter().filter(|e| e.event_type != EventType::DeviceOffline).map(|e| e.device_id).collect();
    let now = ctx.clock.now();
    let updates: Vec<StateUpdate> = states
        .into_iter()
        .map(|(device_id, fields)| {
            let online = heard.contains(&device_id).then_some((now, ONLINE_TTL));
            StateUpdate { device_id, fields, online }
        })
        .collect();
    let after = ctx.state.apply(&updates).await?;

    let mut messages = Vec::with_capacity(events.len() * 2 + updates.len());
    for e in &events {
        let message = event_message(e).to_string();
        messages.push((channels::user_events(e.user_id), message.clone()));
        messages.push((channels::GLOBAL_EVENTS.to_owned(), message));
    }
    let now = ctx.clock.now();
    for (u, state) in updates.iter().zip(&after) {
        messages.push((channels::device_state(u.device_id), state_message(u.device_id, state, true, now).to_string()));
    }
    publish(ctx, &messages).await;
    Ok(())
}

/// Marks devices online and records what their heartbeats report; a
/// device's new state is announced when it came back online or its battery
/// changed. Several heartbeats of one device in a batch count as one, the
/// latest last.
#[tracing::instrument(skip_all, fields(heartbeats = heartbeats.len()))]
pub async fn on_heartbeats(ctx: &StateCtx, heartbeats: Vec<Heartbeat>) -> Result<(), FnError> {
    let devices = devices_of(ctx, heartbeats.iter().map(|h| h.device_id)).await?;
    let ids: Vec<Uuid> = devices.keys().copied().collect();
    let was_online: HashMap<Uuid, bool> =
        ids.iter().copied().zip(ctx.state.last_heartbeats(&ids).await?.iter().map(Option::is_some)).collect();
    let before = states_of(ctx, &ids).await?;
    let mut updates: BTreeMap<Uuid, StateUpdate> = BTreeMap::new();
    for hb in &heartbeats {
        if !devices.contains_key(&hb.device_id) {
            continue;
        }
        let u = updates.entry(hb.device_id).or_insert_with(|| StateUpdate {
            device_id: hb.device_id,
            fields: DeviceState::new(),
            online: None,
        });
        // A heartbeat that arrives late (buffered, or replayed) says the
        // device was alive then, not that it is now.
        let age = (ctx.clock.now() - hb.timestamp).to_std().unwrap_or_default();
        if age < ONLINE_TTL && u.online.is_none_or(|(at, _)| at < hb.timestamp) {
            u.online = Some((hb.timestamp, ONLINE_TTL - age));
        }
        u.fields.insert("last_heartbeat".into(), json!(hb.timestamp.to_rfc3339_opts(SecondsFormat::Millis, true)));
        if let Some(b) = hb.battery {
            u.fields.insert("battery".into(), json!(b));
        }
        if let Some(s) = hb.signal_strength {
            u.fields.insert("signal".into(), json!(s));
        }
        if let Some(fw) = &hb.firmware_version {
            u.fields.insert("firmware_version".into(), json!(fw));
        }
    }
    let updates: Vec<StateUpdate> = updates.into_values().collect();
    let after = ctx.state.apply(&updates).await?;
    let now = ctx.clock.now();
    let messages: Vec<(String, String)> = updates
        .iter()
        .zip(&after)
        .filter(|(u, state)| {
            !was_online[&u.device_id] || before.get(&u.device_id).and_then(|b| b.get("battery")) != state.get("battery")
        })
        .map(|(u, state)| {
            (channels::device_state(u.device_id), state_message(u.device_id, state, true, now).to_string())
        })
        .collect();
    publish(ctx, &messages).await;
    // A device reported offline speaks again: tell of its return.
    let back: Vec<_> = updates
        .iter()
        .filter(|u| !was_online[&u.device_id] && u.online.is_some())
        .filter(|u| before.get(&u.device_id).and_then(|b| b.get("offline")) == Some(&Value::Bool(true)))
        .filter_map(|u| {
            let at = u.online.map(|(at, _)| at)?;
            tracing::info!(device_id = %u.device_id, "device back online");
            Some(homeguard_runtime::bus::event_message(&presence_event(
                &devices[&u.device_id],
                EventType::DeviceOnline,
                at,
                now,
            )))
        })
        .collect::<Result<_, _>>()?;
    if !back.is_empty() {
        ctx.bus.publish(back).await?;
    }
    Ok(())
}

/// Rebuilds in-memory state after a start: each device's latest events,
/// folded oldest first over its initial state.
pub async fn rebuild(ctx: &StateCtx) -> Result<usize, FnError> {
    let devices = ctx.devices.list_all().await?;
    let mut folded = 0;
    for d in &devices {
        let query = EventQuery { device_id: Some(d.device_id), limit: REBUILD_DEPTH, ..Default::default() };
        let events = ctx.events.query(&query).await?;
        let mut state = ctx.state.get(d.device_id).await?;
        for e in events.iter().rev() {
            folded += usize::from(fold(d.device_type, &mut state, e));
        }
        ctx.state.merge(d.device_id, &state).await?;
    }
    Ok(folded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    use homeguard_domain::seed::{device_id, user_id};
    use homeguard_runtime::Holds;

    fn event(device: Uuid, user: Uuid, t: EventType, secs_ago: i64) -> Event {
        Event {
            event_id: Uuid::now_v7(),
            device_id: device,
            user_id: user,
            event_type: t,
            payload: Default::default(),
            timestamp: chrono::SubsecRound::trunc_subsecs(Utc::now() - chrono::Duration::seconds(secs_ago), 3),
            metadata: Default::default(),
        }
    }

    #[tokio::test]
    async fn a_silent_device_is_told_offline_once_and_online_when_it_speaks() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, full) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        let ctx = StateCtx::from_ctx(&full);
        let door = device_id("john@demo.com", "Garage Door");
        let seen = chrono::SubsecRound::trunc_subsecs(Utc::now(), 3);
        ctx.state.merge(door, &BTreeMap::from([("last_heartbeat".to_owned(), json!(seen))])).await.unwrap();
        ctx.state.mark_online(door, seen, Duration::from_millis(50)).await.unwrap();
        let told = |ctx: &StateCtx| {
            let bus = ctx.bus.clone();
            async move {
                let got = bus.poll("test", Topic::DeviceEvents, 100, Duration::from_millis(50)).await.unwrap();
                let events: Vec<Event> = got.iter().map(|d| serde_json::from_str(&d.payload).unwrap()).collect();
                for d in &got {
                    let at = homeguard_ports::Position::at(d.partition, d.offset);
                    bus.commit("test", Topic::DeviceEvents, &at).await.unwrap();
                }
                events
            }
        };
        watch_online(&ctx).await.unwrap();
        assert!(told(&ctx).await.is_empty(), "online: nothing to tell");
        tokio::time::sleep(Duration::from_millis(100)).await;
        watch_online(&ctx).await.unwrap();
        watch_online(&ctx).await.unwrap();
        let offline = told(&ctx).await;
        assert_eq!(offline.len(), 1, "told once: {offline:?}");
        assert_eq!((offline[0].event_type, offline[0].device_id), (EventType::DeviceOffline, door));
        on_events(&ctx, offline).await.unwrap();
        assert_eq!(ctx.state.get(door).await.unwrap()["offline"], json!(true));
        assert_eq!(
            ctx.state.last_heartbeats(&[door]).await.unwrap(),
            vec![None],
            "the platform's word is not the device's"
        );
        watch_online(&ctx).await.unwrap();
        assert!(told(&ctx).await.is_empty(), "reported already");
        let hb = Heartbeat {
            heartbeat_id: Uuid::new_v4(),
            device_id: door,
            user_id: user_id("john@demo.com"),
            timestamp: Utc::now(),
            battery: None,
            signal_strength: None,
            firmware_version: None,
        };
        on_heartbeats(&ctx, vec![hb]).await.unwrap();
        let back = told(&ctx).await;
        assert_eq!(back.iter().map(|e| e.event_type).collect::<Vec<_>>(), vec![EventType::DeviceOnline]);
    }

    #[tokio::test]
    async fn events_change_state_and_are_announced_to_the_owner() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        let ctx = StateCtx::from_ctx(&ctx);
        let john = user_id("john@demo.com");
        let lock = device_id("john@demo.com", "Front Door Lock");
        let mut mine =
            ctx.pubsub.subscribe(&[channels::user_events(john), channels::device_state(lock)]).await.unwrap();
        let mut sarahs = ctx.pubsub.subscribe(&[channels::user_events(user_id("sarah@demo.com"))]).await.unwrap();

        on_events(&ctx, vec![event(lock, john, EventType::Unlocked, 1)]).await.unwrap();
        let state = ctx.state.get(lock).await.unwrap();
        assert_eq!((state["state"].clone(), state["locked"].clone()), (json!("unlocked"), json!(false)));
        assert!(ctx.state.last_heartbeats(&[lock]).await.unwrap()[0].is_some(), "an event marks its device online");

        let mut kinds = vec![];
        for _ in 0..2 {
            if let homeguard_ports::PubSubItem::Message { payload, .. } = mine.next().await.unwrap() {
                kinds.push(serde_json::from_str::<Value>(&payload).unwrap()["type"].as_str().unwrap().to_owned());
            }
        }
        assert_eq!(kinds, vec!["device_event", "device_state"]);
        let nothing = tokio::time::timeout(Duration::from_millis(100), sarahs.next()).await;
        assert!(nothing.is_err(), "sarah hears nothing of john's home");

        // A late, older event is announced but never rolls the state back.
        on_events(&ctx, vec![event(lock, john, EventType::Locked, 60)]).await.unwrap();
        assert_eq!(ctx.state.get(lock).await.unwrap()["state"], json!("unlocked"));
    }

    #[tokio::test]
    async fn state_is_rebuilt_from_the_event_store() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        let ctx = StateCtx::from_ctx(&ctx);
        let john = user_id("john@demo.com");
        let door = device_id("john@demo.com", "Garage Door");
        let events = vec![event(door, john, EventType::DoorOpen, 20), event(door, john, EventType::DoorHeldOpen, 10)];
        ctx.events.append(&events).await.unwrap();
        assert_eq!(ctx.state.get(door).await.unwrap()["state"], json!("closed"));
        assert_eq!(rebuild(&ctx).await.unwrap(), 2);
        assert_eq!(ctx.state.get(door).await.unwrap()["state"], json!("held_open"));
    }

    #[tokio::test]
    async fn heartbeats_mark_devices_online() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        let ctx = StateCtx::from_ctx(&ctx);
        let lock = device_id("john@demo.com", "Front Door Lock");
        let hb = Heartbeat {
            heartbeat_id: Uuid::now_v7(),
            device_id: lock,
            user_id: user_id("john@demo.com"),
            timestamp: Utc::now(),
            battery: Some(42.0),
            signal_strength: Some(-60),
            firmware_version: None,
        };
        on_heartbeats(&ctx, vec![hb.clone()]).await.unwrap();
        assert!(ctx.state.last_heartbeats(&[lock]).await.unwrap()[0].is_some());
        assert_eq!(ctx.state.get(lock).await.unwrap()["battery"], json!(42.0));

        let door = device_id("john@demo.com", "Garage Door");
        let stale = Heartbeat { device_id: door, timestamp: Utc::now() - chrono::Duration::minutes(5), ..hb };
        on_heartbeats(&ctx, vec![stale]).await.unwrap();
        assert!(ctx.state.last_heartbeats(&[door]).await.unwrap()[0].is_none(), "an old heartbeat is no sign of life");
    }
}
