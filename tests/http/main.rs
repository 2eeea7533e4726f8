//! HTTP server telemetry, the admin endpoints and health checks, through a real
//! axum server on loopback driven by a real HTTP client. This binary installs
//! otelkit globally, once, as a service would.

#[path = "../support/mod.rs"]
mod support;

mod admin;
mod example;
mod grpc;
mod process;
mod server;

use std::net::SocketAddr;
use std::sync::OnceLock;

use support::Receiver;

pub const TOKEN: &str = "test-token-0123456789";

pub struct World {
    pub telemetry: otelkit::Telemetry,
    pub receiver: Receiver,
    /// The application (with the layer and the admin router merged in).
    pub app: SocketAddr,
    runtime: tokio::runtime::Runtime,
}

impl World {
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }
}

/// The one telemetry pipeline and application server of this test binary.
pub fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let support::Installed {
            telemetry,
            receiver,
            runtime,
        } = support::Installed::start(
            "http-test",
            &[
                ("OTELKIT_HEALTH_CACHE_TTL", "200"),
                ("OTELKIT_ADMIN_TOKEN", TOKEN),
            ],
        );
        let app = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let router = server::app(telemetry.admin_router());
            tokio::spawn(async move { axum::serve(listener, router).await });
            addr
        });
        World {
            telemetry,
            receiver,
            app,
            runtime,
        }
    })
}

/// A raw HTTP/1.1 request; returns status, headers (lower-cased names) and body.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        support::dechunk(body)
    } else {
        body.to_string()
    };
    (status, headers, body)
}

/// The application's metrics, scraped from the built-in listener with the token.
pub fn scrape() -> otelkit::testing::Scrape {
    let w = world();
    let addr = w.telemetry.prometheus_addr().unwrap();
    let (status, _, body) = request(
        addr,
        "GET",
        "/metrics",
        &[("Authorization", &format!("Bearer {TOKEN}"))],
        "",
    );
    assert_eq!(status, 200, "{body}");
    otelkit::testing::parse_exposition(&body).unwrap()
}
