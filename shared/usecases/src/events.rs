//! The event feed: a home's events, newest first, filtered and paged (the
//! API's `GET /events` and the AI tools' recent events).

use chrono::{DateTime, Utc};
use homeguard_domain::{Event, EventType};
use homeguard_ports::{Cursor, EventQuery};
use homeguard_runtime::ports::{HasDevices, HasEvents};
use homeguard_runtime::{Caller, FnError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access;

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 500;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    pub device_id: Option<Uuid>,
    pub event_type: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
    /// Admins only: one home's feed (without it, an admin sees every home).
    pub user_id: Option<Uuid>,
}

#[derive(Debug, Serialize)]
pub struct Feed {
    pub events: Vec<Event>,
    pub count: usize,
    pub next_cursor: Option<String>,
}

/// `GET /events`: the caller's events, newest first, filtered and paged.
pub async fn feed(ctx: &(impl HasEvents + HasDevices), caller: &Caller, q: FeedQuery) -> Result<Feed, FnError> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(FnError::invalid("limit", format!("must be from 1 to {MAX_LIMIT}")));
    }
    if let (Some(from), Some(to)) = (q.from, q.to)
        && from >= to
    {
        return Err(FnError::invalid("from", "must be before to"));
    }
    let after = q
        .cursor
        .as_deref()
        .map(|c| Cursor::decode(c).ok_or_else(|| FnError::invalid("cursor", "is not a cursor this API returned")))
        .transpose()?;
    let event_type = q.event_type.as_deref().map(EventType::parse).transpose()?;
    let user_id = match q.user_id {
        Some(u) if u != caller.user_id => {
            caller.require_admin()?;
            Some(u)
        }
        Some(u) => Some(u),
        None if caller.is_admin() => None,
        None => Some(caller.user_id),
    };
    if let Some(device) = q.device_id {
        access::device_history(ctx, caller, device).await?;
    }
    let query =
        EventQuery { user_id, device_id: q.device_id, event_type, from: q.from, to: q.to, after, limit: limit + 1 };
    let mut events = ctx.events().query(&query).await?;
    let next_cursor = if events.len() > limit {
        events.truncate(limit);
        events.last().map(|e| Cursor { timestamp: e.timestamp, event_id: e.event_id }.encode())
    } else {
        None
    };
    Ok(Feed { count: events.len(), events, next_cursor })
}
