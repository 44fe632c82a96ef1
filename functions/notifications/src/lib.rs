//! The notifications function: takes every notification off the
//! `notifications` topic (from rules, and later the alarm's response and
//! the assistant), stores it once (its id derives from what caused it),
//! pushes it to the recipient's live stream, and serves the recipient's
//! list. In-app is always a channel; e-mail and push delivery come next.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use homeguard_domain::notification::Notification;
use homeguard_domain::{ErrorCode, Topic, channels};
use homeguard_runtime::extract::{Path, Query};
use homeguard_runtime::{Caller, FnError, Function};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

homeguard_runtime::holds! {
    /// What notifications hold: their store and the live channels.
    pub struct NotificationsCtx { notifications, pubsub, sessions }
}

/// The function: `/notifications`; stores and pushes what `notifications` carries.
pub fn function() -> Function<NotificationsCtx> {
    Function::new(env!("CARGO_PKG_NAME"), "Notifications: stored, pushed live, listed")
        .routes(routes)
        .subscribe(Topic::Notifications, |ctx, ns| Box::pin(async move { on_notifications(&ctx, ns).await }))
}

/// Stores each notification once and pushes the new ones live.
#[tracing::instrument(skip_all, fields(notifications = ns.len()))]
pub async fn on_notifications(ctx: &NotificationsCtx, ns: Vec<Notification>) -> Result<(), FnError> {
    let mut live = vec![];
    for n in ns {
        if ctx.notifications.insert(&n).await? {
            tracing::info!(user_id = %n.user_id, notification_id = %n.id, severity = ?n.severity, "notification stored");
            let message = json!({ "type": "notification", "notification": n }).to_string();
            live.push((channels::user_notifications(n.user_id), message));
        }
    }
    if !live.is_empty()
        && let Err(e) = ctx.pubsub.publish_many(&live).await
    {
        tracing::warn!(error = %e, "pushing notifications live failed; they are stored");
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only the unread ones.
    #[serde(default)]
    pub unread: bool,
    pub before: Option<DateTime<Utc>>,
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct NotificationList {
    pub notifications: Vec<Notification>,
    pub unread: u64,
    /// Pass as `before` for older ones (none: this was the last page).
    pub next_before: Option<DateTime<Utc>>,
}

/// The caller's notifications, newest first, with the unread count.
pub async fn list(ctx: &NotificationsCtx, caller: &Caller, q: ListQuery) -> Result<NotificationList, FnError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(FnError::invalid("limit", "must be from 1 to 200"));
    }
    let notifications = ctx.notifications.list(caller.user_id, q.unread, q.before, limit).await?;
    let next_before = (notifications.len() == limit).then(|| notifications.last().map(|n| n.created_at)).flatten();
    Ok(NotificationList { unread: ctx.notifications.unread(caller.user_id).await?, notifications, next_before })
}

/// Marks one of the caller's notifications read (another's answers 404).
pub async fn read(ctx: &NotificationsCtx, caller: &Caller, id: Uuid) -> Result<(), FnError> {
    if !ctx.notifications.mark_read(caller.user_id, id, ctx.clock.now()).await? {
        return Err(FnError::new(ErrorCode::NotFound, format!("Notification {id} not found")));
    }
    Ok(())
}

type S = State<Arc<NotificationsCtx>>;

fn routes(_: &Arc<NotificationsCtx>) -> Router<Arc<NotificationsCtx>> {
    Router::new()
        .route(
            "/notifications",
            get(|State(ctx): S, c: Caller, Query(q): Query<ListQuery>| async move {
                list(&ctx, &c, q).await.map(axum::Json)
            }),
        )
        .route(
            "/notifications/{id}/read",
            post(|State(ctx): S, c: Caller, Path(id): Path<Uuid>| async move {
                read(&ctx, &c, id).await.map(|()| StatusCode::NO_CONTENT)
            }),
        )
}
