//! Notifications: what reaches a person, from a rule, the alarm, the
//! assistant or the platform, and how each channel delivered it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::automation::{Severity, TimeRange};
use crate::error::DomainError;
use crate::home::Home;

/// Who sent a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Rule,
    Alarm,
    Agent,
    System,
    /// Sent through the API by a workflow or a script (n8n).
    Api,
}

/// Where a notification goes besides the app.
pub const CHANNELS: [&str; 2] = ["email", "webhook"];

/// Where one channel's delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// To be sent (now, or again after a crash cut it short).
    Pending,
    /// Held back by the person's quiet hours until `Notification::next_delivery_at`.
    Held,
    Delivered,
    /// Given up on: `detail` says why.
    Failed,
    /// Asked for but not one of the person's channels (`detail` says why).
    Skipped,
}

/// How one channel delivered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// `in_app`, `email` or `webhook`.
    pub channel: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub detail: String,
    pub at: DateTime<Utc>,
}

impl Delivery {
    pub fn new(channel: &str, status: DeliveryStatus, detail: impl Into<String>, at: DateTime<Utc>) -> Self {
        Self { channel: channel.into(), status, attempts: 0, detail: detail.into(), at }
    }
}

/// How a person wants to be reached besides the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// E-mail to the account's address: the notifications that ask for
    /// it, and every urgent one.
    #[serde(default = "yes")]
    pub email: bool,
    /// The person's own receiver (n8n, a chat bridge): a signed POST of
    /// each notification that asks for it, and of every urgent one.
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// When e-mail and webhooks of what is not urgent wait (home time);
    /// they go out when the quiet hours end.
    #[serde(default)]
    pub quiet_hours: Option<TimeRange>,
}

fn yes() -> bool {
    true
}

impl Default for Preferences {
    fn default() -> Self {
        Self { email: true, webhook_url: None, quiet_hours: None }
    }
}

impl Preferences {
    pub fn validate(&self) -> Result<(), DomainError> {
        if let Some(q) = &self.quiet_hours {
            q.validate("quiet_hours")?;
            if q.start == q.end {
                return Err(DomainError::invalid("quiet_hours.end", "must differ from the start"));
            }
        }
        if let Some(url) = &self.webhook_url {
            crate::automation::check_webhook_url(url, "webhook_url")?;
        }
        Ok(())
    }

    /// Until when quiet hours hold a notification of `severity` back at
    /// `now` (none: it goes now). High and critical ones (alarms, fire,
    /// duress) are never held.
    pub fn hold_until(&self, severity: Severity, home: &Home, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let quiet = self.quiet_hours.as_ref()?;
        if severity >= Severity::High || !quiet.contains(home.local(now).time()) {
            return None;
        }
        Some(home.next_local(&quiet.end, now))
    }

    /// The channels a notification goes out on: those it asks for that
    /// the person has, and for an urgent one every channel they have.
    pub fn channels_for(&self, n: &Notification) -> Vec<&'static str> {
        let has = |c: &str| match c {
            "email" => self.email,
            "webhook" => self.webhook_url.is_some(),
            _ => false,
        };
        let urgent = n.severity >= Severity::High;
        CHANNELS.into_iter().filter(|c| has(c) && (urgent || n.channels.iter().any(|a| a == c))).collect()
    }
}

/// One notification to one person. Its id is derived from what caused it,
/// so that a redelivered request stores it once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub id: Uuid,
    pub user_id: Uuid,
    pub title: String,
    pub body: String,
    pub severity: Severity,
    pub source: Source,
    /// The rule, alarm entry or message that caused it.
    pub source_id: Option<Uuid>,
    /// The channels asked for besides the app (`email`, `push`, `webhook`).
    #[serde(default)]
    pub channels: Vec<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub read_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
    /// When a delivery is next due: a held one's release, or a pending
    /// one's retry should this attempt be cut short (none: all settled).
    #[serde(default)]
    pub next_delivery_at: Option<DateTime<Utc>>,
    /// The incident it asks its reader to acknowledge: each e-mail and
    /// webhook then carries a signed link that does so for the person it
    /// was sent to, without logging in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledges: Option<Uuid>,
}

impl Notification {
    /// A new notification, unread, not delivered yet, for the app alone
    /// until [`Notification::on`] names more channels.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: Uuid,
        user_id: Uuid,
        source: Source,
        source_id: Option<Uuid>,
        title: impl Into<String>,
        body: impl Into<String>,
        severity: Severity,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            user_id,
            title: title.into(),
            body: body.into(),
            severity,
            source,
            source_id,
            channels: vec![],
            created_at,
            read_at: None,
            deliveries: vec![],
            next_delivery_at: None,
            acknowledges: None,
        }
    }

    /// The channels asked for besides the app.
    pub fn on(mut self, channels: Vec<String>) -> Self {
        self.channels = channels;
        self
    }

    /// Asks its reader to acknowledge `incident` (see [`Notification::acknowledges`]).
    pub fn acknowledging(mut self, incident: Uuid) -> Self {
        self.acknowledges = Some(incident);
        self
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn home() -> Home {
        Home::new(Uuid::nil(), "America/New_York", Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()).unwrap()
    }

    fn quiet() -> Preferences {
        Preferences {
            quiet_hours: Some(TimeRange { start: "22:00".into(), end: "07:00".into() }),
            ..Preferences::default()
        }
    }

    fn note(severity: Severity, channels: &[&str]) -> Notification {
        Notification {
            id: Uuid::nil(),
            user_id: Uuid::nil(),
            title: "t".into(),
            body: "b".into(),
            severity,
            source: Source::Rule,
            source_id: None,
            channels: channels.iter().map(|c| (*c).to_owned()).collect(),
            created_at: Utc::now(),
            read_at: None,
            deliveries: vec![],
            next_delivery_at: None,
            acknowledges: None,
        }
    }

    #[test]
    fn quiet_hours_hold_what_is_not_urgent_until_they_end_at_home() {
        // 23:30 in New York (UTC-5).
        let night = Utc.with_ymd_and_hms(2026, 12, 2, 4, 30, 0).unwrap();
        let morning = Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap();
        assert_eq!(quiet().hold_until(Severity::Low, &home(), night), Some(morning), "07:00 New York");
        assert_eq!(quiet().hold_until(Severity::Normal, &home(), night), Some(morning));
        assert_eq!(quiet().hold_until(Severity::High, &home(), night), None);
        assert_eq!(quiet().hold_until(Severity::Critical, &home(), night), None, "alarms are never held");
        let afternoon = Utc.with_ymd_and_hms(2026, 12, 2, 19, 0, 0).unwrap();
        assert_eq!(quiet().hold_until(Severity::Low, &home(), afternoon), None, "outside quiet hours");
        assert_eq!(Preferences::default().hold_until(Severity::Low, &home(), night), None, "none set");
    }

    #[test]
    fn channels_are_those_asked_for_that_the_person_has_and_all_for_urgent_ones() {
        let with_hook =
            Preferences { webhook_url: Some("http://n8n.local/webhook/x".into()), ..Preferences::default() };
        assert_eq!(with_hook.channels_for(&note(Severity::Normal, &["email"])), vec!["email"]);
        assert_eq!(with_hook.channels_for(&note(Severity::Normal, &["push"])), Vec::<&str>::new());
        assert_eq!(with_hook.channels_for(&note(Severity::Critical, &[])), vec!["email", "webhook"]);
        let no_mail = Preferences { email: false, ..Preferences::default() };
        assert_eq!(no_mail.channels_for(&note(Severity::Critical, &["email"])), Vec::<&str>::new());
    }

    #[test]
    fn settings_are_checked_by_field() {
        let bad = |p: Preferences| p.validate().unwrap_err().to_string();
        let same =
            Preferences { quiet_hours: Some(TimeRange { start: "22:00".into(), end: "22:00".into() }), ..quiet() };
        assert!(bad(same).contains("quiet_hours.end"));
        let late =
            Preferences { quiet_hours: Some(TimeRange { start: "25:00".into(), end: "07:00".into() }), ..quiet() };
        assert!(bad(late).contains("quiet_hours.start"));
        let ftp = Preferences { webhook_url: Some("ftp://x".into()), ..quiet() };
        assert!(bad(ftp).contains("webhook_url"));
        assert!(quiet().validate().is_ok());
    }
}
