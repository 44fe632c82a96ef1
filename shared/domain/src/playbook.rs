//! Playbooks: what the platform does on its own when an emergency opens an
//! incident, each step through the same validated command path as a user
//! (so it is audited and can fail visibly). The household sees and changes
//! which steps each playbook takes; what the alarm itself does (the siren,
//! reporting to monitoring) is not theirs to switch off here.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::incident::IncidentKind;

/// An emergency with a playbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaybookKind {
    Fire,
    BreakIn,
}

impl PlaybookKind {
    pub const ALL: [PlaybookKind; 2] = [Self::Fire, Self::BreakIn];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fire => "fire",
            Self::BreakIn => "break_in",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| DomainError::invalid("kind", format!("unknown playbook '{s}' (fire, break_in)")))
    }

    /// The playbook an incident of this kind runs.
    pub fn of(kind: IncidentKind) -> Option<Self> {
        match kind {
            IncidentKind::Fire => Some(Self::Fire),
            IncidentKind::Burglary | IncidentKind::Panic => Some(Self::BreakIn),
            IncidentKind::Tamper | IncidentKind::Wellness => None,
        }
    }

    /// The steps it may take.
    pub fn available(self) -> &'static [Step] {
        match self {
            Self::Fire => &[Step::UnlockDoors, Step::HvacOff, Step::RecordCameras, Step::NotifyContacts],
            Self::BreakIn => &[Step::RecordCameras, Step::SnapshotCameras, Step::LockDoors, Step::NotifyContacts],
        }
    }

    /// The steps it takes unless the household changed them.
    pub fn defaults(self) -> Vec<Step> {
        match self {
            Self::Fire => vec![Step::UnlockDoors, Step::HvacOff, Step::NotifyContacts],
            Self::BreakIn => vec![Step::RecordCameras, Step::LockDoors],
        }
    }

    /// What the alarm does besides, which no playbook changes.
    pub fn always(self) -> &'static str {
        match self {
            Self::Fire => {
                "The household is told on every channel, and fire (110) is reported to monitoring at once, without an abort window."
            }
            Self::BreakIn => {
                "The household is told on every channel, and the alarm is reported to monitoring once its abort window has passed (a disarm inside it sends nothing; motion alone is not sent until confirmed)."
            }
        }
    }
}

/// One step of a playbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Unlock every lock: a way out, and in for the firefighters.
    UnlockDoors,
    /// Every lock that is unlocked, locked.
    LockDoors,
    /// Every thermostat off, so it does not spread smoke.
    HvacOff,
    /// Every camera records.
    RecordCameras,
    /// Every camera takes a snapshot.
    SnapshotCameras,
    /// E-mail each emergency contact.
    NotifyContacts,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnlockDoors => "unlock_doors",
            Self::LockDoors => "lock_doors",
            Self::HvacOff => "hvac_off",
            Self::RecordCameras => "record_cameras",
            Self::SnapshotCameras => "snapshot_cameras",
            Self::NotifyContacts => "notify_contacts",
        }
    }

    /// In words, for the settings and the timeline.
    pub fn words(self) -> &'static str {
        match self {
            Self::UnlockDoors => "Unlock the doors",
            Self::LockDoors => "Lock what is unlocked",
            Self::HvacOff => "Turn the heating and cooling off",
            Self::RecordCameras => "Start the cameras recording",
            Self::SnapshotCameras => "Take a snapshot on every camera",
            Self::NotifyContacts => "E-mail the emergency contacts",
        }
    }
}

/// The household's choice of steps per playbook (absent: the defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Playbooks {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fire: Option<Vec<Step>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub break_in: Option<Vec<Step>>,
}

impl Playbooks {
    /// The steps `kind` takes.
    pub fn steps(&self, kind: PlaybookKind) -> Vec<Step> {
        let chosen = match kind {
            PlaybookKind::Fire => &self.fire,
            PlaybookKind::BreakIn => &self.break_in,
        };
        chosen.clone().unwrap_or_else(|| kind.defaults())
    }

    /// Sets the steps of `kind`: each one it may take, once, in the order
    /// they are given.
    pub fn set(&mut self, kind: PlaybookKind, steps: Vec<Step>) -> Result<(), DomainError> {
        for (i, s) in steps.iter().enumerate() {
            if !kind.available().contains(s) {
                return Err(DomainError::invalid(
                    &format!("steps[{i}]"),
                    format!("the {} playbook cannot {}", kind.as_str(), s.words().to_lowercase()),
                ));
            }
            if steps[..i].contains(s) {
                return Err(DomainError::invalid(&format!("steps[{i}]"), format!("{} is listed twice", s.as_str())));
            }
        }
        match kind {
            PlaybookKind::Fire => self.fire = Some(steps),
            PlaybookKind::BreakIn => self.break_in = Some(steps),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_household_chooses_among_the_steps_a_playbook_may_take() {
        let mut p = Playbooks::default();
        assert_eq!(p.steps(PlaybookKind::Fire), [Step::UnlockDoors, Step::HvacOff, Step::NotifyContacts]);
        assert_eq!(PlaybookKind::of(IncidentKind::Panic), Some(PlaybookKind::BreakIn));
        assert_eq!(PlaybookKind::of(IncidentKind::Tamper), None);
        let e = p.set(PlaybookKind::Fire, vec![Step::HvacOff, Step::LockDoors]).unwrap_err();
        assert_eq!(e.details["field"], "steps[1]", "locking people in during a fire is not a choice");
        let e = p.set(PlaybookKind::BreakIn, vec![Step::LockDoors, Step::LockDoors]).unwrap_err();
        assert!(e.message.contains("twice"), "{e:?}");
        p.set(PlaybookKind::BreakIn, vec![]).unwrap();
        assert!(p.steps(PlaybookKind::BreakIn).is_empty(), "none is a choice too");
        assert_eq!(p.steps(PlaybookKind::Fire), PlaybookKind::Fire.defaults(), "the other keeps its defaults");
        assert_eq!(PlaybookKind::parse("break_in").unwrap(), PlaybookKind::BreakIn);
        assert_eq!(PlaybookKind::parse("flood").unwrap_err().details["field"], "kind");
    }
}
