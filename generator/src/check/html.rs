//! HTML: html5gum's WHATWG tokenizer plus an element stack; inline scripts and styles
//! go through the JS and CSS checks.

use std::collections::{BTreeSet, HashMap};

use super::{clip, css::check_css, is_absolute_url, js::check_js, Lines};

const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "param",
    "keygen",
];
/// Elements whose end tag HTML lets you leave out.
const OPTIONAL_END: &[&str] = &[
    "html", "head", "body", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot",
    "colgroup", "rb", "rt", "rtc", "rp", "caption",
];

pub(super) fn check_html(source: &str) -> Vec<String> {
    use html5gum::{DefaultEmitter, Token, Tokenizer};
    let lines = Lines::new(source);
    let pos = |offset: usize| {
        let (l, c) = lines.at(source, offset);
        format!("line {l}, column {c}")
    };
    let mut emitter = DefaultEmitter::<usize>::new_with_span();
    emitter.naively_switch_states(true);
    let mut problems = Vec::new();
    let mut stack: Vec<(String, usize)> = Vec::new();
    let mut seen_doctype = false;
    let mut seen_content = false;
    let mut tags_seen: BTreeSet<String> = BTreeSet::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    // Raw text of the current <script>/<style> and where it started.
    let mut raw: Option<(String, usize, String, bool)> = None;

    for token in Tokenizer::new_with_emitter(source, emitter).flatten() {
        match token {
            Token::Error(e) => {
                problems.push(format!(
                    "{}: HTML syntax error `{}`{}.",
                    pos(e.span.start),
                    e.value.as_str(),
                    html_error_hint(e.value.as_str())
                ));
            }
            Token::Doctype(d) => {
                if seen_content || seen_doctype {
                    problems.push(format!("{}: <!DOCTYPE> must come first, once.", pos(d.span.start)));
                }
                if !d.name.eq_ignore_ascii_case(b"html") || d.force_quirks {
                    problems.push(format!(
                        "{}: the doctype must be exactly <!DOCTYPE html>.",
                        pos(d.span.start)
                    ));
                }
                seen_doctype = true;
            }
            Token::StartTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                let at = tag.span.start;
                if !seen_doctype && !seen_content {
                    problems.push(format!(
                        "{}: missing <!DOCTYPE html> before the first tag (the page would render in quirks mode).",
                        pos(at)
                    ));
                }
                seen_content = true;
                tags_seen.insert(name.clone());
                let attr = |n: &str| {
                    tag.attributes
                        .get(n.as_bytes())
                        .map(|v| String::from_utf8_lossy(&v.value).into_owned())
                };
                for (k, v) in &tag.attributes {
                    let key = String::from_utf8_lossy(k).to_ascii_lowercase();
                    let value = String::from_utf8_lossy(&v.value).into_owned();
                    if key.starts_with("on") && key.len() > 2 {
                        problems.push(format!(
                            "{}: inline handler `{key}` on <{name}>; attach listeners from a script instead.",
                            pos(at)
                        ));
                    }
                    if key == "id" {
                        if let Some(first) = ids.get(&value) {
                            problems.push(format!(
                                "{}: id {value:?} is used twice (first at {}).",
                                pos(at),
                                pos(*first)
                            ));
                        } else {
                            ids.insert(value.clone(), at);
                        }
                    }
                    if matches!(
                        key.as_str(),
                        "src" | "href" | "action" | "poster" | "data" | "formaction"
                    ) {
                        if let Some(p) = html_url_problem(&name, &key, &value) {
                            problems.push(format!("{}: {p}", pos(at)));
                        }
                    }
                }
                if name == "script" {
                    let ty = attr("type").unwrap_or_default().to_ascii_lowercase();
                    if ty == "module" {
                        problems.push(format!(
                            "{}: <script type=\"module\"> fails in the sandboxed preview (opaque origin); use a classic <script src=\"...\">.",
                            pos(at)
                        ));
                    }
                    let is_js = ty.is_empty() || ty.contains("javascript") || ty == "module";
                    raw = Some((
                        "script".into(),
                        tag.span.end,
                        String::new(),
                        is_js && attr("src").is_none(),
                    ));
                } else if name == "style" {
                    raw = Some(("style".into(), tag.span.end, String::new(), true));
                }
                if VOID.contains(&name.as_str()) {
                    continue;
                }
                if tag.self_closing {
                    problems.push(format!(
                        "{}: <{name}/> does not close itself in HTML; write <{name}></{name}>.",
                        pos(at)
                    ));
                }
                stack.push((name, at));
            }
            Token::EndTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                let at = tag.span.start;
                if let Some((kind, start, text, check)) = raw.take() {
                    if kind == name && check {
                        let (line_off, _) = lines.at(source, start);
                        let found = if kind == "script" {
                            check_js(&text).err().unwrap_or_default()
                        } else {
                            check_css(&text)
                        };
                        for f in found {
                            problems.push(format!("inside the <{kind}> starting on line {line_off}: {f}"));
                        }
                    }
                }
                if VOID.contains(&name.as_str()) {
                    problems.push(format!(
                        "{}: </{name}> is not allowed; <{name}> has no end tag.",
                        pos(at)
                    ));
                    continue;
                }
                match stack.iter().rposition(|(n, _)| *n == name) {
                    None => problems.push(format!("{}: stray </{name}>: no <{name}> is open.", pos(at))),
                    Some(i) => {
                        // Drains the element itself and whatever is still open inside it.
                        for (open, open_at) in stack.drain(i..).skip(1) {
                            if !OPTIONAL_END.contains(&open.as_str()) {
                                problems.push(format!(
                                    "{}: <{open}> opened at {} is not closed before </{name}>.",
                                    pos(at),
                                    pos(open_at)
                                ));
                            }
                        }
                    }
                }
            }
            Token::String(s) => {
                if let Some((_, _, text, _)) = raw.as_mut() {
                    text.push_str(&String::from_utf8_lossy(&s.value));
                } else if s.value.iter().any(|b| !b.is_ascii_whitespace()) {
                    seen_content = true;
                }
            }
            Token::Comment(_) => {}
        }
    }
    for (open, at) in stack {
        if !OPTIONAL_END.contains(&open.as_str()) {
            problems.push(format!("{}: <{open}> is never closed.", pos(at)));
        }
    }
    for required in ["html", "head", "body", "title"] {
        if !tags_seen.contains(required) {
            problems.push(format!("the document has no <{required}> element."));
        }
    }
    problems.truncate(15);
    problems
}

fn html_error_hint(code: &str) -> &'static str {
    match code {
        "eof-in-tag" => " (a tag is not closed with `>` before the end of the file)",
        "eof-in-comment" => " (a comment is not closed with `-->`)",
        "missing-attribute-value" => " (an attribute has `=` but no value)",
        "duplicate-attribute" => " (an attribute appears twice on one tag)",
        "unexpected-character-in-attribute-name" => {
            " (a quote or `<` inside an attribute name; a quote is probably missing)"
        }
        "unexpected-character-in-unquoted-attribute-value" => " (quote attribute values)",
        "missing-whitespace-between-attributes" => " (put a space between attributes)",
        "unexpected-null-character" => " (a NUL character)",
        "end-tag-with-attributes" => " (end tags take no attributes)",
        "eof-in-script-html-comment-like-text" => " (a <script> contains `<!--` without `-->`)",
        _ => "",
    }
}

fn html_url_problem(tag: &str, attr: &str, value: &str) -> Option<String> {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    if lower.starts_with("javascript:") {
        return Some(format!(
            "<{tag} {attr}> uses a javascript: URL; use a button with a listener instead."
        ));
    }
    if v.starts_with('/') && !v.starts_with("//") {
        return Some(format!(
            "<{tag} {attr}=\"{}\"> must be relative (e.g. \"{}\"): the app is served under /preview/<build>/ and from a zip.",
            clip(v, 60),
            clip(v.trim_start_matches('/'), 60)
        ));
    }
    if is_absolute_url(v) {
        // A plain link to another site is fine; anything the page loads is not.
        if tag == "a" && attr == "href" {
            return None;
        }
        return Some(format!(
            "<{tag} {attr}=\"{}\"> loads from another site; generated apps must be self-contained.",
            clip(v, 60)
        ));
    }
    if v.split(['/', '?', '#']).any(|s| s == "..") {
        return Some(format!(
            "<{tag} {attr}=\"{}\"> must not go above the app's folder (`..`).",
            clip(v, 60)
        ));
    }
    None
}
