//! A page's place in a newest-first listing: the time of its last item
//! and, where several items share that millisecond, its id, so that the
//! next page starts exactly after it (a time alone would skip the rest of
//! that millisecond). Written `<RFC 3339 time>~<id>`; a bare time is a
//! cursor too (everything strictly before it).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    /// Items at `at` with a smaller id come next (none: only items before `at`).
    pub id: Option<Uuid>,
}

impl Cursor {
    /// The cursor after an item.
    pub fn after(at: DateTime<Utc>, id: Uuid) -> Self {
        Self { at, id: Some(id) }
    }
}

impl From<DateTime<Utc>> for Cursor {
    /// Everything strictly before a time.
    fn from(at: DateTime<Utc>) -> Self {
        Self { at, id: None }
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        match self.id {
            Some(id) => write!(f, "{at}~{id}"),
            None => f.write_str(&at),
        }
    }
}

impl FromStr for Cursor {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("'{s}' is not a page cursor (pass a listing's next_before as it came, or a time)");
        let (at, id) = match s.split_once('~') {
            Some((at, id)) => (at, Some(id.parse::<Uuid>().map_err(|_| bad())?)),
            None => (s, None),
        };
        let at = DateTime::parse_from_rfc3339(at).map_err(|_| bad())?.with_timezone(&Utc);
        Ok(Self { at, id })
    }
}

impl Serialize for Cursor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn cursors_round_trip_and_a_bare_time_is_one() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap() + chrono::Duration::milliseconds(123);
        let c = Cursor::after(at, Uuid::from_u128(7));
        let text = c.to_string();
        assert_eq!(text, "2026-12-01T02:00:00.123Z~00000000-0000-0000-0000-000000000007");
        assert_eq!(text.parse::<Cursor>().unwrap(), c);
        assert_eq!("2026-12-01T02:00:00.123Z".parse::<Cursor>().unwrap(), Cursor { at, id: None });
        assert_eq!("2026-12-01T03:00:00.123+01:00".parse::<Cursor>().unwrap().at, at);
        assert!("yesterday".parse::<Cursor>().unwrap_err().contains("not a page cursor"));
        assert!("2026-12-01T02:00:00Z~x".parse::<Cursor>().is_err());
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Cursor>(&json).unwrap(), c);
    }
}
