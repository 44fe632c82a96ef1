//! The web app, served by the local host from its built folder (`ui/dist`):
//! files as they are (hashed assets cached for good, `index.html` never), and
//! for a browser asking for a page the app does not have as a file (a
//! client-side route such as `/devices/…`), `index.html`. Anything else no
//! route takes keeps the API's 404 error body. A browser *navigating* to a
//! client route that is also an API path (`/events`, `/devices/{id}`: a
//! reload, a shared link) gets the app too ([`pages_first`]); the app's own
//! calls carry a token and the stream an upgrade, so the API's answers are
//! unchanged for every client.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Method, StatusCode, header};
use tower::ServiceExt;
use tower_http::services::ServeFile;

/// The fallback router: the app in `dir` when it holds a built app, else the
/// API's 404 alone.
pub fn fallback(dir: Option<&Path>) -> Router {
    match built(dir) {
        Some(dir) => {
            tracing::info!(ui = %dir.display(), "serving the web app");
            Router::new().fallback(serve).with_state(dir)
        }
        None => {
            if let Some(d) = dir {
                tracing::info!(ui = %d.display(), "no web app built there (scripts/run builds it); serving the API only");
            }
            Router::new().fallback(homeguard_runtime::http::not_found)
        }
    }
}

/// The app's folder, when it holds a built app.
pub fn built(dir: Option<&Path>) -> Option<PathBuf> {
    dir.filter(|d| d.join("index.html").is_file()).map(Path::to_owned)
}

/// Whether a request is a browser navigating to a page: a GET for HTML, in
/// navigate mode, without a token or an upgrade, and not for the paths that
/// only machines read.
fn navigation(req: &Request) -> bool {
    let h = req.headers();
    let path = req.uri().path();
    req.method() == Method::GET
        && wants_page(req)
        && h.get("sec-fetch-mode").is_some_and(|m| m == "navigate")
        && !h.contains_key(header::AUTHORIZATION)
        && !h.contains_key(header::UPGRADE)
        && !["/health/", "/metrics", "/ce/"].iter().any(|p| path.starts_with(p))
}

/// Middleware: a navigation gets the app before the API's routes see it.
pub async fn pages_first(State(dir): State<PathBuf>, req: Request, next: axum::middleware::Next) -> Response {
    if navigation(&req) && !dir.join(req.uri().path().trim_start_matches('/')).is_file() {
        return serve(State(dir), req).await;
    }
    next.run(req).await
}

fn wants_page(req: &Request) -> bool {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

async fn serve(State(dir): State<PathBuf>, req: Request) -> Response {
    let (method, uri) = (req.method().clone(), req.uri().clone());
    if method != Method::GET && method != Method::HEAD {
        return homeguard_runtime::http::not_found(method, uri).await.into_response();
    }
    let path = uri.path().trim_start_matches('/');
    let file = (!path.is_empty() && !path.split('/').any(|s| s == ".." || s.starts_with('.')))
        .then(|| dir.join(path))
        .filter(|f| f.is_file());
    let page = wants_page(&req);
    let (target, immutable) = match file {
        Some(f) => (f, path.starts_with("assets/")),
        None if page => (dir.join("index.html"), false),
        None => return homeguard_runtime::http::not_found(method, uri).await.into_response(),
    };
    let mut res = match ServeFile::new(&target).oneshot(req).await {
        Ok(res) => res.map(Body::new),
        Err(e) => {
            tracing::warn!(file = %target.display(), error = %e, "could not read a web app file");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let cache = if immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(app: &Router, path: &str, accept: &str) -> (StatusCode, String, Option<String>) {
        let req = Request::get(path).header(header::ACCEPT, accept).body(Body::empty()).unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let cache = res.headers().get(header::CACHE_CONTROL).map(|v| v.to_str().unwrap().to_owned());
        let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        (status, String::from_utf8_lossy(&body).into_owned(), cache)
    }

    #[tokio::test]
    async fn pages_fall_back_to_the_app_and_everything_else_keeps_the_api_404() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("assets")).unwrap();
        std::fs::write(dir.path().join("index.html"), "<html>app</html>").unwrap();
        std::fs::write(dir.path().join("assets/app-1a2b.js"), "console.log(1)").unwrap();
        std::fs::write(dir.path().join(".secret"), "no").unwrap();
        let app = fallback(Some(dir.path()));

        let html = "text/html,application/xhtml+xml";
        assert_eq!(get(&app, "/", html).await.1, "<html>app</html>");
        let (status, body, cache) = get(&app, "/devices/123", html).await;
        assert_eq!((status, body.as_str(), cache.as_deref()), (StatusCode::OK, "<html>app</html>", Some("no-cache")));
        let (status, body, cache) = get(&app, "/assets/app-1a2b.js", "*/*").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "console.log(1)"));
        assert!(cache.unwrap().contains("immutable"));
        let (status, body, _) = get(&app, "/nope", "application/json").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("NOT_FOUND"), "an API client keeps the error body: {body}");
        assert_eq!(get(&app, "/.secret", "*/*").await.0, StatusCode::NOT_FOUND, "no hidden files");
        assert_eq!(get(&app, "/assets/../.secret", "*/*").await.0, StatusCode::NOT_FOUND);

        // A navigation to an API path gets the app; the app's own calls do not.
        let api = Router::new()
            .route("/events", axum::routing::get(|| async { "api" }))
            .layer(axum::middleware::from_fn_with_state(dir.path().to_owned(), pages_first));
        let nav = |auth: bool| {
            let mut r = Request::get("/events").header(header::ACCEPT, html).header("sec-fetch-mode", "navigate");
            if auth {
                r = r.header(header::AUTHORIZATION, "Bearer x");
            }
            r.body(Body::empty()).unwrap()
        };
        let body = |res: Response| async {
            String::from_utf8_lossy(&axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap()).into_owned()
        };
        assert_eq!(
            body(api.clone().oneshot(nav(false)).await.unwrap()).await,
            "<html>app</html>",
            "a reload of /events"
        );
        assert_eq!(body(api.clone().oneshot(nav(true)).await.unwrap()).await, "api");
        let fetch = Request::get("/events").header(header::ACCEPT, "application/json").body(Body::empty()).unwrap();
        assert_eq!(body(api.oneshot(fetch).await.unwrap()).await, "api");

        let none = fallback(Some(&dir.path().join("missing")));
        assert_eq!(get(&none, "/", html).await.0, StatusCode::NOT_FOUND, "no app built: the API alone");
    }
}
