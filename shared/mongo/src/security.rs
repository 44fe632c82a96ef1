//! The security response's `security_decisions` (each recorded once by its
//! id) and `incidents` (saved whole over the version they were read at),
//! with the fields their queries filter and sort on beside each document.

use async_trait::async_trait;
use homeguard_domain::incident::Incident;
use homeguard_domain::security::Decision;
use homeguard_ports::error::StoreResult;
use homeguard_ports::{DecisionQuery, IncidentQuery, SecurityStore};
use mongodb::bson::doc;
use uuid::Uuid;

use crate::automations::before_filter;
use crate::{MongoStore, map_err, to_bson};

impl MongoStore {
    pub(crate) async fn security_indexes(&self) -> StoreResult<()> {
        self.index("security_decisions", doc! { "user_id": 1, "at": -1 }, false).await?;
        self.index("security_decisions", doc! { "at": -1 }, false).await?;
        self.index("incidents", doc! { "user_id": 1, "status": 1, "opened_at": -1 }, false).await?;
        self.index("incidents", doc! { "opened_at": -1 }, false).await
    }
}

#[async_trait]
impl SecurityStore for MongoStore {
    async fn put_decisions(&self, decisions: &[Decision]) -> StoreResult<Vec<Uuid>> {
        self.breaker
            .call(async {
                let mut new = vec![];
                for d in decisions {
                    let r = self
                        .coll("security_decisions")
                        .update_one(
                            doc! { "_id": d.id.to_string() },
                            doc! { "$setOnInsert": {
                                "user_id": d.user_id.to_string(),
                                "at": d.at.timestamp_millis(),
                                "outcome": d.outcome.as_str(),
                                "doc": to_bson(d)?,
                            } },
                        )
                        .upsert(true)
                        .await
                        .map_err(map_err)?;
                    if r.upserted_id.is_some() {
                        new.push(d.id);
                    }
                }
                Ok(new)
            })
            .await
    }

    async fn decisions(&self, q: &DecisionQuery) -> StoreResult<Vec<Decision>> {
        self.breaker
            .call(async {
                let mut filter = doc! {};
                if let Some(u) = q.user_id {
                    filter.insert("user_id", u.to_string());
                }
                if let Some(o) = q.outcome {
                    filter.insert("outcome", o.as_str());
                }
                let filter = before_filter(filter, "at", q.before);
                self.find_sorted("security_decisions", filter, doc! { "at": -1, "_id": -1 }, q.limit).await
            })
            .await
    }

    async fn save_incident(&self, i: &Incident) -> StoreResult<bool> {
        self.breaker
            .call(async {
                let fields = doc! {
                    "user_id": i.user_id.to_string(),
                    "opened_at": i.opened_at.timestamp_millis(),
                    "status": i.status.as_str(),
                    "version": i.version,
                    "doc": to_bson(i)?,
                };
                let coll = self.coll("incidents");
                let id = i.id.to_string();
                if i.version <= 1 {
                    let r = coll
                        .update_one(doc! { "_id": &id }, doc! { "$setOnInsert": fields })
                        .upsert(true)
                        .await
                        .map_err(map_err)?;
                    return Ok(r.upserted_id.is_some());
                }
                let r = coll
                    .update_one(doc! { "_id": &id, "version": i.version - 1 }, doc! { "$set": fields })
                    .await
                    .map_err(map_err)?;
                Ok(r.modified_count == 1)
            })
            .await
    }

    async fn incident(&self, id: Uuid) -> StoreResult<Option<Incident>> {
        self.breaker.call(self.get_doc("incidents", doc! { "_id": id.to_string() })).await
    }

    async fn incidents(&self, q: &IncidentQuery) -> StoreResult<Vec<Incident>> {
        self.breaker
            .call(async {
                let mut filter = doc! {};
                if let Some(u) = q.user_id {
                    filter.insert("user_id", u.to_string());
                }
                if let Some(s) = q.status {
                    filter.insert("status", s.as_str());
                }
                let filter = before_filter(filter, "opened_at", q.before);
                self.find_sorted("incidents", filter, doc! { "opened_at": -1, "_id": -1 }, q.limit).await
            })
            .await
    }

    async fn active_incidents(&self, user_id: Uuid) -> StoreResult<Vec<Incident>> {
        self.breaker
            .call(async {
                let filter = doc! { "user_id": user_id.to_string(), "status": { "$in": ["open", "acknowledged"] } };
                self.find_sorted("incidents", filter, doc! { "opened_at": -1, "_id": -1 }, 50).await
            })
            .await
    }
}
