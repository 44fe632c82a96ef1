//! The monitoring function: reports what the alarm sends to monitoring
//! (the signals it marks for dispatch on `home.alarm`: verified burglary
//! after its abort window, fire, panic, duress, cancels) to the central
//! station over SIA DC-09 with Contact ID, waits for the receiver's ACK
//! (a NAK or silence is tried again, behind a breaker), keeps the line
//! supervised with a `NULL` message every minute, and records every report.
//! Without a central station (`MONITORING_DC09` unset) the record is the
//! monitoring: admins read it at `GET /monitoring/reports`. Each signal is
//! reported once: a redelivered change finds its reports done.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use homeguard_domain::Topic;
use homeguard_domain::alarm::{LogEntry, Qualifier};
use homeguard_domain::dc09::{Payload, Report};
use homeguard_runtime::extract::Query;
use homeguard_runtime::{Caller, FnError, Function};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

homeguard_runtime::holds! {
    /// What monitoring holds: its reports and the devices (each sensor's
    /// zone number at the central station).
    pub struct MonitoringCtx { reports, devices, sessions }
}

/// How often the line to the central station is supervised.
pub const SUPERVISION: Duration = Duration::from_secs(60);

/// The function: reports `home.alarm`'s dispatched signals; `/monitoring/reports`.
pub fn function() -> Function<MonitoringCtx> {
    Function::new(env!("CARGO_PKG_NAME"), "Monitoring: alarms reported to the central station over SIA DC-09")
        .routes(routes)
        .subscribe(Topic::HomeAlarm, |ctx, changes| Box::pin(async move { on_alarm(&ctx, changes).await }))
        .every("supervision", SUPERVISION, |ctx, _| Box::pin(async move { supervise(&ctx).await }))
}

/// A change of a home's alarm as `home.alarm` carries it.
#[derive(Debug, Clone, Deserialize)]
pub struct AlarmChange {
    pub user_id: Uuid,
    #[serde(default)]
    pub entries: Vec<LogEntry>,
}

/// Reports each dispatched signal of each change, once.
#[tracing::instrument(skip_all, fields(changes = changes.len()))]
pub async fn on_alarm(ctx: &MonitoringCtx, changes: Vec<AlarmChange>) -> Result<(), FnError> {
    for change in changes {
        for entry in change.entries.iter().filter(|e| e.dispatch && e.code.is_some()) {
            if ctx.reports.get(entry.id).await?.is_some_and(|r| r.status != "failed") {
                continue;
            }
            report(ctx, change.user_id, entry).await?;
        }
    }
    Ok(())
}

/// A sensor's zone number at the central station: its place among the
/// home's devices in the order they were added (000: no zone).
async fn zone_number(ctx: &MonitoringCtx, user: Uuid, zone: Option<Uuid>) -> Result<u16, FnError> {
    let Some(zone) = zone else { return Ok(0) };
    let mut devices = ctx.devices.list_for_user(user).await?;
    devices.sort_by_key(|d| (d.created_at, d.device_id));
    Ok(devices.iter().position(|d| d.device_id == zone).map_or(0, |i| u16::try_from(i + 1).unwrap_or(999).min(999)))
}

async fn report(ctx: &MonitoringCtx, user: Uuid, entry: &LogEntry) -> Result<(), FnError> {
    let code = entry.code.unwrap_or_default();
    let qualifier = match entry.qualifier {
        Some(Qualifier::Restore) => 3,
        Some(Qualifier::Status) => 6,
        _ => 1,
    };
    let zone = zone_number(ctx, user, entry.zone).await?;
    let (status, attempts, detail) = if ctx.outbound.monitoring_receiver().is_none() {
        ("local", 0, "no central station is configured: recorded here for the platform's monitoring".to_owned())
    } else {
        match ctx.outbound.report(Payload::Event { qualifier, code, partition: 1, zone }).await {
            Ok(a) => ("acknowledged", a.attempts, a.detail),
            Err(a) if a.detail.starts_with("DUH") => ("refused", a.attempts, a.detail),
            Err(a) => ("failed", a.attempts, a.detail),
        }
    };
    let r = Report {
        id: entry.id,
        user_id: user,
        code,
        qualifier,
        zone,
        text: entry.text.clone(),
        at: entry.at,
        sent_at: ctx.clock.wall(),
        status: status.into(),
        attempts,
        detail,
    };
    ctx.reports.put(&r).await?;
    ctx.metrics
        .counter("monitoring_reports_total", "Alarm signals reported to monitoring, by outcome", &["status"])
        .with_label_values(&[status])
        .inc();
    if status == "failed" {
        tracing::error!(user_id = %user, code, attempts, reason = %r.detail, "the central station did not take an alarm report");
    } else {
        tracing::info!(user_id = %user, code, zone, status, "alarm reported to monitoring");
    }
    Ok(())
}

/// The supervision message: the line and the platform are alive.
pub async fn supervise(ctx: &MonitoringCtx) -> Result<(), FnError> {
    if ctx.outbound.monitoring_receiver().is_none() {
        return Ok(());
    }
    let status = match ctx.outbound.report(Payload::Null).await {
        Ok(_) => "acknowledged",
        Err(a) => {
            tracing::warn!(reason = %a.detail, "monitoring supervision failed");
            "failed"
        }
    };
    ctx.metrics
        .counter("monitoring_supervision_total", "Supervision messages to the central station, by outcome", &["status"])
        .with_label_values(&[status])
        .inc();
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportsQuery {
    pub user_id: Option<Uuid>,
    pub before: Option<homeguard_domain::page::Cursor>,
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct Reports {
    /// The central station's receiver, or none (the platform's own log).
    pub receiver: Option<String>,
    pub reports: Vec<Report>,
    pub next_before: Option<homeguard_domain::page::Cursor>,
}

/// `GET /monitoring/reports`: admins only (it holds what only monitoring
/// may see, such as duress).
pub async fn reports(ctx: &MonitoringCtx, caller: &Caller, q: ReportsQuery) -> Result<Reports, FnError> {
    caller.require_admin()?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(FnError::invalid("limit", "must be from 1 to 200"));
    }
    let reports = ctx.reports.list(q.user_id, q.before, limit).await?;
    let next_before = (reports.len() == limit)
        .then(|| reports.last().map(|r| homeguard_domain::page::Cursor::after(r.at, r.id)))
        .flatten();
    Ok(Reports { receiver: ctx.outbound.monitoring_receiver().map(str::to_owned), reports, next_before })
}

type S = State<Arc<MonitoringCtx>>;

fn routes(_: &Arc<MonitoringCtx>) -> Router<Arc<MonitoringCtx>> {
    Router::new().route(
        "/monitoring/reports",
        get(|State(ctx): S, c: Caller, Query(q): Query<ReportsQuery>| async move {
            reports(&ctx, &c, q).await.map(axum::Json)
        }),
    )
}
