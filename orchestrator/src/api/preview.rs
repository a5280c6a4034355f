//! Preview links. A generated app runs on an opaque origin (the preview's CSP sandbox), so
//! the requests it makes for its own files carry no cookies: the link itself must be the
//! permission. A link is `/preview/{build}/{expiry}-{signature}/`, minted for whoever may
//! see the build (its owner, an admin) when they read it, valid for a day, and signed with
//! HMAC-SHA256 under a key every server process shares (`server_keys`).

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::{store, Orchestrator, Result};
use domain::ids::BuildId;

/// How long a link stays valid (at least; expiries are rounded up to the hour, so a link
/// stays the same for an hour and the browser can cache the app's files).
const VALID_SECS: i64 = 24 * 3600;

impl Orchestrator {
    async fn preview_key(&self) -> Result<&[u8]> {
        let key = self
            .inner
            .preview_key
            .get_or_try_init(|| async {
                let mut fresh = [0u8; 32];
                rand::rng().fill_bytes(&mut fresh);
                store::users::server_key(self.pool(), "preview", &fresh).await
            })
            .await?;
        Ok(key.as_slice())
    }

    fn sign(key: &[u8], id: BuildId, expiry: i64) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(format!("{id}.{expiry}").as_bytes());
        let bytes = mac.finalize().into_bytes();
        bytes[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A signed preview link for build `id`, valid for at least a day.
    ///
    /// # Errors
    /// Database errors (loading the key).
    pub async fn preview_link(&self, id: BuildId) -> Result<String> {
        let key = self.preview_key().await?;
        let now = self.now().timestamp();
        let expiry = (now + VALID_SECS).div_euclid(3600) * 3600 + 3600;
        Ok(format!("/preview/{id}/{expiry}-{}/", Self::sign(key, id, expiry)))
    }

    /// Whether `capability` (the `{expiry}-{signature}` part of a link) opens build `id` now.
    ///
    /// # Errors
    /// Database errors (loading the key).
    pub(crate) async fn preview_allows(&self, id: BuildId, capability: &str) -> Result<bool> {
        let Some((expiry, signature)) = capability.split_once('-') else {
            return Ok(false);
        };
        let Ok(expiry) = expiry.parse::<i64>() else {
            return Ok(false);
        };
        if expiry < self.now().timestamp() {
            return Ok(false);
        }
        let want = Self::sign(self.preview_key().await?, id, expiry);
        Ok(want.as_bytes().ct_eq(signature.as_bytes()).into())
    }
}
