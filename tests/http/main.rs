//! HTTP server telemetry, the admin endpoints and health checks, through a real
//! axum server on loopback driven by a real HTTP client. This binary installs
//! ferrotel globally, once, as a service would.

#[path = "../support/mod.rs"]
mod support;

mod admin;
mod example;
mod grpc;
mod process;
mod server;

use std::net::SocketAddr;
use std::sync::OnceLock;

pub(crate) use support::request;
use support::Receiver;

pub(crate) const TOKEN: &str = "test-token-0123456789";

pub(crate) struct World {
    pub(crate) telemetry: ferrotel::Telemetry,
    pub(crate) receiver: Receiver,
    /// The application (with the layer and the admin router merged in).
    pub(crate) app: SocketAddr,
    runtime: tokio::runtime::Runtime,
}

impl World {
    pub(crate) fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }
}

/// The one telemetry pipeline and application server of this test binary.
pub(crate) fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let support::Installed {
            telemetry,
            receiver,
            runtime,
        } = support::Installed::start(
            "http-test",
            &[
                ("FERROTEL_HEALTH_CACHE_TTL", "200"),
                ("FERROTEL_ADMIN_TOKEN", TOKEN),
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

/// The application's metrics, scraped from the built-in listener with the token.
pub fn scrape() -> ferrotel::testing::Scrape {
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
    ferrotel::testing::parse_exposition(&body).unwrap()
}
