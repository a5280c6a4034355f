//! Accounts: the first admin (setup), sign-in with per-account and per-address slow-down,
//! sign-up by invitation (or open sign-up), password changes, API tokens, invitations, the
//! people list and the audit trail. Every change is audited in its own transaction.
//!
//! Passwords are hashed with argon2id at OWASP's parameters (19 MiB, 2 passes, 1 lane) on
//! a blocking thread. Tokens (`nf_` + 256 random bits, hex) and invitation codes are stored
//! as SHA-256 digests: they are random, so a fast hash is enough, and a lookup is one index
//! probe.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use chrono::Duration as Span;
use domain::{
    auth::{
        check_password, check_username, AuditPage, InvitationView, NewInvitation, NewToken, Person, PersonSummary,
        TokenView,
    },
    ids::UserId,
    limits::check_text,
};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{
    actor::{Actor, Client, Credential},
    limits::login_backoff,
    store::{self, audit::AuditEntry},
    Error, Orchestrator, Result,
};

/// How long an invitation is valid.
const INVITATION_DAYS: i64 = 7;
/// Audit entries per page.
const AUDIT_PAGE: i64 = 100;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("hashing a password: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

/// Whether `password` matches `hash`; with no hash, the same work against a dummy, so an
/// unknown username takes as long as a wrong password.
async fn verify_password(password: &str, hash: Option<String>) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let stored = hash.unwrap_or_else(|| {
            DUMMY
                .get_or_init(|| {
                    let salt = SaltString::generate(&mut OsRng);
                    argon2()
                        .hash_password(fresh_secret("").as_bytes(), &salt)
                        .map(|h| h.to_string())
                        .unwrap_or_default()
                })
                .clone()
        });
        let ok = PasswordHash::new(&stored)
            .map(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false);
        ok && known
    })
    .await
    .unwrap_or(false)
}

/// A fresh secret: `prefix` + 64 hex characters (256 random bits).
fn fresh_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let mut s = String::with_capacity(prefix.len() + 64);
    s.push_str(prefix);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.trim().as_bytes()).into()
}

fn entry(
    actor: Option<UserId>,
    action: &str,
    client: &Client,
    success: bool,
    details: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        actor_id: actor,
        action: action.to_owned(),
        target_type: Some("user".into()),
        target_id: actor.map(|a| a.to_string()),
        success,
        status_code: None,
        client_addr: client.addr.clone(),
        user_agent: client.user_agent.clone(),
        details,
    }
}

fn checked(username: &str, password: &str) -> Result<String> {
    let username = check_username(username).map_err(Error::BadRequest)?;
    check_password(password).map_err(Error::BadRequest)?;
    Ok(username)
}

impl Orchestrator {
    /// Whether nobody can sign in yet, so the setup page may make the first admin.
    ///
    /// # Errors
    /// Database errors.
    pub async fn setup_needed(&self) -> Result<bool> {
        Ok(!store::users::any_with_password(self.pool()).await?)
    }

    /// Makes the first account, an admin; refused once anyone can sign in.
    ///
    /// # Errors
    /// [`Error::Conflict`] when set-up is done; [`Error::BadRequest`] for a bad username or
    /// password.
    pub async fn setup(&self, username: &str, password: &str, client: &Client) -> Result<Person> {
        let username = checked(username, password)?;
        let hash = hash_password(password).await?;
        let mut tx = self.pool().begin().await?;
        // One set-up at a time, across processes.
        store::users::lock_setup(&mut tx).await?;
        if store::users::any_with_password(&mut *tx).await? {
            return Err(Error::Conflict(
                "this server is already set up; sign in, or ask an admin for an invitation".into(),
            ));
        }
        let person = store::users::create(&mut tx, &username, &hash, true).await?;
        let details = serde_json::json!({ "username": username, "admin": true });
        store::audit::record(
            &mut *tx,
            &entry(Some(person.id), "account.setup", client, true, details),
        )
        .await?;
        tx.commit().await?;
        Ok(person)
    }

    /// Makes an account from the command line (`nexus-forge admin create-user`).
    ///
    /// # Errors
    /// [`Error::Conflict`] for a taken username; [`Error::BadRequest`] for a bad one or a
    /// bad password.
    pub async fn create_account(&self, username: &str, password: &str, is_admin: bool) -> Result<Person> {
        let username = checked(username, password)?;
        let hash = hash_password(password).await?;
        let mut tx = self.pool().begin().await?;
        let person = store::users::create(&mut tx, &username, &hash, is_admin).await?;
        let details = serde_json::json!({ "username": username, "admin": is_admin, "via": "console" });
        store::audit::record(
            &mut *tx,
            &entry(Some(person.id), "account.create", &Client::default(), true, details),
        )
        .await?;
        tx.commit().await?;
        Ok(person)
    }

    /// Checks a username and password. Failures are audited and slow down: per address
    /// (a rate) and per account (a back-off after five failures in a row).
    ///
    /// # Errors
    /// [`Error::Unauthorized`] for a wrong username or password (the same message for
    /// both); [`Error::LimitExceeded`] while slowed down.
    pub async fn sign_in(&self, username: &str, password: &str, client: &Client) -> Result<Person> {
        let wrong = || Error::Unauthorized("wrong username or password".into());
        self.limiters()
            .login_attempt(client.addr.as_deref().unwrap_or("unknown"))?;
        let username = username.trim().to_lowercase();
        check_text("username", &username)?;
        let mut tx = self.pool().begin().await?;
        let login = store::users::login_for_update(&mut tx, &username).await?;
        let now = self.now();
        if let Some(l) = &login {
            let wait = login_backoff(l.failed_logins);
            if let Some(last) = l.last_failed_login_at {
                let until = last + Span::from_std(wait).unwrap_or(Span::zero());
                if until > now {
                    let left = (until - now).to_std().unwrap_or_default();
                    return Err(Error::limit(
                        format!(
                            "too many failed sign-ins for this account; try again in {} s",
                            left.as_secs().max(1)
                        ),
                        Some(left),
                    ));
                }
            }
        }
        let hash = login
            .as_ref()
            .filter(|l| !l.disabled)
            .and_then(|l| l.password_hash.clone());
        let ok = verify_password(password, hash).await;
        let user = login.as_ref().map(|l| UserId(l.id));
        if !ok {
            if let Some(l) = &login {
                store::users::login_failed(&mut tx, l.id, now).await?;
            }
            let details = serde_json::json!({ "username": username.chars().take(64).collect::<String>() });
            store::audit::record(&mut *tx, &entry(user, "session.login", client, false, details)).await?;
            tx.commit().await?;
            return Err(wrong());
        }
        let id = user.ok_or_else(wrong)?;
        store::users::login_succeeded(&mut tx, id.0).await?;
        store::audit::record(
            &mut *tx,
            &entry(Some(id), "session.login", client, true, serde_json::json!({})),
        )
        .await?;
        tx.commit().await?;
        store::users::active(self.pool(), id).await?.ok_or_else(wrong)
    }

    /// Records a sign-out.
    ///
    /// # Errors
    /// Database errors.
    pub async fn signed_out(&self, actor: &Actor) -> Result<()> {
        let e = entry(
            Some(actor.id()),
            "session.logout",
            &actor.client,
            true,
            serde_json::json!({}),
        );
        store::audit::record(self.pool(), &e).await
    }

    /// Makes an account from an invitation code, or without one when open sign-up is on.
    ///
    /// # Errors
    /// [`Error::Forbidden`] without a valid code (and open sign-up off); [`Error::Conflict`]
    /// for a taken username; [`Error::BadRequest`] for a bad username or password.
    pub async fn sign_up(&self, code: Option<&str>, username: &str, password: &str, client: &Client) -> Result<Person> {
        let username = checked(username, password)?;
        let code = code.map(str::trim).filter(|c| !c.is_empty());
        if code.is_none() && !self.inner.accounts.open_signup {
            return Err(Error::Forbidden(
                "sign-up is by invitation: ask an admin for a link".into(),
            ));
        }
        let hash = hash_password(password).await?;
        let mut tx = self.pool().begin().await?;
        let invitation = match code {
            Some(c) => Some(
                store::users::take_invitation(&mut tx, &digest(c), self.now())
                    .await?
                    .ok_or_else(|| {
                        Error::Forbidden("this invitation is unknown, used or expired; ask for a new one".into())
                    })?,
            ),
            None => None,
        };
        let is_admin = invitation.is_some_and(|(_, admin)| admin);
        let person = store::users::create(&mut tx, &username, &hash, is_admin).await?;
        if let Some((id, _)) = invitation {
            store::users::use_invitation(&mut tx, id, person.id).await?;
        }
        let details = serde_json::json!({ "username": username, "admin": is_admin, "invited": invitation.is_some() });
        store::audit::record(
            &mut *tx,
            &entry(Some(person.id), "account.signup", client, true, details),
        )
        .await?;
        tx.commit().await?;
        Ok(person)
    }

    /// Changes the actor's password after checking the current one; ends their other
    /// sessions (all but `keep_session`).
    ///
    /// # Errors
    /// [`Error::Unauthorized`] for a wrong current password; [`Error::BadRequest`] for a
    /// bad new one.
    pub async fn change_password(
        &self,
        actor: &Actor,
        current: &str,
        new: &str,
        keep_session: Option<&str>,
    ) -> Result<()> {
        check_password(new).map_err(Error::BadRequest)?;
        let stored = store::users::password_hash(self.pool(), actor.id()).await?;
        if !verify_password(current, stored).await {
            let e = entry(
                Some(actor.id()),
                "account.password",
                &actor.client,
                false,
                serde_json::json!({}),
            );
            store::audit::record(self.pool(), &e).await?;
            return Err(Error::Unauthorized("the current password is wrong".into()));
        }
        let hash = hash_password(new).await?;
        let mut tx = self.pool().begin().await?;
        store::users::set_password(&mut tx, actor.id(), &hash, keep_session).await?;
        let e = entry(
            Some(actor.id()),
            "account.password",
            &actor.client,
            true,
            serde_json::json!({}),
        );
        store::audit::record(&mut *tx, &e).await?;
        tx.commit().await?;
        // The other sessions just ended.
        self.inner.identities.clear();
        Ok(())
    }

    /// The person `id`, if they may act (exists, can sign in, not disabled).
    ///
    /// # Errors
    /// Database errors.
    pub async fn person(&self, id: UserId) -> Result<Option<Person>> {
        if let Some(person) = self.inner.identities.people.get(&id) {
            return Ok(Some(person));
        }
        let person = store::users::active(self.pool(), id).await?;
        if let Some(p) = &person {
            self.inner.identities.people.put(id, p.clone());
        }
        Ok(person)
    }

    /// The command line acting as the account `username` (for `nexus-forge admin`).
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such account.
    pub async fn console_actor(&self, username: &str) -> Result<Actor> {
        let name = username.trim().to_lowercase();
        let person = store::users::by_username(self.pool(), &name)
            .await?
            .ok_or_else(|| Error::not_found("account", &name))?;
        Ok(Actor {
            person,
            client: Client::new(None, Some("nexus-forge admin")),
            credential: Credential::Console,
        })
    }

    /// The actor an API token stands for, if it is live.
    ///
    /// # Errors
    /// Database errors.
    pub async fn authenticate_token(&self, token: &str, client: Client) -> Result<Option<Actor>> {
        if !token.starts_with("nf_") || token.len() > 200 {
            return Ok(None);
        }
        let digest = digest(token);
        let found = match self.inner.identities.tokens.get(&digest) {
            Some(hit) => Some(hit),
            None => {
                let found = store::users::by_token(self.pool(), &digest).await?;
                if let Some(hit) = &found {
                    self.inner.identities.tokens.put(digest, hit.clone());
                }
                found
            }
        };
        Ok(found.map(|(person, id)| Actor {
            person,
            client,
            credential: Credential::Token(id),
        }))
    }

    /// Makes an API token for the actor; the secret is in the answer and nowhere else.
    ///
    /// # Errors
    /// [`Error::BadRequest`] for an empty or over-long name.
    pub async fn create_token(&self, actor: &Actor, name: &str) -> Result<NewToken> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Error::BadRequest("a token needs a name of 1 to 100 characters".into()));
        }
        check_text("name", name)?;
        let secret = fresh_secret("nf_");
        let prefix: String = secret.chars().take(10).collect();
        let mut tx = self.pool().begin().await?;
        let token = store::users::insert_token(&mut tx, actor.id(), name, &digest(&secret), &prefix).await?;
        let mut e = actor.audit("token.create", "token", token.id);
        e.details["name"] = name.into();
        store::audit::record(&mut *tx, &e).await?;
        tx.commit().await?;
        Ok(NewToken { token, secret })
    }

    /// The actor's tokens.
    ///
    /// # Errors
    /// Database errors.
    pub async fn list_tokens(&self, actor: &Actor) -> Result<Vec<TokenView>> {
        store::users::tokens(self.pool(), actor.id()).await
    }

    /// Revokes one of the actor's tokens.
    ///
    /// # Errors
    /// [`Error::NotFound`] when it is not theirs or already revoked.
    pub async fn revoke_token(&self, actor: &Actor, id: uuid::Uuid) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        if !store::users::revoke_token(&mut tx, actor.id(), id).await? {
            return Err(Error::not_found("token", id));
        }
        store::audit::record(&mut *tx, &actor.audit("token.revoke", "token", id)).await?;
        tx.commit().await?;
        self.inner.identities.tokens.clear();
        Ok(())
    }

    /// An invitation (admins only): a one-time code valid for a week.
    ///
    /// # Errors
    /// [`Error::Forbidden`] for a non-admin.
    pub async fn create_invitation(&self, actor: &Actor, is_admin: bool, note: &str) -> Result<NewInvitation> {
        actor.require_admin("invite people")?;
        let note: String = note.trim().chars().take(200).collect();
        check_text("note", &note)?;
        let code = fresh_secret("");
        let expires = self.now() + Span::days(INVITATION_DAYS);
        let mut tx = self.pool().begin().await?;
        let invitation =
            store::users::insert_invitation(&mut tx, actor.id(), &digest(&code), is_admin, &note, expires).await?;
        let mut e = actor.audit("invitation.create", "invitation", invitation.id);
        e.details["admin"] = is_admin.into();
        store::audit::record(&mut *tx, &e).await?;
        tx.commit().await?;
        Ok(NewInvitation { invitation, code })
    }

    /// Every invitation (admins only).
    ///
    /// # Errors
    /// [`Error::Forbidden`] for a non-admin.
    pub async fn list_invitations(&self, actor: &Actor) -> Result<Vec<InvitationView>> {
        actor.require_admin("list invitations")?;
        store::users::invitations(self.pool()).await
    }

    /// Everyone (admins only).
    ///
    /// # Errors
    /// [`Error::Forbidden`] for a non-admin.
    pub async fn list_people(&self, actor: &Actor) -> Result<Vec<PersonSummary>> {
        actor.require_admin("list people")?;
        store::users::list(self.pool()).await
    }

    /// A page of the audit trail, newest first (admins only).
    ///
    /// # Errors
    /// [`Error::Forbidden`] for a non-admin.
    pub async fn audit_page(&self, actor: &Actor, before: Option<i64>) -> Result<AuditPage> {
        actor.require_admin("read the audit trail")?;
        let entries = store::audit::page(self.pool(), before, AUDIT_PAGE).await?;
        let next_before = (entries.len() as i64 == AUDIT_PAGE)
            .then(|| entries.last().map(|e| e.id))
            .flatten();
        Ok(AuditPage { entries, next_before })
    }

    /// Whether anyone may sign up without an invitation.
    pub fn open_signup(&self) -> bool {
        self.inner.accounts.open_signup
    }
}
