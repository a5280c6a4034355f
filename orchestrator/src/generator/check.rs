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

use std::collections::{BTreeSet, HashMap};

use domain::spec::AppSpec;
use oxc_allocator::Allocator;
use oxc_ast::ast::{Argument, ArrayExpressionElement, Expression, ObjectPropertyKind};
use oxc_ast::AstKind;
use oxc_parser::Parser as JsParser;
use oxc_semantic::SemanticBuilder;
use oxc_span::SourceType;

use super::files::entity_module_path;
use super::GeneratedFile;

/// Largest file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 1 << 20;

/// Globals that reach the network or run strings as code.
const NETWORK_GLOBALS: &[&str] = &[
    "fetch",
    "XMLHttpRequest",
    "WebSocket",
    "EventSource",
    "importScripts",
    "eval",
    "Worker",
    "SharedWorker",
];
/// Members that reach the network.
const NETWORK_MEMBERS: &[&str] = &["sendBeacon"];
/// What an entity module must leave to the shell: storage and the DOM.
const MODULE_GLOBALS: &[&str] = &["document", "localStorage", "sessionStorage", "indexedDB", "caches"];
const MODULE_MEMBERS: &[&str] = &[
    "localStorage",
    "sessionStorage",
    "indexedDB",
    "cookie",
    "innerHTML",
    "outerHTML",
    "insertAdjacentHTML",
];
/// Absolute URLs that are names, not requests.
const NAMESPACE_URLS: &[&str] = &[
    "http://www.w3.org/2000/svg",
    "http://www.w3.org/1999/xlink",
    "http://www.w3.org/1999/xhtml",
    "http://www.w3.org/XML/1998/namespace",
];

/// Whether `path` is a safe relative path for a generated file: non-empty, at most 200
/// characters of `[a-z0-9_.-/]`, no leading or trailing slash, no empty, `.` or `..`
/// segment, no hidden segment, and an extension.
pub fn safe_path(path: &str) -> bool {
    path_problem(path).is_none()
}

fn path_problem(path: &str) -> Option<String> {
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
            "js" | "mjs" => check_js(&file.content).err().unwrap_or_default(),
            "css" => check_css(&file.content),
            "html" | "htm" => check_html(&file.content),
            "svg" => check_svg(&file.content),
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
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }

    fn at(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|s| *s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let col = text.get(start..offset).map_or(offset - start, |s| s.chars().count()) + 1;
        (line, col)
    }
}

// ---------------------------------------------------------------------------------------
// JavaScript
// ---------------------------------------------------------------------------------------

/// A parsed script's facts the contract checks need.
#[derive(Default)]
struct JsFacts {
    /// Un-declared globals referenced, with the first line:column.
    globals: Vec<(String, String)>,
    /// Static member names accessed (`a.b` gives `b`), with the first line:column.
    members: Vec<(String, String)>,
    /// Every `NexusApp.registerEntity({...})` call.
    registrations: Vec<Registration>,
}

/// One `registerEntity` call as written.
#[derive(Default)]
struct Registration {
    at: String,
    /// `name:` when a string literal.
    name: Option<String>,
    /// Whether the argument is an object literal.
    object: bool,
    label: bool,
    plural: bool,
    /// `fields:` array elements: (name literal, kind literal).
    fields: Option<Vec<(Option<String>, Option<String>)>>,
    /// Hooks given that are not functions.
    bad_hooks: Vec<String>,
}

/// Parses `source` as a classic script; problems, or the facts the contract checks use.
fn check_js(source: &str) -> Result<JsFacts, Vec<String>> {
    let lines = Lines::new(source);
    let pos = |offset: u32| {
        let (l, c) = lines.at(source, offset as usize);
        format!("line {l}, column {c}")
    };
    let allocator = Allocator::default();
    let parsed = JsParser::new(&allocator, source, SourceType::script()).parse();
    let mut problems: Vec<String> = Vec::new();
    let describe = |d: &oxc_diagnostics::OxcDiagnostic| {
        let at = d
            .labels
            .first()
            .map_or_else(String::new, |l| format!("{}: ", pos(l.offset())));
        let labels: Vec<String> = d
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| match (i, l.label()) {
                (0, Some(text)) => format!(" ({text})"),
                (0, None) => String::new(),
                (_, Some(text)) => format!(" ({}: {text})", pos(l.offset())),
                (_, None) => format!(" (and {})", pos(l.offset())),
            })
            .collect();
        let help = d.help.as_ref().map_or_else(String::new, |h| format!(" Hint: {h}"));
        format!(
            "{at}JavaScript syntax error: {}{}.{help}",
            d.message.trim_end_matches('.'),
            labels.concat()
        )
    };
    problems.extend(parsed.diagnostics.iter().map(describe));
    if parsed.panicked || !problems.is_empty() {
        if problems.is_empty() {
            problems.push("JavaScript could not be parsed.".into());
        }
        problems.truncate(8);
        return Err(problems);
    }
    let built = SemanticBuilder::new()
        .with_check_syntax_error(true)
        .with_build_nodes(true)
        .build(&parsed.program);
    problems.extend(built.diagnostics.iter().map(describe));
    let semantic = built.semantic;
    let scoping = semantic.scoping();

    let mut facts = JsFacts::default();
    for node in semantic.nodes().iter() {
        match node.kind() {
            AstKind::IdentifierReference(ident) => {
                let unresolved = ident
                    .reference_id
                    .get()
                    .is_none_or(|r| scoping.get_reference(r).symbol_id().is_none());
                let name = ident.name.as_str();
                if unresolved && !facts.globals.iter().any(|(n, _)| n == name) {
                    facts.globals.push((name.to_string(), pos(ident.span.start)));
                }
            }
            AstKind::StaticMemberExpression(m) => {
                let name = m.property.name.as_str();
                if !facts.members.iter().any(|(n, _)| n == name) {
                    facts.members.push((name.to_string(), pos(m.property.span.start)));
                }
            }
            AstKind::ComputedMemberExpression(m) => {
                if let Some(name) = m.static_property_name() {
                    if !facts.members.iter().any(|(n, _)| n == name.as_str()) {
                        facts.members.push((name.to_string(), pos(m.span.start)));
                    }
                }
            }
            AstKind::ImportExpression(e) => {
                problems.push(format!(
                    "{}: dynamic import() loads code at run time; generated apps must be self-contained.",
                    pos(e.span.start)
                ));
            }
            AstKind::StringLiteral(s) => {
                let v = s.value.as_str();
                if is_absolute_url(v) && !NAMESPACE_URLS.contains(&v) {
                    problems.push(format!(
                        "{}: the string {:?} is an absolute URL; generated apps must not make external requests (use relative paths).",
                        pos(s.span.start),
                        clip(v, 60)
                    ));
                }
            }
            AstKind::CallExpression(call) if is_register_call(&call.callee) => {
                facts
                    .registrations
                    .push(registration(call.arguments.first(), pos(call.span.start)));
            }
            _ => {}
        }
    }
    for (name, at) in &facts.globals {
        if NETWORK_GLOBALS.contains(&name.as_str()) {
            problems.push(format!(
                "{at}: `{name}` is not allowed: generated apps work offline and never run strings as code."
            ));
        }
    }
    for (name, at) in &facts.members {
        if NETWORK_MEMBERS.contains(&name.as_str()) {
            problems.push(format!("{at}: `{name}` is not allowed: generated apps work offline."));
        }
    }
    if problems.is_empty() {
        Ok(facts)
    } else {
        problems.truncate(12);
        Err(problems)
    }
}

/// Whether `s` is a URL on another host (`https://x...`, `//x...`); a bare scheme such as
/// `"https://"` (a prefix added to user input) is not.
fn is_absolute_url(s: &str) -> bool {
    let t = s.trim_start().to_ascii_lowercase();
    let rest = t
        .strip_prefix("http://")
        .or_else(|| t.strip_prefix("https://"))
        .or_else(|| t.strip_prefix("//"));
    rest.is_some_and(|r| r.starts_with(|c: char| c.is_ascii_alphanumeric()))
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}\u{2026}", s.chars().take(max).collect::<String>())
    }
}

fn is_register_call(callee: &Expression<'_>) -> bool {
    if callee.is_specific_member_access("NexusApp", "registerEntity") {
        return true;
    }
    match callee.get_inner_expression().as_member_expression() {
        Some(m) => {
            m.static_property_name() == Some("registerEntity")
                && m.object().is_specific_member_access("window", "NexusApp")
        }
        None => false,
    }
}

fn registration(arg: Option<&Argument<'_>>, at: String) -> Registration {
    let mut r = Registration {
        at,
        ..Registration::default()
    };
    let Some(Argument::ObjectExpression(obj)) = arg else {
        return r;
    };
    r.object = true;
    for prop in &obj.properties {
        let ObjectPropertyKind::ObjectProperty(p) = prop else {
            continue;
        };
        let Some(key) = p.key.static_name() else { continue };
        let value = p.value.get_inner_expression();
        match key.as_ref() {
            "name" => {
                if let Expression::StringLiteral(s) = value {
                    r.name = Some(s.value.to_string());
                }
            }
            "label" => r.label = matches!(value, Expression::StringLiteral(_)),
            "plural" => r.plural = matches!(value, Expression::StringLiteral(_)),
            "fields" => {
                if let Expression::ArrayExpression(arr) = value {
                    let mut fields = Vec::new();
                    for el in &arr.elements {
                        let mut name = None;
                        let mut kind = None;
                        if let ArrayExpressionElement::ObjectExpression(fo) = el {
                            for fp in &fo.properties {
                                let ObjectPropertyKind::ObjectProperty(fp) = fp else {
                                    continue;
                                };
                                let lit = match fp.value.get_inner_expression() {
                                    Expression::StringLiteral(s) => Some(s.value.to_string()),
                                    _ => None,
                                };
                                match fp.key.static_name().as_deref() {
                                    Some("name") => name = lit,
                                    Some("kind") => kind = lit,
                                    _ => {}
                                }
                            }
                        }
                        fields.push((name, kind));
                    }
                    r.fields = Some(fields);
                }
            }
            "subtitle" | "badges" | "validate"
                if !matches!(
                    value,
                    Expression::FunctionExpression(_) | Expression::ArrowFunctionExpression(_)
                ) =>
            {
                r.bad_hooks.push(key.to_string());
            }
            _ => {}
        }
    }
    r
}

/// Checks that `file` is a valid module for `entity` of `spec` under the entity module
/// contract (see [`super`]): it is at `js/entities/<entity>.js`, passes [`check_file`],
/// calls `NexusApp.registerEntity` exactly once with an object literal whose `name` is the
/// entity, whose `label` and `plural` are strings and whose `fields` list every field of the
/// spec (by string-literal `name`, with the spec's `kind` when one is given) and no others,
/// whose hooks are functions, and it leaves storage and the DOM to the shell.
///
/// # Errors
/// Every problem found, one sentence each.
pub fn check_entity_module(spec: &AppSpec, entity: &str, file: &GeneratedFile) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    let Some(e) = spec.entity(entity) else {
        return Err(vec![format!("The app has no entity called {entity:?}.")]);
    };
    let want_path = entity_module_path(entity);
    if file.path != want_path {
        problems.push(format!(
            "The module of {entity:?} must be at {want_path}, not {}.",
            file.path
        ));
    }
    if let Err(p) = check_file(file) {
        problems.extend(p);
        return Err(problems);
    }
    let facts = match check_js(&file.content) {
        Ok(f) => f,
        Err(p) => {
            problems.extend(p);
            return Err(problems);
        }
    };
    let path = &file.path;
    for (name, at) in &facts.globals {
        if MODULE_GLOBALS.contains(&name.as_str()) {
            problems.push(format!(
                "{path}: {at}: entity modules must not use `{name}`; the shell owns storage and the page."
            ));
        }
    }
    for (name, at) in &facts.members {
        if MODULE_MEMBERS.contains(&name.as_str()) {
            problems.push(format!(
                "{path}: {at}: entity modules must not use `.{name}`; the shell owns storage and the page."
            ));
        }
    }
    match facts.registrations.as_slice() {
        [] => problems.push(format!(
            "{path}: the module never calls NexusApp.registerEntity({{ name: {entity:?}, ... }})."
        )),
        [r] => {
            let at = &r.at;
            if !r.object {
                problems.push(format!(
                    "{path}: {at}: NexusApp.registerEntity must be called with an object literal."
                ));
            } else {
                match &r.name {
                    Some(n) if n == entity => {}
                    Some(n) => problems.push(format!(
                        "{path}: {at}: the module registers {n:?}, but it must register {entity:?}."
                    )),
                    None => problems.push(format!("{path}: {at}: `name` must be the string literal {entity:?}.")),
                }
                if !r.label || !r.plural {
                    problems.push(format!(
                        "{path}: {at}: `label` and `plural` must be string literals (\"{}\", \"{}\").",
                        e.label, e.plural
                    ));
                }
                match &r.fields {
                    None => problems.push(format!(
                        "{path}: {at}: `fields` must be an array literal of {{ name, label, kind }} objects."
                    )),
                    Some(fields) => {
                        let names: Vec<&str> = fields.iter().filter_map(|(n, _)| n.as_deref()).collect();
                        if names.len() != fields.len() {
                            problems.push(format!("{path}: {at}: every entry of `fields` must be an object literal with a string-literal `name`."));
                        }
                        for f in &e.fields {
                            match fields.iter().find(|(n, _)| n.as_deref() == Some(f.name.as_str())) {
                                None => problems.push(format!(
                                    "{path}: {at}: field {:?} ({}) of the spec is missing from `fields`.",
                                    f.name,
                                    f.kind.as_str()
                                )),
                                Some((_, Some(kind))) if kind != f.kind.as_str() => problems.push(format!(
                                    "{path}: {at}: field {:?} must have kind {:?}, not {kind:?}.",
                                    f.name,
                                    f.kind.as_str()
                                )),
                                Some(_) => {}
                            }
                        }
                        for n in &names {
                            if !e.fields.iter().any(|f| f.name == *n) {
                                problems.push(format!(
                                    "{path}: {at}: field {n:?} is not in the spec; use only the spec's fields."
                                ));
                            }
                        }
                        let mut seen = BTreeSet::new();
                        for n in &names {
                            if !seen.insert(*n) {
                                problems.push(format!("{path}: {at}: field {n:?} is listed twice."));
                            }
                        }
                        if let (Some(first), Some(want)) = (names.first(), e.fields.first()) {
                            if *first != want.name {
                                problems.push(format!(
                                    "{path}: {at}: the first field must be {:?} (the title).",
                                    want.name
                                ));
                            }
                        }
                    }
                }
                for hook in &r.bad_hooks {
                    problems.push(format!("{path}: {at}: `{hook}` must be a function."));
                }
            }
        }
        more => problems.push(format!(
            "{path}: NexusApp.registerEntity is called {} times; call it once, for {entity:?}.",
            more.len()
        )),
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

// ---------------------------------------------------------------------------------------
// CSS
// ---------------------------------------------------------------------------------------

fn check_css(source: &str) -> Vec<String> {
    let mut parser = cssparser::Parser::new(source);
    let mut problems = Vec::new();
    css_rule_list(&mut parser, &mut problems, 0);
    problems.truncate(12);
    problems
}

fn css_at(p: &cssparser::Parser<'_>) -> String {
    let loc = p.current_source_location();
    format!("line {}, column {}", loc.line + 1, loc.column)
}

/// What kind of content a block holds.
#[derive(Clone, Copy, PartialEq)]
enum CssBlock {
    /// Rules (a stylesheet, `@media` at the top level, `@keyframes`).
    Rules,
    /// Declarations, possibly with nested rules (a style rule, `@font-face`).
    Declarations,
}

fn css_rule_list(p: &mut cssparser::Parser<'_>, problems: &mut Vec<String>, depth: usize) {
    loop {
        let at = css_at(p);
        let start = p.position();
        let tok = match p.next_including_whitespace_and_comments() {
            Ok(t) => t.clone(),
            Err(_) => return,
        };
        match tok {
            cssparser::Token::WhiteSpace(_) | cssparser::Token::CDO | cssparser::Token::CDC => {}
            cssparser::Token::Comment(_) => css_comment_closed(p, start, &at, problems),
            cssparser::Token::AtKeyword(name) => css_at_rule(p, &name, &at, problems, depth, CssBlock::Rules),
            cssparser::Token::Semicolon => problems.push(format!("{at}: stray `;` between rules.")),
            _ => css_qualified_rule(p, tok, &at, problems, depth),
        }
    }
}

fn css_comment_closed(
    p: &cssparser::Parser<'_>,
    start: cssparser::SourcePosition,
    at: &str,
    problems: &mut Vec<String>,
) {
    if !p.slice_from(start).ends_with("*/") {
        problems.push(format!("{at}: comment `/*` is never closed with `*/`."));
    }
}

/// Reports bad tokens and relative-URL problems in a token that is part of a prelude or a
/// value; descends into blocks, checking that they are closed.
fn css_check_token(
    p: &mut cssparser::Parser<'_>,
    tok: &cssparser::Token<'_>,
    at: &str,
    problems: &mut Vec<String>,
    depth: usize,
) {
    use cssparser::Token as T;
    match tok {
        T::BadString(_) => problems.push(format!("{at}: a string is not closed before the end of the line.")),
        T::BadUrl(_) => problems.push(format!("{at}: malformed url(...).")),
        T::CloseCurlyBracket => problems.push(format!("{at}: unexpected `}}` (no block is open).")),
        T::CloseParenthesis => problems.push(format!("{at}: unexpected `)`.")),
        T::CloseSquareBracket => problems.push(format!("{at}: unexpected `]`.")),
        T::UnquotedUrl(u) => css_url(u, at, problems),
        T::Function(name) if name.eq_ignore_ascii_case("url") => {
            css_nested(p, at, problems, depth, |inner, problems| {
                if let Ok(cssparser::Token::QuotedString(u)) = inner.next() {
                    let u = u.to_string();
                    css_url(&u, at, problems);
                }
                css_skip(inner, problems, depth + 1);
            });
        }
        T::Function(_) | T::ParenthesisBlock | T::SquareBracketBlock => {
            css_nested(p, at, problems, depth, |inner, problems| {
                css_skip(inner, problems, depth + 1)
            });
        }
        T::CurlyBracketBlock => {
            css_nested(p, at, problems, depth, |inner, problems| {
                css_skip(inner, problems, depth + 1)
            });
        }
        _ => {}
    }
}

fn css_url(u: &str, at: &str, problems: &mut Vec<String>) {
    let t = u.trim();
    if t.starts_with('/') && !t.starts_with("//") {
        problems.push(format!(
            "{at}: url({t}) must be relative to the stylesheet (e.g. ../assets/x.svg), not start with `/`."
        ));
    } else if is_absolute_url(t) {
        problems.push(format!(
            "{at}: url({}) is external; generated apps must not make external requests.",
            clip(t, 60)
        ));
    }
}

/// Consumes the rest of a block, checking its tokens.
fn css_skip(p: &mut cssparser::Parser<'_>, problems: &mut Vec<String>, depth: usize) {
    loop {
        let at = css_at(p);
        let start = p.position();
        let Ok(tok) = p.next_including_whitespace_and_comments().cloned() else {
            return;
        };
        if let cssparser::Token::Comment(_) = tok {
            css_comment_closed(p, start, &at, problems);
        }
        css_check_token(p, &tok, &at, problems, depth);
    }
}

/// Parses the block just returned by `next()` with `body`, and reports it when the end of
/// the file closed it instead of its closing bracket.
fn css_nested<F>(p: &mut cssparser::Parser<'_>, at: &str, problems: &mut Vec<String>, depth: usize, body: F)
where
    F: FnOnce(&mut cssparser::Parser<'_>, &mut Vec<String>),
{
    if depth > 64 {
        problems.push(format!("{at}: blocks are nested too deeply."));
        return;
    }
    let mut inner_end = None;
    let result: Result<(), cssparser::ParseError<()>> = p.parse_nested_block(|inner| {
        body(inner, problems);
        while inner.next_including_whitespace_and_comments().is_ok() {}
        inner_end = Some(inner.position());
        Ok(())
    });
    let _ = result;
    if inner_end == Some(p.position()) {
        problems.push(format!(
            "{at}: this block is never closed (missing its closing bracket)."
        ));
    }
}

fn css_qualified_rule(
    p: &mut cssparser::Parser<'_>,
    first: cssparser::Token<'_>,
    at: &str,
    problems: &mut Vec<String>,
    depth: usize,
) {
    let mut tok = first;
    let mut prelude_len = 0usize;
    loop {
        match tok {
            cssparser::Token::CurlyBracketBlock => {
                if prelude_len == 0 {
                    problems.push(format!("{at}: a `{{` block has no selector before it."));
                }
                css_nested(p, at, problems, depth, |inner, problems| {
                    css_declarations(inner, problems, depth + 1)
                });
                return;
            }
            cssparser::Token::Semicolon => {
                problems.push(format!(
                    "{at}: expected `{{` after the selector, found `;` (a declaration outside any rule?)."
                ));
                return;
            }
            cssparser::Token::CloseCurlyBracket => {
                problems.push(format!("{at}: unexpected `}}` (no block is open)."));
                return;
            }
            ref other => {
                if !matches!(other, cssparser::Token::WhiteSpace(_) | cssparser::Token::Comment(_)) {
                    prelude_len += 1;
                }
                css_check_token(p, other, at, problems, depth);
            }
        }
        tok = match p.next_including_whitespace_and_comments() {
            Ok(t) => t.clone(),
            Err(_) => {
                problems.push(format!("{at}: the selector is not followed by a `{{ ... }}` block."));
                return;
            }
        };
    }
}

fn css_at_rule(
    p: &mut cssparser::Parser<'_>,
    name: &str,
    at: &str,
    problems: &mut Vec<String>,
    depth: usize,
    context: CssBlock,
) {
    let lower = name.to_ascii_lowercase();
    let body = match lower.trim_start_matches("-webkit-").trim_start_matches("-moz-") {
        "media" | "supports" | "container" | "layer" | "document" | "scope" | "starting-style" => {
            if context == CssBlock::Rules {
                CssBlock::Rules
            } else {
                CssBlock::Declarations
            }
        }
        "keyframes" => CssBlock::Rules,
        _ => CssBlock::Declarations,
    };
    loop {
        let Ok(tok) = p.next_including_whitespace_and_comments().cloned() else {
            if !matches!(lower.as_str(), "import" | "charset" | "namespace" | "layer") {
                problems.push(format!("{at}: @{name} is not finished (missing `{{ ... }}` or `;`)."));
            }
            return;
        };
        match tok {
            cssparser::Token::Semicolon => return,
            cssparser::Token::CurlyBracketBlock => {
                css_nested(p, at, problems, depth, |inner, problems| match body {
                    CssBlock::Rules => css_rule_list(inner, problems, depth + 1),
                    CssBlock::Declarations => css_declarations(inner, problems, depth + 1),
                });
                return;
            }
            other => css_check_token(p, &other, at, problems, depth),
        }
    }
}

/// A declaration list (`prop: value; ...`), allowing nested rules and at-rules.
fn css_declarations(p: &mut cssparser::Parser<'_>, problems: &mut Vec<String>, depth: usize) {
    loop {
        let at = css_at(p);
        let start = p.position();
        let Ok(tok) = p.next_including_whitespace_and_comments().cloned() else {
            return;
        };
        match tok {
            cssparser::Token::WhiteSpace(_) | cssparser::Token::Semicolon => {}
            cssparser::Token::Comment(_) => css_comment_closed(p, start, &at, problems),
            cssparser::Token::AtKeyword(name) => css_at_rule(p, &name, &at, problems, depth, CssBlock::Declarations),
            cssparser::Token::Ident(name) => {
                let name = name.to_string();
                // Read up to `;` or the end: a `{` block on the way makes it a nested rule.
                let mut saw_colon = false;
                let mut value_tokens = 0usize;
                let mut nested = false;
                loop {
                    let tok_at = css_at(p);
                    let Ok(t) = p.next_including_whitespace_and_comments().cloned() else {
                        break;
                    };
                    match t {
                        cssparser::Token::Semicolon => break,
                        cssparser::Token::CurlyBracketBlock => {
                            nested = true;
                            css_nested(p, &tok_at, problems, depth, |inner, problems| {
                                css_declarations(inner, problems, depth + 1)
                            });
                            break;
                        }
                        cssparser::Token::Colon if !saw_colon => saw_colon = true,
                        cssparser::Token::WhiteSpace(_) | cssparser::Token::Comment(_) => {}
                        other => {
                            if saw_colon {
                                value_tokens += 1;
                            }
                            css_check_token(p, &other, &tok_at, problems, depth);
                        }
                    }
                }
                if nested {
                    continue;
                }
                if !saw_colon {
                    problems.push(format!("{at}: expected `:` after the property `{name}`."));
                } else if value_tokens == 0 && !name.starts_with("--") {
                    problems.push(format!("{at}: the property `{name}` has no value."));
                } else if !valid_property(&name) {
                    problems.push(format!("{at}: `{name}` is not a valid property name."));
                }
            }
            other => {
                // A nested rule (`&:hover { }`, `.x { }`), or junk.
                let nested_start = matches!(
                    other,
                    cssparser::Token::Delim('&' | '.' | '>' | '+' | '~' | '*')
                        | cssparser::Token::Hash(_)
                        | cssparser::Token::IDHash(_)
                        | cssparser::Token::Colon
                        | cssparser::Token::SquareBracketBlock
                );
                if nested_start {
                    css_qualified_rule(p, other, &at, problems, depth);
                } else {
                    problems.push(format!(
                        "{at}: unexpected {} in a declaration block; expected `property: value;`.",
                        token_name(&other)
                    ));
                    css_check_token(p, &other, &at, problems, depth);
                }
            }
        }
    }
}

fn valid_property(name: &str) -> bool {
    name.starts_with("--")
        || name
            .trim_start_matches('-')
            .starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn token_name(t: &cssparser::Token<'_>) -> String {
    use cssparser::Token as T;
    match t {
        T::Number { .. } => "a number".into(),
        T::Percentage { .. } => "a percentage".into(),
        T::Dimension { .. } => "a dimension".into(),
        T::QuotedString(_) => "a string".into(),
        T::CloseCurlyBracket => "`}`".into(),
        T::CloseParenthesis => "`)`".into(),
        T::CloseSquareBracket => "`]`".into(),
        T::Delim(c) => format!("`{c}`"),
        T::Comma => "`,`".into(),
        T::Function(f) => format!("`{f}(`"),
        T::ParenthesisBlock => "`(`".into(),
        T::CurlyBracketBlock => "`{`".into(),
        other => format!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------------------

const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "param",
    "keygen",
];
/// Elements whose end tag HTML lets you leave out.
const OPTIONAL_END: &[&str] = &[
    "html", "head", "body", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot",
    "colgroup", "rb", "rt", "rtc", "rp", "caption",
];

fn check_html(source: &str) -> Vec<String> {
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

// ---------------------------------------------------------------------------------------
// SVG and JSON
// ---------------------------------------------------------------------------------------

fn check_svg(source: &str) -> Vec<String> {
    let doc = match roxmltree::Document::parse(source) {
        Ok(d) => d,
        Err(e) => return vec![format!("SVG is not well-formed XML: {e}.")],
    };
    let mut problems = Vec::new();
    let root = doc.root_element();
    let pos = |n: roxmltree::Node<'_, '_>| {
        let p = doc.text_pos_at(n.range().start);
        format!("line {}, column {}", p.row, p.col)
    };
    if root.tag_name().name() != "svg" || root.tag_name().namespace() != Some("http://www.w3.org/2000/svg") {
        problems.push("the root element must be <svg xmlns=\"http://www.w3.org/2000/svg\">.".into());
    }
    if root.attribute("viewBox").is_none() {
        problems.push("the root <svg> needs a viewBox so it scales.".into());
    }
    for node in root.descendants().filter(roxmltree::Node::is_element) {
        let name = node.tag_name().name();
        if name.eq_ignore_ascii_case("script") || name.eq_ignore_ascii_case("foreignObject") {
            problems.push(format!("{}: <{name}> is not allowed in generated SVG.", pos(node)));
        }
        for a in node.attributes() {
            let an = a.name();
            if an.to_ascii_lowercase().starts_with("on") {
                problems.push(format!("{}: event handler `{an}` is not allowed in SVG.", pos(node)));
            }
            if an == "href" {
                let v = a.value().trim();
                if !(v.starts_with('#') || v.starts_with("data:")) {
                    problems.push(format!(
                        "{}: href {:?} must point inside the file (`#id`).",
                        pos(node),
                        clip(v, 60)
                    ));
                }
            }
            if a.value().contains("url(") && (a.value().contains("http") || a.value().contains("//")) {
                problems.push(format!("{}: `{an}` references an external URL.", pos(node)));
            }
        }
        if name == "style" {
            if let Some(text) = node.text() {
                problems.extend(check_css(text).into_iter().map(|p| format!("in <style>: {p}")));
            }
        }
    }
    problems
}

fn check_json(source: &str) -> Vec<String> {
    match serde_json::from_str::<serde_json::Value>(source) {
        Ok(_) => Vec::new(),
        Err(e) => vec![format!("line {}, column {}: invalid JSON: {e}.", e.line(), e.column())],
    }
}
