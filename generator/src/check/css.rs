//! CSS: cssparser's tokenizer and block parser, with a small grammar on top.

use super::{clip, is_absolute_url};

pub(super) fn check_css(source: &str) -> Vec<String> {
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
