//! Contract of [`PubSub`].

use std::time::Duration;

use futures::StreamExt;
use uuid::Uuid;

use crate::{PubSub, PubSubItem};

async fn next(sub: &mut crate::Subscription) -> PubSubItem {
    tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .expect("a message within 5 s")
        .expect("subscription still open")
}

pub async fn run(bus: &dyn PubSub) {
    let a = format!("contract:{}", Uuid::new_v4());
    let b = format!("contract:{}", Uuid::new_v4());
    let quiet = format!("contract:{}", Uuid::new_v4());
    let mut both = bus.subscribe(&[a.clone(), b.clone()]).await.unwrap();
    let mut only_b = bus.subscribe(std::slice::from_ref(&b)).await.unwrap();

    assert_eq!(bus.publish(&quiet, "nobody").await.unwrap(), 0, "no subscriber on that channel");
    assert_eq!(bus.publish(&a, "one").await.unwrap(), 1);
    assert_eq!(bus.publish(&b, "two").await.unwrap(), 2);

    assert_eq!(next(&mut both).await, PubSubItem::Message { channel: a.as_str().into(), payload: "one".into() });
    assert_eq!(next(&mut both).await, PubSubItem::Message { channel: b.as_str().into(), payload: "two".into() });
    assert_eq!(next(&mut only_b).await, PubSubItem::Message { channel: b.as_str().into(), payload: "two".into() });

    let batch = vec![(a.clone(), "three".to_owned()), (b.clone(), "four".to_owned()), (quiet.clone(), "x".to_owned())];
    bus.publish_many(&batch).await.unwrap();
    assert_eq!(next(&mut both).await, PubSubItem::Message { channel: a.as_str().into(), payload: "three".into() });
    assert_eq!(next(&mut both).await, PubSubItem::Message { channel: b.as_str().into(), payload: "four".into() });
    assert_eq!(next(&mut only_b).await, PubSubItem::Message { channel: b.as_str().into(), payload: "four".into() });

    drop(both);
    drop(only_b);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(bus.publish(&a, "gone").await.unwrap(), 0, "dropping a subscription unsubscribes");
}
