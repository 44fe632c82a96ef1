//! MongoDB for the documents: `devices`, `automations`,
//! `agent_conversations` (with their messages in `agent_messages`),
//! `agent_learnings`, and the simulator's `anomaly_labels`, with the
//! indexes their queries use. Each document keeps the domain record as
//! plain fields under `doc`, beside the fields queries filter and sort on
//! (`user_id`, `seq` for registration order, `key_hash`). Homes and their
//! household are in [`homes`].

mod automations;
mod homes;
mod security;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use homeguard_domain::agent::{ChatMessage, Conversation};
use homeguard_domain::{AnomalyLabel, Automation, Device};
use homeguard_ports::error::StoreResult;
use homeguard_ports::{AgentMemory, AutomationStore, Breaker, DeviceStore, LabelStore, StoreError};
use mongodb::bson::{Bson, Document, doc};
use mongodb::options::IndexOptions;
use mongodb::{Collection, Database, IndexModel};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use uuid::Uuid;

/// Devices, automations, agent memory and labels on one MongoDB database.
#[derive(Clone, Debug)]
pub struct MongoStore {
    db: Database,
    breaker: Arc<Breaker>,
}

fn map_err(e: mongodb::error::Error) -> StoreError {
    use mongodb::error::{ErrorKind, WriteFailure};
    match e.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(w)) if w.code == 11000 => StoreError::Conflict(w.message.clone()),
        ErrorKind::ServerSelection { .. } | ErrorKind::Io(_) | ErrorKind::ConnectionPoolCleared { .. } => {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

/// A domain record as a BSON value (through its JSON form, so that ids and
/// times read the same as in the API).
fn to_bson<T: Serialize>(v: &T) -> StoreResult<Bson> {
    let json = serde_json::to_value(v).map_err(|e| StoreError::Backend(e.to_string()))?;
    Bson::try_from(json).map_err(|e| StoreError::Backend(e.to_string()))
}

fn from_bson<T: DeserializeOwned>(b: Bson) -> StoreResult<T> {
    serde_json::from_value(b.into_relaxed_extjson()).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn doc_field<T: DeserializeOwned>(mut d: Document, field: &str) -> StoreResult<T> {
    let b = d.remove(field).ok_or_else(|| StoreError::Corrupt(format!("document without {field}")))?;
    from_bson(b)
}

/// Registration order across inserts: microseconds, then a counter.
fn next_seq() -> i64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let micros = Utc::now().timestamp_micros();
    (micros << 8) | (COUNTER.fetch_add(1, Ordering::Relaxed) & 0xff) as i64
}

/// RFC 7396 merge: a null removes a key, objects merge recursively.
fn merge_patch(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (k, v) in patch {
        match v {
            Value::Null => {
                target.remove(k);
            }
            Value::Object(p) => {
                let entry = target.entry(k.clone()).or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                if let Value::Object(t) = entry {
                    merge_patch(t, p);
                }
            }
            other => {
                target.insert(k.clone(), other.clone());
            }
        }
    }
}

impl MongoStore {
    /// Connects to `url` (the database is the URL's, else `homeguard`) and
    /// creates the indexes.
    pub async fn open(url: &str) -> StoreResult<Self> {
        Self::open_in(url, None).await
    }

    /// Opens a named database on the server of `url` (tests use one each).
    pub async fn open_database(url: &str, name: &str) -> StoreResult<Self> {
        Self::open_in(url, Some(name)).await
    }

    async fn open_in(url: &str, name: Option<&str>) -> StoreResult<Self> {
        let options = mongodb::options::ClientOptions::parse(url)
            .await
            .map_err(|e| StoreError::Backend(format!("MONGO_URL: {e}")))?;
        let name = name.map(str::to_owned).or_else(|| options.default_database.clone());
        let client = mongodb::Client::with_options(options).map_err(map_err)?;
        let db = client.database(name.as_deref().unwrap_or("homeguard"));
        let store = Self { db, breaker: Arc::new(Breaker::new("mongodb")) };
        store.indexes().await?;
        Ok(store)
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    fn coll(&self, name: &str) -> Collection<Document> {
        self.db.collection(name)
    }

    async fn index(&self, coll: &str, keys: Document, unique: bool) -> StoreResult<()> {
        let options = IndexOptions::builder().unique(unique).build();
        self.coll(coll)
            .create_index(IndexModel::builder().keys(keys).options(options).build())
            .await
            .map(drop)
            .map_err(map_err)
    }

    async fn indexes(&self) -> StoreResult<()> {
        self.index("devices", doc! { "user_id": 1, "seq": 1 }, false).await?;
        self.index("devices", doc! { "seq": 1 }, false).await?;
        self.index("devices", doc! { "key_hash": 1 }, false).await?;
        self.index("automations", doc! { "user_id": 1, "seq": 1 }, false).await?;
        self.index("agent_conversations", doc! { "user_id": 1, "session_id": 1 }, true).await?;
        self.index("agent_messages", doc! { "user_id": 1, "session_id": 1, "seq": 1 }, false).await?;
        self.index("agent_messages", doc! { "user_id": 1, "seq": -1 }, false).await?;
        self.index("anomaly_labels", doc! { "user_id": 1, "started_at": 1 }, false).await?;
        self.index("anomaly_labels", doc! { "started_at": 1 }, false).await?;
        self.home_indexes().await?;
        self.automation_indexes().await?;
        self.security_indexes().await
    }

    async fn insert_doc<T: Serialize>(&self, coll: &str, id: Uuid, user: Uuid, record: &T) -> StoreResult<()> {
        let d = doc! { "_id": id.to_string(), "user_id": user.to_string(), "seq": next_seq(), "doc": to_bson(record)? };
        self.coll(coll).insert_one(d).await.map(drop).map_err(map_err)
    }

    /// Sets `fields` on the document with `id`, creating it when missing (an
    /// upserting `$set` rather than `replace_one`: the same on MongoDB, and
    /// the CRUD-level test server handles only this form without duplicating).
    async fn put_fields(&self, coll: &str, id: &str, fields: Document) -> StoreResult<()> {
        self.coll(coll)
            .update_one(doc! { "_id": id }, doc! { "$set": fields })
            .upsert(true)
            .await
            .map(drop)
            .map_err(map_err)
    }

    async fn get_doc<T: DeserializeOwned>(&self, coll: &str, filter: Document) -> StoreResult<Option<T>> {
        match self.coll(coll).find_one(filter).await.map_err(map_err)? {
            Some(d) => doc_field(d, "doc").map(Some),
            None => Ok(None),
        }
    }

    async fn list_docs<T: DeserializeOwned>(&self, coll: &str, filter: Document) -> StoreResult<Vec<T>> {
        let docs: Vec<Document> = self
            .coll(coll)
            .find(filter)
            .sort(doc! { "seq": 1 })
            .await
            .map_err(map_err)?
            .try_collect()
            .await
            .map_err(map_err)?;
        docs.into_iter().map(|d| doc_field(d, "doc")).collect()
    }

    async fn replace_doc<T: Serialize>(&self, coll: &str, id: Uuid, user: Uuid, record: &T) -> StoreResult<bool> {
        let update = doc! { "$set": { "user_id": user.to_string(), "doc": to_bson(record)? } };
        let r = self.coll(coll).update_one(doc! { "_id": id.to_string() }, update).await.map_err(map_err)?;
        Ok(r.matched_count == 1)
    }

    async fn delete_doc(&self, coll: &str, id: Uuid) -> StoreResult<bool> {
        let r = self.coll(coll).delete_one(doc! { "_id": id.to_string() }).await.map_err(map_err)?;
        Ok(r.deleted_count == 1)
    }
}

#[async_trait]
impl DeviceStore for MongoStore {
    async fn insert(&self, d: &Device) -> StoreResult<()> {
        self.breaker.call(async { self.insert_doc("devices", d.device_id, d.user_id, d).await }).await
    }

    async fn get(&self, id: Uuid) -> StoreResult<Option<Device>> {
        self.breaker.call(async { self.get_doc("devices", doc! { "_id": id.to_string() }).await }).await
    }

    async fn list_for_user(&self, user_id: Uuid) -> StoreResult<Vec<Device>> {
        self.breaker.call(async { self.list_docs("devices", doc! { "user_id": user_id.to_string() }).await }).await
    }

    async fn list_all(&self) -> StoreResult<Vec<Device>> {
        self.breaker.call(async { self.list_docs("devices", doc! {}).await }).await
    }

    async fn update(&self, d: &Device) -> StoreResult<bool> {
        self.breaker.call(async { self.replace_doc("devices", d.device_id, d.user_id, d).await }).await
    }

    async fn delete(&self, id: Uuid) -> StoreResult<bool> {
        self.breaker.call(async { self.delete_doc("devices", id).await }).await
    }

    async fn set_key_hash(&self, id: Uuid, key_hash: &str) -> StoreResult<bool> {
        self.breaker
            .call(async {
                let r = self
                    .coll("devices")
                    .update_one(doc! { "_id": id.to_string() }, doc! { "$set": { "key_hash": key_hash } })
                    .await
                    .map_err(map_err)?;
                Ok(r.matched_count == 1)
            })
            .await
    }

    async fn find_by_key_hash(&self, key_hash: &str) -> StoreResult<Option<Device>> {
        self.breaker.call(async { self.get_doc("devices", doc! { "key_hash": key_hash }).await }).await
    }

    async fn health(&self) -> StoreResult<()> {
        self.breaker.call(async { self.db.run_command(doc! { "ping": 1 }).await.map(drop).map_err(map_err) }).await
    }
}

#[async_trait]
impl AutomationStore for MongoStore {
    async fn insert(&self, a: &Automation) -> StoreResult<()> {
        self.breaker.call(async { self.insert_doc("automations", a.automation_id, a.user_id, a).await }).await
    }

    async fn get(&self, id: Uuid) -> StoreResult<Option<Automation>> {
        self.breaker.call(async { self.get_doc("automations", doc! { "_id": id.to_string() }).await }).await
    }

    async fn list_for_user(&self, user_id: Uuid) -> StoreResult<Vec<Automation>> {
        self.breaker.call(async { self.list_docs("automations", doc! { "user_id": user_id.to_string() }).await }).await
    }

    async fn update(&self, a: &Automation) -> StoreResult<bool> {
        self.breaker.call(async { self.replace_doc("automations", a.automation_id, a.user_id, a).await }).await
    }

    async fn delete(&self, id: Uuid) -> StoreResult<bool> {
        self.breaker.call(async { self.delete_doc("automations", id).await }).await
    }
}

fn conversation_id(user: Uuid, session: Uuid) -> String {
    format!("{user}:{session}")
}

impl MongoStore {
    /// Reads a JSON object field of one document, or an empty one.
    async fn object(&self, coll: &str, id: &str, field: &str) -> StoreResult<Map<String, Value>> {
        match self.coll(coll).find_one(doc! { "_id": id }).await.map_err(map_err)? {
            Some(d) => match d.get(field) {
                Some(b) => from_bson(b.clone()),
                None => Ok(Map::new()),
            },
            None => Ok(Map::new()),
        }
    }
}

#[async_trait]
impl AgentMemory for MongoStore {
    async fn append(&self, user_id: Uuid, session_id: Uuid, message: &ChatMessage) -> StoreResult<()> {
        self.breaker
            .call(async {
                let id = conversation_id(user_id, session_id);
                let at = message.timestamp.timestamp_millis();
                self.coll("agent_conversations")
                    .update_one(
                        doc! { "_id": &id },
                        doc! {
                            "$setOnInsert": { "user_id": user_id.to_string(), "session_id": session_id.to_string(),
                                              "context": {}, "created_at": at },
                            "$max": { "updated_at": at },
                        },
                    )
                    .upsert(true)
                    .await
                    .map_err(map_err)?;
                let m = doc! {
                    "user_id": user_id.to_string(),
                    "session_id": session_id.to_string(),
                    "seq": next_seq(),
                    "message": to_bson(message)?,
                };
                self.coll("agent_messages").insert_one(m).await.map(drop).map_err(map_err)
            })
            .await
    }

    async fn conversation(&self, user_id: Uuid, session_id: Uuid) -> StoreResult<Option<Conversation>> {
        self.breaker
            .call(async {
                let id = conversation_id(user_id, session_id);
                let Some(c) = self.coll("agent_conversations").find_one(doc! { "_id": &id }).await.map_err(map_err)?
                else {
                    return Ok(None);
                };
                let messages: Vec<Document> = self
                    .coll("agent_messages")
                    .find(doc! { "user_id": user_id.to_string(), "session_id": session_id.to_string() })
                    .sort(doc! { "seq": 1 })
                    .await
                    .map_err(map_err)?
                    .try_collect()
                    .await
                    .map_err(map_err)?;
                let time = |field: &str| -> StoreResult<DateTime<Utc>> {
                    let ms = c.get_i64(field).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    DateTime::from_timestamp_millis(ms).ok_or_else(|| StoreError::Corrupt(format!("{field} {ms}")))
                };
                Ok(Some(Conversation {
                    user_id,
                    session_id,
                    messages: messages.into_iter().map(|d| doc_field(d, "message")).collect::<StoreResult<_>>()?,
                    context: c.get("context").cloned().map(from_bson).transpose()?.unwrap_or_default(),
                    created_at: time("created_at")?,
                    updated_at: time("updated_at")?,
                }))
            })
            .await
    }

    async fn history(&self, user_id: Uuid, limit: usize) -> StoreResult<Vec<ChatMessage>> {
        self.breaker
            .call(async {
                let docs: Vec<Document> = self
                    .coll("agent_messages")
                    .find(doc! { "user_id": user_id.to_string() })
                    .sort(doc! { "seq": -1 })
                    .limit(i64::try_from(limit).unwrap_or(i64::MAX))
                    .await
                    .map_err(map_err)?
                    .try_collect()
                    .await
                    .map_err(map_err)?;
                let mut out: Vec<ChatMessage> =
                    docs.into_iter().map(|d| doc_field(d, "message")).collect::<StoreResult<_>>()?;
                out.reverse();
                Ok(out)
            })
            .await
    }

    async fn merge_context(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        context: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.breaker
            .call(async {
                let id = conversation_id(user_id, session_id);
                let mut merged = self.object("agent_conversations", &id, "context").await?;
                merge_patch(&mut merged, context);
                let at = now.timestamp_millis();
                self.coll("agent_conversations")
                    .update_one(
                        doc! { "_id": &id },
                        doc! {
                            "$set": { "context": to_bson(&merged)?, "updated_at": at },
                            "$setOnInsert": { "user_id": user_id.to_string(), "session_id": session_id.to_string(),
                                              "created_at": at },
                        },
                    )
                    .upsert(true)
                    .await
                    .map(drop)
                    .map_err(map_err)
            })
            .await
    }

    async fn learnings(&self, user_id: Uuid) -> StoreResult<Map<String, Value>> {
        self.breaker.call(async { self.object("agent_learnings", &user_id.to_string(), "learnings").await }).await
    }

    async fn merge_learnings(
        &self,
        user_id: Uuid,
        learnings: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.breaker
            .call(async {
                let id = user_id.to_string();
                let mut merged = self.object("agent_learnings", &id, "learnings").await?;
                merge_patch(&mut merged, learnings);
                let fields = doc! { "learnings": to_bson(&merged)?, "updated_at": now.timestamp_millis() };
                self.put_fields("agent_learnings", &id, fields).await
            })
            .await
    }
}

#[async_trait]
impl LabelStore for MongoStore {
    async fn record(&self, label: &AnomalyLabel) -> StoreResult<()> {
        self.breaker
            .call(async {
                let d = doc! {
                    "user_id": label.user_id.to_string(),
                    "started_at": label.started_at.timestamp_millis(),
                    "ended_at": label.ended_at.timestamp_millis(),
                    "doc": to_bson(label)?,
                };
                self.put_fields("anomaly_labels", &label.id.to_string(), d).await
            })
            .await
    }

    async fn labels(
        &self,
        user_id: Option<Uuid>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<AnomalyLabel>> {
        self.breaker
            .call(async {
                let mut filter = doc! {
                    "started_at": { "$lt": to.timestamp_millis() },
                    "ended_at": { "$gte": from.timestamp_millis() },
                };
                if let Some(u) = user_id {
                    filter.insert("user_id", u.to_string());
                }
                let docs: Vec<Document> = self
                    .coll("anomaly_labels")
                    .find(filter)
                    .sort(doc! { "started_at": 1, "_id": 1 })
                    .limit(i64::try_from(limit).unwrap_or(i64::MAX))
                    .await
                    .map_err(map_err)?
                    .try_collect()
                    .await
                    .map_err(map_err)?;
                docs.into_iter().map(|d| doc_field(d, "doc")).collect()
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut t: Map<String, Value> = serde_json::from_value(json!({"a": 1, "b": {"c": 2, "d": 3}})).unwrap();
        let p: Map<String, Value> = serde_json::from_value(json!({"a": null, "b": {"d": null, "e": 4}})).unwrap();
        merge_patch(&mut t, &p);
        assert_eq!(Value::Object(t), json!({"b": {"c": 2, "e": 4}}));
    }

    #[test]
    fn sequence_numbers_increase() {
        let a = next_seq();
        let b = next_seq();
        assert!(b > a);
    }
}
