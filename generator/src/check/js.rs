//! JavaScript: oxc parses each file as a classic script and runs scope analysis; the
//! entity module contract is checked on the same facts.

use std::collections::BTreeSet;

use domain::spec::AppSpec;
use oxc_allocator::Allocator;
use oxc_ast::ast::{Argument, ArrayExpressionElement, Expression, ObjectPropertyKind};
use oxc_ast::AstKind;
use oxc_parser::Parser as JsParser;
use oxc_semantic::SemanticBuilder;
use oxc_span::SourceType;

use super::{check_file, clip, is_absolute_url, Lines};
use crate::{paths::entity_module_path, GeneratedFile};

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
/// What an entity module must leave to the shell: storage, the DOM and timers (the timer
/// view's clock lives in the shell).
const MODULE_GLOBALS: &[&str] = &[
    "document",
    "localStorage",
    "sessionStorage",
    "indexedDB",
    "caches",
    "setTimeout",
    "setInterval",
    "requestAnimationFrame",
];
const MODULE_MEMBERS: &[&str] = &[
    "setTimeout",
    "setInterval",
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

/// A parsed script's facts the contract checks need.
#[derive(Default)]
pub(super) struct JsFacts {
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
    /// `fields:` array elements.
    fields: Option<Vec<ModuleField>>,
    /// Hooks given that are not functions.
    bad_hooks: Vec<String>,
}

/// One element of a module's `fields:` array, as far as the contract needs it.
#[derive(Debug, Default)]
struct ModuleField {
    /// `name:` when a string literal.
    name: Option<String>,
    /// `kind:` when a string literal.
    kind: Option<String>,
    /// `entity:` when given: `Some(literal)` or `Some(None)` when not a string literal.
    target: Option<Option<String>>,
}

/// Parses `source` as a classic script; problems, or the facts the contract checks use.
pub(super) fn check_js(source: &str) -> Result<JsFacts, Vec<String>> {
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
                        let mut target = None;
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
                                    Some("entity") => target = Some(lit),
                                    _ => {}
                                }
                            }
                        }
                        fields.push(ModuleField { name, kind, target });
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
/// spec (by string-literal `name`, with the spec's `kind` when one is given, and for a
/// `reference` the spec's target `entity` when one is given) and no others,
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
                "{path}: {at}: entity modules must not use `{name}`; the shell owns storage, timers and the page."
            ));
        }
    }
    for (name, at) in &facts.members {
        if MODULE_MEMBERS.contains(&name.as_str()) {
            problems.push(format!(
                "{path}: {at}: entity modules must not use `.{name}`; the shell owns storage, timers and the page."
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
                        let names: Vec<&str> = fields.iter().filter_map(|f| f.name.as_deref()).collect();
                        if names.len() != fields.len() {
                            problems.push(format!("{path}: {at}: every entry of `fields` must be an object literal with a string-literal `name`."));
                        }
                        for f in &e.fields {
                            match fields.iter().find(|m| m.name.as_deref() == Some(f.name.as_str())) {
                                None => problems.push(format!(
                                    "{path}: {at}: field {:?} ({}) of the spec is missing from `fields`.",
                                    f.name,
                                    f.kind.as_str()
                                )),
                                Some(ModuleField { kind: Some(kind), .. }) if kind != f.kind.as_str() => problems.push(format!(
                                    "{path}: {at}: field {:?} must have kind {:?}, not {kind:?}.",
                                    f.name,
                                    f.kind.as_str()
                                )),
                                // A reference may leave out its target (the shell takes it
                                // from js/config.js), but must not point elsewhere.
                                Some(ModuleField { target: Some(t), .. }) if t.as_ref() != f.entity.as_ref() => {
                                    problems.push(format!(
                                        "{path}: {at}: field {:?} must have entity {:?} (a string literal), as the spec says.",
                                        f.name,
                                        f.entity.as_deref().unwrap_or("")
                                    ))
                                }
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
