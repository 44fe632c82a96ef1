//! Home modes.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// The mode a home is in; it decides how alarming an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HomeMode {
    #[default]
    Home,
    Away,
    Vacation,
    Party,
    Sleep,
}

impl HomeMode {
    pub const ALL: [HomeMode; 5] = [Self::Home, Self::Away, Self::Vacation, Self::Party, Self::Sleep];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Home => "home",
            Self::Away => "away",
            Self::Vacation => "vacation",
            Self::Party => "party",
            Self::Sleep => "sleep",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|m| m.as_str() == s).ok_or_else(|| {
            DomainError::invalid("mode", format!("unknown mode '{s}' (home, away, vacation, party, sleep)"))
        })
    }

    /// Whether the perimeter and interior sensors are armed in this mode.
    pub fn is_armed(self) -> bool {
        matches!(self, Self::Away | Self::Vacation | Self::Sleep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip_and_arm() {
        for m in HomeMode::ALL {
            assert_eq!(HomeMode::parse(m.as_str()).unwrap(), m);
        }
        assert!(HomeMode::parse("disco").is_err());
        assert!(HomeMode::Vacation.is_armed());
        assert!(!HomeMode::Party.is_armed());
    }
}
