//! Homes and their household: `homes` (one per user), `home_codes` (with
//! the keyed hash beside the document: queried, never returned),
//! `home_pets` and `home_contacts`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use homeguard_domain::home::{Code, Contact, Home, Pet};
use homeguard_ports::error::StoreResult;
use homeguard_ports::{HomeStore, StoreError};
use mongodb::bson::{Document, doc};
use uuid::Uuid;

use crate::{MongoStore, map_err, next_seq, to_bson};

impl MongoStore {
    pub(crate) async fn home_indexes(&self) -> StoreResult<()> {
        self.index("home_codes", doc! { "user_id": 1, "hash": 1 }, true).await?;
        self.index("home_codes", doc! { "user_id": 1, "seq": 1 }, false).await?;
        self.index("home_pets", doc! { "user_id": 1, "seq": 1 }, false).await?;
        self.index("home_contacts", doc! { "user_id": 1, "priority": 1, "seq": 1 }, false).await
    }

    async fn delete_owned(&self, coll: &str, user: Uuid, id: Uuid) -> StoreResult<bool> {
        let r = self
            .coll(coll)
            .delete_one(doc! { "_id": id.to_string(), "user_id": user.to_string() })
            .await
            .map_err(map_err)?;
        Ok(r.deleted_count == 1)
    }

    async fn list_sorted<T: serde::de::DeserializeOwned>(
        &self,
        coll: &str,
        user: Uuid,
        sort: Document,
    ) -> StoreResult<Vec<T>> {
        use futures::TryStreamExt;
        let docs: Vec<Document> = self
            .coll(coll)
            .find(doc! { "user_id": user.to_string() })
            .sort(sort)
            .await
            .map_err(map_err)?
            .try_collect()
            .await
            .map_err(map_err)?;
        docs.into_iter().map(|d| crate::doc_field(d, "doc")).collect()
    }
}

#[async_trait]
impl HomeStore for MongoStore {
    async fn get(&self, user_id: Uuid) -> StoreResult<Option<Home>> {
        self.breaker.call(async { self.get_doc("homes", doc! { "_id": user_id.to_string() }).await }).await
    }

    async fn put(&self, home: &Home) -> StoreResult<()> {
        self.breaker
            .call(async {
                let id = home.user_id.to_string();
                self.put_fields("homes", &id, doc! { "user_id": &id, "doc": to_bson(home)? }).await
            })
            .await
    }

    async fn watched(&self) -> StoreResult<Vec<Home>> {
        self.breaker.call(async { self.list_docs("homes", doc! { "doc.wellness.enabled": true }).await }).await
    }

    async fn insert_code(&self, code: &Code, hash: &str) -> StoreResult<()> {
        self.breaker
            .call(async {
                // The unique index refuses a duplicate on MongoDB itself; asking first
                // gives the same answer on servers that do not enforce it.
                let user = code.user_id.to_string();
                let taken = self.coll("home_codes").find_one(doc! { "user_id": &user, "hash": hash }).await.map_err(map_err)?;
                if taken.is_some() {
                    return Err(StoreError::Conflict("the home has this code already".into()));
                }
                let d = doc! { "_id": code.id.to_string(), "user_id": user, "hash": hash, "seq": next_seq(), "doc": to_bson(code)? };
                self.coll("home_codes").insert_one(d).await.map(drop).map_err(map_err)
            })
            .await
    }

    async fn codes(&self, user_id: Uuid) -> StoreResult<Vec<Code>> {
        self.breaker.call(async { self.list_sorted("home_codes", user_id, doc! { "seq": 1 }).await }).await
    }

    async fn find_code(&self, user_id: Uuid, hashes: &[String]) -> StoreResult<Option<Code>> {
        if hashes.is_empty() {
            return Ok(None);
        }
        self.breaker
            .call(async {
                self.get_doc("home_codes", doc! { "user_id": user_id.to_string(), "hash": { "$in": hashes } }).await
            })
            .await
    }

    async fn use_code(&self, user_id: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        self.breaker
            .call(async {
                let filter = doc! {
                    "_id": id.to_string(),
                    "user_id": user_id.to_string(),
                    "used": { "$exists": false },
                    "doc.guest": { "$exists": true },
                };
                let update = doc! { "$set": { "used": true, "doc.guest.used_at": to_bson(&at)? } };
                let r = self.coll("home_codes").update_one(filter, update).await.map_err(map_err)?;
                Ok(r.modified_count == 1)
            })
            .await
    }

    async fn delete_code(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        self.breaker.call(async { self.delete_owned("home_codes", user_id, id).await }).await
    }

    async fn insert_pet(&self, pet: &Pet) -> StoreResult<()> {
        self.breaker.call(async { self.insert_doc("home_pets", pet.id, pet.user_id, pet).await }).await
    }

    async fn pets(&self, user_id: Uuid) -> StoreResult<Vec<Pet>> {
        self.breaker.call(async { self.list_sorted("home_pets", user_id, doc! { "seq": 1 }).await }).await
    }

    async fn delete_pet(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        self.breaker.call(async { self.delete_owned("home_pets", user_id, id).await }).await
    }

    async fn insert_contact(&self, contact: &Contact) -> StoreResult<()> {
        self.breaker
            .call(async {
                let d = doc! {
                    "_id": contact.id.to_string(),
                    "user_id": contact.user_id.to_string(),
                    "priority": i32::from(contact.priority),
                    "seq": next_seq(),
                    "doc": to_bson(contact)?,
                };
                self.coll("home_contacts").insert_one(d).await.map(drop).map_err(map_err)
            })
            .await
    }

    async fn contacts(&self, user_id: Uuid) -> StoreResult<Vec<Contact>> {
        self.breaker
            .call(async { self.list_sorted("home_contacts", user_id, doc! { "priority": 1, "seq": 1 }).await })
            .await
    }

    async fn delete_contact(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        self.breaker.call(async { self.delete_owned("home_contacts", user_id, id).await }).await
    }
}
