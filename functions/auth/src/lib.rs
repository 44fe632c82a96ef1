//! The login and logout functions (the requirements' User Service):
//! `POST /auth/login` exchanges email and password for a JWT and records the
//! session; `POST /auth/logout` revokes it.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use chrono::{DateTime, Utc};
use homeguard_domain::user::{check_password_input, normalize_email};
use homeguard_domain::{ErrorCode, User};
use homeguard_ports::{Limit, Session};
use homeguard_runtime::auth::{self, Claims};
use homeguard_runtime::extract::{Json, Path};
use homeguard_runtime::{Caller, FnError, Function};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;
use uuid::Uuid;

homeguard_runtime::holds! {
    /// What login and logout hold: the accounts, their sessions, and the
    /// failed-login buckets.
    pub struct AuthCtx { users, sessions, limits }
}

/// The function: `POST /auth/login`, `POST /auth/logout`, `GET /auth/demo`,
/// service tokens at `/auth/tokens`.
pub fn function() -> Function<AuthCtx> {
    Function::new(env!("CARGO_PKG_NAME"), "Login, logout and service tokens").routes(routes)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoginOutput {
    pub token: String,
    pub token_type: &'static str,
    pub expires_at: DateTime<Utc>,
    pub expires_in: i64,
    pub user: User,
}

fn bad_credentials() -> FnError {
    FnError::new(ErrorCode::InvalidCredentials, "Email or password is incorrect")
}

/// A hash to verify against when the email is unknown, so that a wrong email
/// takes as long to refuse as a wrong password (no user enumeration by timing).
async fn decoy_hash() -> &'static str {
    static DECOY: OnceCell<String> = OnceCell::const_new();
    DECOY
        .get_or_init(|| async {
            auth::hash_password(&Uuid::new_v4().to_string()).await.unwrap_or_else(|_| "invalid".into())
        })
        .await
}

/// Failed logins one account may have: 5 in a row, then one a minute. Known
/// and unknown emails are throttled alike, so throttling reveals nothing.
pub const LOGIN_FAILURES: Limit = Limit { capacity: 5, per_second: 1.0 / 60.0 };

/// Records a failed login against the account's bucket.
async fn failed(ctx: &AuthCtx, key: &str) -> FnError {
    if let Err(e) = ctx.limits.acquire(key, LOGIN_FAILURES, 1).await {
        tracing::warn!(error = %e, "could not record a failed login");
    }
    bad_credentials()
}

/// Checks the credentials and opens a session.
#[tracing::instrument(skip_all)]
pub async fn login(ctx: &AuthCtx, input: LoginInput) -> Result<LoginOutput, FnError> {
    let email = normalize_email(&input.email)?;
    check_password_input(&input.password)?;
    let key = format!("login:{email}");
    let allowance = ctx.limits.acquire(&key, LOGIN_FAILURES, 0).await?;
    if !allowance.allowed {
        let wait = allowance.retry_after.as_secs().max(1);
        tracing::warn!("login refused: too many failures for this account");
        return Err(FnError::new(
            ErrorCode::RateLimited,
            format!("Too many failed logins for this account; try again in {wait} s"),
        )
        .with_details(serde_json::json!({ "retry_after_seconds": wait })));
    }
    let Some((user, hash)) = ctx.users.find_by_email(&email).await? else {
        let _ = auth::verify_password(&input.password, decoy_hash().await).await;
        tracing::info!("login refused: unknown email");
        return Err(failed(ctx, &key).await);
    };
    if !auth::verify_password(&input.password, &hash).await? {
        tracing::info!(user_id = %user.id, "login refused: wrong password");
        return Err(failed(ctx, &key).await);
    }
    let now = ctx.clock.wall();
    let expires_at = now + ctx.auth.token_ttl;
    let claims = Claims {
        sub: user.id,
        role: user.role,
        sid: Uuid::new_v4(),
        iat: now.timestamp(),
        exp: expires_at.timestamp(),
    };
    let token = auth::issue_token(&ctx.auth, &claims)?;
    ctx.sessions
        .create(Session {
            id: claims.sid,
            user_id: user.id,
            token_hash: auth::token_hash(&token),
            expires_at,
            created_at: now,
            revoked_at: None,
            name: None,
        })
        .await?;
    // Housekeeping: long-expired sessions are of no use to anyone.
    if let Err(e) = ctx.sessions.delete_expired(now - chrono::Duration::days(7)).await {
        tracing::warn!(error = %e, "could not purge expired sessions");
    }
    tracing::info!(user_id = %user.id, "login succeeded");
    Ok(LoginOutput { token, token_type: "Bearer", expires_at, expires_in: ctx.auth.token_ttl.num_seconds(), user })
}

/// One account of the demo seed, as the sign-in screen offers it.
#[derive(Debug, Clone, Serialize)]
pub struct DemoAccount {
    pub email: &'static str,
    pub name: &'static str,
    pub role: homeguard_domain::Role,
}

/// What the sign-in screen may offer: the demo seed's accounts that exist
/// here (none on an installation that never ran with the seed, which then
/// gets a plain sign-in form) and their password.
#[derive(Debug, Clone, Serialize)]
pub struct DemoAccounts {
    pub accounts: Vec<DemoAccount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<&'static str>,
}

/// `GET /auth/demo`: read from the users that exist, not from a setting.
pub async fn demo_accounts(ctx: &AuthCtx) -> Result<DemoAccounts, FnError> {
    let mut accounts = vec![];
    for seed in homeguard_domain::seed::demo_users() {
        if ctx.users.find_by_email(seed.email).await?.is_some() {
            accounts.push(DemoAccount { email: seed.email, name: seed.name, role: seed.role });
        }
    }
    let password = (!accounts.is_empty()).then_some(homeguard_domain::seed::DEMO_PASSWORD);
    Ok(DemoAccounts { accounts, password })
}

/// Revokes the caller's session; its token stops working at once.
pub async fn logout(ctx: &AuthCtx, caller: &Caller) -> Result<(), FnError> {
    ctx.sessions.revoke(caller.session_id, ctx.clock.wall()).await?;
    tracing::info!(user_id = %caller.user_id, "logged out");
    Ok(())
}

/// What a service token is asked for with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What uses it ("n8n"), 1 to 64 characters.
    pub name: String,
    /// How long it works, 1 to 3650 days (default 365).
    #[serde(default = "default_days")]
    pub days: i64,
}

fn default_days() -> i64 {
    365
}

/// A service token as listed: never the token itself.
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    pub token_id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl TokenInfo {
    fn of(s: &Session) -> Self {
        Self {
            token_id: s.id,
            name: s.name.clone().unwrap_or_default(),
            created_at: s.created_at,
            expires_at: s.expires_at,
        }
    }
}

/// A new service token: shown this once, then only its hash is kept.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedToken {
    #[serde(flatten)]
    pub info: TokenInfo,
    pub token: String,
}

/// The most service tokens one account may hold.
pub const MAX_TOKENS: usize = 20;

/// Issues a service token for the caller (n8n calls the API back with
/// it): it acts as the caller, with the caller's role, until it expires or
/// is revoked. Only a signed-in person may issue one, never a token.
pub async fn create_token(ctx: &AuthCtx, caller: &Caller, input: NewToken) -> Result<IssuedToken, FnError> {
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(FnError::invalid("name", "must be 1 to 64 characters"));
    }
    if !(1..=3650).contains(&input.days) {
        return Err(FnError::invalid("days", "must be from 1 to 3650"));
    }
    let own = ctx.sessions.get(caller.session_id).await?;
    if own.as_ref().is_none_or(|s| s.name.is_some()) {
        return Err(FnError::forbidden("A service token cannot issue tokens; sign in to issue one"));
    }
    let now = ctx.clock.wall();
    if ctx.sessions.tokens(caller.user_id, now).await?.len() >= MAX_TOKENS {
        return Err(FnError::new(
            ErrorCode::Conflict,
            format!("An account has at most {MAX_TOKENS} service tokens; revoke one"),
        ));
    }
    let expires_at = now + chrono::Duration::days(input.days);
    let claims = Claims {
        sub: caller.user_id,
        role: caller.role,
        sid: Uuid::new_v4(),
        iat: now.timestamp(),
        exp: expires_at.timestamp(),
    };
    let token = auth::issue_token(&ctx.auth, &claims)?;
    let session = Session {
        id: claims.sid,
        user_id: caller.user_id,
        token_hash: auth::token_hash(&token),
        expires_at,
        created_at: now,
        revoked_at: None,
        name: Some(name),
    };
    ctx.sessions.create(session.clone()).await?;
    tracing::info!(user_id = %caller.user_id, token_id = %session.id, "service token issued");
    Ok(IssuedToken { info: TokenInfo::of(&session), token })
}

#[derive(Debug, Clone, Serialize)]
pub struct TokenList {
    pub tokens: Vec<TokenInfo>,
}

pub async fn list_tokens(ctx: &AuthCtx, caller: &Caller) -> Result<TokenList, FnError> {
    let tokens = ctx.sessions.tokens(caller.user_id, ctx.clock.wall()).await?;
    Ok(TokenList { tokens: tokens.iter().map(TokenInfo::of).collect() })
}

/// Revokes one of the caller's service tokens: it stops working at once.
pub async fn revoke_token(ctx: &AuthCtx, caller: &Caller, id: Uuid) -> Result<(), FnError> {
    let theirs = ctx.sessions.get(id).await?.filter(|s| s.user_id == caller.user_id && s.name.is_some());
    if theirs.is_none() || !ctx.sessions.revoke(id, ctx.clock.wall()).await? {
        return Err(FnError::new(ErrorCode::NotFound, format!("Service token {id} not found")));
    }
    tracing::info!(user_id = %caller.user_id, token_id = %id, "service token revoked");
    Ok(())
}

type S = axum::extract::State<Arc<AuthCtx>>;

fn routes(_: &Arc<AuthCtx>) -> Router<Arc<AuthCtx>> {
    Router::new()
        .route(
            "/auth/login",
            post(
                |axum::extract::State(ctx): axum::extract::State<Arc<AuthCtx>>, Json(input): Json<LoginInput>| async move {
                    login(&ctx, input).await.map(axum::Json)
                },
            ),
        )
        .route(
            "/auth/demo",
            axum::routing::get(|axum::extract::State(ctx): axum::extract::State<Arc<AuthCtx>>| async move {
                demo_accounts(&ctx).await.map(axum::Json)
            }),
        )
        .route(
            "/auth/logout",
            post(|axum::extract::State(ctx): axum::extract::State<Arc<AuthCtx>>, caller: Caller| async move {
                logout(&ctx, &caller).await.map(|()| StatusCode::NO_CONTENT)
            }),
        )
        .route(
            "/auth/tokens",
            axum::routing::get(|axum::extract::State(ctx): S, c: Caller| async move {
                list_tokens(&ctx, &c).await.map(axum::Json)
            })
            .post(|axum::extract::State(ctx): S, c: Caller, Json(input): Json<NewToken>| async move {
                create_token(&ctx, &c, input).await.map(|t| (StatusCode::CREATED, axum::Json(t)))
            }),
        )
        .route(
            "/auth/tokens/{id}",
            axum::routing::delete(|axum::extract::State(ctx): S, c: Caller, Path(id): Path<Uuid>| async move {
                revoke_token(&ctx, &c, id).await.map(|()| StatusCode::NO_CONTENT)
            }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;
    use homeguard_runtime::Holds;

    fn input(email: &str, password: &str) -> LoginInput {
        LoginInput { email: email.into(), password: password.into() }
    }

    #[tokio::test]
    async fn login_opens_a_session_and_logout_closes_it() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        let ctx = AuthCtx::from_ctx(&ctx);
        let out = login(&ctx, input(" John@Demo.com ", "demo123")).await.unwrap();
        assert_eq!(out.user.email, "john@demo.com");
        assert_eq!(out.expires_in, 86_400);
        let caller = homeguard_runtime::auth::authenticate(&ctx, &out.token).await.unwrap();
        assert_eq!(caller.user_id, out.user.id);
        let session = ctx.sessions.get(caller.session_id).await.unwrap().unwrap();
        assert_ne!(session.token_hash, out.token, "only the hash is stored");

        logout(&ctx, &caller).await.unwrap();
        let err = homeguard_runtime::auth::authenticate(&ctx, &out.token).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Unauthorized);
    }

    #[tokio::test]
    async fn the_demo_accounts_are_offered_only_where_they_exist() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        let ctx = AuthCtx::from_ctx(&ctx);
        let demo = demo_accounts(&ctx).await.unwrap();
        let emails: Vec<_> = demo.accounts.iter().map(|a| a.email).collect();
        assert_eq!(emails, ["john@demo.com", "sarah@demo.com", "admin@demo.com"]);
        assert_eq!(demo.password, Some("demo123"));

        let bare = tempfile::tempdir().unwrap();
        let config = homeguard_wiring::Config::try_parse_from([
            "test",
            "--data-dir",
            &bare.path().to_string_lossy(),
            "--jwt-secret",
            "handler-tests-secret-handler-tests-secret",
            "--seed-demo",
            "false",
        ])
        .unwrap();
        let (_dir, ctx) = homeguard_wiring::prepare(&config).await.unwrap();
        let demo = demo_accounts(&AuthCtx::from_ctx(&ctx)).await.unwrap();
        assert!(demo.accounts.is_empty() && demo.password.is_none(), "a plain sign-in form");
    }

    #[tokio::test]
    async fn wrong_credentials_are_refused_alike() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        let ctx = AuthCtx::from_ctx(&ctx);
        let wrong_pw = login(&ctx, input("john@demo.com", "demo124")).await.unwrap_err();
        let no_user = login(&ctx, input("ghost@demo.com", "demo123")).await.unwrap_err();
        assert_eq!((wrong_pw.code, no_user.code), (ErrorCode::InvalidCredentials, ErrorCode::InvalidCredentials));
        assert_eq!(wrong_pw.message, no_user.message);
        assert_eq!(login(&ctx, input("john", "demo123")).await.unwrap_err().code, ErrorCode::ValidationError);
        assert_eq!(login(&ctx, input("john@demo.com", "")).await.unwrap_err().code, ErrorCode::ValidationError);
    }

    #[tokio::test]
    async fn repeated_failures_throttle_the_account_only() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        let ctx = AuthCtx::from_ctx(&ctx);
        for _ in 0..LOGIN_FAILURES.capacity {
            let e = login(&ctx, input("sarah@demo.com", "guess")).await.unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidCredentials);
        }
        let e = login(&ctx, input("sarah@demo.com", "demo123")).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::RateLimited, "even the right password waits");
        assert!(e.details["retry_after_seconds"].as_u64().unwrap() >= 1);
        assert!(login(&ctx, input("john@demo.com", "demo123")).await.is_ok(), "other accounts are unaffected");
        for _ in 0..LOGIN_FAILURES.capacity {
            let _ = login(&ctx, input("ghost@demo.com", "guess")).await;
        }
        let e = login(&ctx, input("ghost@demo.com", "guess")).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::RateLimited, "unknown emails are throttled alike");
    }
}
