//! Checks of generated files with real parsers, used to accept or reject a file (ours or a
//! model's) before it joins a build.
//!
//! | extension | parser | what is checked |
//! |-----------|--------|-----------------|
//! | `.js`     | oxc (parser + semantic analysis, as a classic script) | syntax and early errors; no network (`fetch`, `XMLHttpRequest`, `WebSocket`, `EventSource`, `sendBeacon`, `import()`), no `eval`, no absolute URLs in strings |
//! | `.css`    | cssparser's tokenizer and block parser, with a small grammar on top | balanced blocks, strings, comments, `prop: value` declarations, selectors before blocks, relative `url()`s |
//! | `.html`   | html5gum (WHATWG tokenizer) plus an element stack | tokenizer errors, `<!DOCTYPE html>`, `<html>`/`<head>`/`<body>`/`<title>`, unclosed and mismatched elements, duplicate ids, relative local `src`/`href`, no external scripts or styles, no module scripts, no inline handlers; inline `<script>`/`<style>` go through the JS/CSS checks |
//! | `.svg`    | roxmltree | well-formed XML, an `<svg>` root in the SVG namespace with a `viewBox`, no scripts, handlers or external references |
//! | `.json`   | serde_json | well-formed JSON |
//!
//! Every problem is one sentence naming the file and, where the parser knows it, the line
//! and column, because the messages go back to a model in a repair prompt. Paths are
//! checked for every file: relative, lowercase `[a-z0-9_.-/]`, no `..`, no leading slash.
//!
//! One module per language (`js`, `css`, `html`, `svg`); the path rules live in
//! [`crate::paths`].

mod css;
mod html;
mod js;
mod svg;

pub use js::check_entity_module;

use crate::{paths::path_problem, GeneratedFile};

/// Largest file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 1 << 20;

/// Checks a generated file with the parser for its extension (`.html`, `.css`, `.js`,
/// `.svg`, `.json`; other extensions get the path and size checks only).
///
/// # Errors
/// Every problem found, one sentence each, with line and column where known.
pub fn check_file(file: &GeneratedFile) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    if let Some(p) = path_problem(&file.path) {
        problems.push(format!("{}: {p}.", file.path));
    }
    if file.content.len() > MAX_FILE_BYTES {
        problems.push(format!(
            "{}: the file is {} bytes; at most {MAX_FILE_BYTES} are allowed.",
            file.path,
            file.content.len()
        ));
    } else {
        let ext = file.path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
        let found = match ext.as_str() {
            "js" | "mjs" => js::check_js(&file.content).err().unwrap_or_default(),
            "css" => css::check_css(&file.content),
            "html" | "htm" => html::check_html(&file.content),
            "svg" => svg::check_svg(&file.content),
            "json" => check_json(&file.content),
            _ => Vec::new(),
        };
        problems.extend(found.into_iter().map(|p| format!("{}: {p}", file.path)));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Line (1-based) and column (1-based, in characters) of a byte offset.
pub(crate) struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub(crate) fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }

    pub(crate) fn at(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|s| *s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let col = text.get(start..offset).map_or(offset - start, |s| s.chars().count()) + 1;
        (line, col)
    }
}

pub(crate) fn is_absolute_url(s: &str) -> bool {
    let t = s.trim_start().to_ascii_lowercase();
    let rest = t
        .strip_prefix("http://")
        .or_else(|| t.strip_prefix("https://"))
        .or_else(|| t.strip_prefix("//"));
    rest.is_some_and(|r| r.starts_with(|c: char| c.is_ascii_alphanumeric()))
}

pub(crate) fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}\u{2026}", s.chars().take(max).collect::<String>())
    }
}
fn check_json(source: &str) -> Vec<String> {
    match serde_json::from_str::<serde_json::Value>(source) {
        Ok(_) => Vec::new(),
        Err(e) => vec![format!("line {}, column {}: invalid JSON: {e}.", e.line(), e.column())],
    }
}
