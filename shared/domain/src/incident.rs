//! Incidents: one record per alarm or emergency, opened by the security
//! response and added to as things happen (each sensor event and the
//! motion path through the zones, every decision with its reasons, the
//! alarm's transitions and signals, notifications, acknowledgements, the
//! disarm and by whom), with its status and the household's note, and a
//! readable report.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::automation::Severity;
use crate::error::{DomainError, ErrorCode};

/// What kind of emergency an incident is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    /// Nobody has moved for longer than the household allows (the wellness check).
    Wellness,
    Tamper,
    Burglary,
    Panic,
    Fire,
}

impl IncidentKind {
    /// The kind of an alarm reported with this Contact ID code, if it is one.
    pub fn of_code(code: u16) -> Option<Self> {
        match code {
            110..=119 | 162 => Some(Self::Fire),
            120 | 122 | 123 => Some(Self::Panic),
            137 => Some(Self::Tamper),
            130..=139 => Some(Self::Burglary),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wellness => "wellness",
            Self::Tamper => "tamper",
            Self::Burglary => "burglary",
            Self::Panic => "panic",
            Self::Fire => "fire",
        }
    }

    /// How long the household has to acknowledge before the emergency
    /// contacts are told: an alarm's [`CONTACTS_AFTER`]; the wellness
    /// check's longer (a nap, a shower).
    pub fn contacts_after(self) -> Duration {
        match self {
            Self::Wellness => crate::wellness::CONTACTS_AFTER,
            _ => CONTACTS_AFTER,
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Wellness => "No activity",
            Self::Tamper => "Tamper",
            Self::Burglary => "Intrusion",
            Self::Panic => "Panic",
            Self::Fire => "Fire",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Open,
    Acknowledged,
    Resolved,
    FalseAlarm,
}

impl IncidentStatus {
    pub const ALL: [IncidentStatus; 4] = [Self::Open, Self::Acknowledged, Self::Resolved, Self::FalseAlarm];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
            Self::FalseAlarm => "false_alarm",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| {
            DomainError::invalid(field, format!("unknown status '{s}' (open, acknowledged, resolved, false_alarm)"))
        })
    }

    /// Still to be dealt with.
    pub fn active(self) -> bool {
        matches!(self, Self::Open | Self::Acknowledged)
    }
}

/// What a line of the timeline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A decision on a sensor's event, with its reasons.
    Decision,
    /// A Contact ID signal of the alarm.
    Signal,
    /// A change of the alarm's state (armed, pending, triggered, disarmed).
    Transition,
    Notification,
    /// What the platform did (a playbook's step) and its result.
    Action,
    /// What a camera captured while it was going on: a snapshot, a
    /// recording started or stopped, as the camera reported it.
    Camera,
    Acknowledged,
    Resolved,
}

/// One line of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// The id of what it records (a decision, a log entry, a notification):
    /// a redelivered change adds nothing twice.
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub kind: ItemKind,
    pub text: String,
    /// Who, where a person did it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The record itself (the decision's outcome, reasons and facts; the signal's code; ...).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub data: Value,
}

/// One zone on the way through the home.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathStep {
    pub device_id: Uuid,
    pub name: String,
    pub at: DateTime<Utc>,
}

/// After the alarm is disarmed, what follows (a cancel, its ACK, the
/// notifications' deliveries) still belongs to the incident this long; a
/// later alarm opens a new one.
pub const AFTERMATH: Duration = Duration::minutes(10);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: IncidentKind,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub title: String,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the alarm was disarmed (the emergency itself is over).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub timeline: Vec<Item>,
    /// The zones that tripped, in order: the way through the home.
    pub path: Vec<PathStep>,
    /// When the emergency contacts are told unless someone of the household
    /// acknowledged it, it was disarmed or resolved first (none: told already, or never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts_due_at: Option<DateTime<Utc>>,
    /// Bumped by every save.
    pub version: i64,
}

/// How long the household has to acknowledge an incident before the
/// emergency contacts are told.
pub const CONTACTS_AFTER: Duration = Duration::minutes(2);

/// The longest note a household may leave.
pub const MAX_NOTE: usize = 2000;

impl Incident {
    /// Opens an incident (its id derives from what opened it, so a
    /// redelivered alarm opens it once).
    pub fn open(user_id: Uuid, kind: IncidentKind, cause: Uuid, where_: &str, at: DateTime<Utc>) -> Self {
        let severity = match kind {
            IncidentKind::Tamper | IncidentKind::Wellness => Severity::High,
            _ => Severity::Critical,
        };
        Self {
            id: Uuid::new_v5(&cause, b"incident"),
            user_id,
            kind,
            severity,
            status: IncidentStatus::Open,
            title: format!("{}: {where_}", kind.title()),
            opened_at: at,
            updated_at: at,
            ended_at: None,
            acknowledged_at: None,
            acknowledged_by: None,
            resolved_at: None,
            resolved_by: None,
            note: None,
            timeline: vec![],
            path: vec![],
            contacts_due_at: Some(at + kind.contacts_after()),
            version: 0,
        }
    }

    /// Whether the escalation to the emergency contacts is due at `now`:
    /// nobody acknowledged it, and the alarm still stands.
    pub fn contacts_due(&self, now: DateTime<Utc>) -> bool {
        self.status == IncidentStatus::Open && self.ended_at.is_none() && self.contacts_due_at.is_some_and(|t| now >= t)
    }

    /// Whether what happens at `now` still belongs to this incident.
    pub fn live(&self, now: DateTime<Utc>) -> bool {
        self.ended_at.is_none_or(|t| now - t <= AFTERMATH)
    }

    /// Adds a line (in time order); false when it is there already.
    pub fn add(&mut self, item: Item) -> bool {
        if self.timeline.iter().any(|i| i.id == item.id && i.kind == item.kind) {
            return false;
        }
        let at = self.timeline.partition_point(|i| i.at <= item.at);
        self.updated_at = self.updated_at.max(item.at);
        self.timeline.insert(at, item);
        true
    }

    /// A zone tripped: a step on the way through the home (not twice in a row).
    pub fn walked(&mut self, device_id: Uuid, name: &str, at: DateTime<Utc>) {
        if self.path.last().is_some_and(|p| p.device_id == device_id) {
            return;
        }
        let i = self.path.partition_point(|p| p.at <= at);
        self.path.insert(i, PathStep { device_id, name: name.into(), at });
    }

    /// Escalates the kind (fire outranks burglary) and the title with it.
    pub fn escalate(&mut self, kind: IncidentKind, where_: &str) {
        if kind > self.kind {
            self.kind = kind;
            self.severity = Severity::Critical;
            self.title = format!("{}: {where_}", kind.title());
        }
    }

    /// Someone of the household has seen it (stops the escalation).
    pub fn acknowledge(&mut self, by: &str, now: DateTime<Utc>) -> Result<(), DomainError> {
        match self.status {
            IncidentStatus::Open => {}
            IncidentStatus::Acknowledged => return Ok(()),
            _ => return Err(DomainError::new(ErrorCode::Conflict, "The incident is resolved already")),
        }
        self.status = IncidentStatus::Acknowledged;
        self.acknowledged_at = Some(now);
        self.acknowledged_by = Some(by.into());
        self.add(Item {
            id: Uuid::new_v5(&self.id, b"acknowledged"),
            at: now,
            kind: ItemKind::Acknowledged,
            text: format!("acknowledged by {by}"),
            by: Some(by.into()),
            data: Value::Null,
        });
        Ok(())
    }

    /// Closes it as resolved or as a false alarm, with the household's note.
    pub fn resolve(
        &mut self,
        outcome: IncidentStatus,
        note: Option<String>,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        if !matches!(outcome, IncidentStatus::Resolved | IncidentStatus::FalseAlarm) {
            return Err(DomainError::invalid("outcome", "must be resolved or false_alarm"));
        }
        let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE) {
            return Err(DomainError::invalid("note", format!("must be at most {MAX_NOTE} characters")));
        }
        if !self.status.active() {
            return Err(DomainError::new(ErrorCode::Conflict, "The incident is resolved already"));
        }
        if self.acknowledged_at.is_none() {
            self.acknowledged_at = Some(now);
            self.acknowledged_by = Some(by.into());
        }
        self.status = outcome;
        self.resolved_at = Some(now);
        self.resolved_by = Some(by.into());
        self.note = note.clone();
        let what = if outcome == IncidentStatus::FalseAlarm { "closed as a false alarm" } else { "resolved" };
        let text = match &note {
            Some(n) => format!("{what} by {by}: {n}"),
            None => format!("{what} by {by}"),
        };
        self.add(Item {
            id: Uuid::new_v5(&self.id, b"resolved"),
            at: now,
            kind: ItemKind::Resolved,
            text,
            by: Some(by.into()),
            data: Value::Null,
        });
        Ok(())
    }

    /// The report in Markdown, times on the home's clock.
    pub fn markdown(&self, tz: Tz) -> String {
        let t = |at: DateTime<Utc>| at.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string();
        let mut out = format!("# {}\n\n", md(&self.title));
        out.push_str(&format!("- **Status:** {}\n", self.status.as_str().replace('_', " ")));
        out.push_str(&format!("- **Kind:** {} ({:?} severity)\n", self.kind.as_str(), self.severity));
        out.push_str(&format!("- **Opened:** {} ({tz})\n", t(self.opened_at)));
        if let (Some(at), Some(by)) = (self.acknowledged_at, &self.acknowledged_by) {
            out.push_str(&format!("- **Acknowledged:** {} by {}\n", t(at), md(by)));
        }
        if let (Some(at), Some(by)) = (self.resolved_at, &self.resolved_by) {
            out.push_str(&format!("- **Closed:** {} by {}\n", t(at), md(by)));
        }
        if let Some(n) = &self.note {
            out.push_str(&format!("- **Note:** {}\n", md(n)));
        }
        if !self.path.is_empty() {
            out.push_str("\n## Path through the home\n\n");
            for (i, p) in self.path.iter().enumerate() {
                out.push_str(&format!("{}. {} at {}\n", i + 1, md(&p.name), t(p.at)));
            }
        }
        out.push_str("\n## Timeline\n\n| time | what | |\n|---|---|---|\n");
        for i in &self.timeline {
            let by = i.by.as_deref().map(|b| format!("by {}", md(b))).unwrap_or_default();
            out.push_str(&format!("| {} | {} | {} |\n", t(i.at), md(&i.text), by));
            if let Some(reasons) = i.data.get("reasons").and_then(Value::as_array) {
                for r in reasons.iter().filter_map(|r| r.get("text").and_then(Value::as_str)) {
                    out.push_str(&format!("| | \u{2022} {} | |\n", md(r)));
                }
            }
        }
        out
    }

    /// The report as a page of its own (every text escaped).
    pub fn html(&self, tz: Tz) -> String {
        let t = |at: DateTime<Utc>| at.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string();
        let mut rows = String::new();
        for i in &self.timeline {
            let reasons: Vec<String> = i
                .data
                .get("reasons")
                .and_then(Value::as_array)
                .map(|rs| rs.iter().filter_map(|r| r.get("text").and_then(Value::as_str)).map(esc).collect())
                .unwrap_or_default();
            let reasons = if reasons.is_empty() {
                String::new()
            } else {
                format!("<ul>{}</ul>", reasons.iter().map(|r| format!("<li>{r}</li>")).collect::<String>())
            };
            rows.push_str(&format!(
                "<tr><td>{}</td><td>{}{}</td><td>{}</td></tr>\n",
                t(i.at),
                esc(&i.text),
                reasons,
                i.by.as_deref().map(esc).unwrap_or_default()
            ));
        }
        let path: String = self.path.iter().map(|p| format!("<li>{} at {}</li>", esc(&p.name), t(p.at))).collect();
        let note =
            self.note.as_deref().map(|n| format!("<p><strong>Note:</strong> {}</p>", esc(n))).unwrap_or_default();
        format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
             <style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}\
             table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top}}</style>\
             </head><body><h1>{title}</h1><p>Status: {status} &middot; opened {opened} ({tz})</p>{note}\
             <h2>Path through the home</h2><ol>{path}</ol>\
             <h2>Timeline</h2><table><thead><tr><th>Time</th><th>What</th><th>By</th></tr></thead><tbody>\n{rows}</tbody></table></body></html>\n",
            title = esc(&self.title),
            status = self.status.as_str().replace('_', " "),
            opened = t(self.opened_at),
        )
    }
}

/// Text for a Markdown table cell: no table breaks, no markup of its own.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text for HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    fn item(n: u128, secs: i64, text: &str, t0: DateTime<Utc>) -> Item {
        Item {
            id: Uuid::from_u128(n),
            at: t0 + Duration::seconds(secs),
            kind: ItemKind::Signal,
            text: text.into(),
            by: None,
            data: json!({ "reasons": [{ "code": "x", "text": "<script>alert(1)</script> | pipe" }] }),
        }
    }

    #[test]
    fn an_incident_keeps_its_timeline_in_order_once_and_closes_once() {
        let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let mut i = Incident::open(Uuid::nil(), IncidentKind::Burglary, Uuid::from_u128(7), "Back Window", t0);
        assert_eq!(i.id, Incident::open(Uuid::nil(), IncidentKind::Burglary, Uuid::from_u128(7), "x", t0).id);
        assert!(i.add(item(2, 5, "second", t0)));
        assert!(i.add(item(1, 0, "first", t0)));
        assert!(!i.add(item(1, 0, "first", t0)), "once");
        assert_eq!(i.timeline.iter().map(|x| x.text.as_str()).collect::<Vec<_>>(), ["first", "second"]);
        i.walked(Uuid::from_u128(1), "Kitchen", t0);
        i.walked(Uuid::from_u128(1), "Kitchen", t0 + Duration::seconds(1));
        i.walked(Uuid::from_u128(2), "Living Room", t0 + Duration::seconds(3));
        assert_eq!(i.path.len(), 2);
        i.escalate(IncidentKind::Fire, "Kitchen Smoke");
        assert_eq!((i.kind, i.title.as_str()), (IncidentKind::Fire, "Fire: Kitchen Smoke"));
        i.escalate(IncidentKind::Burglary, "x");
        assert_eq!(i.kind, IncidentKind::Fire, "never down");

        assert!(!i.contacts_due(t0 + CONTACTS_AFTER - Duration::seconds(1)));
        assert!(i.contacts_due(t0 + CONTACTS_AFTER), "nobody acknowledged it");
        assert!(i.live(t0 + Duration::hours(5)), "live until the alarm ends");
        i.ended_at = Some(t0);
        assert!(i.live(t0 + AFTERMATH) && !i.live(t0 + AFTERMATH + Duration::seconds(1)));

        let t0 = t0 + Duration::seconds(10);
        i.acknowledge("Sarah", t0).unwrap();
        assert!(!i.contacts_due(t0 + Duration::hours(1)), "acknowledged: the chain stops");
        i.acknowledge("John", t0).unwrap();
        assert_eq!(i.acknowledged_by.as_deref(), Some("Sarah"), "the first one counts");
        let e = i.resolve(IncidentStatus::Open, None, "Sarah", t0).unwrap_err();
        assert_eq!(e.details["field"], "outcome");
        let e = i.resolve(IncidentStatus::FalseAlarm, Some("x".repeat(MAX_NOTE + 1)), "Sarah", t0).unwrap_err();
        assert_eq!(e.details["field"], "note");
        i.resolve(IncidentStatus::FalseAlarm, Some("  the cat  ".into()), "Sarah", t0).unwrap();
        assert_eq!((i.status, i.note.as_deref()), (IncidentStatus::FalseAlarm, Some("the cat")));
        assert_eq!(i.resolve(IncidentStatus::Resolved, None, "Sarah", t0).unwrap_err().code, ErrorCode::Conflict);
        assert_eq!(i.acknowledge("Sarah", t0).unwrap_err().code, ErrorCode::Conflict);
        assert!(i.timeline.last().unwrap().text.contains("false alarm by Sarah: the cat"));

        let md = i.markdown(Tz::America__New_York);
        assert!(md.contains("# Fire: Kitchen Smoke") && md.contains("05:00:00 (America/New_York)"), "{md}");
        assert!(md.contains("\\<script\\>") && md.contains("\\| pipe"), "escaped: {md}");
        let html = i.html(Tz::UTC);
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"), "{html}");
        assert!(html.contains("<li>Kitchen at 2026-12-01 10:00:00</li>"));
    }
}
