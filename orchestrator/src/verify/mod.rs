//! The browser check: an assembled app opened and driven in headless Chromium.
//!
//! [`Verifier::check`] loads a build's files in a fresh, isolated tab and reports what a
//! person would have met: uncaught page errors, console errors, requests for files the app
//! does not have, and, on every list page, the main flow (create a record with every field
//! filled, see it listed, search for it, delete it), each page's look (a PNG screenshot)
//! and the phone-width layout (nothing wider than a 390 px window).
//!
//! The app is never served on a port: the tab's requests are intercepted (CDP `Fetch`) and
//! answered from the build's files, under the same sandbox CSP as the preview
//! ([`domain::api::PREVIEW_CSP`]), at an origin nothing else answers for. Every other
//! request is refused and reported.
//!
//! Bounds: one browser per [`Verifier`] (one per process), started on first use and again
//! if it dies, stopped at shutdown ([`crate::Orchestrator::close`]); before its first, the
//! browsers a server killed with SIGKILL left behind are killed (their profile names the
//! dead server's pid); at most `tabs` checks at once (the rest wait their turn, inside their time
//! limit); each check has a time limit, and each step in the page one of its own. What
//! happens to the report (repairs, rounds, events) is the pipeline's `verify` task.

mod cdp;

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use base64::Engine as _;
use domain::api::{VerifyPage, VerifyProblem};
use generator::GeneratedFile;
use serde_json::{json, Value};
use tokio::sync::Semaphore;

use self::cdp::{Browser, Tab};

/// Where the check loads the app: a name nothing on any network answers for.
pub const ORIGIN: &str = "http://app.nexus-forge.invalid";

/// Longest one step in the page (open a page, drive its flow) may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(15);

/// The window of the desktop screenshots, and of the phone check.
const DESKTOP: (u32, u32) = (1280, 800);
const PHONE: (u32, u32) = (390, 844);

/// The in-page driver (see its header).
const DRIVER: &str = include_str!("driver.js");

/// Which browser to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserChoice {
    /// No browser check: every build's `verify` is skipped.
    Off,
    /// `chromium` (or `chromium-browser`, `google-chrome`) on `PATH`, when there is one.
    Auto,
    /// This executable.
    Path(PathBuf),
}

/// How the browser check runs.
#[derive(Debug, Clone)]
pub struct VerifySettings {
    /// Which browser.
    pub browser: BrowserChoice,
    /// At most this many apps checked at once (tabs open).
    pub tabs: usize,
    /// Longest one check of one app may take, waiting for a tab included.
    pub time_limit: Duration,
}

impl Default for VerifySettings {
    fn default() -> Self {
        Self {
            browser: BrowserChoice::Auto,
            tabs: 2,
            time_limit: Duration::from_secs(120),
        }
    }
}

impl VerifySettings {
    /// No browser check.
    pub fn off() -> Self {
        Self {
            browser: BrowserChoice::Off,
            ..Self::default()
        }
    }
}

/// A screenshot taken by a check.
#[derive(Debug, Clone)]
pub struct Screenshot {
    /// Artifact path: `screenshots/<page>.png`.
    pub path: String,
    /// The PNG.
    pub png: Vec<u8>,
}

/// What one check of one app found.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// Each page as driven (the phone check last).
    pub pages: Vec<VerifyPage>,
    /// Every problem.
    pub problems: Vec<VerifyProblem>,
    /// One per page, and the phone's.
    pub screenshots: Vec<Screenshot>,
    /// How long it took.
    pub duration: Duration,
}

/// Why a check did not run (the build goes on without one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped(pub String);

/// The shared browser and its tab pool.
pub struct Verifier {
    settings: VerifySettings,
    browser: tokio::sync::Mutex<Option<Arc<Browser>>>,
    tabs: Semaphore,
    /// Whether browsers left behind by dead servers were looked for yet (once, before this
    /// process starts its first).
    reaped: std::sync::atomic::AtomicBool,
}

impl Verifier {
    /// A verifier; the browser starts on the first check.
    pub fn new(settings: VerifySettings) -> Self {
        let tabs = Semaphore::new(settings.tabs.max(1));
        Self {
            settings,
            browser: tokio::sync::Mutex::new(None),
            tabs,
            reaped: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Stops the browser (at shutdown; a check still running keeps it until it ends).
    pub async fn shutdown(&self) {
        drop(self.browser.lock().await.take());
    }

    /// The running browser, started (again) if needed.
    async fn browser(&self) -> Result<Arc<Browser>, Skipped> {
        let program = match &self.settings.browser {
            BrowserChoice::Off => {
                return Err(Skipped(
                    "the browser check is turned off on this server (NF_VERIFY=off)".into(),
                ))
            }
            BrowserChoice::Auto => cdp::find_browser(None).ok_or_else(|| {
                Skipped(
                    "no browser is installed on this server (install Debian's chromium, or set NF_CHROMIUM to a Chromium executable)"
                        .into(),
                )
            })?,
            BrowserChoice::Path(p) => cdp::find_browser(Some(p))
                .ok_or_else(|| Skipped(format!("the browser {} (NF_CHROMIUM) does not exist", p.display())))?,
        };
        let mut slot = self.browser.lock().await;
        if let Some(b) = slot.as_ref().filter(|b| b.is_alive()) {
            return Ok(b.clone());
        }
        *slot = None;
        if !self.reaped.swap(true, std::sync::atomic::Ordering::SeqCst) {
            tokio::task::spawn_blocking(cdp::reap_orphans).await.ok();
        }
        let b = Browser::launch(&program)
            .await
            .map_err(|e| Skipped(format!("the browser could not start: {e}")))?;
        *slot = Some(b.clone());
        Ok(b)
    }

    /// Opens `files` (a whole app, `index.html` first among them or not) in a fresh tab and
    /// drives it. `token` is written into the records it creates.
    ///
    /// # Errors
    /// [`Skipped`] when there is no browser, it fails, or the check runs out of time.
    pub async fn check(&self, files: &[GeneratedFile], token: &str) -> Result<Checked, Skipped> {
        let limit = self.settings.time_limit;
        let started = Instant::now();
        let run = async {
            let browser = self.browser().await?;
            let _permit = self
                .tabs
                .acquire()
                .await
                .map_err(|_| Skipped("the browser check is shutting down".into()))?;
            let tab = browser
                .open_tab()
                .await
                .map_err(|e| Skipped(format!("the browser could not open a tab: {e}")))?;
            let mut run = Run::new(tab, files);
            let result = run.drive(token).await;
            let (tab, mut checked) = run.finish().await;
            tab.close().await;
            result?;
            checked.duration = started.elapsed();
            Ok(checked)
        };
        match tokio::time::timeout(limit, run).await {
            Ok(r) => r,
            Err(_) => Err(Skipped(format!(
                "the browser check did not finish within {} s",
                limit.as_secs()
            ))),
        }
    }
}

/// The generated file a piece of text (an error's message or stack) points at.
fn module_in(text: &str) -> Option<String> {
    let at = text.find("js/entities/")?;
    let rest = &text[at..];
    let end = rest.find(".js")? + 3;
    let path = &rest[..end];
    path["js/entities/".len()..end - 3]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        .then(|| path.to_owned())
}

/// What the tab's event handler collects while the driver works.
#[derive(Default)]
struct Seen {
    page: String,
    problems: Vec<VerifyProblem>,
}

impl Seen {
    fn push(&mut self, kind: &str, message: String, module: Option<String>) {
        if self.problems.len() >= 100 {
            return;
        }
        let module = module.or_else(|| module_in(&message));
        let problem = VerifyProblem {
            page: self.page.clone(),
            kind: kind.into(),
            message: message.chars().take(2000).collect(),
            module,
        };
        if !self.problems.contains(&problem) {
            self.problems.push(problem);
        }
    }
}

/// A remote object (a console argument, a thrown value) as text.
fn describe(obj: &Value) -> String {
    if let Some(s) = obj.get("value").and_then(Value::as_str) {
        return s.to_owned();
    }
    obj.get("description")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| obj.get("value").map(Value::to_string))
        .unwrap_or_else(|| obj.get("type").and_then(Value::as_str).unwrap_or("?").to_owned())
}

/// The first script URL of a stack trace.
fn stack_url(trace: Option<&Value>) -> Option<String> {
    trace?
        .get("callFrames")?
        .as_array()?
        .iter()
        .filter_map(|f| f.get("url").and_then(Value::as_str))
        .find(|u| !u.is_empty())
        .map(str::to_owned)
}

/// Handles the tab's events: answers its requests from the files, records its errors.
async fn serve_tab(
    mut events: tokio::sync::mpsc::UnboundedReceiver<cdp::Event>,
    commander: cdp::Commander,
    files: Arc<HashMap<String, (String, Vec<u8>)>>,
    seen: Arc<Mutex<Seen>>,
) {
    let b64 = base64::engine::general_purpose::STANDARD;
    while let Some(ev) = events.recv().await {
        let p = &ev.params;
        match ev.method.as_str() {
            "Fetch.requestPaused" => {
                let id = p["requestId"].as_str().unwrap_or_default().to_owned();
                let url = p["request"]["url"].as_str().unwrap_or_default();
                let path = url
                    .strip_prefix(ORIGIN)
                    .map(|rest| {
                        rest.split(['?', '#'])
                            .next()
                            .unwrap_or_default()
                            .trim_start_matches('/')
                    })
                    .map(|p| if p.is_empty() { "index.html" } else { p });
                let found = path.and_then(|p| files.get(p));
                let (status, content_type, body): (u16, &str, &[u8]) = match found {
                    Some((ct, bytes)) => (200, ct, bytes),
                    None => {
                        if let Ok(mut s) = seen.lock() {
                            let what = match path {
                                Some(p) => format!("the app asked for {p}, which it does not have"),
                                None => format!("the app tried to reach {url}, outside itself"),
                            };
                            s.push("failed_request", what, None);
                        }
                        (404, "text/plain; charset=utf-8", b"not found".as_slice())
                    }
                };
                let params = json!({
                    "requestId": id,
                    "responseCode": status,
                    "responseHeaders": [
                        { "name": "Content-Type", "value": content_type },
                        { "name": "Content-Security-Policy", "value": domain::api::PREVIEW_CSP },
                        { "name": "Cache-Control", "value": "no-store" },
                    ],
                    "body": b64.encode(body),
                });
                let c = commander.clone();
                tokio::spawn(async move {
                    let _ = c.call("Fetch.fulfillRequest", params, Duration::from_secs(10)).await;
                });
            }
            "Runtime.exceptionThrown" => {
                let d = &p["exceptionDetails"];
                let text = d
                    .get("exception")
                    .map(describe)
                    .unwrap_or_else(|| d["text"].as_str().unwrap_or("an uncaught error").to_owned());
                let module = d["url"]
                    .as_str()
                    .and_then(module_in)
                    .or_else(|| stack_url(d.get("stackTrace")).and_then(|u| module_in(&u)));
                if let Ok(mut s) = seen.lock() {
                    s.push("page_error", text, module);
                }
            }
            "Runtime.consoleAPICalled" if p["type"] == "error" || p["type"] == "assert" => {
                let text = p["args"]
                    .as_array()
                    .map(|a| a.iter().map(describe).collect::<Vec<_>>().join(" "))
                    .unwrap_or_default();
                let module = stack_url(p.get("stackTrace")).and_then(|u| module_in(&u));
                if let Ok(mut s) = seen.lock() {
                    s.push("console_error", text, module);
                }
            }
            "Log.entryAdded" if p["entry"]["level"] == "error" => {
                let e = &p["entry"];
                let text = e["text"].as_str().unwrap_or_default().to_owned();
                // Our own 404s are reported once, as failed requests.
                if e["source"] == "network" && text.contains("404") {
                    continue;
                }
                let module = e["url"].as_str().and_then(module_in);
                if let Ok(mut s) = seen.lock() {
                    s.push("console_error", text, module);
                }
            }
            _ => {}
        }
    }
}

/// One check in one tab.
struct Run {
    tab: Tab,
    seen: Arc<Mutex<Seen>>,
    server: tokio::task::JoinHandle<()>,
    checked: Checked,
}

impl Run {
    fn new(mut tab: Tab, files: &[GeneratedFile]) -> Self {
        let files: HashMap<String, (String, Vec<u8>)> = files
            .iter()
            .map(|f| (f.path.clone(), (f.content_type.clone(), f.content.as_bytes().to_vec())))
            .collect();
        let seen = Arc::new(Mutex::new(Seen {
            page: "load".into(),
            ..Seen::default()
        }));
        let events = tab.take_events();
        let commander = tab.commander();
        let server = tokio::spawn({
            let seen = seen.clone();
            async move {
                if let Some(events) = events {
                    serve_tab(events, commander, Arc::new(files), seen).await;
                }
            }
        });
        Self {
            tab,
            seen,
            server,
            checked: Checked::default(),
        }
    }

    async fn call(&self, method: &str, params: Value) -> Result<Value, String> {
        self.tab.call(method, params, STEP_TIMEOUT).await
    }

    /// Runs one driver action in the page.
    async fn act(&self, args: Value) -> Result<Value, String> {
        let expression = format!("({})({})", DRIVER.trim_end(), args);
        let r = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "awaitPromise": true, "returnByValue": true, "userGesture": true }),
            )
            .await?;
        if let Some(d) = r.get("exceptionDetails") {
            let text = d
                .get("exception")
                .map(describe)
                .unwrap_or_else(|| d["text"].to_string());
            return Err(format!("the check's driver failed in the page: {text}"));
        }
        Ok(r["result"]["value"].clone())
    }

    fn on_page(&self, page: &str) {
        if let Ok(mut s) = self.seen.lock() {
            s.page = page.to_owned();
        }
    }

    fn flow_problem(&self, message: String, module: Option<String>) {
        if let Ok(mut s) = self.seen.lock() {
            s.push("flow", message, module);
        }
    }

    async fn viewport(&self, (width, height): (u32, u32), mobile: bool) -> Result<(), String> {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile }),
        )
        .await
        .map(|_| ())
    }

    async fn screenshot(&mut self, name: &str) -> Option<String> {
        // Let the page paint what the last step drew.
        tokio::time::sleep(Duration::from_millis(60)).await;
        let r = self
            .call(
                "Page.captureScreenshot",
                json!({ "format": "png", "optimizeForSpeed": true }),
            )
            .await
            .ok()?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str()?)
            .ok()?;
        let path = format!("screenshots/{name}.png");
        self.checked.screenshots.push(Screenshot {
            path: path.clone(),
            png,
        });
        Some(path)
    }

    /// Loads the app and waits for its shell.
    async fn load(&self) -> Result<Value, String> {
        self.call("Page.navigate", json!({ "url": format!("{ORIGIN}/index.html") }))
            .await?;
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            let r = self
                .call(
                    "Runtime.evaluate",
                    json!({ "expression": "location.href + ' ' + document.readyState", "returnByValue": true }),
                )
                .await;
            if let Ok(v) = r {
                let s = v["result"]["value"].as_str().unwrap_or_default();
                if s.starts_with(ORIGIN) && s.ends_with("complete") {
                    break;
                }
            }
            if Instant::now() > deadline {
                return Err(format!("the app did not load within {} s", STEP_TIMEOUT.as_secs()));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        self.act(json!({ "action": "ready" })).await
    }

    /// The whole check. `Err` only for what makes the check itself impossible.
    async fn drive(&mut self, token: &str) -> Result<(), Skipped> {
        let setup = async {
            self.call("Fetch.enable", json!({ "patterns": [{ "urlPattern": "*" }] }))
                .await?;
            self.call("Runtime.enable", json!({})).await?;
            self.call("Log.enable", json!({})).await?;
            self.call("Page.enable", json!({})).await?;
            self.viewport(DESKTOP, false).await
        };
        setup
            .await
            .map_err(|e| Skipped(format!("the browser could not prepare a tab: {e}")))?;

        let ready = match self.load().await {
            Ok(v) => v,
            Err(e) => {
                // The app never drew itself: that is the app's problem, with a picture.
                self.flow_problem(e, None);
                let shot = self.screenshot("load").await;
                self.checked.pages.push(VerifyPage {
                    page: "load".into(),
                    title: "Loading".into(),
                    kind: "load".into(),
                    steps: vec![],
                    passed: false,
                    screenshot: shot,
                });
                return Ok(());
            }
        };
        let pages: Vec<(String, String, String, Option<String>)> = ready["pages"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|p| {
                        (
                            p["id"].as_str().unwrap_or_default().to_owned(),
                            p["kind"].as_str().unwrap_or_default().to_owned(),
                            p["title"].as_str().unwrap_or_default().to_owned(),
                            p["entity"].as_str().map(str::to_owned),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (id, kind, title, entity) in &pages {
            self.on_page(id);
            let module = entity.as_deref().map(generator::entity_module_path);
            let mut steps = Vec::new();
            let before = self.problem_count();
            let mut hung = false;
            for args in [
                Some(json!({ "action": "open", "page": id })),
                (kind == "list").then(|| json!({ "action": "flow", "page": id, "token": token })),
            ]
            .into_iter()
            .flatten()
            {
                match self.act(args).await {
                    Ok(v) => {
                        steps.extend(
                            v["steps"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(Value::as_str)
                                .map(str::to_owned),
                        );
                        for p in v["problems"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                            self.flow_problem(format!("{title}: {p}"), module.clone());
                        }
                        if v["ok"] != json!(true) {
                            break;
                        }
                    }
                    Err(e) => {
                        hung = e.contains("did not answer");
                        self.flow_problem(format!("{title}: {e}"), module.clone());
                        break;
                    }
                }
            }
            // A page that stopped answering (an endless loop) takes no picture and ends the check.
            let screenshot = if hung { None } else { self.screenshot(id).await };
            let passed = self.problem_count() == before;
            self.checked.pages.push(VerifyPage {
                page: id.clone(),
                title: title.clone(),
                kind: kind.clone(),
                steps,
                passed,
                screenshot,
            });
            if hung {
                return Ok(());
            }
        }

        // The phone: the first page at 390 px.
        self.on_page("phone");
        let before = self.problem_count();
        let mut steps = Vec::new();
        if let Err(e) = self.viewport(PHONE, true).await {
            return Err(Skipped(format!("the browser could not emulate a phone: {e}")));
        }
        if let Some((first, ..)) = pages.first() {
            let _ = self.act(json!({ "action": "open", "page": first })).await;
        }
        match self.act(json!({ "action": "phone" })).await {
            Ok(v) => {
                steps.push("measured".to_owned());
                for p in v["problems"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                    self.flow_problem(format!("Phone: {p}"), None);
                }
            }
            Err(e) => self.flow_problem(format!("Phone: {e}"), None),
        }
        let screenshot = self.screenshot("phone").await;
        let passed = self.problem_count() == before;
        self.checked.pages.push(VerifyPage {
            page: "phone".into(),
            title: format!("Phone ({} px)", PHONE.0),
            kind: "phone".into(),
            steps,
            passed,
            screenshot,
        });
        Ok(())
    }

    fn problem_count(&self) -> usize {
        self.seen.lock().map(|s| s.problems.len()).unwrap_or_default()
    }

    /// Stops serving the tab and hands back what was seen.
    async fn finish(self) -> (Tab, Checked) {
        // Let the last events arrive.
        tokio::time::sleep(Duration::from_millis(30)).await;
        let mut checked = self.checked;
        if let Ok(s) = self.seen.lock() {
            checked.problems = s.problems.clone();
        }
        self.server.abort();
        (self.tab, checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_points_at_the_entity_module_it_names() {
        assert_eq!(
            module_in("TypeError: x is undefined\n    at subtitle (http://app.nexus-forge.invalid/js/entities/recipe.js:12:5)").as_deref(),
            Some("js/entities/recipe.js")
        );
        assert_eq!(module_in("at http://a/js/app.js:1:1"), None);
        assert_eq!(module_in("js/entities/../../x.js"), None);
    }
}
