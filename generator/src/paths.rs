//! Where generated files live and how they are served: the path rule every file must
//! pass, the path of an entity's module, and the content type by extension.

use crate::words::to_snake;

/// Whether `path` is a safe relative path for a generated file: non-empty, at most 200
/// characters of `[a-z0-9_.-/]`, no leading or trailing slash, no empty, `.` or `..`
/// segment, no hidden segment, and an extension.
pub fn safe_path(path: &str) -> bool {
    path_problem(path).is_none()
}

pub(crate) fn path_problem(path: &str) -> Option<String> {
    if path.is_empty() || path.len() > 200 {
        return Some("the path must be 1 to 200 characters".into());
    }
    if path.starts_with('/') {
        return Some("the path must be relative (no leading `/`)".into());
    }
    if let Some(c) = path
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-' | '/')))
    {
        return Some(format!(
            "the path may only use lowercase a-z, 0-9, `_`, `.`, `-` and `/`, not {c:?}"
        ));
    }
    for seg in path.split('/') {
        if seg.is_empty() {
            return Some("the path has an empty segment (`//` or a trailing `/`)".into());
        }
        if seg == ".." || seg == "." {
            return Some("the path must not contain `.` or `..` segments".into());
        }
        if seg.starts_with('.') {
            return Some(format!("the path segment {seg:?} is hidden (starts with `.`)"));
        }
    }
    let last = path.rsplit('/').next().unwrap_or(path);
    if !last.contains('.') || last.ends_with('.') {
        return Some("the file name needs an extension such as `.js`".into());
    }
    None
}

/// The path of an entity's module.
pub fn entity_module_path(entity: &str) -> String {
    format!("js/entities/{}.js", to_snake(entity, "item"))
}

/// The content type a generated file is served with, by extension.
pub fn content_type_for(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "json" => "application/json",
        "png" => "image/png",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
