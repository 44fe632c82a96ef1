//! The web app, served by the local host from its built folder (`ui/dist`):
//! files as they are (hashed assets cached for good, `index.html` never), and
//! for a browser asking for a page the app does not have as a file (a
//! client-side route such as `/devices/…`), `index.html`. Anything else no
//! route takes keeps the API's 404 error body, so the API's paths and
//! answers are unchanged.

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
    match dir.filter(|d| d.join("index.html").is_file()) {
        Some(dir) => {
            tracing::info!(ui = %dir.display(), "serving the web app");
            Router::new().fallback(serve).with_state(dir.to_owned())
        }
        None => {
            if let Some(d) = dir {
                tracing::info!(ui = %d.display(), "no web app built there (scripts/run builds it); serving the API only");
            }
            Router::new().fallback(homeguard_runtime::http::not_found)
        }
    }
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

        let none = fallback(Some(&dir.path().join("missing")));
        assert_eq!(get(&none, "/", html).await.0, StatusCode::NOT_FOUND, "no app built: the API alone");
    }
}
