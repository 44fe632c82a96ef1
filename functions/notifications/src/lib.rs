//! The notifications function: takes every notification off the
//! `notifications` topic (from rules, and later the alarm's response and
//! the assistant), stores it once (its id derives from what caused it),
//! pushes it to the recipient's live stream, and delivers it on the
//! recipient's other channels: e-mail to their account's address over SMTP
//! and their own webhook, each retried and behind its breaker, neither
//! waiting for the other. Quiet hours (home time) hold back e-mail and
//! webhooks of what is not urgent until they end; alarms, fire and duress
//! go at once. Every channel's outcome is recorded on the notification.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use homeguard_domain::notification::{Delivery, DeliveryStatus, Notification, Preferences};
use homeguard_domain::{ErrorCode, Topic, channels};
use homeguard_runtime::extract::{Json, Path, Query};
use homeguard_runtime::outbound::{Attempted, Outcome};
use homeguard_runtime::{Caller, FnError, Function};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

homeguard_runtime::holds! {
    /// What notifications hold: their store, the live channels, the
    /// recipients' accounts (their e-mail) and homes (their time zone).
    pub struct NotificationsCtx { notifications, pubsub, sessions, users, homes, bus }
}

/// How long a delivery may take before the clock tries it again (a
/// process that died mid-delivery leaves it pending).
const LEASE: chrono::Duration = chrono::Duration::minutes(2);

/// The function: `/notifications`; stores, pushes and delivers what
/// `notifications` carries, and releases held deliveries when they are due.
pub fn function() -> Function<NotificationsCtx> {
    Function::new(env!("CARGO_PKG_NAME"), "Notifications: stored, pushed live, e-mailed, listed")
        .routes(routes)
        .subscribe(Topic::Notifications, |ctx, ns| Box::pin(async move { on_notifications(&ctx, ns).await }))
        .every("deliveries", Duration::from_secs(5), |ctx, _| Box::pin(async move { deliver_due(&ctx).await }))
}

/// Who a notification is for, read once for planning and delivering it:
/// their account (where e-mail goes), their home (its time zone) and how
/// they want to be reached.
struct Recipient {
    user: Option<homeguard_domain::User>,
    home: Option<homeguard_domain::home::Home>,
    prefs: Preferences,
}

async fn recipient(ctx: &NotificationsCtx, user_id: Uuid) -> Result<Recipient, FnError> {
    Ok(Recipient {
        user: ctx.users.get(user_id).await?,
        home: ctx.homes.get(user_id).await?,
        prefs: ctx.notifications.preferences(user_id).await?.unwrap_or_default(),
    })
}

/// Stores each notification once, pushes the new ones live and delivers them.
#[tracing::instrument(skip_all, fields(notifications = ns.len()))]
pub async fn on_notifications(ctx: &NotificationsCtx, ns: Vec<Notification>) -> Result<(), FnError> {
    let mut live = vec![];
    let mut fresh = vec![];
    for mut n in ns {
        let to = recipient(ctx, n.user_id).await?;
        plan(ctx, &to, &mut n);
        if ctx.notifications.insert(&n).await? {
            tracing::info!(user_id = %n.user_id, notification_id = %n.id, severity = ?n.severity, "notification stored");
            let message = json!({ "type": "notification", "notification": n }).to_string();
            live.push((channels::user_notifications(n.user_id), message));
            fresh.push((n, to));
        }
    }
    if !live.is_empty()
        && let Err(e) = ctx.pubsub.publish_many(&live).await
    {
        tracing::warn!(error = %e, "pushing notifications live failed; they are stored");
    }
    settle_all(ctx, fresh).await
}

/// Releases the deliveries that are due: held ones whose quiet hours are
/// over, and pending ones a stopped process left behind.
pub async fn deliver_due(ctx: &NotificationsCtx) -> Result<(), FnError> {
    let now = ctx.clock.now();
    let mut due = vec![];
    for mut n in ctx.notifications.due(now, 100).await? {
        for d in &mut n.deliveries {
            if d.status == DeliveryStatus::Held {
                d.status = DeliveryStatus::Pending;
                d.detail = "quiet hours are over".into();
            }
        }
        n.next_delivery_at = Some(now + LEASE);
        ctx.notifications.set_deliveries(n.id, &n.deliveries, n.next_delivery_at).await?;
        let to = recipient(ctx, n.user_id).await?;
        due.push((n, to));
    }
    settle_all(ctx, due).await
}

/// Decides each channel's delivery of a new notification: the app's at
/// once, the others pending (or held by quiet hours) or skipped with why.
fn plan(ctx: &NotificationsCtx, to: &Recipient, n: &mut Notification) {
    let now = ctx.clock.now();
    let (prefs, home) = (&to.prefs, &to.home);
    let hold = home.as_ref().and_then(|h| prefs.hold_until(n.severity, h, now));
    let channels = prefs.channels_for(n);
    let mut deliveries = vec![Delivery::new("in_app", DeliveryStatus::Delivered, "stored and pushed live", now)];
    for c in &channels {
        deliveries.push(match (hold, home.as_ref()) {
            (Some(until), Some(h)) => Delivery::new(
                c,
                DeliveryStatus::Held,
                format!("quiet hours: held until {}", h.local(until).format("%H:%M")),
                now,
            ),
            _ => Delivery::new(c, DeliveryStatus::Pending, "", now),
        });
    }
    for asked in n.channels.iter().filter(|a| !["in_app", "push"].contains(&a.as_str())) {
        if !channels.contains(&asked.as_str()) {
            let why = match asked.as_str() {
                "email" => "e-mail is turned off in the notification settings",
                "webhook" => "no webhook is set in the notification settings",
                _ => "not a channel this platform delivers on",
            };
            deliveries.push(Delivery::new(asked, DeliveryStatus::Skipped, why, now));
        }
    }
    n.next_delivery_at =
        if deliveries.iter().any(|d| d.status == DeliveryStatus::Pending) { Some(now + LEASE) } else { hold };
    n.deliveries = deliveries;
}

/// Delivers each notification's pending channels, all at once.
async fn settle_all(ctx: &NotificationsCtx, ns: Vec<(Notification, Recipient)>) -> Result<(), FnError> {
    let results = futures::future::join_all(ns.into_iter().map(|(n, to)| settle(ctx, n, to))).await;
    results.into_iter().collect()
}

/// Sends a notification's pending deliveries side by side and records how
/// each went (and when the next, if any is held, is due).
async fn settle(ctx: &NotificationsCtx, mut n: Notification, to: Recipient) -> Result<(), FnError> {
    if !n.deliveries.iter().any(|d| d.status == DeliveryStatus::Pending) {
        return Ok(());
    }
    let sends = n.deliveries.iter().enumerate().filter(|(_, d)| d.status == DeliveryStatus::Pending).map(|(i, d)| {
        let (n, to) = (&n, &to);
        async move {
            let outcome = match (d.channel.as_str(), &to.user) {
                (_, None) => Err(Attempted { attempts: 0, detail: "the recipient's account is gone".into() }),
                ("email", Some(u)) => email(ctx, n, &u.email, to).await,
                ("webhook", Some(_)) => webhook(ctx, n, to).await,
                (other, Some(_)) => Err(Attempted { attempts: 0, detail: format!("no channel {other}") }),
            };
            (i, outcome)
        }
    });
    let outcomes = futures::future::join_all(sends).await;
    let now = ctx.clock.now();
    let counter = ctx.metrics.counter(
        "notifications_delivered_total",
        "Notification deliveries by channel and outcome",
        &["channel", "status"],
    );
    for (i, outcome) in outcomes {
        let d = &mut n.deliveries[i];
        let (status, Attempted { attempts, detail }) = match outcome {
            Ok(a) => (DeliveryStatus::Delivered, a),
            Err(a) => (DeliveryStatus::Failed, a),
        };
        (d.status, d.attempts, d.detail, d.at) = (status, d.attempts + attempts, detail, now);
        counter
            .with_label_values(&[
                d.channel.as_str(),
                if status == DeliveryStatus::Delivered { "delivered" } else { "failed" },
            ])
            .inc();
        match status {
            DeliveryStatus::Delivered => {
                tracing::info!(notification_id = %n.id, channel = %d.channel, attempts = d.attempts, "notification delivered");
            }
            _ => {
                tracing::warn!(notification_id = %n.id, channel = %d.channel, attempts = d.attempts, reason = %d.detail, "notification delivery failed");
            }
        }
    }
    // What is still held is due when its quiet hours end (set when planned).
    let held = n.deliveries.iter().any(|d| d.status == DeliveryStatus::Held);
    let next = if held { n.next_delivery_at.filter(|t| *t > now).or(Some(now)) } else { None };
    ctx.notifications.set_deliveries(n.id, &n.deliveries, next).await?;
    n.next_delivery_at = next;
    // The app shows how each channel went: tell it.
    let update = json!({ "type": "notification_updated", "notification": n }).to_string();
    if let Err(e) = ctx.pubsub.publish(&channels::user_notifications(n.user_id), &update).await {
        tracing::warn!(error = %e, "pushing a delivery's outcome live failed; it is stored");
    }
    Ok(())
}

async fn email(ctx: &NotificationsCtx, n: &Notification, address: &str, to: &Recipient) -> Outcome {
    let tz = to.home.as_ref().map_or(chrono_tz::UTC, |h| h.tz());
    let when = n.created_at.with_timezone(&tz).format("%a %-d %b %Y, %H:%M %Z");
    let severity =
        serde_json::to_value(n.severity).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    let ack = match ack_link(ctx, n, to) {
        Ok(Some(link)) => format!("\n\nSeen it? Acknowledge (this stops it going further):\n{link}"),
        Ok(None) => String::new(),
        Err(e) => return Err(Attempted { attempts: 0, detail: e.message }),
    };
    let text = format!(
        "{}{ack}\n\nSeverity: {severity}\nAt: {when}\n\n-- \nHomeGuard. Choose which notifications reach you by e-mail, and your quiet hours, in the app's Settings.\n",
        n.body
    );
    ctx.outbound.email(address, &format!("[HomeGuard] {}", n.title), &text, n.id).await
}

/// The signed link that acknowledges the incident `n` asks about, for its recipient.
fn ack_link(ctx: &NotificationsCtx, n: &Notification, to: &Recipient) -> Result<Option<String>, FnError> {
    let Some(incident) = n.acknowledges else {
        return Ok(None);
    };
    let name = to.user.as_ref().map_or("the household", |u| u.name.as_str());
    let by = (name, n.user_id);
    homeguard_usecases::incidents::ack_link(&ctx.auth, &ctx.outbound, n.user_id, incident, by, ctx.clock.wall())
        .map(Some)
}

async fn webhook(ctx: &NotificationsCtx, n: &Notification, to: &Recipient) -> Outcome {
    let Some(url) = &to.prefs.webhook_url else {
        return Err(Attempted { attempts: 0, detail: "no webhook is set any more".into() });
    };
    let body = json!({
        "type": "notification",
        "notification": {
            "id": n.id, "user_id": n.user_id, "title": n.title, "body": n.body, "severity": n.severity,
            "source": n.source, "source_id": n.source_id, "created_at": n.created_at,
            "acknowledge_url": ack_link(ctx, n, to).map_err(|e| Attempted { attempts: 0, detail: e.message })?,
        },
        "sent_at": ctx.clock.now(),
    });
    let bytes = body.to_string().into_bytes();
    let headers = [
        ("x-homeguard-signature", homeguard_runtime::auth::webhook_signature(&ctx.auth, n.user_id, &bytes)),
        ("x-homeguard-delivery", n.id.to_string()),
    ];
    ctx.outbound.post_json(url, &bytes, &headers).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only the unread ones.
    #[serde(default)]
    pub unread: bool,
    pub before: Option<homeguard_domain::page::Cursor>,
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct NotificationList {
    pub notifications: Vec<Notification>,
    pub unread: u64,
    /// Pass as `before` for older ones (none: this was the last page).
    pub next_before: Option<homeguard_domain::page::Cursor>,
}

/// The caller's notifications, newest first, with the unread count.
pub async fn list(ctx: &NotificationsCtx, caller: &Caller, q: ListQuery) -> Result<NotificationList, FnError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(FnError::invalid("limit", "must be from 1 to 200"));
    }
    let notifications = ctx.notifications.list(caller.user_id, q.unread, q.before, limit).await?;
    let next_before = (notifications.len() == limit)
        .then(|| notifications.last().map(|n| homeguard_domain::page::Cursor::after(n.created_at, n.id)))
        .flatten();
    Ok(NotificationList { unread: ctx.notifications.unread(caller.user_id).await?, notifications, next_before })
}

/// Marks one of the caller's notifications read (another's answers 404).
pub async fn read(ctx: &NotificationsCtx, caller: &Caller, id: Uuid) -> Result<(), FnError> {
    if !ctx.notifications.mark_read(caller.user_id, id, ctx.clock.now()).await? {
        return Err(FnError::new(ErrorCode::NotFound, format!("Notification {id} not found")));
    }
    Ok(())
}

/// A notification sent through the API (an n8n workflow's step).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewNotification {
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub severity: homeguard_domain::notification::Severity,
    /// Besides the app: `email`, `webhook`.
    #[serde(default)]
    pub channels: Vec<String>,
    /// Makes a retried request send it once (e.g. n8n's execution id).
    pub key: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Accepted {
    pub notification_id: Uuid,
}

/// Sends the caller a notification: it goes the way every notification
/// does (stored once, pushed live, delivered on the caller's channels).
pub async fn send(ctx: &NotificationsCtx, caller: &Caller, input: NewNotification) -> Result<Accepted, FnError> {
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 100 {
        return Err(FnError::invalid("title", "must be 1 to 100 characters"));
    }
    if input.body.trim().is_empty() || input.body.chars().count() > 2000 {
        return Err(FnError::invalid("body", "must be 1 to 2000 characters"));
    }
    for (i, c) in input.channels.iter().enumerate() {
        if !homeguard_domain::automation::CHANNELS.contains(&c.as_str()) {
            return Err(FnError::invalid(&format!("channels[{i}]"), "must be in_app, push, email or webhook"));
        }
    }
    let id = match &input.key {
        Some(k) if k.is_empty() || k.len() > 200 => return Err(FnError::invalid("key", "must be 1 to 200 characters")),
        Some(k) => Uuid::new_v5(&caller.user_id, format!("api:{k}").as_bytes()),
        None => Uuid::now_v7(),
    };
    let n = Notification::new(
        id,
        caller.user_id,
        homeguard_domain::notification::Source::Api,
        None,
        title,
        input.body,
        input.severity,
        ctx.clock.now(),
    )
    .on(input.channels);
    ctx.bus.publish(vec![homeguard_runtime::bus::notification_message(&n)?]).await?;
    Ok(Accepted { notification_id: id })
}

/// The caller's notification settings, with what they cannot change here.
#[derive(Debug, Serialize)]
pub struct Settings {
    #[serde(flatten)]
    pub preferences: Preferences,
    /// Where e-mail goes: the account's address.
    pub email_address: String,
    /// Whether this installation can send e-mail (`SMTP_URL`).
    pub email_available: bool,
    /// The secret webhooks from this home are signed with, for the
    /// receiver to check `X-HomeGuard-Signature`.
    pub webhook_secret: String,
}

pub async fn settings(ctx: &NotificationsCtx, caller: &Caller) -> Result<Settings, FnError> {
    let user = ctx.users.get(caller.user_id).await?.ok_or_else(|| FnError::unauthorized("The account is gone"))?;
    Ok(Settings {
        preferences: ctx.notifications.preferences(caller.user_id).await?.unwrap_or_default(),
        email_address: user.email,
        email_available: ctx.outbound.mail_configured(),
        webhook_secret: homeguard_runtime::auth::webhook_secret(&ctx.auth, caller.user_id),
    })
}

pub async fn set_settings(ctx: &NotificationsCtx, caller: &Caller, p: Preferences) -> Result<Settings, FnError> {
    p.validate()?;
    ctx.notifications.set_preferences(caller.user_id, &p).await?;
    tracing::info!(user_id = %caller.user_id, quiet_hours = p.quiet_hours.is_some(), email = p.email, "notification settings saved");
    settings(ctx, caller).await
}

type S = State<Arc<NotificationsCtx>>;

fn routes(_: &Arc<NotificationsCtx>) -> Router<Arc<NotificationsCtx>> {
    Router::new()
        .route(
            "/notifications",
            get(|State(ctx): S, c: Caller, Query(q): Query<ListQuery>| async move {
                list(&ctx, &c, q).await.map(axum::Json)
            })
            .post(|State(ctx): S, c: Caller, Json(n): Json<NewNotification>| async move {
                send(&ctx, &c, n).await.map(|a| (StatusCode::ACCEPTED, axum::Json(a)))
            }),
        )
        .route(
            "/notifications/settings",
            get(|State(ctx): S, c: Caller| async move { settings(&ctx, &c).await.map(axum::Json) }).put(
                |State(ctx): S, c: Caller, Json(p): Json<Preferences>| async move {
                    set_settings(&ctx, &c, p).await.map(axum::Json)
                },
            ),
        )
        .route(
            "/notifications/{id}/read",
            post(|State(ctx): S, c: Caller, Path(id): Path<Uuid>| async move {
                read(&ctx, &c, id).await.map(|()| StatusCode::NO_CONTENT)
            }),
        )
}
