//! Contract of [`DeviceStore`] and [`AutomationStore`].

use homeguard_domain::automation::{AutomationAction, AutomationTrigger, Conditions};
use homeguard_domain::{Automation, Device, DeviceType, EventType, Location};
use serde_json::json;
use uuid::Uuid;

use super::now_ms;
use crate::{AutomationStore, DeviceStore, StoreError};

fn device(owner: Uuid, name: &str) -> Device {
    let now = now_ms();
    Device {
        device_id: Uuid::new_v4(),
        user_id: owner,
        name: name.into(),
        device_type: DeviceType::Lock,
        model: "Yale Assure Lock 2".into(),
        firmware_version: "1.2.3".into(),
        location: Location { zone: "Front Entrance".into(), floor: 1 },
        config: serde_json::from_value(json!({ "auto_lock_delay": 30, "nested": { "a": [1, 2] } })).unwrap(),
        created_at: now,
        updated_at: now,
    }
}

pub async fn run(store: &dyn DeviceStore) {
    store.health().await.expect("health");
    let owner = Uuid::new_v4();
    let first = device(owner, "First");
    let second = device(owner, "Second");
    let others = device(Uuid::new_v4(), "Other home");
    for d in [&first, &second, &others] {
        store.insert(d).await.expect("insert");
    }
    assert_eq!(store.get(first.device_id).await.unwrap(), Some(first.clone()), "round trip keeps every field");
    match store.insert(&first).await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("inserting an existing id must conflict, got {other:?}"),
    }

    let mine = store.list_for_user(owner).await.unwrap();
    assert_eq!(mine.iter().map(|d| d.device_id).collect::<Vec<_>>(), vec![first.device_id, second.device_id]);
    let all = store.list_all().await.unwrap();
    assert!(all.iter().any(|d| d.device_id == others.device_id) && all.len() >= 3);

    let mut renamed = first.clone();
    renamed.name = "Renamed".into();
    assert!(store.update(&renamed).await.unwrap());
    assert_eq!(store.get(first.device_id).await.unwrap().unwrap().name, "Renamed");
    assert!(!store.update(&device(owner, "ghost")).await.unwrap(), "updating a missing device");

    assert!(store.delete(second.device_id).await.unwrap());
    assert!(!store.delete(second.device_id).await.unwrap());
    assert!(store.get(second.device_id).await.unwrap().is_none());
    assert_eq!(store.list_for_user(owner).await.unwrap().len(), 1);
    assert!(store.list_for_user(Uuid::new_v4()).await.unwrap().is_empty());
}

fn automation(owner: Uuid) -> Automation {
    let now = now_ms();
    Automation {
        automation_id: Uuid::new_v4(),
        user_id: owner,
        name: "Night Motion Alert".into(),
        enabled: true,
        trigger: AutomationTrigger::DeviceEvent {
            device_id: Some(Uuid::new_v4()),
            device_type: None,
            zone: None,
            event_type: EventType::MotionDetected,
            conditions: Conditions::default(),
        },
        actions: vec![AutomationAction::Notification {
            channel: "push".into(),
            message: "Motion!".into(),
            title: None,
            severity: Default::default(),
        }],
        cooldown_seconds: 60,
        created_at: now,
        updated_at: now,
    }
}

pub async fn run_automations(store: &dyn AutomationStore) {
    let owner = Uuid::new_v4();
    let a = automation(owner);
    let b = automation(owner);
    store.insert(&a).await.unwrap();
    store.insert(&b).await.unwrap();
    assert!(matches!(store.insert(&a).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.get(a.automation_id).await.unwrap(), Some(a.clone()));
    let ids: Vec<_> = store.list_for_user(owner).await.unwrap().into_iter().map(|x| x.automation_id).collect();
    assert_eq!(ids, vec![a.automation_id, b.automation_id]);

    let disabled = Automation { enabled: false, ..a.clone() };
    assert!(store.update(&disabled).await.unwrap());
    assert!(!store.get(a.automation_id).await.unwrap().unwrap().enabled);
    assert!(!store.update(&automation(owner)).await.unwrap());
    assert!(store.delete(b.automation_id).await.unwrap());
    assert!(!store.delete(b.automation_id).await.unwrap());
    assert_eq!(store.list_for_user(owner).await.unwrap().len(), 1);
}

pub async fn run_device_keys(store: &dyn DeviceStore) {
    let owner = Uuid::new_v4();
    let d = device(owner, "Keyed");
    store.insert(&d).await.unwrap();
    let hash = format!("{:064x}", Uuid::new_v4().as_u128());
    assert!(store.find_by_key_hash(&hash).await.unwrap().is_none());
    assert!(store.set_key_hash(d.device_id, &hash).await.unwrap());
    assert_eq!(store.find_by_key_hash(&hash).await.unwrap().map(|x| x.device_id), Some(d.device_id));
    let rotated = format!("{:064x}", Uuid::new_v4().as_u128());
    assert!(store.set_key_hash(d.device_id, &rotated).await.unwrap());
    assert!(store.find_by_key_hash(&hash).await.unwrap().is_none(), "the old key stops working");
    assert!(store.find_by_key_hash(&rotated).await.unwrap().is_some());
    let mut renamed = d.clone();
    renamed.name = "Renamed".into();
    store.update(&renamed).await.unwrap();
    assert!(store.find_by_key_hash(&rotated).await.unwrap().is_some(), "an update keeps the key");
    assert!(!store.set_key_hash(Uuid::new_v4(), &hash).await.unwrap());
    store.delete(d.device_id).await.unwrap();
    assert!(store.find_by_key_hash(&rotated).await.unwrap().is_none(), "a deleted device's key is gone");
}
