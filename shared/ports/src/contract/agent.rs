//! Contract of [`AgentMemory`].

use chrono::Duration;
use homeguard_domain::agent::{ChatMessage, ChatRole};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::now_ms;
use crate::AgentMemory;

fn map(v: Value) -> Map<String, Value> {
    serde_json::from_value(v).unwrap()
}

pub async fn run(memory: &dyn AgentMemory) {
    let (user, other) = (Uuid::new_v4(), Uuid::new_v4());
    let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
    let t0 = now_ms();
    let msg = |role, content: &str, secs: i64| ChatMessage {
        role,
        content: content.into(),
        actions_taken: if role == ChatRole::Assistant { vec!["set_home_mode".into()] } else { vec![] },
        timestamp: t0 + Duration::seconds(secs),
    };
    let said = [
        (first, msg(ChatRole::User, "I'm leaving for vacation tomorrow", 0)),
        (first, msg(ChatRole::Assistant, "I'll prepare your home for vacation mode", 1)),
        (second, msg(ChatRole::User, "Is the front door locked?", 10)),
    ];
    for (session, m) in &said {
        memory.append(user, *session, m).await.unwrap();
    }
    memory.append(other, first, &msg(ChatRole::User, "someone else", 5)).await.unwrap();

    let c = memory.conversation(user, first).await.unwrap().expect("conversation");
    assert_eq!(c.messages, vec![said[0].1.clone(), said[1].1.clone()]);
    assert_eq!((c.user_id, c.session_id), (user, first));
    assert!(memory.conversation(user, Uuid::new_v4()).await.unwrap().is_none());
    let theirs = memory.conversation(other, first).await.unwrap().unwrap();
    assert_eq!(theirs.messages.len(), 1, "a session id never mixes users");

    let history = memory.history(user, 2).await.unwrap();
    assert_eq!(history, vec![said[1].1.clone(), said[2].1.clone()], "the latest, oldest first");

    memory
        .merge_context(user, first, &map(json!({"vacation_mode": true, "return_date": "2024-01-29"})), t0)
        .await
        .unwrap();
    memory.merge_context(user, first, &map(json!({"return_date": null})), t0).await.unwrap();
    let c = memory.conversation(user, first).await.unwrap().unwrap();
    assert_eq!(c.context, map(json!({"vacation_mode": true})));

    assert!(memory.learnings(user).await.unwrap().is_empty());
    let prefs = map(json!({"alert_preferences": {"suppress_pet_motion": true}, "automation_style": "proactive"}));
    memory.merge_learnings(user, &prefs, t0).await.unwrap();
    memory.merge_learnings(user, &map(json!({"automation_style": null})), t0).await.unwrap();
    assert_eq!(memory.learnings(user).await.unwrap(), map(json!({"alert_preferences": {"suppress_pet_motion": true}})));
    assert!(memory.learnings(other).await.unwrap().is_empty());
}
