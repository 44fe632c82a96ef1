//! Contract of [`UserStore`] and [`SessionStore`].

use chrono::Duration;
use homeguard_domain::Role;
use uuid::Uuid;

use super::now_ms;
use crate::{NewUser, Session, SessionStore, StoreError, UserStore};

fn new_user(role: Role) -> NewUser {
    let id = Uuid::new_v4();
    NewUser {
        id,
        email: format!("u-{id}@contract.test"),
        name: "Contract User".into(),
        role,
        password_hash: "$argon2id$v=19$fake".into(),
        now: now_ms(),
    }
}

pub async fn run(users: &dyn UserStore, sessions: &dyn SessionStore) {
    users.health().await.expect("health");
    create_then_find(users).await;
    duplicate_email_conflicts(users).await;
    unknown_users_are_none(users).await;
    sessions_lifecycle(users, sessions).await;
}

async fn create_then_find(users: &dyn UserStore) {
    let nu = new_user(Role::Admin);
    let created = users.create(nu.clone()).await.expect("create");
    assert_eq!((created.id, &created.email, created.role), (nu.id, &nu.email, Role::Admin));
    assert_eq!(created.created_at, nu.now);

    let (found, hash) = users.find_by_email(&nu.email).await.unwrap().expect("found by email");
    assert_eq!(found, created);
    assert_eq!(hash, nu.password_hash);
    assert_eq!(users.get(nu.id).await.unwrap(), Some(created.clone()));
    assert!(users.list().await.unwrap().iter().any(|u| u.id == nu.id), "list includes the new user");
}

async fn duplicate_email_conflicts(users: &dyn UserStore) {
    let first = new_user(Role::User);
    users.create(first.clone()).await.unwrap();
    let again = NewUser { id: Uuid::new_v4(), ..first };
    match users.create(again).await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("duplicate email must conflict, got {other:?}"),
    }
}

async fn unknown_users_are_none(users: &dyn UserStore) {
    assert!(users.get(Uuid::new_v4()).await.unwrap().is_none());
    assert!(users.find_by_email("nobody-here@contract.test").await.unwrap().is_none());
}

async fn sessions_lifecycle(users: &dyn UserStore, sessions: &dyn SessionStore) {
    let user = users.create(new_user(Role::User)).await.unwrap();
    let now = now_ms();
    let live = Session {
        id: Uuid::new_v4(),
        user_id: user.id,
        token_hash: "a".repeat(64),
        expires_at: now + Duration::hours(1),
        created_at: now,
        revoked_at: None,
        name: None,
    };
    sessions.create(live.clone()).await.unwrap();
    assert_eq!(sessions.get(live.id).await.unwrap(), Some(live.clone()));
    assert!(live.is_active(now));

    assert!(sessions.revoke(live.id, now).await.unwrap(), "first revoke revokes");
    assert!(!sessions.revoke(live.id, now).await.unwrap(), "second revoke is a no-op");
    let revoked = sessions.get(live.id).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(now));
    assert!(!revoked.is_active(now));
    assert!(!sessions.revoke(Uuid::new_v4(), now).await.unwrap());

    let old = Session {
        id: Uuid::new_v4(),
        expires_at: now - Duration::days(2),
        created_at: now - Duration::days(3),
        ..live.clone()
    };
    sessions.create(old.clone()).await.unwrap();
    assert!(sessions.delete_expired(now - Duration::days(1)).await.unwrap() >= 1);
    assert!(sessions.get(old.id).await.unwrap().is_none(), "expired session purged");
    assert!(sessions.get(live.id).await.unwrap().is_some(), "unexpired session kept");

    // Service tokens: named sessions, listed while they work.
    let token = |name: &str, secs: i64| Session {
        id: Uuid::new_v4(),
        created_at: now + Duration::seconds(secs),
        expires_at: now + Duration::days(365),
        revoked_at: None,
        name: Some(name.into()),
        ..live.clone()
    };
    let (n8n, script, gone) = (token("n8n", 1), token("backup script", 2), token("old", 3));
    for t in [&n8n, &script, &gone] {
        sessions.create(t.clone()).await.unwrap();
    }
    assert!(sessions.revoke(gone.id, now).await.unwrap());
    assert_eq!(sessions.get(n8n.id).await.unwrap(), Some(n8n.clone()), "the name is kept");
    let listed = sessions.tokens(user.id, now).await.unwrap();
    assert_eq!(listed, vec![script.clone(), n8n.clone()], "named, working, newest first; logins are not tokens");
    assert_eq!(sessions.tokens(user.id, now + Duration::days(366)).await.unwrap(), vec![], "expired ones are not");
    assert_eq!(sessions.tokens(Uuid::new_v4(), now).await.unwrap(), vec![]);
}
