//! Contract of [`HomeStore`] and [`AlarmStore`].

use chrono::Duration;
use homeguard_domain::alarm::{Actor, AlarmRecord, ArmMode, EntryKind};
use homeguard_domain::home::{
    Code, CodeKind, Contact, GuestWindow, Home, NewContact, NewPet, Permissions, PetKind, PetSize,
};
use uuid::Uuid;

use super::now_ms;
use crate::homes::LogQuery;
use crate::{AlarmStore, HomeStore, StoreError};

fn code(home: Uuid, name: &str, kind: CodeKind, guest: Option<GuestWindow>) -> Code {
    Code {
        id: Uuid::now_v7(),
        user_id: home,
        name: name.into(),
        kind,
        permissions: Permissions::default(),
        guest,
        created_at: now_ms(),
    }
}

pub async fn run_homes(store: &dyn HomeStore) {
    let (mine, theirs) = (Uuid::new_v4(), Uuid::new_v4());
    assert_eq!(store.get(mine).await.unwrap(), None);
    let mut home = Home::new(mine, "America/New_York", now_ms()).unwrap();
    home.settings.exit_delay_seconds = 90;
    home.zones.insert(Uuid::new_v4(), Default::default());
    store.put(&home).await.unwrap();
    assert_eq!(store.get(mine).await.unwrap(), Some(home.clone()), "round trip keeps every field");
    home.time_zone = "Europe/Paris".into();
    store.put(&home).await.unwrap();
    assert_eq!(store.get(mine).await.unwrap().unwrap().time_zone, "Europe/Paris", "put replaces");

    // The wellness check: the homes that have it on, and only those.
    let mut theirs_home = Home::new(theirs, "UTC", now_ms()).unwrap();
    let input = |enabled| homeguard_domain::wellness::WellnessInput {
        enabled,
        hours: 5,
        awake_from: "07:00".into(),
        awake_until: "22:00".into(),
    };
    theirs_home.wellness = Some(homeguard_domain::wellness::WellnessCheck::new(input(false), now_ms()).unwrap());
    store.put(&theirs_home).await.unwrap();
    assert!(!store.watched().await.unwrap().iter().any(|h| h.user_id == mine || h.user_id == theirs), "off or unset");
    home.wellness = Some(homeguard_domain::wellness::WellnessCheck::new(input(true), now_ms()).unwrap());
    store.put(&home).await.unwrap();
    let on: Vec<Home> =
        store.watched().await.unwrap().into_iter().filter(|h| h.user_id == mine || h.user_id == theirs).collect();
    assert_eq!(on, vec![home.clone()], "on: the home whole");

    // Codes: looked up by hash, never returned with it; a hash is the home's once.
    let john = code(mine, "John", CodeKind::Member, None);
    let duress = code(mine, "John", CodeKind::Duress, None);
    let window =
        GuestWindow { starts_at: now_ms(), ends_at: now_ms() + Duration::hours(4), single_use: true, used_at: None };
    let guest = code(mine, "Alice", CodeKind::Guest, Some(window));
    store.insert_code(&john, "h-john").await.unwrap();
    store.insert_code(&duress, "h-duress").await.unwrap();
    store.insert_code(&guest, "h-alice").await.unwrap();
    match store.insert_code(&code(mine, "Again", CodeKind::Member, None), "h-john").await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("a home's hash is unique, got {other:?}"),
    }
    store
        .insert_code(&code(theirs, "Other", CodeKind::Member, None), "h-john")
        .await
        .expect("another home may have it");
    let codes = store.codes(mine).await.unwrap();
    assert_eq!(codes.iter().map(|c| c.id).collect::<Vec<_>>(), vec![john.id, duress.id, guest.id]);
    assert_eq!(codes[2], guest);
    let found = store.find_code(mine, &["nope".into(), "h-duress".into()]).await.unwrap();
    assert_eq!(found.map(|c| c.id), Some(duress.id));
    assert_eq!(store.find_code(mine, &["nope".into()]).await.unwrap(), None);
    assert_eq!(store.find_code(mine, &[]).await.unwrap(), None);
    let at = now_ms();
    assert!(store.use_code(mine, guest.id, at).await.unwrap());
    assert!(!store.use_code(mine, guest.id, at).await.unwrap(), "a single use is used once");
    assert!(!store.use_code(theirs, john.id, at).await.unwrap(), "not their code");
    let used = store.find_code(mine, &["h-alice".into()]).await.unwrap().unwrap();
    assert_eq!(used.guest.unwrap().used_at, Some(at));
    assert!(!store.delete_code(theirs, john.id).await.unwrap(), "another home cannot delete it");
    assert!(store.delete_code(mine, john.id).await.unwrap());
    assert!(!store.delete_code(mine, john.id).await.unwrap());
    assert_eq!(store.find_code(mine, &["h-john".into()]).await.unwrap(), None);
    store
        .insert_code(&code(mine, "John again", CodeKind::Member, None), "h-john")
        .await
        .expect("a deleted hash is free");

    // Pets and contacts.
    let now = now_ms();
    let cat = NewPet { name: "Milo".into(), kind: PetKind::Cat, size: PetSize::Small }.check(mine, now).unwrap();
    store.insert_pet(&cat).await.unwrap();
    assert_eq!(store.pets(mine).await.unwrap(), vec![cat.clone()]);
    assert!(store.pets(theirs).await.unwrap().is_empty());
    assert!(!store.delete_pet(theirs, cat.id).await.unwrap());
    assert!(store.delete_pet(mine, cat.id).await.unwrap());
    assert!(store.pets(mine).await.unwrap().is_empty());
    let contact = |name: &str, priority| -> Contact {
        NewContact {
            name: name.into(),
            relation: None,
            phone: Some("+1 555 0100".into()),
            email: None,
            priority: Some(priority),
        }
        .check(mine, now)
        .unwrap()
    };
    let (second, first) = (contact("Neighbour", 2), contact("Mum", 1));
    store.insert_contact(&second).await.unwrap();
    store.insert_contact(&first).await.unwrap();
    assert_eq!(store.contacts(mine).await.unwrap(), vec![first.clone(), second.clone()], "by priority");
    assert!(!store.delete_contact(theirs, first.id).await.unwrap());
    assert!(store.delete_contact(mine, first.id).await.unwrap());
    assert_eq!(store.contacts(mine).await.unwrap(), vec![second]);
}

pub async fn run_alarm(store: &dyn AlarmStore) {
    store.health().await.unwrap();
    let home = Uuid::new_v4();
    let t0 = now_ms();
    assert_eq!(store.load(home).await.unwrap(), None);
    let mut record = AlarmRecord::new(home, t0);
    let settings = Home::new(home, "UTC", t0).unwrap();
    let step = record
        .arm(
            &settings,
            &Default::default(),
            ArmMode::Away,
            &[],
            false,
            Some(&Actor { id: home, name: "John".into() }),
            t0,
        )
        .unwrap();
    let entries = record.entries(&step, None);
    record.version = 1;
    assert!(store.save(&record, &entries).await.unwrap());
    assert_eq!(store.load(home).await.unwrap(), Some(record.clone()), "round trip keeps the panel and its deadlines");
    assert!(!store.save(&record, &entries).await.unwrap(), "a second first save loses");

    let deadline = record.panel.deadline.unwrap();
    assert!(!store.due(deadline - Duration::seconds(1)).await.unwrap().contains(&home));
    assert!(store.due(deadline).await.unwrap().contains(&home));
    assert!(store.armed().await.unwrap().contains(&home));

    // A save over a stale version is refused and writes nothing.
    let stale = record.clone();
    let t1 = t0 + Duration::seconds(5);
    let mut step = record.disarm(None, true, t1);
    step.signals.retain(|s| s.code == 121 || s.code == 401);
    let entries = record.entries(&step, None);
    record.version = 2;
    assert!(store.save(&record, &entries).await.unwrap());
    assert!(!store.save(&stale, &[]).await.unwrap());
    assert_eq!(store.load(home).await.unwrap().unwrap().version, 2);
    assert!(!store.armed().await.unwrap().contains(&home));
    assert!(!store.due(t1 + Duration::days(1)).await.unwrap().contains(&home), "nothing runs when disarmed");

    let household = store.log(&LogQuery { user_id: home, before: None, limit: 50, monitoring: false }).await.unwrap();
    assert!(household.iter().all(|e| !e.monitoring_only), "the household never sees duress");
    assert!(household.windows(2).all(|w| w[0].at >= w[1].at), "newest first");
    assert_eq!(household[0].at, t1);
    assert!(household.iter().any(|e| e.to.as_deref() == Some("disarmed") && e.kind == EntryKind::Transition));
    let all = store.log(&LogQuery { user_id: home, before: None, limit: 50, monitoring: true }).await.unwrap();
    assert_eq!(all.len(), household.len() + 1);
    assert!(all.iter().any(|e| e.code == Some(121) && e.kind == EntryKind::Signal));
    let older =
        store.log(&LogQuery { user_id: home, before: Some(t1.into()), limit: 50, monitoring: true }).await.unwrap();
    assert!(!older.is_empty() && older.iter().all(|e| e.at < t1));
    let one = store.log(&LogQuery { user_id: home, before: None, limit: 1, monitoring: true }).await.unwrap();
    assert_eq!(one.len(), 1);
    // The disarm's lines share its instant: paged one at a time with the
    // cursor after each, every one comes once, in the order listed whole.
    let mut paged = vec![];
    let mut before = None;
    while let Some(e) = store.log(&LogQuery { user_id: home, before, limit: 1, monitoring: true }).await.unwrap().pop()
    {
        before = Some(homeguard_domain::page::Cursor::after(e.at, e.id));
        paged.push(e.id);
    }
    assert!(all.iter().filter(|e| e.at == t1).count() > 1, "several lines at one instant");
    assert_eq!(paged, all.iter().map(|e| e.id).collect::<Vec<_>>(), "none skipped, none twice");
    assert!(
        store
            .log(&LogQuery { user_id: Uuid::new_v4(), before: None, limit: 5, monitoring: true })
            .await
            .unwrap()
            .is_empty()
    );
}
