//! `/api/nexus-forge/*` (builds) and `/preview/{id}/*` (the generated app).
//!
//! The preview is served with `Content-Security-Policy: sandbox allow-scripts allow-forms`:
//! the browser gives the generated app an opaque origin, so its code can never read the
//! dashboard's cookies or storage, nor call the API as the person looking at it.

use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Json, Router,
};
use domain::{
    api::{BuildDiff, BuildView, BuildsPage, IterateRequest, StartBuildRequest, StartBuildResponse},
    ids::BuildId,
};
use serde::Deserialize;

use super::orchestrator::parse_id;
use crate::{
    auth::Caller,
    error::{ApiError, ApiJson},
    state::AppState,
};

/// The CSP every preview response carries (the browser check loads the app under it too).
pub use domain::api::PREVIEW_CSP;

/// Build routes and the preview.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/nexus-forge/build", post(start_build))
        .route("/api/nexus-forge/build/{id}", get(get_build))
        .route("/api/nexus-forge/build/{id}/cancel", post(cancel_build))
        .route("/api/nexus-forge/build/{id}/iterate", post(iterate_build))
        .route("/api/nexus-forge/build/{id}/diff", get(build_diff))
        .route("/api/nexus-forge/build/{id}/download", get(download))
        .route("/api/nexus-forge/build/{id}/screenshots/{name}", get(screenshot))
        .route("/api/nexus-forge/builds", get(list_builds))
        .route("/preview/{id}/{cap}", get(preview_root))
        .route("/preview/{id}/{cap}/", get(preview_index))
        .route("/preview/{id}/{cap}/{*path}", get(preview_file))
}

async fn start_build(
    State(state): State<AppState>,
    Caller(me): Caller,
    ApiJson(req): ApiJson<StartBuildRequest>,
) -> Result<(StatusCode, Json<StartBuildResponse>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(state.orchestrator.start_build(&req, &me).await?),
    ))
}

async fn get_build(
    State(state): State<AppState>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> Result<Json<BuildView>, ApiError> {
    let id: BuildId = parse_id("build", &id)?;
    Ok(Json(state.orchestrator.get_build(id, &me).await?))
}

async fn iterate_build(
    State(state): State<AppState>,
    Caller(me): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<IterateRequest>,
) -> Result<(StatusCode, Json<StartBuildResponse>), ApiError> {
    let id: BuildId = parse_id("build", &id)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(state.orchestrator.iterate_build(id, &req, &me).await?),
    ))
}

async fn build_diff(
    State(state): State<AppState>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> Result<Json<BuildDiff>, ApiError> {
    let id: BuildId = parse_id("build", &id)?;
    Ok(Json(state.orchestrator.build_diff(id, &me).await?))
}

async fn cancel_build(
    State(state): State<AppState>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<BuildView>), ApiError> {
    let id: BuildId = parse_id("build", &id)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(state.orchestrator.cancel_build(id, &me).await?),
    ))
}

/// Paging of a list (its query parameters).
#[derive(Deserialize, schemars::JsonSchema)]
pub(crate) struct ListQuery {
    /// Page size (default 20, at most 100).
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

async fn list_builds(
    State(state): State<AppState>,
    Caller(me): Caller,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<BuildsPage>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    Ok(Json(
        state
            .orchestrator
            .list_builds(&me, q.cursor.as_deref(), q.limit)
            .await?,
    ))
}

async fn download(
    State(state): State<AppState>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: BuildId = parse_id("build", &id)?;
    let zip = state.orchestrator.build_package(id, &me).await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    let disposition = format!("attachment; filename=\"{}\"", zip.path.replace(['"', '\\'], ""));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok((headers, zip.content).into_response())
}

async fn screenshot(
    State(state): State<AppState>,
    Caller(me): Caller,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id: BuildId = parse_id("build", &id)?;
    let shot = state.orchestrator.build_screenshot(id, &name, &me).await?;
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache")),
    ];
    Ok((headers, shot.content).into_response())
}

async fn preview_root(Path((id, cap)): Path<(String, String)>) -> Response {
    // Both parts go back into a Location header: only a build id and a link's signature
    // (URL-safe characters) can be a preview, anything else is not one.
    let url_safe = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b));
    if uuid::Uuid::parse_str(&id).is_err() || !url_safe(&cap) {
        return preview_error(StatusCode::NOT_FOUND, "there is no preview at this address".into());
    }
    Redirect::permanent(&format!("/preview/{id}/{cap}/")).into_response()
}

async fn preview_index(
    state: State<AppState>,
    Path((id, cap)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    serve_preview(state, id, cap, String::new(), headers).await
}

async fn preview_file(
    state: State<AppState>,
    Path((id, cap, path)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    serve_preview(state, id, cap, path, headers).await
}

/// A plain-text error that still carries the sandbox CSP.
fn preview_error(status: StatusCode, message: String) -> Response {
    (
        status,
        [
            (header::CONTENT_SECURITY_POLICY, PREVIEW_CSP),
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
        ],
        message,
    )
        .into_response()
}

/// A preview file, authorised by the signed link (`cap`), not by the session: the sandboxed
/// app's own requests carry no cookies.
async fn serve_preview(
    State(state): State<AppState>,
    id: String,
    cap: String,
    path: String,
    req_headers: HeaderMap,
) -> Response {
    let Ok(id) = uuid::Uuid::parse_str(&id).map(BuildId) else {
        return preview_error(StatusCode::NOT_FOUND, format!("{id:?} is not a build id"));
    };
    match state.orchestrator.preview_file(id, &cap, &path).await {
        Ok(file) => {
            let etag = format!("\"{}\"", file.sha256);
            let fresh = req_headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str());
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PREVIEW_CSP));
            headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            if let Ok(v) = HeaderValue::from_str(&etag) {
                headers.insert(header::ETAG, v);
            }
            if fresh {
                return (StatusCode::NOT_MODIFIED, headers).into_response();
            }
            if let Ok(v) = HeaderValue::from_str(&file.content_type) {
                headers.insert(header::CONTENT_TYPE, v);
            }
            (headers, file.content).into_response()
        }
        Err(orchestrator::Error::NotFound { what: "preview", .. }) => preview_error(
            StatusCode::NOT_FOUND,
            "this preview link is not valid (or has expired); open the build again for a fresh one".into(),
        ),
        Err(orchestrator::Error::NotFound { .. }) => {
            preview_error(StatusCode::NOT_FOUND, format!("this build has no file {path:?} (yet)"))
        }
        Err(e) => {
            tracing::error!(error.message = %e, "preview failed");
            preview_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the preview is unavailable right now".into(),
            )
        }
    }
}
