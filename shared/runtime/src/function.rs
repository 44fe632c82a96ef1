//! What a function is, declared once in its crate: its name, its HTTP
//! routes, its bus subscriptions and (through its context type, see
//! [`holds!`](crate::holds)) the ports it holds. From the declaration come
//! the function's own server (HTTP routes plus one CloudEvents route per
//! subscription, as Knative delivers them), the local host's in-process
//! consumers, and the Knative manifests: nothing is kept in parallel.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::MethodRouter;
use futures::future::BoxFuture;
use homeguard_domain::Topic;
use homeguard_ports::Delivery;
use serde::de::DeserializeOwned;

use crate::bus::{self, Rejected};
use crate::cloudevents::{self, Envelope};
use crate::error::FnError;
use crate::ports::{Ctx, HasBus, Holds, Port};

/// What a subscription's handler returns: the messages it could not even decode.
pub type Handled = Result<Vec<Rejected>, FnError>;

/// How a failing message is retried, the same in the local host and in the
/// generated KafkaSources: the requirements' retry policy (3 retries, the
/// first after 100 ms, doubling, at most 5 s), then the topic's dead-letter
/// topic with the reason, so that one poisoned message never stops a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryPolicy {
    pub retries: u32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

pub const DELIVERY: DeliveryPolicy =
    DeliveryPolicy { retries: 3, first_backoff: Duration::from_millis(100), max_backoff: Duration::from_secs(5) };

impl DeliveryPolicy {
    /// The wait before retry `n` (0-based).
    pub fn backoff(&self, n: u32) -> Duration {
        self.first_backoff.saturating_mul(2u32.saturating_pow(n)).min(self.max_backoff)
    }
}

/// A subscription handler: a batch of decoded messages in, success or the reason.
pub type Handler<C, T> = fn(Arc<C>, Vec<T>) -> BoxFuture<'static, Result<(), FnError>>;

/// A periodic job over the function's context, told which run this is
/// (0: the first since the process started).
pub type Job<C> = fn(Arc<C>, u64) -> BoxFuture<'static, Result<(), FnError>>;

/// Builds a function's HTTP routes over its context.
type Routes<C> = Box<dyn Fn(&Arc<C>) -> Router<Arc<C>> + Send + Sync>;

type Erased<C> = Arc<dyn Fn(Arc<C>, Vec<Delivery>) -> BoxFuture<'static, Handled> + Send + Sync>;

/// One topic a function consumes, and its handler.
pub struct Subscription<C> {
    pub topic: Topic,
    handle: Erased<C>,
    route: MethodRouter<Arc<C>>,
}

/// The path the function takes `topic`'s messages at as CloudEvents.
pub fn cloudevents_path(topic: Topic) -> String {
    format!("/ce/{}", topic.as_str())
}

/// A function: declared by its crate (`pub fn function() -> Function<…>`),
/// registered with the host by one line.
pub struct Function<C> {
    /// The crate's name: its binary, its Knative service, its `service`
    /// label in logs and metrics, and its consumer group on every topic.
    pub name: &'static str,
    pub description: &'static str,
    /// Whether it must always have an instance (a bus consumer or a
    /// WebSocket server should not scale to zero).
    pub always_on: bool,
    dead_letter_sink: Option<MethodRouter<Arc<C>>>,
    routes: Routes<C>,
    subscriptions: Vec<Subscription<C>>,
    jobs: Vec<(&'static str, Duration, Job<C>)>,
}

impl<C: Holds> Function<C> {
    /// A function named by its crate: pass `env!("CARGO_PKG_NAME")`.
    pub fn new(name: &'static str, description: &'static str) -> Self {
        Self {
            name,
            description,
            always_on: false,
            dead_letter_sink: None,
            routes: Box::new(|_| Router::new()),
            subscriptions: vec![],
            jobs: vec![],
        }
    }

    /// Runs `job` every `period` for as long as the function runs (so it
    /// always has an instance). A failing run is logged; the next one comes
    /// all the same.
    pub fn every(mut self, name: &'static str, period: Duration, job: Job<C>) -> Self {
        self.always_on = true;
        self.jobs.push((name, period, job));
        self
    }

    pub fn always_on(mut self) -> Self {
        self.always_on = true;
        self
    }

    /// Its public HTTP routes.
    pub fn routes(mut self, routes: impl Fn(&Arc<C>) -> Router<Arc<C>> + Send + Sync + 'static) -> Self {
        self.routes = Box::new(routes);
        self
    }

    /// Consumes `topic`: the host hands `handler` batches from the bus, and
    /// the function's server takes single messages as CloudEvents at
    /// [`cloudevents_path`]. Messages that do not decode as `T` are set aside.
    pub fn subscribe<T>(mut self, topic: Topic, handler: Handler<C, T>) -> Self
    where
        T: DeserializeOwned + Send + 'static,
    {
        assert!(self.subscriptions.iter().all(|s| s.topic != topic), "{} subscribes to {topic} twice", self.name);
        let handle: Erased<C> = Arc::new(move |ctx, deliveries| {
            let decoded = bus::decode::<T>(&deliveries);
            Box::pin(async move { handler(ctx, decoded.items).await.map(|()| decoded.rejected) })
        });
        let route = cloudevents::route(move |ctx: Arc<C>, e: Envelope<T>| handler(ctx, vec![e.data]));
        self.subscriptions.push(Subscription { topic, handle, route });
        self
    }
}

impl<C: Holds + HasBus> Function<C> {
    /// Makes it the KafkaSources' dead-letter sink (see [`cloudevents::dead_letter_route`]).
    pub fn dead_letters(mut self) -> Self {
        self.dead_letter_sink = Some(cloudevents::dead_letter_route());
        self
    }
}

/// One in-process consumer of the local host: a function's subscription
/// bound to its context.
pub struct Consumer {
    /// The consumer group: the function's name.
    pub name: &'static str,
    pub topic: Topic,
    handle: Box<dyn Fn(Vec<Delivery>) -> BoxFuture<'static, Handled> + Send + Sync>,
}

impl Consumer {
    /// Hands a batch to the handler.
    pub fn handle(&self, batch: Vec<Delivery>) -> impl Future<Output = Handled> + Send + 'static {
        (self.handle)(batch)
    }
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer").field("name", &self.name).field("topic", &self.topic).finish()
    }
}

/// A function's periodic job bound to its context: the local host and the
/// function's own server run it the same way.
pub struct Ticker {
    pub function: &'static str,
    pub name: &'static str,
    pub period: Duration,
    run: Box<dyn Fn(u64) -> BoxFuture<'static, Result<(), FnError>> + Send + Sync>,
}

impl Ticker {
    /// Runs the job every period until `stopped` turns true.
    pub async fn run(self, mut stopped: tokio::sync::watch::Receiver<bool>) {
        let mut every = tokio::time::interval(self.period);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        for n in 0.. {
            tokio::select! {
                _ = every.tick() => {}
                _ = stopped.wait_for(|s| *s) => return,
            }
            if let Err(e) = (self.run)(n).await {
                tracing::warn!(service = self.function, job = self.name, run = n, error = %e, "a periodic job failed");
            }
        }
    }
}

impl std::fmt::Debug for Ticker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticker").field("function", &self.function).field("name", &self.name).finish()
    }
}

/// A function whatever its context type: what the host, the function's own
/// server and the manifest generator need of it.
pub trait Declared: Send + Sync {
    fn name(&self) -> &'static str;
    fn description(&self) -> &'static str;
    fn always_on(&self) -> bool;
    fn dead_letter_sink(&self) -> bool;
    /// The ports its context holds.
    fn holds(&self) -> &'static [Port];
    /// The topics it consumes.
    fn topics(&self) -> Vec<Topic>;
    /// Its public HTTP routes over `ctx`, mounted with its telemetry.
    fn http(&self, ctx: &Arc<Ctx>) -> Router;
    /// Its own server's routes: the HTTP routes, one CloudEvents route per
    /// subscription, and the dead-letter sink when it is the sink.
    fn server(&self, ctx: &Arc<Ctx>) -> Router;
    /// Its subscriptions as in-process consumers over `ctx`.
    fn consumers(&self, ctx: &Arc<Ctx>) -> Vec<Consumer>;
    /// Its periodic jobs over `ctx`.
    fn tickers(&self, ctx: &Arc<Ctx>) -> Vec<Ticker>;
}

impl<C: Holds> Declared for Function<C> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn description(&self) -> &'static str {
        self.description
    }

    fn always_on(&self) -> bool {
        self.always_on
    }

    fn dead_letter_sink(&self) -> bool {
        self.dead_letter_sink.is_some()
    }

    fn holds(&self) -> &'static [Port] {
        C::HELD
    }

    fn topics(&self) -> Vec<Topic> {
        self.subscriptions.iter().map(|s| s.topic).collect()
    }

    fn http(&self, ctx: &Arc<Ctx>) -> Router {
        let held = Arc::new(C::from_ctx(ctx));
        crate::http::mount(self.name, &held, (self.routes)(&held))
    }

    fn server(&self, ctx: &Arc<Ctx>) -> Router {
        let held = Arc::new(C::from_ctx(ctx));
        let mut routes = (self.routes)(&held);
        for s in &self.subscriptions {
            routes = routes.route(&cloudevents_path(s.topic), s.route.clone());
        }
        if let Some(sink) = &self.dead_letter_sink {
            routes = routes.route(cloudevents::DEAD_LETTER_PATH, sink.clone());
        }
        crate::http::mount(self.name, &held, routes)
    }

    fn consumers(&self, ctx: &Arc<Ctx>) -> Vec<Consumer> {
        let held = Arc::new(C::from_ctx(ctx));
        self.subscriptions
            .iter()
            .map(|s| {
                let (held, handle) = (held.clone(), s.handle.clone());
                Consumer { name: self.name, topic: s.topic, handle: Box::new(move |batch| handle(held.clone(), batch)) }
            })
            .collect()
    }

    fn tickers(&self, ctx: &Arc<Ctx>) -> Vec<Ticker> {
        let held = Arc::new(C::from_ctx(ctx));
        self.jobs
            .iter()
            .map(|&(name, period, job)| {
                let held = held.clone();
                Ticker { function: self.name, name, period, run: Box::new(move |n| job(held.clone(), n)) }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_ceiling() {
        let waits: Vec<_> = (0..DELIVERY.retries).map(|n| DELIVERY.backoff(n).as_millis()).collect();
        assert_eq!(waits, vec![100, 200, 400]);
        assert_eq!(DELIVERY.backoff(10), Duration::from_secs(5));
    }
}
