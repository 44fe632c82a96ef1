//! The host's bus consumers: one task per subscription of each function,
//! polling the bus, handing batches to its handler, and committing
//! only what was handled. A failing message is retried under the delivery
//! policy (the same numbers as the generated KafkaSources'), then goes to
//! the dead-letter topic with the reason, as does a message that can never
//! be handled (it does not decode, or its handler refuses it for good), so
//! that it cannot block its topic and is not lost.

use std::sync::Arc;
use std::time::Duration;

use homeguard_ports::{Delivery, Position};
use homeguard_runtime::Ctx;
use homeguard_runtime::function::{Consumer, DELIVERY};
use prometheus::IntCounterVec;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The most messages one handler call takes.
pub const BATCH: usize = 512;

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

/// Starts the consumers; they stop once `shutdown` turns true, after
/// finishing (or abandoning uncommitted) the batch in hand.
pub fn spawn_all(ctx: &Arc<Ctx>, consumers: Vec<Consumer>, shutdown: &watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let counters = Counters::new(ctx);
    consumers
        .into_iter()
        .map(|c| tokio::spawn(consume(ctx.clone(), Arc::new(c), counters.clone(), shutdown.clone())))
        .collect()
}

/// How often a busy consumer commits its position. Positions only bound
/// how much is replayed after a crash (handlers are idempotent), so
/// committing every batch would cost a write per batch for nothing.
pub const COMMIT_EVERY: Duration = Duration::from_millis(250);

async fn consume(ctx: Arc<Ctx>, route: Arc<Consumer>, counters: Counters, mut shutdown: watch::Receiver<bool>) {
    let labels = [route.name, route.topic.as_str()];
    let mut backoff = Backoff::new();
    let mut pending = Position::new();
    let mut last_commit = tokio::time::Instant::now();
    while !*shutdown.borrow() {
        let polled = tokio::select! {
            r = ctx.bus.poll(route.name, route.topic, BATCH, Duration::from_secs(1)) => r,
            _ = shutdown.changed() => break,
        };
        let batch = match polled {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(consumer = route.name, topic = %route.topic, error = %e, "poll failed");
                backoff.wait(&mut shutdown).await;
                continue;
            }
        };
        if !batch.is_empty() {
            let count = batch.len() as u64;
            let reached = Position::after(&batch);
            let Some(dropped) = deliver(&ctx, &route, batch, &mut shutdown).await else {
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

async fn commit(ctx: &Ctx, route: &Consumer, position: &Position) -> bool {
    match ctx.bus.commit(route.name, route.topic, position).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(consumer = route.name, error = %e, "commit failed; will retry");
            false
        }
    }
}

/// Hands a batch to the handler under the delivery policy ([`DELIVERY`],
/// the same as the KafkaSources'): a failure is retried with backoff; when
/// the retries are spent on a store that stays down, the batch goes to the
/// dead-letter topic with the reason; when the handler refuses the batch
/// (or keeps failing on it for another reason), the batch is split to find
/// the messages at fault, and those go. Returns how many were set aside,
/// or None when shutdown interrupted.
async fn deliver(
    ctx: &Arc<Ctx>,
    route: &Consumer,
    batch: Vec<Delivery>,
    shutdown: &mut watch::Receiver<bool>,
) -> Option<u64> {
    let mut attempt = 0;
    loop {
        let failure = match route.handle(batch.clone()).await {
            Ok(rejected) => {
                let count = rejected.len() as u64;
                for r in rejected {
                    set_aside(ctx, route, &r.message, &r.reason, shutdown).await?;
                }
                return Some(count);
            }
            Err(e) => e,
        };
        if failure.is_platform() && attempt < DELIVERY.retries {
            tracing::warn!(consumer = route.name, topic = %route.topic, error = %failure, attempt, "handler failed; retrying");
            if !sleep(DELIVERY.backoff(attempt), shutdown).await {
                return None;
            }
            attempt += 1;
            continue;
        }
        if failure.retryable {
            // A store stayed down: no message is to blame, so none is retried alone.
            let reason = format!("still failing after {} retries: {failure}", DELIVERY.retries);
            for d in &batch {
                set_aside(ctx, route, d, &reason, shutdown).await?;
            }
            return Some(batch.len() as u64);
        }
        if batch.len() == 1 {
            set_aside(ctx, route, &batch[0], &failure.to_string(), shutdown).await?;
            return Some(1);
        }
        // Find the message(s) that fail: deliver one by one.
        let mut dropped = 0;
        for d in batch {
            dropped += Box::pin(deliver(ctx, route, vec![d], shutdown)).await?;
        }
        return Some(dropped);
    }
}

/// Puts a message on the dead-letter topic, retrying until the bus takes it
/// (a message is never dropped); None when shutdown came first.
async fn set_aside(
    ctx: &Ctx,
    route: &Consumer,
    message: &Delivery,
    reason: &str,
    shutdown: &mut watch::Receiver<bool>,
) -> Option<()> {
    tracing::error!(consumer = route.name, topic = %route.topic, partition = message.partition, offset = message.offset, id = %message.id, reason, "setting aside a message that can never be handled");
    let mut backoff = Backoff::new();
    loop {
        match ctx.bus.dead_letter(route.name, message, reason).await {
            Ok(()) => return Some(()),
            Err(e) => {
                tracing::warn!(consumer = route.name, error = %e, "dead-lettering failed; retrying");
                if !backoff.wait(shutdown).await {
                    return None;
                }
            }
        }
    }
}

/// Sleeps `d`; false when shutdown came first.
async fn sleep(d: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => !*shutdown.borrow(),
        _ = shutdown.changed() => false,
    }
}

/// The wait between attempts at what must eventually succeed (polling,
/// committing, dead-lettering): the bus itself being down stops the topic
/// until it is back, and loses nothing.
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
        sleep(d, shutdown).await
    }
}
