//! Rule evaluation per event for a home with 50 rules: each event against
//! every rule's trigger, the conditions of those it sets off, and the
//! message of those that fire, as the engine does between reading the
//! home and acting. The baseline, measured in the same run, is decoding the
//! event from its JSON (what every handler pays for it anyway).
//!
//!     cargo run --release -p homeguard-bench-rules [-- EVENTS]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use homeguard_domain::automation::{Automation, Input, NewAutomation, Situation, render};
use homeguard_domain::seed::demo_users;
use homeguard_domain::{Event, EventType, HomeMode};
use serde_json::{Map, json};
use uuid::Uuid;

const RULES: usize = 50;

fn main() {
    let events: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let sarah = demo_users().into_iter().find(|u| u.email == "sarah@demo.com").expect("sarah's home");
    let now = Utc::now();
    let devices: Vec<_> = sarah.devices.iter().map(|d| d.to_device(sarah.id, now)).collect();
    // 50 rules over her devices: night motion, door events by zone, any-motion-by-type, offline, alarm signals.
    let rules: Vec<Automation> = (0..RULES)
        .map(|i| {
            let d = &devices[i % devices.len()];
            let event = EventType::ALL.iter().copied().find(|t| t.emitted_by(d.device_type)).unwrap_or(EventType::BatteryLow);
            let trigger = match i % 6 {
                0 => json!({ "type": "device_event", "device_id": d.device_id, "event_type": event,
                             "conditions": { "time_range": { "start": "22:00", "end": "06:00" }, "arm_state": "armed" } }),
                1 => json!({ "type": "device_event", "zone": d.location.zone, "event_type": event,
                             "conditions": { "days": ["mon", "tue", "wed", "thu", "fri"] } }),
                2 => json!({ "type": "device_event", "device_type": d.device_type, "event_type": event,
                             "conditions": { "mode": "away" } }),
                3 => json!({ "type": "device_offline", "device_id": d.device_id }),
                // A door or lock left in a state (what the engine watches on each event).
                5 => {
                    let held: Vec<_> = devices
                        .iter()
                        .filter(|d| matches!(d.device_type, homeguard_domain::DeviceType::Door | homeguard_domain::DeviceType::Lock))
                        .collect();
                    let d = held[(i / 6) % held.len()];
                    let state = if d.device_type == homeguard_domain::DeviceType::Door { json!({ "open": true }) } else { json!({ "locked": false }) };
                    json!({ "type": "device_state", "device_id": d.device_id, "state": state, "for_seconds": 600 })
                }
                _ => json!({ "type": "alarm_signal", "codes": [130, 131, 134] }),
            };
            let draft: NewAutomation = serde_json::from_value(json!({
                "name": format!("Rule {i}"),
                "trigger": trigger,
                "actions": [{ "type": "notification", "channel": "in_app", "message": "{device} in {zone} at {time}: {event}" }]
            }))
            .expect("a rule");
            draft.into_automation(Uuid::new_v4(), sarah.id, &devices[..], now).expect("a valid rule")
        })
        .collect();
    // Events as the bus carries them: JSON, over her devices and their event types.
    let encoded: Vec<String> = (0..1000)
        .map(|i| {
            let d = &devices[i % devices.len()];
            let types: Vec<EventType> =
                EventType::ALL.iter().copied().filter(|t| t.emitted_by(d.device_type)).collect();
            let e = Event {
                event_id: Uuid::new_v4(),
                device_id: d.device_id,
                user_id: sarah.id,
                event_type: types[i % types.len()],
                payload: Map::new(),
                timestamp: now + Duration::seconds(i as i64),
                metadata: Map::new(),
            };
            serde_json::to_string(&e).expect("json")
        })
        .collect();
    let decoded: Vec<Event> = encoded.iter().map(|s| serde_json::from_str(s).expect("an event")).collect();
    let tz = chrono_tz::America::Los_Angeles;
    let states = BTreeMap::new();
    let night = tz.with_ymd_and_hms(2026, 12, 1, 23, 30, 0).single().expect("a time");

    let start = Instant::now();
    for i in 0..events {
        black_box(serde_json::from_str::<Event>(black_box(&encoded[i % encoded.len()])).expect("an event"));
    }
    let decode = start.elapsed();

    let (mut matched, mut fired, mut watched) = (0usize, 0usize, 0usize);
    let start = Instant::now();
    for i in 0..events {
        let e = &decoded[i % decoded.len()];
        let Some(device) = devices.iter().find(|d| d.device_id == e.device_id) else { continue };
        let input = Input::Event { event: e, device };
        let s = Situation::at(night, "armed_away", HomeMode::Away, &states);
        for rule in &rules {
            if rule.watch(device, e).is_some() {
                watched += 1;
            }
            if rule.triggered_by(&input) {
                matched += 1;
                if rule.judge(&s).iter().all(|j| j.ok) {
                    fired += 1;
                    black_box(render("{device} in {zone} at {time}: {event}", rule, &input, &s));
                }
            }
        }
    }
    let evaluate = start.elapsed();
    let per = |d: std::time::Duration| d.as_nanos() as f64 / events as f64;
    println!("rules per home: {RULES}; events: {events}; devices: {}", devices.len());
    println!("decode an event (baseline): {:.0} ns/event", per(decode));
    println!("evaluate 50 rules:          {:.0} ns/event ({:.2} us)", per(evaluate), per(evaluate) / 1000.0);
    println!("ratio evaluate/decode:      {:.2}", per(evaluate) / per(decode));
    println!(
        "triggers matched: {matched}; fired (conditions held): {fired}; state clocks started or stopped: {watched}"
    );
}
