//! A home's alarm as a whole: its record loaded with what it is judged
//! against (the home, its devices and zones), changed in one transaction
//! with its log lines (again from the newer record when another change
//! came first), and announced to monitoring and the household. The alarm
//! function's endpoints, its judgement of events and its clock change it
//! through here, and so do the automations' arm and mode actions.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use homeguard_domain::alarm::{Actor, AlarmRecord, ArmMode, LogEntry, Step, Zone};
use homeguard_domain::home::Home;
use homeguard_domain::security::Decision;
use homeguard_domain::{Device, DeviceType, ErrorCode, HomeMode, channels};
use homeguard_runtime::ports::{HasAlarm, HasBus, HasDevices, HasHomes, HasPubSub, HasState, Holds};
use homeguard_runtime::{FnError, bus};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

/// What changing a home's alarm needs.
pub trait AlarmPorts: HasAlarm + HasHomes + HasDevices + HasState + HasBus + HasPubSub + Holds {}

impl<T: HasAlarm + HasHomes + HasDevices + HasState + HasBus + HasPubSub + Holds> AlarmPorts for T {}

/// The time zone of a home that has not chosen one.
pub const DEFAULT_TIME_ZONE: &str = "UTC";

/// The home's settings, created with the defaults on first use.
pub async fn home_of(ctx: &impl AlarmPorts, user: Uuid) -> Result<Home, FnError> {
    if let Some(h) = ctx.homes().get(user).await? {
        return Ok(h);
    }
    let home = Home::new(user, DEFAULT_TIME_ZONE, ctx.clock().now())?;
    ctx.homes().put(&home).await?;
    Ok(home)
}

/// A home's alarm with what it is judged against: the home's settings, its devices and their zones.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub record: AlarmRecord,
    pub home: Home,
    pub devices: Vec<Device>,
    pub zones: BTreeMap<Uuid, Zone>,
}

/// A home's alarm as it stands, creating it (with the doors the state
/// store says are open) on first use.
pub async fn load(ctx: &impl AlarmPorts, user: Uuid) -> Result<Loaded, FnError> {
    // Three reads, at once: this is on the way from a sensor's event to its decision.
    let (home, devices, record) = tokio::try_join!(
        home_of(ctx, user),
        async { ctx.devices().list_for_user(user).await.map_err(FnError::from) },
        async { ctx.alarm().load(user).await.map_err(FnError::from) },
    )?;
    let zones = home.zones_of(&devices);
    let record = match record {
        Some(r) => r,
        None => {
            let mut r = AlarmRecord::new(user, ctx.clock().now());
            let doors: Vec<Uuid> =
                devices.iter().filter(|d| d.device_type == DeviceType::Door).map(|d| d.device_id).collect();
            for (id, state) in doors.iter().zip(ctx.state().get_many(&doors).await?) {
                if state.get("open") == Some(&Value::Bool(true)) {
                    r.panel.open.insert(*id);
                }
            }
            r
        }
    };
    Ok(Loaded { record, home, devices, zones })
}

/// How often a change is tried again when another one was saved first.
const ATTEMPTS: usize = 8;

/// Applies `f` to the home's alarm, then saves the record with the log
/// lines of what happened, in one transaction, and announces it. When
/// another change was saved in between, it starts again from the newer
/// record (so `f` must only change the record it is given).
pub async fn change<T>(
    ctx: &impl AlarmPorts,
    user: Uuid,
    by: Option<&Actor>,
    f: impl Fn(&mut AlarmRecord, &Loaded, DateTime<Utc>) -> Result<(Step, T), FnError>,
) -> Result<(Loaded, T), FnError> {
    change_with(ctx, user, by, f, async |_: &[Decision]| Ok(())).await
}

/// [`change`], and once the change is saved, `also` with the decisions it
/// made, at the same time as the change is announced (the alarm records
/// them so, the two writes overlapping).
pub async fn change_with<T>(
    ctx: &impl AlarmPorts,
    user: Uuid,
    by: Option<&Actor>,
    f: impl Fn(&mut AlarmRecord, &Loaded, DateTime<Utc>) -> Result<(Step, T), FnError>,
    also: impl AsyncFnOnce(&[Decision]) -> Result<(), FnError>,
) -> Result<(Loaded, T), FnError> {
    for _ in 0..ATTEMPTS {
        let mut loaded = load(ctx, user).await?;
        let now = ctx.clock().now();
        let mut record = loaded.record.clone();
        let (step, out) = f(&mut record, &loaded, now)?;
        if record == loaded.record && step == Step::default() {
            return Ok((loaded, out));
        }
        record.version += 1;
        let entries = record.entries(&step, by);
        if ctx.alarm().save(&record, &entries).await? {
            loaded.record = record;
            let ((), done) =
                tokio::join!(announce(ctx, &loaded, &entries, &step.decisions, now), also(&step.decisions));
            done?;
            return Ok((loaded, out));
        }
    }
    Err(FnError { retryable: true, ..FnError::new(ErrorCode::ServiceUnavailable, "The alarm is changing; try again") })
}

/// Tells monitoring and the security response (`home.alarm`: every entry
/// and the decisions on the events) and the household's live channel (the
/// new view and what it may see). The record is saved first: a failure here
/// is logged, and the store stays the truth.
pub async fn announce(
    ctx: &impl AlarmPorts,
    l: &Loaded,
    entries: &[LogEntry],
    decisions: &[Decision],
    now: DateTime<Utc>,
) {
    if entries.is_empty() && decisions.is_empty() {
        return;
    }
    let user = l.record.user_id;
    let message = json!({
        "user_id": user,
        "version": l.record.version,
        "state": l.record.panel.state_name(),
        "mode": l.record.mode,
        "at": now,
        "entries": entries,
        "decisions": decisions,
    });
    match bus::alarm_message(user, Uuid::now_v7(), &message) {
        Ok(m) => {
            if let Err(e) = ctx.bus().publish(vec![m]).await {
                tracing::warn!(user_id = %user, error = %e, "publishing the alarm's change failed");
            }
        }
        Err(e) => tracing::warn!(error = %e, "encoding the alarm's change failed"),
    }
    if entries.is_empty() {
        return;
    }
    let household: Vec<EntryView> =
        entries.iter().filter(|e| !e.monitoring_only).map(|e| entry_view(e, &l.zones, false)).collect();
    let live = json!({ "type": "alarm", "alarm": view(l, now), "entries": household }).to_string();
    if let Err(e) = ctx.pubsub().publish(&channels::home_alarm(user), &live).await {
        tracing::warn!(user_id = %user, error = %e, "announcing the alarm's change failed");
    }
}

/// A sensor, as the API names it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZoneRef {
    pub device_id: Uuid,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_type: Option<&'static str>,
}

pub fn zone_ref(zones: &BTreeMap<Uuid, Zone>, id: Uuid, with_type: bool) -> ZoneRef {
    match zones.get(&id) {
        Some(z) => ZoneRef { device_id: id, name: z.name.clone(), zone_type: with_type.then(|| z.zone_type.as_str()) },
        None => ZoneRef { device_id: id, name: "a removed sensor".into(), zone_type: None },
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AlarmInfo {
    pub kind: homeguard_domain::alarm::AlarmKind,
    pub code: u16,
    pub zone: Option<ZoneRef>,
    pub at: DateTime<Utc>,
    pub sent: bool,
    pub abort_until: Option<DateTime<Utc>>,
}

/// `GET /home/alarm`, and the answer of every command. It carries no time
/// but the deadlines of what runs, so that two disarms of one state answer
/// alike whatever code did it.
#[derive(Debug, Clone, Serialize)]
pub struct AlarmView {
    pub state: String,
    pub mode: HomeMode,
    pub arm_mode: Option<ArmMode>,
    pub mode_until: Option<DateTime<Utc>>,
    pub return_mode: Option<HomeMode>,
    pub deadline: Option<DateTime<Utc>>,
    pub seconds_left: Option<i64>,
    pub open: Vec<ZoneRef>,
    pub bypassed: Vec<ZoneRef>,
    pub reason: String,
    pub alarm: Option<AlarmInfo>,
    pub siren: bool,
    pub settling: bool,
    pub lockout_until: Option<DateTime<Utc>>,
}

pub fn view(l: &Loaded, now: DateTime<Utc>) -> AlarmView {
    let r = &l.record;
    let p = &r.panel;
    AlarmView {
        state: p.state_name(),
        mode: r.mode,
        arm_mode: p.mode,
        mode_until: r.mode_until,
        return_mode: r.return_mode,
        deadline: p.deadline,
        seconds_left: p.deadline.map(|d| ((d - now).num_milliseconds().max(0) + 999) / 1000),
        open: p.open.iter().map(|id| zone_ref(&l.zones, *id, true)).collect(),
        bypassed: p.bypassed.iter().map(|id| zone_ref(&l.zones, *id, false)).collect(),
        reason: r.reason.clone(),
        alarm: p.alarm.as_ref().map(|a| AlarmInfo {
            kind: a.kind,
            code: a.code,
            zone: a.zone.map(|z| zone_ref(&l.zones, z, false)),
            at: a.at,
            sent: a.sent_at.is_some(),
            abort_until: a.abort_until.filter(|_| a.sent_at.is_none()),
        }),
        siren: p.siren_until.is_some_and(|t| now < t),
        settling: p.settle_until.is_some_and(|t| now < t),
        lockout_until: r.locked(now),
    }
}

/// One line of the history as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct EntryView {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub kind: homeguard_domain::alarm::EntryKind,
    pub code: Option<u16>,
    pub text: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub zone: Option<ZoneRef>,
    pub by: Option<String>,
    /// For admins: whether it went to monitoring, and whether only monitoring sees it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dispatch: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitoring_only: Option<bool>,
}

pub fn entry_view(e: &LogEntry, zones: &BTreeMap<Uuid, Zone>, admin: bool) -> EntryView {
    EntryView {
        id: e.id,
        at: e.at,
        kind: e.kind,
        code: e.code,
        text: e.text.clone(),
        from: e.from.clone(),
        to: e.to.clone(),
        zone: e.zone.map(|z| zone_ref(zones, z, false)),
        by: e.by.clone(),
        dispatch: admin.then_some(e.dispatch),
        monitoring_only: admin.then_some(e.monitoring_only),
    }
}
