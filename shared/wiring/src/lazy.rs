//! Production backends connect on first use: a [`Lazy`] port opens its
//! backend (with the adapter's own retries and set-up: schema, topics) the
//! first time one of its methods is called, and again on a later call if
//! that failed. So a function connects only to the backends of the ports it
//! uses, and starts while a backend it does not need is down.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use homeguard_domain::agent::{ChatMessage, Conversation};
use homeguard_domain::alarm::{AlarmRecord, LogEntry};
use homeguard_domain::automation::AutomationRun;
use homeguard_domain::home::{Code, Contact, Home, Pet};
use homeguard_domain::notification::{self, Notification, Preferences};
use homeguard_domain::{AnomalyLabel, Automation, Device, DeviceState, Event, Topic, User};
use homeguard_ports::error::StoreResult;
use homeguard_ports::{
    AgentMemory, AlarmStore, AutomationStore, DeadLetter, Decision, Delivery, DeviceStore, EventBus, EventQuery,
    EventStore, HomeStore, HourlyRollup, LabelStore, Limit, LogQuery, NewUser, NotificationStore, OutMessage, Position,
    PubSub, Published, RateLimiter, Reading, ReadingQuery, ReadingStore, ReportStore, RunStore, SecurityStore, Session,
    SessionStore, StateStore, StateUpdate, Subscription, UserStore,
};
use serde_json::{Map, Value};
use tokio::sync::OnceCell;
use uuid::Uuid;

type Open<T> = Box<dyn Fn() -> BoxFuture<'static, StoreResult<T>> + Send + Sync>;

/// A backend opened on first use.
pub struct Lazy<T> {
    backend: &'static str,
    cell: OnceCell<T>,
    open: Open<T>,
}

impl<T> std::fmt::Debug for Lazy<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lazy").field("backend", &self.backend).field("open", &self.cell.initialized()).finish()
    }
}

impl<T: Send + Sync + 'static> Lazy<T> {
    /// A port on `backend` that `open` connects when first needed.
    pub fn new<F, Fut>(backend: &'static str, open: F) -> Arc<Self>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = StoreResult<T>> + Send + 'static,
    {
        Arc::new(Self { backend, cell: OnceCell::new(), open: Box::new(move || Box::pin(open())) })
    }

    /// Whether the backend has been connected.
    pub fn is_open(&self) -> bool {
        self.cell.initialized()
    }

    /// The backend, connecting it on the first call.
    pub async fn inner(&self) -> StoreResult<&T> {
        self.cell
            .get_or_try_init(|| async {
                let opened = (self.open)().await;
                match &opened {
                    Ok(_) => tracing::info!(backend = self.backend, "connected on first use"),
                    Err(e) => tracing::warn!(backend = self.backend, error = %e, "connecting failed; the next call tries again"),
                }
                opened
            })
            .await
    }
}

/// Implements a port for `Lazy<T>` by handing each call to the opened backend.
macro_rules! delegate {
    ($port:ident { $(fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)* }) => {
        #[async_trait]
        impl<T: $port + Send + Sync + 'static> $port for Lazy<T> {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> StoreResult<$ret> {
                    <T as $port>::$name(self.inner().await? $(, $arg)*).await
                }
            )*
        }
    };
}

delegate!(UserStore {
    fn create(&self, user: NewUser) -> User;
    fn find_by_email(&self, email: &str) -> Option<(User, String)>;
    fn get(&self, id: Uuid) -> Option<User>;
    fn list(&self) -> Vec<User>;
    fn health(&self) -> ();
});

delegate!(SessionStore {
    fn create(&self, session: Session) -> ();
    fn get(&self, id: Uuid) -> Option<Session>;
    fn revoke(&self, id: Uuid, at: DateTime<Utc>) -> bool;
    fn tokens(&self, user_id: Uuid, now: DateTime<Utc>) -> Vec<Session>;
    fn delete_expired(&self, before: DateTime<Utc>) -> u64;
});

delegate!(DeviceStore {
    fn insert(&self, device: &Device) -> ();
    fn get(&self, id: Uuid) -> Option<Device>;
    fn list_for_user(&self, user_id: Uuid) -> Vec<Device>;
    fn list_all(&self) -> Vec<Device>;
    fn update(&self, device: &Device) -> bool;
    fn delete(&self, id: Uuid) -> bool;
    fn set_key_hash(&self, id: Uuid, key_hash: &str) -> bool;
    fn find_by_key_hash(&self, key_hash: &str) -> Option<Device>;
    fn health(&self) -> ();
});

delegate!(AutomationStore {
    fn insert(&self, automation: &Automation) -> ();
    fn get(&self, id: Uuid) -> Option<Automation>;
    fn list_for_user(&self, user_id: Uuid) -> Vec<Automation>;
    fn update(&self, automation: &Automation) -> bool;
    fn delete(&self, id: Uuid) -> bool;
});

delegate!(AgentMemory {
    fn append(&self, user_id: Uuid, session_id: Uuid, message: &ChatMessage) -> ();
    fn conversation(&self, user_id: Uuid, session_id: Uuid) -> Option<Conversation>;
    fn history(&self, user_id: Uuid, limit: usize) -> Vec<ChatMessage>;
    fn merge_context(&self, user_id: Uuid, session_id: Uuid, context: &Map<String, Value>, now: DateTime<Utc>) -> ();
    fn learnings(&self, user_id: Uuid) -> Map<String, Value>;
    fn merge_learnings(&self, user_id: Uuid, learnings: &Map<String, Value>, now: DateTime<Utc>) -> ();
});

delegate!(HomeStore {
    fn get(&self, user_id: Uuid) -> Option<Home>;
    fn put(&self, home: &Home) -> ();
    fn watched(&self) -> Vec<Home>;
    fn insert_code(&self, code: &Code, hash: &str) -> ();
    fn codes(&self, user_id: Uuid) -> Vec<Code>;
    fn find_code(&self, user_id: Uuid, hashes: &[String]) -> Option<Code>;
    fn use_code(&self, user_id: Uuid, id: Uuid, at: DateTime<Utc>) -> bool;
    fn delete_code(&self, user_id: Uuid, id: Uuid) -> bool;
    fn insert_pet(&self, pet: &Pet) -> ();
    fn pets(&self, user_id: Uuid) -> Vec<Pet>;
    fn delete_pet(&self, user_id: Uuid, id: Uuid) -> bool;
    fn insert_contact(&self, contact: &Contact) -> ();
    fn contacts(&self, user_id: Uuid) -> Vec<Contact>;
    fn delete_contact(&self, user_id: Uuid, id: Uuid) -> bool;
});

delegate!(AlarmStore {
    fn load(&self, user_id: Uuid) -> Option<AlarmRecord>;
    fn save(&self, record: &AlarmRecord, entries: &[LogEntry]) -> bool;
    fn due(&self, now: DateTime<Utc>) -> Vec<Uuid>;
    fn armed(&self) -> Vec<Uuid>;
    fn log(&self, query: &LogQuery) -> Vec<LogEntry>;
    fn health(&self) -> ();
});

delegate!(RunStore {
    fn claim(&self, run: &AutomationRun) -> bool;
    fn finish(&self, run: &AutomationRun) -> ();
    fn get(&self, run_id: Uuid) -> Option<AutomationRun>;
    fn due(&self, now: DateTime<Utc>, limit: usize) -> Vec<AutomationRun>;
    fn discard(&self, run_id: Uuid) -> ();
    fn runs(&self, automation_id: Uuid, before: Option<homeguard_domain::page::Cursor>, limit: usize) -> Vec<AutomationRun>;
    fn last_fired(&self, automation_id: Uuid) -> Option<DateTime<Utc>>;
});

delegate!(NotificationStore {
    fn insert(&self, n: &Notification) -> bool;
    fn get(&self, id: Uuid) -> Option<Notification>;
    fn set_deliveries(&self, id: Uuid, deliveries: &[notification::Delivery], next_delivery_at: Option<DateTime<Utc>>) -> ();
    fn due(&self, now: DateTime<Utc>, limit: usize) -> Vec<Notification>;
    fn list(&self, user_id: Uuid, unread_only: bool, before: Option<homeguard_domain::page::Cursor>, limit: usize) -> Vec<Notification>;
    fn mark_read(&self, user_id: Uuid, id: Uuid, at: DateTime<Utc>) -> bool;
    fn unread(&self, user_id: Uuid) -> u64;
    fn preferences(&self, user_id: Uuid) -> Option<Preferences>;
    fn set_preferences(&self, user_id: Uuid, preferences: &Preferences) -> ();
});

delegate!(ReportStore {
    fn put(&self, report: &homeguard_domain::dc09::Report) -> ();
    fn get(&self, id: Uuid) -> Option<homeguard_domain::dc09::Report>;
    fn list(&self, user_id: Option<Uuid>, before: Option<homeguard_domain::page::Cursor>, limit: usize) -> Vec<homeguard_domain::dc09::Report>;
});

delegate!(SecurityStore {
    fn put_decisions(&self, decisions: &[homeguard_domain::security::Decision]) -> Vec<Uuid>;
    fn decisions(&self, query: &homeguard_ports::DecisionQuery) -> Vec<homeguard_domain::security::Decision>;
    fn save_incident(&self, incident: &homeguard_domain::incident::Incident) -> bool;
    fn incident(&self, id: Uuid) -> Option<homeguard_domain::incident::Incident>;
    fn incidents(&self, query: &homeguard_ports::IncidentQuery) -> Vec<homeguard_domain::incident::Incident>;
    fn active_incidents(&self, user_id: Uuid) -> Vec<homeguard_domain::incident::Incident>;
});

delegate!(LabelStore {
    fn record(&self, label: &AnomalyLabel) -> ();
    fn labels(&self, user_id: Option<Uuid>, from: DateTime<Utc>, to: DateTime<Utc>, limit: usize) -> Vec<AnomalyLabel>;
});

delegate!(EventStore {
    fn append(&self, events: &[Event]) -> u64;
    fn query(&self, query: &EventQuery) -> Vec<Event>;
    fn get(&self, event_id: Uuid) -> Option<Event>;
    fn health(&self) -> ();
});

delegate!(ReadingStore {
    fn append(&self, readings: &[Reading]) -> u64;
    fn readings(&self, query: &ReadingQuery, limit: usize) -> Vec<Reading>;
    fn hourly(&self, query: &ReadingQuery) -> Vec<HourlyRollup>;
    fn delete_before(&self, before: DateTime<Utc>) -> u64;
    fn health(&self) -> ();
});

delegate!(StateStore {
    fn get(&self, device_id: Uuid) -> DeviceState;
    fn get_many(&self, device_ids: &[Uuid]) -> Vec<DeviceState>;
    fn merge(&self, device_id: Uuid, fields: &DeviceState) -> DeviceState;
    fn merge_missing(&self, device_id: Uuid, fields: &DeviceState) -> DeviceState;
    fn apply(&self, updates: &[StateUpdate]) -> Vec<DeviceState>;
    fn remove(&self, device_id: Uuid) -> ();
    fn mark_online(&self, device_id: Uuid, at: DateTime<Utc>, ttl: Duration) -> ();
    fn last_heartbeats(&self, device_ids: &[Uuid]) -> Vec<Option<DateTime<Utc>>>;
    fn add_user_device(&self, user_id: Uuid, device_id: Uuid) -> ();
    fn remove_user_device(&self, user_id: Uuid, device_id: Uuid) -> ();
    fn user_devices(&self, user_id: Uuid) -> Vec<Uuid>;
    fn health(&self) -> ();
});

delegate!(PubSub {
    fn publish(&self, channel: &str, payload: &str) -> usize;
    fn publish_many(&self, messages: &[(String, String)]) -> ();
    fn subscribe(&self, channels: &[String]) -> Subscription;
});

delegate!(RateLimiter {
    fn acquire(&self, key: &str, limit: Limit, cost: u32) -> Decision;
});

/// The bus, by hand: whether it detects duplicates is known before it is
/// opened (Kafka does not).
pub struct LazyBus<T> {
    pub(crate) lazy: Arc<Lazy<T>>,
    pub(crate) detects_duplicates: bool,
}

#[async_trait]
impl<T: EventBus + Send + Sync + 'static> EventBus for LazyBus<T> {
    async fn publish(&self, messages: Vec<OutMessage>) -> StoreResult<Vec<Published>> {
        self.lazy.inner().await?.publish(messages).await
    }
    async fn poll(&self, consumer: &str, topic: Topic, max: usize, wait: Duration) -> StoreResult<Vec<Delivery>> {
        self.lazy.inner().await?.poll(consumer, topic, max, wait).await
    }
    async fn commit(&self, consumer: &str, topic: Topic, position: &Position) -> StoreResult<()> {
        self.lazy.inner().await?.commit(consumer, topic, position).await
    }
    async fn committed(&self, consumer: &str, topic: Topic) -> StoreResult<Position> {
        self.lazy.inner().await?.committed(consumer, topic).await
    }
    async fn seek(&self, consumer: &str, topic: Topic, position: &Position) -> StoreResult<()> {
        self.lazy.inner().await?.seek(consumer, topic, position).await
    }
    async fn dead_letter(&self, consumer: &str, message: &Delivery, reason: &str) -> StoreResult<()> {
        self.lazy.inner().await?.dead_letter(consumer, message, reason).await
    }
    async fn dead_letters(&self, topic: Topic, max: usize) -> StoreResult<Vec<DeadLetter>> {
        self.lazy.inner().await?.dead_letters(topic, max).await
    }
    async fn prune(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        self.lazy.inner().await?.prune(before).await
    }
    fn detects_duplicates(&self) -> bool {
        self.detects_duplicates
    }
    async fn health(&self) -> StoreResult<()> {
        self.lazy.inner().await?.health().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    struct Counting(Arc<AtomicU32>);

    #[async_trait]
    impl RateLimiter for Counting {
        async fn acquire(&self, _key: &str, _limit: Limit, _cost: u32) -> StoreResult<Decision> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(Decision { allowed: true, remaining: 1, retry_after: Duration::ZERO })
        }
    }

    #[tokio::test]
    async fn opens_on_first_use_retries_a_failed_open_and_then_keeps_the_backend() {
        let (opens, calls) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
        let lazy = {
            let (opens, calls) = (opens.clone(), calls.clone());
            Lazy::new("test", move || {
                let (opens, calls) = (opens.clone(), calls.clone());
                async move {
                    match opens.fetch_add(1, Ordering::SeqCst) {
                        0 => Err(homeguard_ports::StoreError::Unavailable("down".into())),
                        _ => Ok(Counting(calls)),
                    }
                }
            })
        };
        assert_eq!(opens.load(Ordering::SeqCst), 0, "nothing is opened before it is used");
        let limit = Limit { capacity: 1, per_second: 1.0 };
        let e = lazy.acquire("k", limit, 1).await.unwrap_err();
        assert!(e.is_retryable(), "{e}");
        assert!(!lazy.is_open());
        for _ in 0..3 {
            assert!(lazy.acquire("k", limit, 1).await.unwrap().allowed);
        }
        assert_eq!((opens.load(Ordering::SeqCst), calls.load(Ordering::SeqCst)), (2, 3), "opened once it worked");
    }
}
