//! Users and roles.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::DomainError;

/// What a user may do: a `user` sees and acts on their own home; an `admin`
/// also sees every home and system-wide data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "user" => Ok(Self::User),
            "admin" => Ok(Self::Admin),
            other => Err(DomainError::invalid("role", format!("unknown role '{other}' (user, admin)"))),
        }
    }
}

/// A user as the API shows it; the password hash never leaves the user store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// Emails are compared case-insensitively and without surrounding blanks.
pub fn normalize_email(raw: &str) -> Result<String, DomainError> {
    let email = raw.trim().to_ascii_lowercase();
    let valid = email.len() <= 255
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    if valid { Ok(email) } else { Err(DomainError::invalid("email", "must be an email address such as john@demo.com")) }
}

/// A password as submitted at login: present and of sane length (the bound
/// keeps a multi-megabyte "password" from reaching the hasher).
pub fn check_password_input(password: &str) -> Result<(), DomainError> {
    if password.is_empty() {
        return Err(DomainError::invalid("password", "must not be empty"));
    }
    if password.len() > 1024 {
        return Err(DomainError::invalid("password", "must be at most 1024 bytes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized() {
        assert_eq!(normalize_email("  John@Demo.com ").unwrap(), "john@demo.com");
    }

    #[test]
    fn bad_emails_are_rejected() {
        for bad in ["", "john", "@demo.com", "john@demo", "john@.com", "jo hn@demo.com", "john@demo."] {
            assert!(normalize_email(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn roles_round_trip() {
        for role in [Role::User, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()).unwrap(), role);
        }
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn passwords_are_bounded() {
        assert!(check_password_input("").is_err());
        assert!(check_password_input(&"x".repeat(1025)).is_err());
        assert!(check_password_input("demo123").is_ok());
    }
}
