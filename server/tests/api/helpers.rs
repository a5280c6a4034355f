//! `spawn_app`: the real server on a random port, on the test's own database, optionally
//! behind a TCP proxy that can cut Postgres off and bring it back. [`Server`]: the real
//! binary as a child process, for what only a process shows (SIGKILL, its log output).
//! [`wait_build`]: polls a build until it is over.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

pub use server::config::Config;
use server::startup::Application;
use sqlx::PgPool;
use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
};

pub struct TestApp {
    pub addr: SocketAddr,
    /// A client that signs every request with [`TestApp::token`] (an admin's).
    pub client: reqwest::Client,
    /// A client without credentials.
    pub anon: reqwest::Client,
    /// An admin's API token (`admin` / [`PASSWORD`]).
    pub token: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// The same requests as another person: a client with that person's token.
    pub fn client_for(token: &str) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse().expect("a header value"),
        );
        reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .expect("a client")
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.expect("server task").expect("server run");
        }
    }
}

pub fn test_config(database_url: String) -> Config {
    Config {
        database_url,
        listen: "127.0.0.1:0".parse().unwrap(),
        db_max_connections: 8,
        site_root: "target/site".into(),
        log: "warn".into(),
        log_format: Default::default(),
        metrics_listen: None,
        shutdown_grace_secs: 5,
        concurrency: 16,
        event_buffer: 4096,
        agents: vec![],
        lease_secs: 30,
        llm_provider: "offline".into(),
        gemini_api_key: None,
        gemini_model: "gemini-2.5-flash".into(),
        gemini_base_url: "http://127.0.0.1:9".into(),
        gemini_thinking_budget: None,
        openai_base_url: None,
        openai_api_key: None,
        openai_model: "gpt-4o-mini".into(),
        llm_timeout_secs: 5,
        llm_stall_secs: 30,
        llm_context_tokens: 4096,
        llm_max_retries: 1,
        offline_delay_ms: 0,
        // Most API tests are about other things; the browser check has its own tests.
        verify: server::config::Switch::Off,
        chromium: None,
        verify_secs: 120,
        verify_tabs: 2,
        security: server::config::SecurityConfig::default(),
    }
}

/// The password every test account has.
pub const PASSWORD: &str = "correct horse battery";

/// Makes an account on `pool`'s database and an API token for it; returns the token.
pub async fn person(pool: &PgPool, username: &str, admin: bool) -> String {
    let orch = orchestrator::Orchestrator::new(pool.clone());
    orch.create_account(username, PASSWORD, admin)
        .await
        .expect("an account");
    let actor = orch.console_actor(username).await.expect("the account");
    orch.create_token(&actor, "tests").await.expect("a token").secret
}

/// The server on `pool`'s database (already migrated by `#[sqlx::test]`), with an admin
/// called `admin` whose token [`TestApp::client`] sends.
pub async fn spawn_app(pool: PgPool) -> TestApp {
    spawn_app_with(test_config(String::new()), pool).await
}

/// The server with `config`, using `server_pool` to talk to Postgres.
pub async fn spawn_app_with(config: Config, server_pool: PgPool) -> TestApp {
    let token = person(&server_pool, "admin", true).await;
    let app = Application::from_pool(config, server_pool)
        .await
        .expect("build the app");
    let addr = app.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        client: TestApp::client_for(&token),
        anon: reqwest::Client::new(),
        token,
        stop: Some(tx),
        handle: Some(handle),
    }
}

/// A TCP proxy in front of Postgres. `cut()` drops every connection and refuses new ones
/// (as if Postgres were stopped); `restore()` lets connections through again.
pub struct PgProxy {
    pub addr: SocketAddr,
    up: Arc<AtomicBool>,
    generation: watch::Sender<u64>,
}

impl PgProxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let (generation, _) = watch::channel(0u64);
        let proxy = Self {
            addr,
            up: up.clone(),
            generation: generation.clone(),
        };
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !up.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let mut cut = generation.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        proxy
    }

    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// A free port on the loopback interface.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The URL of `pool`'s database, for a process of its own.
pub fn database_url(pool: &PgPool) -> String {
    let o = pool.connect_options();
    format!(
        "postgres://{}@{}:{}/{}",
        o.get_username(),
        o.get_host(),
        o.get_port(),
        o.get_database().unwrap_or("postgres")
    )
}

/// Polls the build at `url` (its `GET /api/nexus-forge/build/{id}`) until it is over;
/// panics after `within`.
pub async fn wait_build(client: &reqwest::Client, url: &str, within: std::time::Duration) -> serde_json::Value {
    let deadline = std::time::Instant::now() + within;
    loop {
        let b: serde_json::Value = client
            .get(url)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("a JSON body");
        if ["completed", "failed", "cancelled"].contains(&b["status"].as_str().unwrap_or_default()) {
            return b;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the build did not finish within {within:?}: {b}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The `nexus-forge` binary as a child process on a port of its own, with what it writes
/// read as it goes (a full pipe would block it). Killed (SIGKILL) when dropped.
pub struct Server {
    child: Option<std::process::Child>,
    output: Option<[std::thread::JoinHandle<String>; 2]>,
    port: u16,
}

impl Server {
    /// Starts it on database `url`, logging at `warn` unless `env` says otherwise.
    pub fn start(url: &str, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_nexus-forge"))
            .env("DATABASE_URL", url)
            .env("NF_LISTEN", format!("127.0.0.1:{port}"))
            .env("NF_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
            std::thread::spawn(move || {
                let mut text = String::new();
                if let Some(mut p) = pipe {
                    let _ = std::io::Read::read_to_string(&mut p, &mut text);
                }
                text
            })
        };
        let stdout = drain(
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        );
        let stderr = drain(
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        );
        Self {
            child: Some(child),
            output: Some([stdout, stderr]),
            port,
        }
    }

    /// `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Waits until `/healthz` answers 200; panics with what the process wrote if it never does.
    pub async fn wait_up(&mut self) {
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(r) = client.get(self.url("/healthz")).send().await {
                if r.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        self.kill();
        let written = self.written();
        panic!("the server on {} did not come up: {written}", self.port);
    }

    /// SIGKILL: no shutdown, nothing flushed, leases left behind.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM (a graceful stop), then everything the process wrote, stdout and stderr.
    pub async fn stop(mut self) -> String {
        if let Some(mut c) = self.child.take() {
            let _ = std::process::Command::new("kill").arg(c.id().to_string()).status();
            tokio::task::spawn_blocking(move || c.wait()).await.unwrap().unwrap();
        }
        self.written()
    }

    /// What the process wrote; only once it has exited.
    fn written(&mut self) -> String {
        self.output
            .take()
            .map(|pipes| pipes.map(|p| p.join().unwrap_or_default()).concat())
            .unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
