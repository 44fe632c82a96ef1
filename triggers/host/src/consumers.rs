//! The host's bus consumers: one task per route of the routing table,
//! polling the bus, handing batches to the route's handler, and committing
//! only what was handled. A retryable failure retries with backoff; a
//! message that can never be handled (it does not decode, or its handler
//! rejects it for good) goes to the dead-letter topic with the reason, so
//! that it cannot block its topic and is not lost.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use homeguard_domain::Topic;
use homeguard_ports::{Delivery, Position};
use homeguard_routes::{ROUTES, Route};
use homeguard_runtime::bus::{self, Rejected};
use homeguard_runtime::{Ctx, FnError};
use prometheus::IntCounterVec;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The most messages one handler call takes.
pub const BATCH: usize = 512;

/// A route's handler: handles a batch, returning the messages it could not
/// even decode.
type Handler = fn(Arc<Ctx>, Vec<Delivery>) -> BoxFuture<'static, Result<Vec<Rejected>, FnError>>;

/// The in-process handler of a route.
pub fn handler(route: &Route) -> Option<Handler> {
    let h: Handler = match (route.consumer, route.topic) {
        (hg_fn_events::CONSUMER, Topic::DeviceEvents) => |ctx, d| {
            Box::pin(async move {
                let d = bus::decode(&d);
                hg_fn_events::store(&ctx, d.items).await.map(|()| d.rejected)
            })
        },
        (hg_fn_state::CONSUMER, Topic::DeviceEvents) => |ctx, d| {
            Box::pin(async move {
                let d = bus::decode(&d);
                hg_fn_state::on_events(&ctx, d.items).await.map(|()| d.rejected)
            })
        },
        (hg_fn_state::CONSUMER, Topic::DeviceHeartbeats) => |ctx, d| {
            Box::pin(async move {
                let d = bus::decode(&d);
                hg_fn_state::on_heartbeats(&ctx, d.items).await.map(|()| d.rejected)
            })
        },
        (hg_fn_readings::CONSUMER, Topic::DeviceEvents) => |ctx, d| {
            Box::pin(async move {
                let d = bus::decode(&d);
                hg_fn_readings::on_events(&ctx, d.items).await.map(|()| d.rejected)
            })
        },
        (hg_fn_readings::CONSUMER, Topic::DeviceHeartbeats) => |ctx, d| {
            Box::pin(async move {
                let d = bus::decode(&d);
                hg_fn_readings::on_heartbeats(&ctx, d.items).await.map(|()| d.rejected)
            })
        },
        (hg_fn_commands::CONSUMER, Topic::DeviceCommands) => |ctx, d| {
            Box::pin(async move {
                let d = bus::decode(&d);
                hg_fn_commands::apply(&ctx, d.items).await.map(|()| d.rejected)
            })
        },
        _ => return None,
    };
    Some(h)
}

#[derive(Clone)]
struct Counters {
    handled: IntCounterVec,
    dropped: IntCounterVec,
}

impl Counters {
    fn new(ctx: &Ctx) -> Self {
        let make = |name: &str, help: &str| {
            let c =
                IntCounterVec::new(prometheus::Opts::new(name, help), &["consumer", "topic"]).expect("valid metric");
            // Registering twice (a second host in one test process) keeps the first.
            let _ = ctx.metrics.registry().register(Box::new(c.clone()));
            c
        };
        Self {
            handled: make("bus_messages_handled_total", "Bus messages handled, by consumer and topic"),
            dropped: make(
                "bus_messages_dead_lettered_total",
                "Bus messages that could never be handled, set aside on the dead-letter topic",
            ),
        }
    }
}

/// Starts one consumer per route; they stop once `shutdown` turns true,
/// after finishing (or abandoning uncommitted) the batch in hand.
pub fn spawn_all(ctx: &Arc<Ctx>, shutdown: &watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let counters = Counters::new(ctx);
    ROUTES
        .iter()
        .map(|route| {
            let handler = handler(route).unwrap_or_else(|| panic!("no handler for {route:?}"));
            tokio::spawn(consume(ctx.clone(), *route, handler, counters.clone(), shutdown.clone()))
        })
        .collect()
}

/// How often a busy consumer commits its position. Positions only bound
/// how much is replayed after a crash (handlers are idempotent), so
/// committing every batch would cost a write per batch for nothing.
pub const COMMIT_EVERY: Duration = Duration::from_millis(250);

async fn consume(
    ctx: Arc<Ctx>,
    route: Route,
    handler: Handler,
    counters: Counters,
    mut shutdown: watch::Receiver<bool>,
) {
    let labels = [route.consumer, route.topic.as_str()];
    let mut backoff = Backoff::new();
    let mut pending = Position::new();
    let mut last_commit = tokio::time::Instant::now();
    while !*shutdown.borrow() {
        let polled = tokio::select! {
            r = ctx.bus.poll(route.consumer, route.topic, BATCH, Duration::from_secs(1)) => r,
            _ = shutdown.changed() => break,
        };
        let batch = match polled {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(consumer = route.consumer, topic = %route.topic, error = %e, "poll failed");
                backoff.wait(&mut shutdown).await;
                continue;
            }
        };
        if !batch.is_empty() {
            let count = batch.len() as u64;
            let reached = Position::after(&batch);
            let Some(dropped) = deliver(&ctx, &route, handler, batch, &mut shutdown).await else {
                // Shutting down mid-retry: leave it uncommitted, to be redelivered.
                break;
            };
            counters.handled.with_label_values(&labels).inc_by(count - dropped);
            counters.dropped.with_label_values(&labels).inc_by(dropped);
            reached.iter().for_each(|(p, o)| pending.set(p, o));
        }
        let idle = last_commit.elapsed() >= COMMIT_EVERY;
        if !pending.is_empty() && idle && commit(&ctx, &route, &pending).await {
            pending = Position::new();
            last_commit = tokio::time::Instant::now();
        }
        backoff.reset();
    }
    if !pending.is_empty() {
        commit(&ctx, &route, &pending).await;
    }
}

async fn commit(ctx: &Ctx, route: &Route, position: &Position) -> bool {
    match ctx.bus.commit(route.consumer, route.topic, position).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(consumer = route.consumer, error = %e, "commit failed; will retry");
            false
        }
    }
}

/// Hands a batch to the handler until it succeeds; returns how many messages
/// were set aside as never handleable, or None when shutdown interrupted.
async fn deliver(
    ctx: &Arc<Ctx>,
    route: &Route,
    handler: Handler,
    batch: Vec<Delivery>,
    shutdown: &mut watch::Receiver<bool>,
) -> Option<u64> {
    let mut backoff = Backoff::new();
    loop {
        match handler(ctx.clone(), batch.clone()).await {
            Ok(rejected) => {
                let count = rejected.len() as u64;
                for r in rejected {
                    set_aside(ctx, route, &r.message, &r.reason, shutdown).await?;
                }
                return Some(count);
            }
            Err(e) if e.retryable || e.code == homeguard_domain::ErrorCode::InternalError => {
                tracing::warn!(consumer = route.consumer, topic = %route.topic, error = %e, "handler failed; retrying");
                if !backoff.wait(shutdown).await {
                    return None;
                }
            }
            Err(e) if batch.len() == 1 => {
                set_aside(ctx, route, &batch[0], &e.to_string(), shutdown).await?;
                return Some(1);
            }
            Err(_) => {
                // Find the bad message(s): deliver one by one.
                let mut dropped = 0;
                for d in batch {
                    dropped += Box::pin(deliver(ctx, route, handler, vec![d], shutdown)).await?;
                }
                return Some(dropped);
            }
        }
    }
}

/// Puts a message on the dead-letter topic, retrying until the bus takes it
/// (a message is never dropped); None when shutdown came first.
async fn set_aside(
    ctx: &Ctx,
    route: &Route,
    message: &Delivery,
    reason: &str,
    shutdown: &mut watch::Receiver<bool>,
) -> Option<()> {
    tracing::error!(consumer = route.consumer, topic = %route.topic, partition = message.partition, offset = message.offset, id = %message.id, reason, "setting aside a message that can never be handled");
    let mut backoff = Backoff::new();
    loop {
        match ctx.bus.dead_letter(route.consumer, message, reason).await {
            Ok(()) => return Some(()),
            Err(e) => {
                tracing::warn!(consumer = route.consumer, error = %e, "dead-lettering failed; retrying");
                if !backoff.wait(shutdown).await {
                    return None;
                }
            }
        }
    }
}

struct Backoff(Duration);

impl Backoff {
    const FIRST: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_secs(5);

    fn new() -> Self {
        Self(Self::FIRST)
    }

    fn reset(&mut self) {
        self.0 = Self::FIRST;
    }

    /// Sleeps, doubling the next wait; false when shutdown came first.
    async fn wait(&mut self, shutdown: &mut watch::Receiver<bool>) -> bool {
        let d = self.0;
        self.0 = (self.0 * 2).min(Self::MAX);
        tokio::select! {
            _ = tokio::time::sleep(d) => !*shutdown.borrow(),
            _ = shutdown.changed() => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_an_in_process_handler() {
        for r in ROUTES {
            assert!(handler(r).is_some(), "no handler for {r:?}");
        }
    }
}
