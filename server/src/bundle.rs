//! `/pkg/*`: the browser bundle (wasm, JS glue, stylesheet), read into memory once at start-up
//! and sent from there. The files do not change while the server runs (a new build is a new
//! server), and reading them from disk on every request (a blocking-pool hop per file) was
//! the slowest part of sending them.
//!
//! Each file goes out as the brotli or gzip copy `scripts/build` made when the browser
//! accepts it, otherwise as it is, with `Vary: Accept-Encoding`. A name not in the bundle is
//! a `404`.
//!
//! Every file has two addresses:
//! - `/pkg/<hash>/pkg/<name>`, the one the pages link to ([`Bundle::url_root`]; Leptos's
//!   `HydrationScripts` puts its `root` before `/pkg/<name>`). The hash is of every file's
//!   name and content, so an address never names other bytes: it is cached for a year
//!   (`immutable`, no revalidation). Another hash there is a `404`, not today's file: the
//!   JS glue of one build cannot run the wasm of another. The files load each other by
//!   relative address (the glue the split loader, the loader the split wasm), so one folder
//!   per build keeps every file's address hashed with no rewriting of their contents.
//! - `/pkg/<name>`, for links that outlive a build (the API reference's stylesheet, a
//!   bookmark): revalidated on every load (`Cache-Control: no-cache`), an unchanged file
//!   being a `304` by its `Last-Modified`.

use std::{collections::HashMap, fmt::Write as _, path::Path, sync::Arc, time::SystemTime};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
    Router,
};
use sha2::{Digest, Sha256};

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
    /// The hash of every file's name and content, `None` for an empty bundle.
    hash: Option<String>,
}

/// How long a hashed address is cached: a year, without revalidation.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The first 16 hex digits of the SHA-256 of the files' names and contents, in name order
/// (the compressed copies follow from the raw files and are left out).
fn bundle_hash<'a>(files: impl Iterator<Item = (&'a str, &'a [u8])>) -> Option<String> {
    let mut files: Vec<_> = files.collect();
    if files.is_empty() {
        return None;
    }
    files.sort_unstable_by_key(|(name, _)| *name);
    let mut sha = Sha256::new();
    for (name, bytes) in files {
        // Lengths first, so that no two lists of files hash the same bytes.
        sha.update((name.len() as u64).to_le_bytes());
        sha.update(name.as_bytes());
        sha.update((bytes.len() as u64).to_le_bytes());
        sha.update(bytes);
    }
    let mut hex = String::with_capacity(16);
    for byte in &sha.finalize()[..8] {
        let _ = write!(hex, "{byte:02x}");
    }
    Some(hex)
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
            .collect::<HashMap<_, _>>();
        let hash = bundle_hash(files.iter().map(|(name, f)| (name.as_str(), f.raw.as_ref())));
        Ok(Self { files, hash })
    }

    /// What the pages put before `/pkg/<name>` (Leptos's `root`): `/pkg/<hash>`, or nothing
    /// for an empty bundle (a server started without a built site links the plain names).
    pub fn url_root(&self) -> String {
        self.hash.as_ref().map(|h| format!("/pkg/{h}")).unwrap_or_default()
    }

    /// `preloads.json`: the wasm files (names without `.wasm`) each group of lazy pages
    /// needs, by the group's split name. Empty when the bundle has none or it does not parse
    /// (the pages then load their files when they start, not from their `<head>`).
    pub fn splits(&self) -> HashMap<String, Vec<String>> {
        let Some(file) = self.files.get("preloads.json") else {
            return HashMap::new();
        };
        serde_json::from_slice(&file.raw).unwrap_or_else(|e| {
            tracing::warn!("pkg/preloads.json does not parse ({e}); pages will not preload their files");
            HashMap::new()
        })
    }

    /// The file a path under `/pkg` names, and whether the path is the hashed one.
    fn find(&self, path: &str) -> Option<(&File, bool)> {
        let path = path.trim_start_matches('/');
        if let Some(file) = self.files.get(path) {
            return Some((file, false));
        }
        let (hash, name) = path.split_once("/pkg/")?;
        if self.hash.as_deref() != Some(hash) {
            return None;
        }
        self.files.get(name).map(|file| (file, true))
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
    let Some((file, hashed)) = bundle.find(req.uri().path()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, file.content_type.clone());
    headers.insert(header::LAST_MODIFIED, file.last_modified.clone());
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if hashed { IMMUTABLE } else { "no-cache" }),
    );
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
    fn the_hash_changes_with_any_name_or_byte_and_not_with_order() {
        let h = |files: &[(&str, &[u8])]| bundle_hash(files.iter().copied()).unwrap();
        let base = h(&[("a.js", b"one"), ("b.wasm", b"two")]);
        assert_eq!(base.len(), 16);
        assert!(base.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(base, h(&[("b.wasm", b"two"), ("a.js", b"one")]));
        assert_ne!(base, h(&[("a.js", b"one"), ("b.wasm", b"twO")]));
        assert_ne!(base, h(&[("a.js", b"one"), ("c.wasm", b"two")]));
        assert_ne!(base, h(&[("a.js", b"one")]));
        // The same bytes cut differently between name and content are another bundle.
        assert_ne!(h(&[("ab", b"c")]), h(&[("a", b"bc")]));
        assert_eq!(bundle_hash(std::iter::empty()), None);
    }

    #[test]
    fn files_get_their_media_type() {
        assert_eq!(content_type("nexus-forge.wasm"), "application/wasm");
        assert_eq!(content_type("nexus-forge.js"), "text/javascript");
        assert_eq!(content_type("nexus-forge.css"), "text/css");
        assert_eq!(content_type("README"), "application/octet-stream");
    }
}
