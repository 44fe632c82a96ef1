//! The current-user function: `GET /users/me`, and for admins `GET /users`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use homeguard_domain::{DomainError, ErrorCode, User};
use homeguard_runtime::{Caller, FnError, Function};
use serde::Serialize;

homeguard_runtime::holds! {
    /// What the user directory holds (sessions, to authenticate callers).
    pub struct UsersCtx { users, sessions }
}

/// The function: `GET /users/me`, `GET /users`, `GET /users/{id}`.
pub fn function() -> Function<UsersCtx> {
    Function::new(env!("CARGO_PKG_NAME"), "Current user and user directory").routes(routes)
}

/// The caller's own profile.
pub async fn me(ctx: &UsersCtx, caller: &Caller) -> Result<User, FnError> {
    ctx.users.get(caller.user_id).await?.ok_or_else(|| {
        // The token is valid but its user is gone: treat as signed out.
        FnError::unauthorized("The user of this token no longer exists")
    })
}

#[derive(Debug, Serialize)]
pub struct UserList {
    pub users: Vec<User>,
    pub count: usize,
}

/// Every user (admins only).
pub async fn list(ctx: &UsersCtx, caller: &Caller) -> Result<UserList, FnError> {
    caller.require_admin()?;
    let users = ctx.users.list().await?;
    Ok(UserList { count: users.len(), users })
}

/// One user: yourself, or anyone for an admin.
pub async fn get_one(ctx: &UsersCtx, caller: &Caller, id: uuid::Uuid) -> Result<User, FnError> {
    let not_found = || FnError::from(DomainError::new(ErrorCode::UserNotFound, format!("User with ID {id} not found")));
    if !caller.can_access(id) {
        return Err(not_found());
    }
    ctx.users.get(id).await?.ok_or_else(not_found)
}

fn routes(_: &Arc<UsersCtx>) -> Router<Arc<UsersCtx>> {
    Router::new()
        .route(
            "/users/me",
            get(|State(ctx): State<Arc<UsersCtx>>, c: Caller| async move { me(&ctx, &c).await.map(axum::Json) }),
        )
        .route(
            "/users",
            get(|State(ctx): State<Arc<UsersCtx>>, c: Caller| async move { list(&ctx, &c).await.map(axum::Json) }),
        )
        .route(
            "/users/{id}",
            get(
                |State(ctx): State<Arc<UsersCtx>>,
                 c: Caller,
                 homeguard_runtime::extract::Path(id): homeguard_runtime::extract::Path<uuid::Uuid>| async move {
                    get_one(&ctx, &c, id).await.map(axum::Json)
                },
            ),
        )
}
