//! How events change a device's state, and how a device answers a command.
//! Both are pure functions, shared by the state handler, the command handler
//! and the simulator.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde_json::{Map, Value, json};

use crate::command::DeviceCommand;
use crate::device::{DeviceState, DeviceType};
use crate::event::{Event, EventType};

fn time(t: DateTime<Utc>) -> Value {
    Value::String(t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

fn set(s: &mut DeviceState, k: &str, v: Value) {
    s.insert(k.to_owned(), v);
}

/// Whether `event` is newer than the last one applied to `state`; older
/// (late or replayed) events are still stored and shown, but never roll the
/// state back.
pub fn is_newer(state: &DeviceState, event: &Event) -> bool {
    let last_time = state.get("last_event_time").and_then(Value::as_str).and_then(|t| t.parse::<DateTime<Utc>>().ok());
    let last_id = state.get("last_event_id").and_then(Value::as_str).unwrap_or("");
    match last_time {
        None => true,
        Some(t) => (event.timestamp.trunc_subsecs(3), event.event_id.to_string().as_str()) > (t, last_id),
    }
}

/// The fields an event sets on its device's state.
pub fn state_change(device_type: DeviceType, event: &Event) -> DeviceState {
    use EventType as E;
    let p = &event.payload;
    let num = |k: &str| p.get(k).filter(|v| v.is_number()).cloned();
    let mut s = DeviceState::new();
    set(&mut s, "last_event_type", json!(event.event_type.as_str()));
    set(&mut s, "last_event_time", time(event.timestamp));
    set(&mut s, "last_event_id", json!(event.event_id.to_string()));
    if let Some(b) = num("battery") {
        set(&mut s, "battery", b);
    }
    if let Some(sig) = event.metadata.get("signal_strength").filter(|v| v.is_number()) {
        set(&mut s, "signal", sig.clone());
    }
    let state = |s: &mut DeviceState, v: &str| set(s, "state", json!(v));
    match event.event_type {
        E::Locked => {
            state(&mut s, "locked");
            set(&mut s, "locked", json!(true));
        }
        E::Unlocked => {
            state(&mut s, "unlocked");
            set(&mut s, "locked", json!(false));
        }
        E::LockJammed => state(&mut s, "jammed"),
        E::CodeEntered => {}
        E::Armed => set(&mut s, "armed", json!(true)),
        E::Disarmed => set(&mut s, "armed", json!(false)),
        E::MotionDetected => {
            set(&mut s, "last_motion", time(event.timestamp));
            if device_type == DeviceType::Motion {
                state(&mut s, "motion");
            }
        }
        E::MotionStopped => {
            if device_type == DeviceType::Motion {
                state(&mut s, "idle");
            }
        }
        E::TemperatureReading => {
            if let Some(t) = num("temperature") {
                set(&mut s, "temperature", t);
            }
        }
        E::HumidityReading => {
            if let Some(h) = num("humidity") {
                set(&mut s, "humidity", h);
            }
        }
        E::SetpointChanged => {
            if let Some(t) = num("target_temperature") {
                set(&mut s, "target_temperature", t);
            }
        }
        E::HvacModeChanged => {
            if let Some(m) = p.get("mode").filter(|v| v.is_string()) {
                set(&mut s, "mode", m.clone());
            }
        }
        E::DoorOpen => {
            state(&mut s, "open");
            set(&mut s, "open", json!(true));
        }
        E::DoorClosed => {
            state(&mut s, "closed");
            set(&mut s, "open", json!(false));
        }
        E::DoorHeldOpen => state(&mut s, "held_open"),
        E::PersonDetected | E::PackageDetected | E::VehicleDetected | E::DoorbellPressed => {
            set(&mut s, "last_detection", json!(event.event_type.as_str()));
            set(&mut s, "last_detection_time", time(event.timestamp));
        }
        E::SnapshotTaken => set(&mut s, "last_snapshot", time(event.timestamp)),
        E::RecordingStarted => {
            state(&mut s, "recording");
            set(&mut s, "recording", json!(true));
        }
        E::RecordingStopped => {
            state(&mut s, "idle");
            set(&mut s, "recording", json!(false));
        }
        E::GlassBreak => {
            state(&mut s, "triggered");
            set(&mut s, "last_triggered", time(event.timestamp));
        }
        E::SmokeDetected | E::HeatDetected | E::CoDetected => {
            state(&mut s, "alarm");
            set(&mut s, "smoke", json!(event.event_type == E::SmokeDetected));
            set(&mut s, "alarm", json!(event.event_type.as_str()));
        }
        E::SmokeCleared => {
            state(&mut s, "clear");
            set(&mut s, "smoke", json!(false));
            set(&mut s, "alarm", Value::Null);
        }
        E::AlarmSilenced => set(&mut s, "silenced_at", time(event.timestamp)),
        E::SelfTest => set(&mut s, "last_self_test", time(event.timestamp)),
        E::TamperDetected => set(&mut s, "tamper", json!(true)),
        // Whether the platform has told of the device going silent (see the state function).
        E::DeviceOffline => set(&mut s, "offline", json!(true)),
        E::DeviceOnline => set(&mut s, "offline", json!(false)),
        E::BatteryLow => {}
    }
    s
}

/// The numeric readings an event carries, as `(reading_type, value, unit)`:
/// what the readings store keeps for analytics and predictions.
pub fn readings_of(event: &Event) -> Vec<(&'static str, f64, Option<&'static str>)> {
    let p = &event.payload;
    let mut out = vec![];
    let mut take = |key: &str, kind: &'static str, unit: Option<&'static str>| {
        if let Some(v) = p.get(key).and_then(Value::as_f64) {
            out.push((kind, v, unit));
        }
    };
    match event.event_type {
        EventType::TemperatureReading => take("temperature", "temperature", Some("F")),
        EventType::HumidityReading => take("humidity", "humidity", Some("%")),
        EventType::SetpointChanged => take("target_temperature", "target_temperature", Some("F")),
        _ => {}
    }
    take("battery", "battery", Some("%"));
    if let Some(s) = event.metadata.get("signal_strength").and_then(Value::as_f64) {
        out.push(("signal_strength", s, Some("dBm")));
    }
    out
}

/// The numeric readings a heartbeat carries.
pub fn heartbeat_readings(hb: &crate::bus::Heartbeat) -> Vec<(&'static str, f64, Option<&'static str>)> {
    let mut out = vec![];
    if let Some(b) = hb.battery {
        out.push(("battery", b, Some("%")));
    }
    if let Some(s) = hb.signal_strength {
        out.push(("signal_strength", f64::from(s), Some("dBm")));
    }
    out
}

/// A thermostat's running state from its mode, temperature and set point.
pub fn hvac_activity(state: &DeviceState) -> Option<&'static str> {
    let mode = state.get("mode")?.as_str()?;
    let t = state.get("temperature")?.as_f64()?;
    let target = state.get("target_temperature")?.as_f64()?;
    Some(match mode {
        "heat" | "auto" if t < target - 0.5 => "heating",
        "cool" | "auto" if t > target + 0.5 => "cooling",
        _ => "idle",
    })
}

/// How far a thermostat moves toward its set point per reading (°F).
pub const THERMOSTAT_STEP_F: f64 = 1.0;

/// The events a device emits when it carries out `cmd`, given its current
/// state: a lock locks, a thermostat takes the set point and starts moving
/// toward it, a camera takes a snapshot.
pub fn command_result(cmd: &DeviceCommand, state: &DeviceState) -> Vec<(EventType, Map<String, Value>)> {
    let obj = |v: Value| match v {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let remote = || obj(json!({ "method": "remote" }));
    match cmd {
        DeviceCommand::Lock => vec![(EventType::Locked, remote())],
        DeviceCommand::Unlock => vec![(EventType::Unlocked, remote())],
        DeviceCommand::SetTemperature { temperature } => {
            let mut out = vec![(EventType::SetpointChanged, obj(json!({ "target_temperature": temperature })))];
            if let Some(current) = state.get("temperature").and_then(Value::as_f64) {
                let delta = (temperature - current).clamp(-THERMOSTAT_STEP_F, THERMOSTAT_STEP_F);
                if delta != 0.0 {
                    let next = ((current + delta) * 10.0).round() / 10.0;
                    out.push((EventType::TemperatureReading, obj(json!({ "temperature": next }))));
                }
            }
            out
        }
        DeviceCommand::SetMode { mode } => vec![(EventType::HvacModeChanged, obj(json!({ "mode": mode })))],
        DeviceCommand::Snapshot => vec![(EventType::SnapshotTaken, obj(json!({ "trigger": "remote" })))],
        DeviceCommand::StartRecording => vec![(EventType::RecordingStarted, remote())],
        DeviceCommand::StopRecording => vec![(EventType::RecordingStopped, remote())],
        DeviceCommand::Arm => vec![(EventType::Armed, remote())],
        DeviceCommand::Disarm => vec![(EventType::Disarmed, remote())],
        DeviceCommand::Test => vec![(EventType::SelfTest, obj(json!({ "result": "pass" })))],
        DeviceCommand::Silence => vec![(EventType::AlarmSilenced, remote())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn event(t: EventType, payload: Value) -> Event {
        Event {
            event_id: Uuid::new_v4(),
            device_id: Uuid::new_v4(),
            user_id: Uuid::new_v4(),
            event_type: t,
            payload: serde_json::from_value(payload).unwrap(),
            timestamp: Utc::now(),
            metadata: serde_json::from_value(json!({ "signal_strength": -50 })).unwrap(),
        }
    }

    #[test]
    fn locks_lock_and_unlock() {
        let s = state_change(DeviceType::Lock, &event(EventType::Unlocked, json!({ "battery": 80 })));
        assert_eq!(
            (s["state"].clone(), s["locked"].clone(), s["battery"].clone()),
            (json!("unlocked"), json!(false), json!(80))
        );
        assert_eq!(s["signal"], json!(-50));
        assert_eq!(s["last_event_type"], json!("unlocked"));
    }

    #[test]
    fn camera_motion_does_not_change_camera_state() {
        let s = state_change(DeviceType::Camera, &event(EventType::MotionDetected, json!({})));
        assert!(!s.contains_key("state"));
        assert!(s.contains_key("last_motion"));
        let s = state_change(DeviceType::Motion, &event(EventType::MotionDetected, json!({})));
        assert_eq!(s["state"], json!("motion"));
    }

    #[test]
    fn older_events_never_roll_state_back() {
        let newer = event(EventType::Locked, json!({}));
        let mut older = event(EventType::Unlocked, json!({}));
        older.timestamp = newer.timestamp - chrono::Duration::seconds(5);
        let mut state = DeviceType::Lock.initial_state();
        assert!(is_newer(&state, &newer));
        state.extend(state_change(DeviceType::Lock, &newer));
        assert!(!is_newer(&state, &older));
        assert!(!is_newer(&state, &newer), "the same event again is not newer");
    }

    #[test]
    fn readings_are_taken_from_payload_and_metadata() {
        let e = event(EventType::TemperatureReading, json!({ "temperature": 71.5, "battery": 80 }));
        assert_eq!(
            readings_of(&e),
            vec![
                ("temperature", 71.5, Some("F")),
                ("battery", 80.0, Some("%")),
                ("signal_strength", -50.0, Some("dBm"))
            ]
        );
        let e = event(EventType::DoorOpen, json!({ "temperature": "hot" }));
        assert_eq!(
            readings_of(&e),
            vec![("signal_strength", -50.0, Some("dBm"))],
            "only numbers, only where they mean something"
        );
    }

    #[test]
    fn thermostats_move_toward_their_set_point() {
        let state = DeviceType::Thermostat.initial_state(); // 70 °F
        let out = command_result(&DeviceCommand::SetTemperature { temperature: 74.0 }, &state);
        assert_eq!(out[0].0, EventType::SetpointChanged);
        assert_eq!((out[1].0, out[1].1["temperature"].clone()), (EventType::TemperatureReading, json!(71.0)));
        let out = command_result(&DeviceCommand::SetTemperature { temperature: 70.0 }, &state);
        assert_eq!(out.len(), 1, "already there");
        let mut s = state.clone();
        s.insert("target_temperature".into(), json!(74.0));
        assert_eq!(hvac_activity(&s), Some("heating"));
    }

    #[test]
    fn every_command_yields_an_event_its_device_may_emit() {
        for d in DeviceType::ALL {
            for name in DeviceCommand::accepted_by(d) {
                let params = serde_json::from_value(json!({ "temperature": 72, "mode": "cool" })).unwrap();
                let cmd = DeviceCommand::parse(d, name, &params).unwrap();
                for (t, _) in command_result(&cmd, &d.initial_state()) {
                    assert!(t.emitted_by(d), "{d} cannot emit {t} for {name}");
                }
            }
        }
    }
}
