//! Contract of [`RunStore`] and [`NotificationStore`].

use chrono::Duration;
use homeguard_domain::automation::{ActionOutcome, AutomationRun, RunStatus, Severity, run_id};
use homeguard_domain::notification::{Delivery, DeliveryStatus, Notification, Preferences, Source, TimeRange};
use serde_json::json;
use uuid::Uuid;

use super::now_ms;
use crate::{NotificationStore, RunStore};

fn run(rule: Uuid, key: &str, at: chrono::DateTime<chrono::Utc>, status: RunStatus) -> AutomationRun {
    AutomationRun {
        run_id: run_id(rule, key),
        automation_id: rule,
        user_id: Uuid::new_v4(),
        trigger: json!({ "key": key }),
        at,
        conditions: vec![],
        status,
        actions: vec![ActionOutcome { action: "notification".into(), status: "pending".into(), detail: String::new() }],
        resume_at: None,
    }
}

pub async fn run_runs(store: &dyn RunStore) {
    let rule = Uuid::new_v4();
    let t0 = now_ms();
    assert_eq!(store.last_fired(rule).await.unwrap(), None);
    let first = run(rule, "event:1", t0, RunStatus::Running);
    assert!(store.claim(&first).await.unwrap());
    assert!(!store.claim(&first).await.unwrap(), "a firing is claimed once");
    assert_eq!(store.get(first.run_id).await.unwrap(), Some(first.clone()));
    let mut done = first.clone();
    done.status = RunStatus::Done;
    done.actions[0].status = "done".into();
    store.finish(&done).await.unwrap();
    assert_eq!(store.get(first.run_id).await.unwrap(), Some(done.clone()));
    let held = run(rule, "event:2", t0 + Duration::seconds(5), RunStatus::Cooldown);
    assert!(store.claim(&held).await.unwrap());
    assert_eq!(store.last_fired(rule).await.unwrap(), Some(t0), "a cooldown's hold is not a firing");
    let later = run(rule, "event:3", t0 + Duration::seconds(90), RunStatus::Failed);
    assert!(store.claim(&later).await.unwrap());
    assert_eq!(store.last_fired(rule).await.unwrap(), Some(t0 + Duration::seconds(90)));
    let all = store.runs(rule, None, 10).await.unwrap();
    assert_eq!(all.iter().map(|r| r.run_id).collect::<Vec<_>>(), vec![later.run_id, held.run_id, done.run_id]);
    let older = store.runs(rule, Some((t0 + Duration::seconds(5)).into()), 10).await.unwrap();
    assert_eq!(older, vec![done]);
    assert_eq!(store.runs(rule, None, 1).await.unwrap().len(), 1);
    assert!(store.runs(Uuid::new_v4(), None, 10).await.unwrap().is_empty());

    // Waiting runs come due at their time, and go on or are discarded.
    let wake = t0 + Duration::days(1000);
    let mut watch = run(rule, "held:4", t0 + Duration::seconds(100), RunStatus::Waiting);
    watch.resume_at = Some(wake);
    assert!(store.claim(&watch).await.unwrap());
    let mut delayed = run(rule, "event:5", t0 + Duration::seconds(110), RunStatus::Waiting);
    delayed.resume_at = Some(wake + Duration::seconds(1));
    delayed.actions[0].status = "done".into();
    assert!(store.claim(&delayed).await.unwrap());
    assert_eq!(store.last_fired(rule).await.unwrap(), Some(delayed.at), "a delayed firing has fired; a watch has not");
    let mine = |runs: Vec<AutomationRun>| {
        runs.into_iter().filter(|r| r.automation_id == rule).map(|r| r.run_id).collect::<Vec<_>>()
    };
    assert_eq!(mine(store.due(wake - Duration::seconds(1), 1000).await.unwrap()), Vec::<Uuid>::new());
    assert_eq!(mine(store.due(wake, 1000).await.unwrap()), vec![watch.run_id]);
    assert_eq!(mine(store.due(wake + Duration::seconds(1), 1000).await.unwrap()), vec![watch.run_id, delayed.run_id]);
    store.discard(watch.run_id).await.unwrap();
    assert_eq!(store.get(watch.run_id).await.unwrap(), None);
    let mut resumed = delayed.clone();
    resumed.status = RunStatus::Done;
    store.finish(&resumed).await.unwrap();
    assert!(mine(store.due(wake + Duration::days(1), 1000).await.unwrap()).is_empty(), "done runs are not due");
    assert_eq!(store.get(delayed.run_id).await.unwrap(), Some(resumed));
}

pub async fn run_notifications(store: &dyn NotificationStore) {
    let (me, them) = (Uuid::new_v4(), Uuid::new_v4());
    let t0 = now_ms();
    let note = |user, secs: i64, severity| Notification {
        id: Uuid::now_v7(),
        user_id: user,
        title: "Motion".into(),
        body: "Motion at Living Room Motion".into(),
        severity,
        source: Source::Rule,
        source_id: Some(Uuid::new_v4()),
        channels: vec!["email".into()],
        created_at: t0 + Duration::seconds(secs),
        read_at: None,
        deliveries: vec![],
        next_delivery_at: None,
        acknowledges: None,
    };
    let (a, mut b, c) = (note(me, 0, Severity::Normal), note(me, 10, Severity::Critical), note(them, 5, Severity::Low));
    b.acknowledges = Some(Uuid::new_v4());
    for n in [&a, &b, &c] {
        assert!(store.insert(n).await.unwrap());
    }
    assert!(!store.insert(&a).await.unwrap(), "stored once");
    assert_eq!(store.unread(me).await.unwrap(), 2);
    let mine = store.list(me, false, None, 10).await.unwrap();
    assert_eq!(mine, vec![b.clone(), a.clone()], "newest first, only mine");
    assert!(!store.mark_read(them, a.id, t0).await.unwrap(), "not theirs");
    assert!(store.mark_read(me, a.id, t0 + Duration::seconds(20)).await.unwrap());
    assert_eq!(store.unread(me).await.unwrap(), 1);
    assert_eq!(store.list(me, true, None, 10).await.unwrap(), vec![b.clone()]);
    assert_eq!(
        store.list(me, false, Some(b.created_at.into()), 10).await.unwrap()[0].read_at,
        Some(t0 + Duration::seconds(20))
    );
    assert_eq!(store.get(b.id).await.unwrap(), Some(b.clone()));
    assert_eq!(store.get(Uuid::new_v4()).await.unwrap(), None);

    // Deliveries: one held until a time, then settled; the read mark stays.
    let held = vec![Delivery::new("email", DeliveryStatus::Held, "quiet hours", t0)];
    let release = t0 + Duration::hours(8);
    store.set_deliveries(a.id, &held, Some(release)).await.unwrap();
    assert!(store.due(release - Duration::seconds(1), 10).await.unwrap().is_empty(), "not due before its time");
    let due = store.due(release, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].id, &due[0].deliveries, due[0].next_delivery_at), (a.id, &held, Some(release)));
    assert!(due[0].read_at.is_some(), "setting deliveries keeps the read mark");
    let mut sent = Delivery::new("email", DeliveryStatus::Delivered, "250 OK", release);
    sent.attempts = 1;
    store.set_deliveries(a.id, std::slice::from_ref(&sent), None).await.unwrap();
    assert!(store.due(release + Duration::days(1), 10).await.unwrap().is_empty(), "settled");
    assert_eq!(store.get(a.id).await.unwrap().unwrap().deliveries, vec![sent]);
    // Marking read keeps the deliveries.
    store.set_deliveries(b.id, &held, None).await.unwrap();
    assert!(store.mark_read(me, b.id, t0).await.unwrap());
    assert_eq!(store.get(b.id).await.unwrap().unwrap().deliveries, held);

    // Preferences.
    assert_eq!(store.preferences(me).await.unwrap(), None);
    let quiet = Preferences {
        email: false,
        webhook_url: Some("https://n8n.example.com/webhook/me".into()),
        quiet_hours: Some(TimeRange { start: "22:00".into(), end: "07:00".into() }),
    };
    store.set_preferences(me, &quiet).await.unwrap();
    store.set_preferences(them, &Preferences::default()).await.unwrap();
    assert_eq!(store.preferences(me).await.unwrap(), Some(quiet.clone()));
    let loud = Preferences { quiet_hours: None, ..quiet };
    store.set_preferences(me, &loud).await.unwrap();
    assert_eq!(store.preferences(me).await.unwrap(), Some(loud));
    assert_eq!(store.preferences(them).await.unwrap(), Some(Preferences::default()));
}

pub async fn run_reports(store: &dyn crate::ReportStore) {
    use homeguard_domain::dc09::Report;
    let (home, other) = (Uuid::new_v4(), Uuid::new_v4());
    let t0 = now_ms();
    let report = |user, secs: i64, code| Report {
        id: Uuid::now_v7(),
        user_id: user,
        code,
        qualifier: 1,
        zone: 3,
        text: "burglary".into(),
        at: t0 + Duration::seconds(secs),
        sent_at: t0 + Duration::seconds(secs),
        status: "failed".into(),
        attempts: 4,
        detail: "connection refused".into(),
    };
    let (a, b, c) = (report(home, 0, 130), report(home, 10, 121), report(other, 5, 110));
    for r in [&a, &b, &c] {
        store.put(r).await.unwrap();
    }
    let acked = Report { status: "acknowledged".into(), attempts: 1, detail: "ACK (sequence 7)".into(), ..a.clone() };
    store.put(&acked).await.unwrap();
    assert_eq!(store.get(a.id).await.unwrap(), Some(acked.clone()), "replaced, not added");
    assert_eq!(store.get(Uuid::new_v4()).await.unwrap(), None);
    assert_eq!(
        store.list(Some(home), None, 10).await.unwrap(),
        vec![b.clone(), acked.clone()],
        "newest first, one home's"
    );
    assert_eq!(store.list(Some(home), Some(b.at.into()), 10).await.unwrap(), vec![acked]);
    let all: Vec<Uuid> = store.list(None, None, 1000).await.unwrap().iter().map(|r| r.id).collect();
    assert!([a.id, b.id, c.id].iter().all(|id| all.contains(id)), "every home's");
}
