//! `/pkg/*`: the browser bundle (wasm, JS glue, stylesheet), read into memory once at start-up
//! and sent from there. The files do not change while the server runs (a new build is a new
//! server), and reading them from disk on every request (a blocking-pool hop per file) was
//! the slowest part of sending them.
//!
//! Each file goes out as the brotli or gzip copy `scripts/build` made when the browser
//! accepts it, otherwise as it is, with `Vary: Accept-Encoding`. The names do not change
//! between releases, so every load revalidates (`Cache-Control: no-cache`) and an unchanged
//! file is a `304` by its `Last-Modified`. A name not in the bundle is a `404`.

use std::{collections::HashMap, path::Path, sync::Arc, time::SystemTime};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
    Router,
};

/// One file of the bundle, with its precompressed copies.
struct File {
    raw: Bytes,
    br: Option<Bytes>,
    gz: Option<Bytes>,
    content_type: HeaderValue,
    last_modified: HeaderValue,
    /// `last_modified` as a time, to the second (what HTTP dates carry).
    modified: SystemTime,
}

/// The bundle's files by name.
#[derive(Default)]
pub struct Bundle {
    files: HashMap<String, File>,
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("wasm") => "application/wasm",
        Some("js" | "mjs") => "text/javascript",
        Some("css") => "text/css",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("map") => "application/json",
        _ => "application/octet-stream",
    }
}

impl Bundle {
    /// Reads every file of `dir` (not its folders; `.br` and `.gz` files as the copies of
    /// the file they compress). A missing folder is an empty bundle.
    pub fn read(dir: &Path) -> std::io::Result<Self> {
        let mut raw: HashMap<String, (Bytes, SystemTime)> = HashMap::new();
        let mut copies: HashMap<String, Bytes> = HashMap::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            if !entry.file_type()?.is_file() {
                continue;
            }
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let bytes = Bytes::from(std::fs::read(entry.path())?);
            if name.ends_with(".br") || name.ends_with(".gz") {
                copies.insert(name, bytes);
            } else {
                let modified = entry.metadata()?.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                raw.insert(name, (bytes, modified));
            }
        }
        let files = raw
            .into_iter()
            .map(|(name, (bytes, modified))| {
                let date = httpdate::fmt_http_date(modified);
                let file = File {
                    br: copies.remove(&format!("{name}.br")),
                    gz: copies.remove(&format!("{name}.gz")),
                    content_type: HeaderValue::from_static(content_type(&name)),
                    last_modified: HeaderValue::from_str(&date).unwrap_or(HeaderValue::from_static("")),
                    // Rounded down to the second, as the header says.
                    modified: httpdate::parse_http_date(&date).unwrap_or(modified),
                    raw: bytes,
                };
                (name, file)
            })
            .collect();
        Ok(Self { files })
    }

    /// The router for `/pkg` (nested: paths arrive without the prefix).
    pub fn router(self) -> Router {
        Router::new().fallback(serve).with_state(Arc::new(self))
    }
}

/// Which encodings the request accepts (`br`, `gzip`), ignoring q-values of 0.
fn accepts(headers: &HeaderMap, encoding: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| {
            let mut it = part.split(';');
            let name = it.next().unwrap_or("").trim();
            let refused = it.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            name.eq_ignore_ascii_case(encoding) && !refused
        })
}

async fn serve(State(bundle): State<Arc<Bundle>>, req: Request) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "GET, HEAD")]).into_response();
    }
    let name = req.uri().path().trim_start_matches('/');
    let Some(file) = bundle.files.get(name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, file.content_type.clone());
    headers.insert(header::LAST_MODIFIED, file.last_modified.clone());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    let unchanged = req
        .headers()
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .is_some_and(|since| file.modified <= since);
    if unchanged {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    let body = match (&file.br, &file.gz) {
        (Some(br), _) if accepts(req.headers(), "br") => {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
            br.clone()
        }
        (_, Some(gz)) if accepts(req.headers(), "gzip") => {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            gz.clone()
        }
        _ => file.raw.clone(),
    };
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    let body = if req.method() == Method::HEAD {
        Body::empty()
    } else {
        Body::from(body)
    };
    (StatusCode::OK, headers, body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_encoding_is_accepted_by_name_unless_its_quality_is_zero() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            m
        };
        assert!(accepts(&h("gzip, deflate, br"), "br"));
        assert!(accepts(&h("gzip, deflate, br"), "gzip"));
        assert!(!accepts(&h("gzip"), "br"));
        assert!(!accepts(&h("br;q=0, gzip"), "br"));
        assert!(accepts(&h("br;q=0.5"), "br"));
        assert!(!accepts(&HeaderMap::new(), "gzip"));
        assert!(!accepts(&h("xbr"), "br"));
    }

    #[test]
    fn files_get_their_media_type() {
        assert_eq!(content_type("nexus-forge.wasm"), "application/wasm");
        assert_eq!(content_type("nexus-forge.js"), "text/javascript");
        assert_eq!(content_type("nexus-forge.css"), "text/css");
        assert_eq!(content_type("README"), "application/octet-stream");
    }
}
