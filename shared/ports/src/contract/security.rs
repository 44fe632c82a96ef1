//! Contract of [`SecurityStore`]: decisions recorded once, incidents saved
//! over the version they were read at.

use chrono::Duration;
use homeguard_domain::alarm::ZoneType;
use homeguard_domain::event::EventType;
use homeguard_domain::incident::{Incident, IncidentKind, IncidentStatus, Item, ItemKind};
use homeguard_domain::page::Cursor;
use homeguard_domain::security::{Decision, Facts, Outcome, Reason};
use serde_json::Value;
use uuid::Uuid;

use super::now_ms;
use crate::{DecisionQuery, IncidentQuery, SecurityStore};

fn decision(user: Uuid, at: chrono::DateTime<chrono::Utc>, outcome: Outcome) -> Decision {
    let event_id = Uuid::new_v4();
    Decision {
        id: Decision::id_for(event_id),
        user_id: user,
        event_id,
        event_type: EventType::MotionDetected,
        device_id: Uuid::new_v4(),
        device_name: "Living Room Motion".into(),
        at,
        outcome,
        summary: "Pet activity".into(),
        reasons: vec![Reason { code: "pet_registered".into(), text: "Milo (small cat)".into() }],
        facts: Facts {
            arm_state: "armed_night".into(),
            mode: "sleep".into(),
            zone_type: ZoneType::InteriorFollower,
            zone_armed: true,
            local_time: "02:00".into(),
            night: true,
            cross_zone_seconds: 20,
            ..Facts::default()
        },
        signal: None,
        notify: None,
        recorded_at: Some(at),
    }
}

fn query(user: Option<Uuid>) -> DecisionQuery {
    DecisionQuery { user_id: user, outcome: None, before: None, limit: 100 }
}

pub async fn run_decisions(store: &dyn SecurityStore) {
    let (home, other) = (Uuid::new_v4(), Uuid::new_v4());
    let t0 = now_ms();
    let a = decision(home, t0, Outcome::Suppress);
    let b = decision(home, t0 + Duration::seconds(5), Outcome::Alarm);
    let c = decision(other, t0 + Duration::seconds(2), Outcome::Log);
    assert_eq!(store.put_decisions(&[a.clone(), b.clone()]).await.unwrap(), [a.id, b.id]);
    let again = Decision { summary: "again".into(), ..a.clone() };
    assert_eq!(store.put_decisions(&[again, c.clone()]).await.unwrap(), [c.id], "each once");
    assert!(store.put_decisions(&[]).await.unwrap().is_empty());
    assert_eq!(store.decisions(&query(Some(home))).await.unwrap(), vec![b.clone(), a.clone()], "newest first");
    let suppressed = DecisionQuery { outcome: Some(Outcome::Suppress), ..query(Some(home)) };
    assert_eq!(store.decisions(&suppressed).await.unwrap(), vec![a.clone()]);
    let older = DecisionQuery { before: Some(Cursor { at: b.at, id: None }), ..query(Some(home)) };
    assert_eq!(store.decisions(&older).await.unwrap(), vec![a.clone()]);
    // Three decided in the same millisecond (one batch): paging one by one
    // with the cursor after each finds every one, once, in order.
    let same: Vec<Decision> = (0..3).map(|_| decision(other, t0 + Duration::seconds(9), Outcome::Log)).collect();
    store.put_decisions(&same).await.unwrap();
    let mut seen = vec![];
    let mut cursor = None;
    loop {
        let page = store.decisions(&DecisionQuery { before: cursor, limit: 1, ..query(Some(other)) }).await.unwrap();
        let Some(d) = page.first() else { break };
        cursor = Some(Cursor::after(d.at, d.id));
        seen.push(d.id);
    }
    let mut want: Vec<Uuid> = same.iter().map(|d| d.id).collect();
    want.sort_by_key(|d| std::cmp::Reverse(d.to_string()));
    want.push(c.id);
    assert_eq!(seen, want, "newest first, ties by id, none skipped");
    let one = DecisionQuery { limit: 1, ..query(Some(home)) };
    assert_eq!(store.decisions(&one).await.unwrap(), vec![b.clone()]);
    let all: Vec<Uuid> = store.decisions(&query(None)).await.unwrap().iter().map(|d| d.id).collect();
    assert!([a.id, b.id, c.id].iter().all(|id| all.contains(id)), "every home's");
}

pub async fn run_incidents(store: &dyn SecurityStore) {
    let (home, other) = (Uuid::new_v4(), Uuid::new_v4());
    let t0 = now_ms();
    let mut first = Incident::open(home, IncidentKind::Burglary, Uuid::new_v4(), "Back Window", t0);
    first.version = 1;
    assert!(store.save_incident(&first).await.unwrap());
    assert!(!store.save_incident(&first).await.unwrap(), "a second version 1 is refused");
    let mut later = first.clone();
    later.add(Item {
        id: Uuid::new_v4(),
        at: t0 + Duration::seconds(3),
        kind: ItemKind::Signal,
        text: "burglary".into(),
        by: None,
        data: Value::Null,
    });
    later.version = 2;
    assert!(store.save_incident(&later).await.unwrap());
    let mut stale = first.clone();
    stale.version = 2;
    stale.title = "a writer that read version 1 too".into();
    assert!(!store.save_incident(&stale).await.unwrap(), "another change came first");
    assert_eq!(store.incident(first.id).await.unwrap(), Some(later.clone()));
    assert_eq!(store.incident(Uuid::new_v4()).await.unwrap(), None);

    let mut second =
        Incident::open(home, IncidentKind::Fire, Uuid::new_v4(), "Kitchen Smoke", t0 + Duration::seconds(60));
    second.version = 1;
    store.save_incident(&second).await.unwrap();
    let mut theirs = Incident::open(other, IncidentKind::Panic, Uuid::new_v4(), "the app", t0 + Duration::seconds(30));
    theirs.version = 1;
    store.save_incident(&theirs).await.unwrap();

    let q = |status, before| IncidentQuery { user_id: Some(home), status, before, limit: 10 };
    let ids = |v: Vec<Incident>| v.into_iter().map(|i| i.id).collect::<Vec<_>>();
    assert_eq!(ids(store.incidents(&q(None, None)).await.unwrap()), [second.id, first.id], "newest first");
    assert_eq!(ids(store.incidents(&q(None, Some(second.opened_at.into()))).await.unwrap()), [first.id]);
    assert_eq!(ids(store.active_incidents(home).await.unwrap()), [second.id, first.id]);

    let mut closed = later.clone();
    closed.resolve(IncidentStatus::FalseAlarm, Some("the cat".into()), "Sarah", t0 + Duration::seconds(90)).unwrap();
    closed.version = 3;
    assert!(store.save_incident(&closed).await.unwrap());
    assert_eq!(ids(store.incidents(&q(Some(IncidentStatus::FalseAlarm), None)).await.unwrap()), [first.id]);
    assert_eq!(ids(store.incidents(&q(Some(IncidentStatus::Open), None)).await.unwrap()), [second.id]);
    assert_eq!(ids(store.active_incidents(home).await.unwrap()), [second.id], "a closed one is not active");
    let all =
        ids(store.incidents(&IncidentQuery { user_id: None, status: None, before: None, limit: 1000 }).await.unwrap());
    assert!(all.contains(&theirs.id) && all.contains(&first.id), "every home's");
}
