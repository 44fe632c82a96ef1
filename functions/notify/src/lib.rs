//! The notification stream (the requirements' Notification Service):
//! `GET /events/stream` upgrades to a WebSocket that pushes a user's home
//! live. The client chooses what to hear with
//! `{"action":"subscribe","channels":["events","devices","agent","alarm"]}`; a
//! user only ever hears their own home, and only an admin may subscribe to
//! `global`. A client that cannot keep up is disconnected with a close
//! reason, so that it never slows the pipeline.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use futures::StreamExt;
use homeguard_domain::{ErrorCode, channels};
use homeguard_ports::{PubSubItem, Subscription};
use homeguard_runtime::extract::Query;
use homeguard_runtime::{Caller, FnError, Function, auth};
use homeguard_usecases::access;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

homeguard_runtime::holds! {
    /// What the notification stream holds: sessions (a stream closes when
    /// its session ends), the pub/sub it listens to, each home's device set
    /// and the registry (to check a `device:<id>` subscription).
    pub struct NotifyCtx { sessions, pubsub, state, devices }
}

/// The function: `GET /events/stream`.
pub fn function() -> Function<NotifyCtx> {
    Function::new(env!("CARGO_PKG_NAME"), "Live notification stream (WebSocket)").always_on().routes(routes)
}

/// How long one message may take to reach a client before it counts as too slow.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a connection is pinged, and its session checked (a logout
/// closes the user's open streams within this long).
pub const PING_EVERY: Duration = Duration::from_secs(30);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// For browsers, which cannot set headers on a WebSocket.
    pub token: Option<String>,
}

/// A client's request over the socket.
#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum ClientMessage {
    Subscribe { channels: Vec<String> },
    Unsubscribe { channels: Vec<String> },
    Ping,
}

/// The pub/sub channels behind one protocol channel, as `caller` may hear them.
pub async fn resolve(ctx: &NotifyCtx, caller: &Caller, channel: &str) -> Result<Vec<String>, FnError> {
    let user = caller.user_id;
    match channel {
        "events" => Ok(vec![channels::user_events(user)]),
        "agent" => Ok(vec![channels::agent_responses(user)]),
        "alarm" => Ok(vec![channels::home_alarm(user)]),
        "notifications" => Ok(vec![channels::user_notifications(user)]),
        "global" => {
            caller.require_admin().map_err(|_| FnError::forbidden("Only an admin may subscribe to global"))?;
            Ok(vec![channels::GLOBAL_EVENTS.into()])
        }
        "devices" => {
            let ids = if caller.is_admin() {
                ctx.devices.list_all().await?.into_iter().map(|d| d.device_id).collect()
            } else {
                ctx.state.user_devices(user).await?
            };
            Ok(ids.into_iter().map(channels::device_state).collect())
        }
        other => {
            let device = other.strip_prefix("device:").and_then(|id| Uuid::parse_str(id).ok()).ok_or_else(|| {
                FnError::invalid(
                    "channels",
                    format!(
                        "unknown channel '{other}' (events, devices, agent, alarm, notifications, global, device:<id>)"
                    ),
                )
            })?;
            access::device(ctx, caller, device).await?;
            Ok(vec![channels::device_state(device)])
        }
    }
}

fn error_frame(e: &FnError) -> String {
    json!({ "type": "error", "code": e.code, "message": e.message }).to_string()
}

async fn next_item(sub: &mut Option<Subscription>) -> Option<PubSubItem> {
    match sub {
        Some(s) => s.next().await,
        None => std::future::pending().await,
    }
}

enum Flow {
    Continue,
    Close(u16, String),
}

struct Session {
    ctx: Arc<NotifyCtx>,
    caller: Caller,
    /// Protocol channels subscribed, and the pub/sub channels behind them.
    subscribed: BTreeSet<String>,
    sub: Option<Subscription>,
}

impl Session {
    async fn resubscribe(&mut self) -> Result<(), FnError> {
        let mut channels = vec![];
        for c in &self.subscribed {
            channels.extend(resolve(&self.ctx, &self.caller, c).await?);
        }
        self.sub = if channels.is_empty() { None } else { Some(self.ctx.pubsub.subscribe(&channels).await?) };
        Ok(())
    }

    /// Answers one client message.
    async fn on_client(&mut self, text: &str) -> String {
        let msg: ClientMessage = match serde_json::from_str(text) {
            Ok(m) => m,
            Err(e) => {
                return error_frame(&FnError::new(ErrorCode::MalformedRequest, format!("Unreadable message: {e}")));
            }
        };
        match msg {
            ClientMessage::Ping => json!({ "type": "pong" }).to_string(),
            ClientMessage::Subscribe { channels } => {
                for c in &channels {
                    if let Err(e) = resolve(&self.ctx, &self.caller, c).await {
                        return error_frame(&e);
                    }
                }
                self.subscribed.extend(channels);
                match self.resubscribe().await {
                    Ok(()) => json!({ "type": "subscribed", "channels": self.subscribed }).to_string(),
                    Err(e) => error_frame(&e),
                }
            }
            ClientMessage::Unsubscribe { channels } => {
                for c in &channels {
                    self.subscribed.remove(c);
                }
                match self.resubscribe().await {
                    Ok(()) => json!({ "type": "subscribed", "channels": self.subscribed }).to_string(),
                    Err(e) => error_frame(&e),
                }
            }
        }
    }
}

async fn send(socket: &mut WebSocket, text: String) -> Flow {
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => Flow::Continue,
        Ok(Err(_)) => Flow::Close(close_code::AWAY, "connection lost".into()),
        Err(_) => Flow::Close(close_code::AGAIN, "client too slow".into()),
    }
}

/// Sends a message and every other one already waiting, with one flush:
/// under load, a write per message would cost a syscall each.
async fn forward(socket: &mut WebSocket, sub: &mut Option<Subscription>, first: Arc<str>) -> Flow {
    use futures::{FutureExt, SinkExt};
    let write = async {
        socket.feed(Message::Text(first.to_string().into())).await?;
        for _ in 0..256 {
            match sub.as_mut().and_then(|s| s.next().now_or_never()) {
                Some(Some(PubSubItem::Message { payload, .. })) => {
                    socket.feed(Message::Text(payload.to_string().into())).await?
                }
                Some(Some(PubSubItem::Lagged(n))) => return Ok(Some(n)),
                _ => break,
            }
        }
        socket.flush().await.map(|()| None)
    };
    match tokio::time::timeout(SEND_TIMEOUT, write).await {
        Ok(Ok(None)) => Flow::Continue,
        Ok(Ok(Some(n))) => Flow::Close(
            close_code::AGAIN,
            format!("client too slow: {n} messages dropped; reconnect and read GET /events"),
        ),
        Ok(Err(_)) => Flow::Close(close_code::AWAY, "connection lost".into()),
        Err(_) => Flow::Close(close_code::AGAIN, "client too slow".into()),
    }
}

/// Whether the stream's session was revoked (logout) since it opened. A
/// store that cannot answer keeps the stream open: the next check decides.
async fn session_ended(ctx: &NotifyCtx, caller: &Caller) -> bool {
    match ctx.sessions.get(caller.session_id).await {
        Ok(Some(s)) => !s.is_active(ctx.clock.wall()),
        Ok(None) => true,
        Err(e) => {
            tracing::warn!(error = %e, "could not check a stream's session");
            false
        }
    }
}

async fn run(ctx: Arc<NotifyCtx>, caller: Caller, mut socket: WebSocket) {
    let mut session = Session { ctx, caller, subscribed: BTreeSet::new(), sub: None };
    let expires_in = (session.caller.expires_at - session.ctx.clock.wall()).to_std().unwrap_or_default();
    let expiry = tokio::time::sleep(expires_in);
    tokio::pin!(expiry);
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let hello = json!({ "type": "connected", "user_id": session.caller.user_id }).to_string();
    let mut flow = send(&mut socket, hello).await;
    while let Flow::Continue = flow {
        flow = tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let reply = session.on_client(text.as_str()).await;
                    send(&mut socket, reply).await
                }
                Some(Ok(Message::Binary(_))) => {
                    let e = FnError::new(ErrorCode::UnsupportedMediaType, "Send JSON text messages");
                    send(&mut socket, error_frame(&e)).await
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => Flow::Continue,
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => Flow::Close(close_code::NORMAL, String::new()),
            },
            item = next_item(&mut session.sub) => match item {
                Some(PubSubItem::Message { payload, .. }) => forward(&mut socket, &mut session.sub, payload).await,
                Some(PubSubItem::Lagged(n)) => {
                    tracing::info!(user_id = %session.caller.user_id, dropped = n, "disconnecting a slow client");
                    Flow::Close(close_code::AGAIN, format!("client too slow: {n} messages dropped; reconnect and read GET /events"))
                }
                None => Flow::Close(close_code::AWAY, "stream ended".into()),
            },
            _ = ping.tick() => {
                if session_ended(&session.ctx, &session.caller).await {
                    Flow::Close(close_code::POLICY, "session ended; log in again".into())
                } else {
                    match socket.send(Message::Ping(Default::default())).await {
                        Ok(()) => Flow::Continue,
                        Err(_) => Flow::Close(close_code::AWAY, "connection lost".into()),
                    }
                }
            },
            _ = &mut expiry => Flow::Close(close_code::POLICY, "token expired; reconnect with a new token".into()),
        };
    }
    if let Flow::Close(code, reason) = flow {
        let frame = CloseFrame { code, reason: Utf8Bytes::from(reason) };
        let _ = tokio::time::timeout(Duration::from_secs(1), socket.send(Message::Close(Some(frame)))).await;
    }
}

/// `GET /events/stream`: authenticates (bearer header, or `token` for
/// browsers), then upgrades.
pub async fn stream(
    ctx: Arc<NotifyCtx>,
    headers: &HeaderMap,
    q: StreamQuery,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, FnError> {
    let token = match (auth::bearer_token(headers), q.token.as_deref()) {
        (Ok(t), _) => t.to_owned(),
        (Err(_), Some(t)) if !t.is_empty() => t.to_owned(),
        (Err(e), _) => return Err(e),
    };
    let caller = auth::authenticate(&*ctx, &token).await?;
    let upgrade =
        upgrade.map_err(|r| FnError::malformed(format!("This endpoint is a WebSocket: {}", r.body_text())))?;
    tracing::info!(user_id = %caller.user_id, "stream opened");
    Ok(upgrade.on_upgrade(move |socket| run(ctx, caller, socket)))
}

fn routes(_: &Arc<NotifyCtx>) -> Router<Arc<NotifyCtx>> {
    Router::new().route(
        "/events/stream",
        get(
            |State(ctx): State<Arc<NotifyCtx>>,
             headers: HeaderMap,
             Query(q): Query<StreamQuery>,
             upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>| async move {
                stream(ctx, &headers, q, upgrade).await
            },
        ),
    )
}
