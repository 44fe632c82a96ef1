//! Rule firings (`automation_runs`, claimed once by their id) and
//! `notifications`, with the fields their queries filter and sort on
//! beside each document.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use homeguard_domain::automation::{AutomationRun, RunStatus};
use homeguard_domain::dc09::Report;
use homeguard_domain::notification::{Delivery, Notification, Preferences};
use homeguard_domain::page::Cursor;
use homeguard_ports::error::StoreResult;
use homeguard_ports::{NotificationStore, ReportStore, RunStore};
use mongodb::bson::{Document, doc};
use uuid::Uuid;

use crate::{MongoStore, doc_field, map_err, next_seq, to_bson};

fn resume_at(run: &AutomationRun) -> Option<i64> {
    run.resume_at.filter(|_| run.status == RunStatus::Waiting).map(|t| t.timestamp_millis())
}

/// Newest first after the place `before` names: earlier than its time,
/// or at its time with a smaller id (the listing's tie-break, `_id`).
pub(crate) fn before_filter(mut filter: Document, field: &str, before: Option<Cursor>) -> Document {
    if let Some(c) = before {
        let at = c.at.timestamp_millis();
        let mut or = vec![doc! { field: { "$lt": at } }];
        if let Some(id) = c.id {
            or.push(doc! { field: at, "_id": { "$lt": id.to_string() } });
        }
        filter.insert("$or", or);
    }
    filter
}

impl MongoStore {
    pub(crate) async fn automation_indexes(&self) -> StoreResult<()> {
        self.index("automation_runs", doc! { "automation_id": 1, "at": -1 }, false).await?;
        self.index("automation_runs", doc! { "resume_at": 1 }, false).await?;
        self.index("notifications", doc! { "user_id": 1, "created_at": -1 }, false).await?;
        self.index("notifications", doc! { "due_at": 1 }, false).await?;
        self.index("monitoring_reports", doc! { "user_id": 1, "at": -1 }, false).await?;
        self.index("monitoring_reports", doc! { "at": -1 }, false).await
    }

    pub(crate) async fn find_sorted<T: serde::de::DeserializeOwned>(
        &self,
        coll: &str,
        filter: Document,
        sort: Document,
        limit: usize,
    ) -> StoreResult<Vec<T>> {
        let docs: Vec<Document> = self
            .coll(coll)
            .find(filter)
            .sort(sort)
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .await
            .map_err(map_err)?
            .try_collect()
            .await
            .map_err(map_err)?;
        docs.into_iter().map(|d| doc_field(d, "doc")).collect()
    }
}

#[async_trait]
impl RunStore for MongoStore {
    async fn claim(&self, run: &AutomationRun) -> StoreResult<bool> {
        self.breaker
            .call(async {
                let id = run.run_id.to_string();
                let r = self
                    .coll("automation_runs")
                    .update_one(
                        doc! { "_id": &id },
                        doc! { "$setOnInsert": {
                            "automation_id": run.automation_id.to_string(),
                            "at": run.at.timestamp_millis(),
                            "seq": next_seq(),
                            "fired": run.fired(),
                            "resume_at": resume_at(run),
                            "doc": to_bson(run)?,
                        } },
                    )
                    .upsert(true)
                    .await
                    .map_err(map_err)?;
                Ok(r.upserted_id.is_some())
            })
            .await
    }

    async fn finish(&self, run: &AutomationRun) -> StoreResult<()> {
        self.breaker
            .call(async {
                self.coll("automation_runs")
                    .update_one(
                        doc! { "_id": run.run_id.to_string() },
                        doc! { "$set": { "fired": run.fired(), "resume_at": resume_at(run), "doc": to_bson(run)? } },
                    )
                    .await
                    .map(drop)
                    .map_err(map_err)
            })
            .await
    }

    async fn get(&self, run_id: Uuid) -> StoreResult<Option<AutomationRun>> {
        self.breaker.call(async { self.get_doc("automation_runs", doc! { "_id": run_id.to_string() }).await }).await
    }

    async fn due(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<Vec<AutomationRun>> {
        self.breaker
            .call(async {
                let filter = doc! { "resume_at": { "$ne": null, "$lte": now.timestamp_millis() } };
                self.find_sorted("automation_runs", filter, doc! { "resume_at": 1 }, limit).await
            })
            .await
    }

    async fn discard(&self, run_id: Uuid) -> StoreResult<()> {
        self.breaker
            .call(async {
                self.coll("automation_runs")
                    .delete_one(doc! { "_id": run_id.to_string() })
                    .await
                    .map(drop)
                    .map_err(map_err)
            })
            .await
    }

    async fn runs(&self, automation_id: Uuid, before: Option<Cursor>, limit: usize) -> StoreResult<Vec<AutomationRun>> {
        self.breaker
            .call(async {
                let filter = before_filter(doc! { "automation_id": automation_id.to_string() }, "at", before);
                self.find_sorted("automation_runs", filter, doc! { "at": -1, "_id": -1 }, limit).await
            })
            .await
    }

    async fn last_fired(&self, automation_id: Uuid) -> StoreResult<Option<DateTime<Utc>>> {
        self.breaker
            .call(async {
                let latest: Vec<AutomationRun> = self
                    .find_sorted(
                        "automation_runs",
                        doc! { "automation_id": automation_id.to_string(), "fired": true },
                        doc! { "at": -1 },
                        1,
                    )
                    .await?;
                Ok(latest.first().map(|r| r.at))
            })
            .await
    }
}

#[async_trait]
impl NotificationStore for MongoStore {
    async fn insert(&self, n: &Notification) -> StoreResult<bool> {
        self.breaker
            .call(async {
                let r = self
                    .coll("notifications")
                    .update_one(
                        doc! { "_id": n.id.to_string() },
                        doc! { "$setOnInsert": {
                            "user_id": n.user_id.to_string(),
                            "created_at": n.created_at.timestamp_millis(),
                            "seq": next_seq(),
                            "read": n.read_at.is_some(),
                            "due_at": n.next_delivery_at.map(|t| t.timestamp_millis()),
                            "doc": to_bson(n)?,
                        } },
                    )
                    .upsert(true)
                    .await
                    .map_err(map_err)?;
                Ok(r.upserted_id.is_some())
            })
            .await
    }

    async fn get(&self, id: Uuid) -> StoreResult<Option<Notification>> {
        self.breaker.call(self.get_doc("notifications", doc! { "_id": id.to_string() })).await
    }

    async fn set_deliveries(
        &self,
        id: Uuid,
        deliveries: &[Delivery],
        next_delivery_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        self.breaker
            .call(async {
                let set = doc! {
                    "due_at": next_delivery_at.map(|t| t.timestamp_millis()),
                    "doc.deliveries": to_bson(&deliveries)?,
                    "doc.next_delivery_at": to_bson(&next_delivery_at)?,
                };
                self.coll("notifications")
                    .update_one(doc! { "_id": id.to_string() }, doc! { "$set": set })
                    .await
                    .map(drop)
                    .map_err(map_err)
            })
            .await
    }

    async fn due(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<Vec<Notification>> {
        self.breaker
            .call(async {
                let filter = doc! { "due_at": { "$ne": null, "$lte": now.timestamp_millis() } };
                self.find_sorted("notifications", filter, doc! { "due_at": 1 }, limit).await
            })
            .await
    }

    async fn list(
        &self,
        user_id: Uuid,
        unread_only: bool,
        before: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<Notification>> {
        self.breaker
            .call(async {
                let mut filter = doc! { "user_id": user_id.to_string() };
                if unread_only {
                    filter.insert("read", false);
                }
                let filter = before_filter(filter, "created_at", before);
                self.find_sorted("notifications", filter, doc! { "created_at": -1, "_id": -1 }, limit).await
            })
            .await
    }

    async fn mark_read(&self, user_id: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        self.breaker
            .call(async {
                let filter = doc! { "_id": id.to_string(), "user_id": user_id.to_string() };
                let Some(n): Option<Notification> = self.get_doc("notifications", filter.clone()).await? else {
                    return Ok(false);
                };
                if n.read_at.is_none() {
                    self.coll("notifications")
                        .update_one(filter, doc! { "$set": { "read": true, "doc.read_at": to_bson(&at)? } })
                        .await
                        .map_err(map_err)?;
                }
                Ok(true)
            })
            .await
    }

    async fn unread(&self, user_id: Uuid) -> StoreResult<u64> {
        self.breaker
            .call(async {
                self.coll("notifications")
                    .count_documents(doc! { "user_id": user_id.to_string(), "read": false })
                    .await
                    .map_err(map_err)
            })
            .await
    }

    async fn preferences(&self, user_id: Uuid) -> StoreResult<Option<Preferences>> {
        self.breaker.call(self.get_doc("notification_preferences", doc! { "_id": user_id.to_string() })).await
    }

    async fn set_preferences(&self, user_id: Uuid, preferences: &Preferences) -> StoreResult<()> {
        self.breaker
            .call(async {
                self.put_fields("notification_preferences", &user_id.to_string(), doc! { "doc": to_bson(preferences)? })
                    .await
            })
            .await
    }
}

#[async_trait]
impl ReportStore for MongoStore {
    async fn put(&self, r: &Report) -> StoreResult<()> {
        self.breaker
            .call(async {
                let fields =
                    doc! { "user_id": r.user_id.to_string(), "at": r.at.timestamp_millis(), "doc": to_bson(r)? };
                self.put_fields("monitoring_reports", &r.id.to_string(), fields).await
            })
            .await
    }

    async fn get(&self, id: Uuid) -> StoreResult<Option<Report>> {
        self.breaker.call(self.get_doc("monitoring_reports", doc! { "_id": id.to_string() })).await
    }

    async fn list(&self, user_id: Option<Uuid>, before: Option<Cursor>, limit: usize) -> StoreResult<Vec<Report>> {
        self.breaker
            .call(async {
                let mut filter = doc! {};
                if let Some(u) = user_id {
                    filter.insert("user_id", u.to_string());
                }
                let filter = before_filter(filter, "at", before);
                self.find_sorted("monitoring_reports", filter, doc! { "at": -1, "_id": -1 }, limit).await
            })
            .await
    }
}
