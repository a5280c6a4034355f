//! A small Chrome DevTools Protocol client: launch Debian's `chromium` headless, speak CDP
//! over its DevTools WebSocket (tokio-tungstenite, already in the tree through axum), open
//! isolated tabs, send commands and receive a tab's events.
//!
//! Only what the browser check uses is here: `Target.*` for isolated tabs (one browser
//! context each, so no storage leaks between builds), commands with a per-call timeout, and
//! each tab's events on its own channel. A full CDP binding (`chromiumoxide`) would add
//! thousands of generated types to every compile; the check needs a dozen methods.
//!
//! A browser that exits or drops its socket fails every pending and later call at once
//! ([`Browser::is_alive`] turns false) so its owner can launch another.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
    sync::{mpsc, oneshot},
};
use tokio_tungstenite::tungstenite::Message;

/// Longest a browser may take to start and print its DevTools address.
const LAUNCH_TIMEOUT: Duration = Duration::from_secs(30);

/// A CDP event: its method and parameters.
#[derive(Debug, Clone)]
pub(super) struct Event {
    /// `Domain.event`.
    pub(super) method: String,
    /// Its parameters.
    pub(super) params: Value,
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<Value, String>>>>>;
type Sessions = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<Event>>>>;

/// One running browser process and its DevTools connection.
pub(super) struct Browser {
    out: mpsc::UnboundedSender<String>,
    pending: Pending,
    sessions: Sessions,
    next_id: AtomicU64,
    alive: Arc<AtomicBool>,
    // Killed when the browser is dropped.
    child: Child,
    profile: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.alive.store(false, Ordering::SeqCst);
        // The process is killed on drop (kill_on_drop); its profile folder goes with it.
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Finds a browser: the configured path, or `chromium`, `chromium-browser`, `google-chrome`
/// on `PATH`.
pub(super) fn find_browser(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = configured {
        return p.is_file().then(|| p.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// Where a browser's profile goes: `<tmp>/nexus-forge-verify-<server pid>-<uuid>`. The
/// server's pid in the name is how [`reap_orphans`] tells a browser whose server is gone.
const PROFILE_PREFIX: &str = "nexus-forge-verify-";

/// The server pid in a browser's command line, if it is one of ours (its
/// `--user-data-dir` is a profile made by [`Browser::launch`] under `tmp`).
fn profile_owner(args: &[&str], tmp: &Path) -> Option<(u32, PathBuf)> {
    let flag = format!("--user-data-dir={}/{PROFILE_PREFIX}", tmp.display());
    let arg = args.iter().find(|a| a.starts_with(&flag))?;
    let rest = &arg[flag.len()..];
    let owner = rest.split('-').next()?.parse().ok()?;
    Some((owner, PathBuf::from(&arg["--user-data-dir=".len()..])))
}

/// Kills the browsers a server that is gone left behind (a server killed with SIGKILL
/// cannot stop its browser), and removes their profiles. Returns how many it killed.
pub(super) fn reap_orphans() -> usize {
    let tmp = std::env::temp_dir();
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut killed = 0;
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let text = String::from_utf8_lossy(&cmdline);
        let args: Vec<&str> = text.split('\0').collect();
        let Some((owner, profile)) = profile_owner(&args, &tmp) else {
            continue;
        };
        if owner == me || Path::new(&format!("/proc/{owner}")).exists() {
            continue;
        }
        let ok = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            killed += 1;
            tracing::info!(pid, owner, "killed a browser left behind by a server that is gone");
        }
        let _ = std::fs::remove_dir_all(profile);
    }
    // Profile folders of servers that are gone, whose browser is gone too (a folder can
    // outlive its browser when removing it races the browser's exit).
    if let Ok(entries) = std::fs::read_dir(&tmp) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(owner) = name
                .to_str()
                .and_then(|n| n.strip_prefix(PROFILE_PREFIX))
                .and_then(|rest| rest.split('-').next())
                .and_then(|pid| pid.parse::<u32>().ok())
            else {
                continue;
            };
            if owner != me && !Path::new(&format!("/proc/{owner}")).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    killed
}

impl Browser {
    /// Starts `program` headless with a fresh profile and connects to it.
    ///
    /// # Errors
    /// The browser cannot start, or does not print its DevTools address in time.
    pub(super) async fn launch(program: &Path) -> Result<Arc<Self>, String> {
        let profile = std::env::temp_dir().join(format!(
            "nexus-forge-verify-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::create_dir_all(&profile).map_err(|e| format!("cannot make a browser profile folder: {e}"))?;
        let mut child = Command::new(program)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-default-apps",
                "--no-first-run",
                "--no-default-browser-check",
                "--mute-audio",
                "--hide-scrollbars",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        let stderr = child.stderr.take().ok_or("the browser has no stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let url = tokio::time::timeout(LAUNCH_TIMEOUT, async {
            let mut seen = Vec::new();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line
                    .split_once("DevTools listening on ")
                    .map(|(_, u)| u.trim().to_owned())
                {
                    return Ok(url);
                }
                if seen.len() < 5 {
                    seen.push(line);
                }
            }
            Err(format!("the browser exited before it was ready: {}", seen.join(" | ")))
        })
        .await
        .map_err(|_| format!("the browser did not start within {} s", LAUNCH_TIMEOUT.as_secs()))??;
        // Keep draining stderr so the browser never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

        let (socket, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .map_err(|e| format!("cannot connect to the browser's DevTools at {url}: {e}"))?;
        let (mut sink, mut stream) = socket.split();
        let (out, mut outgoing) = mpsc::unbounded_channel::<String>();
        let pending: Pending = Arc::default();
        let sessions: Sessions = Arc::default();
        let alive = Arc::new(AtomicBool::new(true));

        tokio::spawn(async move {
            while let Some(text) = outgoing.recv().await {
                if sink.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
        });
        {
            let pending = pending.clone();
            let sessions = sessions.clone();
            let alive = alive.clone();
            tokio::spawn(async move {
                while let Some(Ok(msg)) = stream.next().await {
                    let Message::Text(text) = msg else { continue };
                    let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else {
                        continue;
                    };
                    dispatch(v, &pending, &sessions);
                }
                alive.store(false, Ordering::SeqCst);
                // Every waiting call fails now, and every tab's event channel closes.
                for (_, tx) in pending.lock().map(|mut p| std::mem::take(&mut *p)).unwrap_or_default() {
                    let _ = tx.send(Err("the browser went away".into()));
                }
                if let Ok(mut s) = sessions.lock() {
                    s.clear();
                }
            });
        }
        Ok(Arc::new(Self {
            out,
            pending,
            sessions,
            next_id: AtomicU64::new(1),
            alive,
            child,
            profile,
        }))
    }

    /// Whether the browser is still connected.
    pub(super) fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    /// Sends `method` (to a tab's `session`, or to the browser) and waits up to `timeout`
    /// for its result.
    ///
    /// # Errors
    /// The browser's error message, a timeout, or a browser that went away.
    pub(super) async fn call(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, String> {
        if !self.is_alive() {
            return Err("the browser went away".into());
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let (tx, rx) = oneshot::channel();
        if let Ok(mut p) = self.pending.lock() {
            p.insert(id, tx);
        }
        if self.out.send(msg.to_string()).is_err() {
            self.forget(id);
            return Err("the browser went away".into());
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err("the browser went away".into()),
            Err(_) => {
                self.forget(id);
                Err(format!("{method} did not answer within {} ms", timeout.as_millis()))
            }
        }
    }

    fn forget(&self, id: u64) {
        if let Ok(mut p) = self.pending.lock() {
            p.remove(&id);
        }
    }

    /// Opens a blank tab in a browser context of its own (storage, cache and cookies of
    /// its own, gone when the tab closes), with its events on a channel.
    ///
    /// # Errors
    /// The browser refused, or went away.
    pub(super) async fn open_tab(self: &Arc<Self>) -> Result<Tab, String> {
        let t = Duration::from_secs(10);
        let context = self
            .call(
                None,
                "Target.createBrowserContext",
                json!({ "disposeOnDetach": true }),
                t,
            )
            .await?["browserContextId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let target = self
            .call(
                None,
                "Target.createTarget",
                json!({ "url": "about:blank", "browserContextId": context }),
                t,
            )
            .await?["targetId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let session = self
            .call(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target, "flatten": true }),
                t,
            )
            .await?["sessionId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let (tx, events) = mpsc::unbounded_channel();
        if let Ok(mut s) = self.sessions.lock() {
            s.insert(session.clone(), tx);
        }
        Ok(Tab {
            to: Commander {
                browser: self.clone(),
                session,
            },
            target,
            context,
            events: Some(events),
        })
    }
}

/// Routes one message from the browser: a result to its caller, an event to its tab.
fn dispatch(v: Value, pending: &Pending, sessions: &Sessions) {
    if let Some(id) = v.get("id").and_then(Value::as_u64) {
        let tx = pending.lock().ok().and_then(|mut p| p.remove(&id));
        if let Some(tx) = tx {
            let result = match v.get("error") {
                Some(e) => Err(e
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("the browser refused the call")
                    .to_owned()),
                None => Ok(v.get("result").cloned().unwrap_or(Value::Null)),
            };
            let _ = tx.send(result);
        }
        return;
    }
    let (Some(method), Some(session)) = (
        v.get("method").and_then(Value::as_str),
        v.get("sessionId").and_then(Value::as_str),
    ) else {
        return;
    };
    if let Some(tx) = sessions.lock().ok().and_then(|s| s.get(session).cloned()) {
        let _ = tx.send(Event {
            method: method.to_owned(),
            params: v.get("params").cloned().unwrap_or(Value::Null),
        });
    }
}

/// One tab, attached with a flat session. Closing it disposes of its browser context.
pub(super) struct Tab {
    /// The tab's session on its browser.
    to: Commander,
    target: String,
    context: String,
    events: Option<mpsc::UnboundedReceiver<Event>>,
}

impl Tab {
    /// Sends `method` to this tab.
    ///
    /// # Errors
    /// As [`Browser::call`].
    pub(super) async fn call(&self, method: &str, params: Value, timeout: Duration) -> Result<Value, String> {
        self.to.call(method, params, timeout).await
    }

    /// This tab's events (once).
    pub(super) fn take_events(&mut self) -> Option<mpsc::UnboundedReceiver<Event>> {
        self.events.take()
    }

    /// A handle that sends commands to this tab from another task.
    pub(super) fn commander(&self) -> Commander {
        self.to.clone()
    }

    /// Closes the tab and its browser context.
    pub(super) async fn close(mut self) {
        if let Some(closing) = self.closing() {
            closing.await;
        }
    }

    /// What closing the tab takes (once): its session forgotten (which ends its event
    /// channel), then the target and its context closed.
    fn closing(&mut self) -> Option<impl std::future::Future<Output = ()> + Send + 'static> {
        if self.target.is_empty() {
            return None;
        }
        if let Ok(mut s) = self.to.browser.sessions.lock() {
            s.remove(&self.to.session);
        }
        let browser = self.to.browser.clone();
        let target = std::mem::take(&mut self.target);
        let context = std::mem::take(&mut self.context);
        Some(async move {
            let t = Duration::from_secs(5);
            let _ = browser
                .call(None, "Target.closeTarget", json!({ "targetId": target }), t)
                .await;
            let _ = browser
                .call(
                    None,
                    "Target.disposeBrowserContext",
                    json!({ "browserContextId": context }),
                    t,
                )
                .await;
        })
    }
}

impl Drop for Tab {
    /// A tab dropped without [`Tab::close`] (its check ran out of time) is closed in the
    /// background, so no tab outlives its check.
    fn drop(&mut self) {
        if let Some(closing) = self.closing() {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(closing);
            }
        }
    }
}

/// Sends commands to one tab (what a tab's event handler uses to answer requests).
#[derive(Clone)]
pub(super) struct Commander {
    browser: Arc<Browser>,
    session: String,
}

impl Commander {
    /// Sends `method` to the tab.
    ///
    /// # Errors
    /// As [`Browser::call`].
    pub(super) async fn call(&self, method: &str, params: Value, timeout: Duration) -> Result<Value, String> {
        self.browser.call(Some(&self.session), method, params, timeout).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_is_ours_by_its_profile_and_names_its_server() {
        let tmp = Path::new("/tmp");
        let args = [
            "chromium",
            "--headless=new",
            "--user-data-dir=/tmp/nexus-forge-verify-4242-9f0c",
            "about:blank",
        ];
        assert_eq!(
            profile_owner(&args, tmp),
            Some((4242, PathBuf::from("/tmp/nexus-forge-verify-4242-9f0c")))
        );
        assert_eq!(
            profile_owner(&["chromium", "--user-data-dir=/home/me/.config/chromium"], tmp),
            None
        );
        assert_eq!(
            profile_owner(&["chromium", "--user-data-dir=/tmp/nexus-forge-verify-x-1"], tmp),
            None
        );
    }

    #[test]
    fn a_browser_whose_server_is_gone_is_killed_and_its_profile_removed() {
        // A server that is gone: a process that has exited (its pid is free).
        let mut gone = std::process::Command::new("true").spawn().unwrap();
        let dead = gone.id();
        gone.wait().unwrap();
        let profile = std::env::temp_dir().join(format!("{PROFILE_PREFIX}{dead}-test"));
        std::fs::create_dir_all(&profile).unwrap();
        // Its "browser": a process whose command line names that profile.
        let mut orphan = std::process::Command::new("sh")
            .args(["-c", "while :; do sleep 1; done", "sh"])
            .arg(format!("--user-data-dir={}", profile.display()))
            .spawn()
            .unwrap();
        // A browser of a live server (this one) is left alone.
        let mine = std::env::temp_dir().join(format!("{PROFILE_PREFIX}{}-test", std::process::id()));
        let mut kept = std::process::Command::new("sh")
            .args(["-c", "while :; do sleep 1; done", "sh"])
            .arg(format!("--user-data-dir={}", mine.display()))
            .spawn()
            .unwrap();
        // A folder left behind without its browser, and one of this (live) server.
        let stale = std::env::temp_dir().join(format!("{PROFILE_PREFIX}{dead}-stale"));
        std::fs::create_dir_all(stale.join("Default")).unwrap();
        std::fs::create_dir_all(&mine).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));

        assert!(reap_orphans() >= 1);
        assert!(!stale.exists(), "a folder whose server is gone is removed");
        assert!(mine.exists(), "a live server's folder stays");
        std::fs::remove_dir_all(&mine).unwrap();
        let status = orphan.wait().unwrap();
        assert!(!status.success(), "the orphan was killed: {status:?}");
        assert!(!profile.exists(), "its profile is gone");
        assert!(kept.try_wait().unwrap().is_none(), "a live server's browser runs on");
        kept.kill().unwrap();
        kept.wait().unwrap();
    }
}
