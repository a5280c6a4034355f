//! The limits every door (REST, server functions, `/ws`) answers the same way: page sizes,
//! prompt and description lengths. They are decided here once; the orchestrator checks
//! them and both doors pass its answer on, so the same bad input gets the same message and
//! status everywhere.

use std::fmt;

/// Longest prompt accepted, in characters (what the analysis reads).
pub const MAX_PROMPT_CHARS: usize = 20_000;
/// Longest workflow description accepted by `decompose`, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 20_000;
/// Most requirements a `decompose` request may list.
pub const MAX_REQUIREMENTS: usize = 100;

/// How many items one page of a list may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize {
    /// What is listed (`events`, `builds`, `workflows`), for messages.
    pub what: &'static str,
    /// The size when the caller names none.
    pub default: i64,
    /// The largest size a caller may ask for.
    pub max: i64,
}

/// Coordination events per page.
pub const EVENTS_PAGE: PageSize = PageSize {
    what: "events",
    default: 50,
    max: 1000,
};
/// Builds per page.
pub const BUILDS_PAGE: PageSize = PageSize {
    what: "builds",
    default: 20,
    max: 100,
};
/// Workflows per page.
pub const WORKFLOWS_PAGE: PageSize = PageSize {
    what: "workflows",
    default: 50,
    max: 200,
};

/// A limit the request broke, said for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitError(pub String);

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LimitError {}

impl PageSize {
    /// The page size to use: `requested`, or the default when there is none.
    ///
    /// # Errors
    /// A size outside `1..=max` is refused (never clamped), so a caller learns the rule.
    pub fn resolve(&self, requested: Option<i64>) -> Result<i64, LimitError> {
        match requested {
            None => Ok(self.default),
            Some(n) if (1..=self.max).contains(&n) => Ok(n),
            Some(n) => Err(LimitError(format!(
                "limit must be from 1 to {} (a page of {}), not {n}",
                self.max, self.what
            ))),
        }
    }
}

/// A prompt, trimmed, if it is not empty and not too long.
///
/// # Errors
/// Empty, too long, or holding a NUL character (which Postgres cannot store).
pub fn check_prompt(prompt: &str) -> Result<&str, LimitError> {
    let prompt = prompt.trim();
    if prompt.is_empty() {
        return Err(LimitError("prompt must not be empty: describe the app you want".into()));
    }
    let chars = prompt.chars().count();
    if chars > MAX_PROMPT_CHARS {
        return Err(LimitError(format!(
            "the prompt is {chars} characters; at most {MAX_PROMPT_CHARS} are allowed"
        )));
    }
    check_text("prompt", prompt)?;
    Ok(prompt)
}

/// Refuses text that holds a NUL character: Postgres cannot store it in a text column.
///
/// # Errors
/// Names the field.
pub fn check_text(field: &str, text: &str) -> Result<(), LimitError> {
    if text.contains('\0') {
        return Err(LimitError(format!(
            "{field} must not contain a NUL character (\\u0000)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_default_and_refuse_rather_than_clamp() {
        assert_eq!(EVENTS_PAGE.resolve(None), Ok(50));
        assert_eq!(EVENTS_PAGE.resolve(Some(1000)), Ok(1000));
        assert_eq!(BUILDS_PAGE.resolve(Some(1)), Ok(1));
        for bad in [0, -1, 101, i64::MIN, i64::MAX] {
            let e = BUILDS_PAGE.resolve(Some(bad)).unwrap_err();
            assert!(e.0.contains("from 1 to 100"), "{e}");
        }
    }

    #[test]
    fn prompts_are_trimmed_and_bounded() {
        assert_eq!(check_prompt("  a todo app \n"), Ok("a todo app"));
        assert!(check_prompt(" \t").is_err());
        assert!(check_prompt(&"x".repeat(MAX_PROMPT_CHARS)).is_ok());
        assert!(check_prompt(&"x".repeat(MAX_PROMPT_CHARS + 1))
            .unwrap_err()
            .0
            .contains("20001"));
        assert!(check_prompt("a\0b").unwrap_err().0.contains("NUL"));
    }
}
