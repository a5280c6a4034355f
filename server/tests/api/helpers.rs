//! `spawn_app`: the real server on a random port, on the test's own database, optionally
//! behind a TCP proxy that can cut Postgres off and bring it back.

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
