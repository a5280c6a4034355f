//! People and their credentials, as every door sees them: who is signed in, the rules for
//! usernames and passwords, API tokens and invitations as listed, and audit entries as an
//! admin reads them. Hashing and storage are the orchestrator's.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::UserId;

/// Shortest password accepted (OWASP: at least 8; we ask a little more).
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted (long inputs only cost hashing time).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A signed-in person, as the dashboard shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Person {
    /// Their id.
    pub id: UserId,
    /// Sign-in name.
    pub username: String,
    /// Shown name.
    pub display_name: String,
    /// Admins see everyone's work and manage agents, people and invitations.
    pub is_admin: bool,
}

/// A person as an admin lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PersonSummary {
    /// Who.
    pub person: Person,
    /// Since when.
    pub created_at: DateTime<Utc>,
    /// Whether they can sign in at all (the local user cannot: it has no password).
    pub can_sign_in: bool,
    /// Builds they own.
    pub builds: i64,
}

/// An API token as listed (the token itself is shown once, at creation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TokenView {
    /// Its id (to revoke it).
    pub id: uuid::Uuid,
    /// What its owner called it.
    pub name: String,
    /// The token's first characters, to tell tokens apart.
    pub prefix: String,
    /// Made.
    pub created_at: DateTime<Utc>,
    /// Last accepted.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Revoked (a revoked token is refused).
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A token just made: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct NewToken {
    /// The token as listed from now on.
    pub token: TokenView,
    /// `nf_…`: send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// An invitation as an admin lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct InvitationView {
    /// Its id.
    pub id: uuid::Uuid,
    /// Whether the person it signs up becomes an admin.
    pub is_admin: bool,
    /// A note for the admin (who it is for).
    pub note: String,
    /// Usable until.
    pub expires_at: DateTime<Utc>,
    /// When it was used, and by whom.
    pub used_at: Option<DateTime<Utc>>,
    /// The username it signed up.
    pub used_by: Option<String>,
    /// Made.
    pub created_at: DateTime<Utc>,
}

/// An invitation just made: the sign-up link is shown once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct NewInvitation {
    /// The invitation as listed.
    pub invitation: InvitationView,
    /// The one-time code; the sign-up page is `/sign-up?code=<code>`.
    pub code: String,
}

/// One audit entry as an admin reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AuditView {
    /// Its number (newest first; page with `before`).
    pub id: i64,
    /// Who (their username), when known.
    pub actor: Option<String>,
    /// What: `area.verb` (`build.start`, `session.login`).
    pub action: String,
    /// What it was done to.
    pub target_type: Option<String>,
    /// Its id.
    pub target_id: Option<String>,
    /// Whether it worked.
    pub success: bool,
    /// From where.
    pub client_addr: Option<String>,
    /// With what.
    pub user_agent: Option<String>,
    /// Anything else.
    pub details: serde_json::Value,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A page of the audit trail, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AuditPage {
    /// The entries.
    pub entries: Vec<AuditView>,
    /// Pass as `before` for the next (older) page; absent at the end.
    pub next_before: Option<i64>,
}

/// A username, lowercased and checked: 1 to 64 of `a-z 0-9 _ . -`, starting with a letter
/// or digit (the database checks the same).
///
/// # Errors
/// Why it is not acceptable, for a person.
pub fn check_username(raw: &str) -> Result<String, String> {
    let name = raw.trim().to_lowercase();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(name)
    } else {
        Err("a username is 1 to 64 letters, digits, `_`, `.` or `-`, starting with a letter or digit".into())
    }
}

/// A password's length and content are acceptable.
///
/// # Errors
/// Why not, for a person.
pub fn check_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(format!("a password needs at least {MIN_PASSWORD_CHARS} characters"));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(format!("a password may have at most {MAX_PASSWORD_CHARS} characters"));
    }
    if password.contains('\0') {
        return Err("a password must not contain a NUL character".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(check_username("  Alice.B "), Ok("alice.b".into()));
        assert!(check_username("").is_err());
        assert!(check_username("-x").is_err());
        assert!(check_username("a b").is_err());
        assert!(check_username(&"a".repeat(65)).is_err());
        assert!(check_username("ünï").is_err());
    }

    #[test]
    fn passwords_have_bounds() {
        assert!(check_password("short").is_err());
        assert!(check_password("long enough!").is_ok());
        assert!(check_password(&"x".repeat(129)).is_err());
        assert!(check_password("abcdefghij\0").is_err());
    }
}
