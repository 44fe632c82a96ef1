//! Authentication: password hashing, JWT issue and verification, and the
//! [`Caller`] extractor every protected route takes.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use chrono::{DateTime, Duration, TimeZone, Utc};
use hmac::{Hmac, Mac};
use homeguard_domain::{ErrorCode, Role};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::FnError;
use crate::ports::{HasSessions, Holds};

/// The JWT signing keys and token lifetime. The secret comes from the
/// environment (or the data dir) and is never logged.
#[derive(Clone)]
pub struct AuthKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// The key alarm codes are hashed with, derived from the secret.
    code_key: Arc<[u8]>,
    /// The key each home's webhook secret is derived from.
    webhook_key: Arc<[u8]>,
    pub token_ttl: Duration,
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // An HMAC takes a key of any length.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

impl AuthKeys {
    pub fn new(secret: &[u8], token_ttl: Duration) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            code_key: hmac(secret, &[b"homeguard alarm codes v1"]).into(),
            webhook_key: hmac(secret, &[b"homeguard webhooks v1"]).into(),
            token_ttl,
        }
    }
}

/// The secret a home's webhooks are signed with (what its n8n checks them by).
pub fn webhook_secret(keys: &AuthKeys, home: Uuid) -> String {
    hex::encode(hmac(&keys.webhook_key, &[home.as_bytes()]))
}

/// The `X-HomeGuard-Signature` of a webhook body: `sha256=` and the hex
/// HMAC-SHA256 of the body under the home's webhook secret.
pub fn webhook_signature(keys: &AuthKeys, home: Uuid, body: &[u8]) -> String {
    format!("sha256={}", hex::encode(hmac(webhook_secret(keys, home).as_bytes(), &[body])))
}

/// The keyed hash an alarm code of `home` is stored and looked up by. A
/// keypad code has few digits, so an unkeyed hash would be read back by
/// trying them all; without the key (from the JWT secret, never stored
/// beside the hashes) the hashes say nothing. It is deterministic, so a
/// code is found by its hash, and its neighbours (a last digit within 2)
/// are found the same way.
pub fn code_hash(keys: &AuthKeys, home: Uuid, code: &str) -> String {
    hex::encode(hmac(&keys.code_key, &[home.as_bytes(), b":", code.as_bytes()]))
}

impl std::fmt::Debug for AuthKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthKeys").field("secret", &"<redacted>").field("token_ttl", &self.token_ttl).finish()
    }
}

/// What a HomeGuard token carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: Uuid,
    pub role: Role,
    /// The session id, so that logout can revoke the token.
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
}

/// Signs a token for a new session.
pub fn issue_token(keys: &AuthKeys, claims: &Claims) -> Result<String, FnError> {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &keys.encoding).map_err(FnError::internal)
}

/// Whom a link acknowledges for, and which incident: what a link in an
/// alarm's e-mail carries, signed, so that the person it was sent to can
/// acknowledge the incident from their phone without logging in. It opens
/// nothing else: a session token is not one, and it is not a session token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AckClaims {
    /// Always [`ACK_AUDIENCE`].
    pub aud: String,
    /// The home (its owner's user id).
    pub sub: Uuid,
    /// The incident.
    pub inc: Uuid,
    /// Who it was sent to, by name, as the timeline will say it.
    pub by: String,
    /// Their id: a member's user id or an emergency contact's id.
    pub by_id: Uuid,
    pub iat: i64,
    pub exp: i64,
}

/// The audience of acknowledgement links.
pub const ACK_AUDIENCE: &str = "homeguard:incident-acknowledge";

/// Signs an acknowledgement link's token.
pub fn issue_ack(keys: &AuthKeys, claims: &AckClaims) -> Result<String, FnError> {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &keys.encoding).map_err(FnError::internal)
}

/// Checks an acknowledgement link's token: signed by us, for this purpose, not expired.
pub fn verify_ack(keys: &AuthKeys, token: &str, now: DateTime<Utc>) -> Result<AckClaims, FnError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.set_audience(&[ACK_AUDIENCE]);
    validation.required_spec_claims = ["exp", "sub", "aud"].iter().map(|s| s.to_string()).collect();
    let claims = jsonwebtoken::decode::<AckClaims>(token, &keys.decoding, &validation)
        .map_err(|_| FnError::unauthorized("This link is not valid"))?
        .claims;
    if now.timestamp() >= claims.exp {
        return Err(FnError::new(ErrorCode::TokenExpired, "This link has expired; open HomeGuard to acknowledge"));
    }
    Ok(claims)
}

/// The SHA-256 of a token, as sessions store it (never the token itself).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Checks a token's signature and expiry (against `now`, from the clock port).
pub fn verify_token(keys: &AuthKeys, token: &str, now: DateTime<Utc>) -> Result<Claims, FnError> {
    let mut validation = Validation::new(Algorithm::HS256);
    // Expiry is checked below against the clock port, not the system clock.
    validation.validate_exp = false;
    validation.required_spec_claims = ["exp", "sub"].iter().map(|s| s.to_string()).collect();
    let claims = jsonwebtoken::decode::<Claims>(token, &keys.decoding, &validation)
        .map_err(|_| FnError::unauthorized("The token is not valid"))?
        .claims;
    if now.timestamp() >= claims.exp {
        return Err(FnError::new(ErrorCode::TokenExpired, "The token has expired; log in again"));
    }
    Ok(claims)
}

/// Hashes a password with Argon2id and a random salt (off the async threads:
/// it is deliberately slow).
pub async fn hash_password(password: &str) -> Result<String, FnError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()))
        .await
        .map_err(FnError::internal)?
        .map_err(FnError::internal)
}

/// Whether `password` matches the stored hash. A hash that cannot be parsed
/// matches nothing.
pub async fn verify_password(password: &str, hash: &str) -> Result<bool, FnError> {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || match PasswordHash::new(&hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    })
    .await
    .map_err(FnError::internal)
}

/// The authenticated user a request acts for.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    pub user_id: Uuid,
    pub role: Role,
    pub session_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether the caller may see or act on something owned by `owner`.
    pub fn can_access(&self, owner: Uuid) -> bool {
        self.user_id == owner || self.is_admin()
    }

    /// The admin that in-process producers (the simulator, the scenario
    /// engine, the CLI) act as when no request is behind them. Never the
    /// result of authenticating a token.
    pub fn system() -> Self {
        Self { user_id: Uuid::nil(), role: Role::Admin, session_id: Uuid::nil(), expires_at: DateTime::<Utc>::MAX_UTC }
    }

    /// Fails unless the caller is an admin.
    pub fn require_admin(&self) -> Result<(), FnError> {
        if self.is_admin() { Ok(()) } else { Err(FnError::forbidden("Only an admin may do this")) }
    }
}

/// Authenticates a bearer token: a valid signature, not expired, and a live
/// session whose hash matches (so logout revokes the token at once).
pub async fn authenticate(ctx: &(impl HasSessions + Holds), token: &str) -> Result<Caller, FnError> {
    let now = ctx.clock().wall();
    let claims = verify_token(ctx.auth(), token, now)?;
    let session = ctx.sessions().get(claims.sid).await?;
    match session {
        Some(s) if s.user_id == claims.sub && s.token_hash == token_hash(token) && s.is_active(now) => {}
        _ => return Err(FnError::unauthorized("The session has ended; log in again")),
    }
    tracing::Span::current().record("user_id", tracing::field::display(claims.sub));
    Ok(Caller {
        user_id: claims.sub,
        role: claims.role,
        session_id: claims.sid,
        expires_at: Utc.timestamp_opt(claims.exp, 0).single().unwrap_or(now),
    })
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(headers: &http::HeaderMap) -> Result<&str, FnError> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .ok_or_else(|| FnError::unauthorized("Missing Authorization header; send 'Authorization: Bearer <token>'"))?;
    let value = value.to_str().map_err(|_| FnError::unauthorized("Malformed Authorization header"))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(FnError::unauthorized("The Authorization header must be 'Bearer <token>'")),
    }
}

impl<S: HasSessions + Holds> FromRequestParts<Arc<S>> for Caller {
    type Rejection = FnError;

    async fn from_request_parts(parts: &mut http::request::Parts, ctx: &Arc<S>) -> Result<Self, FnError> {
        let token = bearer_token(&parts.headers)?;
        authenticate(&**ctx, token).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> AuthKeys {
        AuthKeys::new(b"test-secret-test-secret-test-secret", Duration::hours(1))
    }

    fn claims(exp_in: i64) -> Claims {
        let now = Utc::now().timestamp();
        Claims { sub: Uuid::new_v4(), role: Role::User, sid: Uuid::new_v4(), iat: now, exp: now + exp_in }
    }

    #[test]
    fn tokens_round_trip() {
        let c = claims(60);
        let t = issue_token(&keys(), &c).unwrap();
        assert_eq!(verify_token(&keys(), &t, Utc::now()).unwrap(), c);
    }

    fn ack(exp_in: i64) -> AckClaims {
        let now = Utc::now().timestamp();
        AckClaims {
            aud: ACK_AUDIENCE.into(),
            sub: Uuid::new_v4(),
            inc: Uuid::new_v4(),
            by: "Sarah".into(),
            by_id: Uuid::new_v4(),
            iat: now,
            exp: now + exp_in,
        }
    }

    #[test]
    fn ack_links_open_only_what_they_are_for() {
        let a = ack(60);
        let link = issue_ack(&keys(), &a).unwrap();
        assert_eq!(verify_ack(&keys(), &link, Utc::now()).unwrap(), a);
        // A link is not a session, and a session is not a link.
        assert_eq!(verify_token(&keys(), &link, Utc::now()).unwrap_err().code, ErrorCode::Unauthorized);
        let session = issue_token(&keys(), &claims(60)).unwrap();
        assert_eq!(verify_ack(&keys(), &session, Utc::now()).unwrap_err().code, ErrorCode::Unauthorized);
        // Another purpose, another key, or an expired link: refused.
        let other = issue_ack(&keys(), &AckClaims { aud: "homeguard:other".into(), ..a.clone() }).unwrap();
        assert_eq!(verify_ack(&keys(), &other, Utc::now()).unwrap_err().code, ErrorCode::Unauthorized);
        let foreign = AuthKeys::new(b"another-secret-another-secret-xx", Duration::hours(1));
        assert_eq!(verify_ack(&foreign, &link, Utc::now()).unwrap_err().code, ErrorCode::Unauthorized);
        let old = issue_ack(&keys(), &ack(-1)).unwrap();
        assert_eq!(verify_ack(&keys(), &old, Utc::now()).unwrap_err().code, ErrorCode::TokenExpired);
    }

    #[test]
    fn expired_tokens_say_so() {
        let t = issue_token(&keys(), &claims(-1)).unwrap();
        assert_eq!(verify_token(&keys(), &t, Utc::now()).unwrap_err().code, ErrorCode::TokenExpired);
    }

    #[test]
    fn forged_or_garbled_tokens_are_unauthorized() {
        let other = AuthKeys::new(b"another-secret-another-secret-xx", Duration::hours(1));
        let forged = issue_token(&other, &claims(60)).unwrap();
        assert_eq!(verify_token(&keys(), &forged, Utc::now()).unwrap_err().code, ErrorCode::Unauthorized);
        assert_eq!(verify_token(&keys(), "not.a.token", Utc::now()).unwrap_err().code, ErrorCode::Unauthorized);
    }

    #[tokio::test]
    async fn passwords_hash_and_verify() {
        let h = hash_password("demo123").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("demo123", &h).await.unwrap());
        assert!(!verify_password("demo124", &h).await.unwrap());
        assert!(!verify_password("demo123", "not-a-hash").await.unwrap());
    }

    #[test]
    fn bearer_headers_are_parsed_strictly() {
        let mut h = http::HeaderMap::new();
        assert!(bearer_token(&h).is_err());
        h.insert("authorization", "Basic abc".parse().unwrap());
        assert!(bearer_token(&h).is_err());
        h.insert("authorization", "Bearer   ".parse().unwrap());
        assert!(bearer_token(&h).is_err());
        h.insert("authorization", "bearer abc.def".parse().unwrap());
        assert_eq!(bearer_token(&h).unwrap(), "abc.def");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        assert!(!format!("{:?}", keys()).contains("test-secret"));
    }
}
