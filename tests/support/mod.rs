//! Real parts for the integration tests: an OTLP receiver speaking gRPC (tonic)
//! and HTTP/protobuf that decodes what it gets, a black-hole server that accepts
//! connections and never answers, and a tiny HTTP client.
#![allow(dead_code, unreachable_pub, missing_debug_implementations)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::metrics::v1::Metric;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

/// One export request as it arrived.
#[derive(Debug, Clone)]
pub struct Received<T> {
    /// `grpc` or `http`.
    pub transport: &'static str,
    /// Lower-cased header names (gRPC metadata or HTTP headers).
    pub headers: HashMap<String, String>,
    pub body: T,
}

#[derive(Debug, Default)]
pub struct Store {
    pub traces: Mutex<Vec<Received<ExportTraceServiceRequest>>>,
    pub metrics: Mutex<Vec<Received<ExportMetricsServiceRequest>>>,
    pub logs: Mutex<Vec<Received<ExportLogsServiceRequest>>>,
}

/// A running OTLP receiver on loopback, on a runtime of its own.
#[derive(Clone)]
pub struct Receiver {
    pub grpc: SocketAddr,
    pub http: SocketAddr,
    pub store: Arc<Store>,
}

fn headers_of(map: &http::HeaderMap) -> HashMap<String, String> {
    map.iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                v.to_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

struct Grpc(Arc<Store>);

#[tonic::async_trait]
impl TraceService for Grpc {
    async fn export(
        &self,
        req: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let headers = headers_of(&req.metadata().clone().into_headers());
        self.0.traces.lock().unwrap().push(Received {
            transport: "grpc",
            headers,
            body: req.into_inner(),
        });
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Grpc {
    async fn export(
        &self,
        req: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        let headers = headers_of(&req.metadata().clone().into_headers());
        self.0.metrics.lock().unwrap().push(Received {
            transport: "grpc",
            headers,
            body: req.into_inner(),
        });
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl LogsService for Grpc {
    async fn export(
        &self,
        req: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, tonic::Status> {
        let headers = headers_of(&req.metadata().clone().into_headers());
        self.0.logs.lock().unwrap().push(Received {
            transport: "grpc",
            headers,
            body: req.into_inner(),
        });
        Ok(tonic::Response::new(ExportLogsServiceResponse::default()))
    }
}

async fn http_export(
    axum::extract::State(store): axum::extract::State<Arc<Store>>,
    axum::extract::Path(signal): axum::extract::Path<String>,
    headers: http::HeaderMap,
    body: axum::body::Bytes,
) -> (
    http::StatusCode,
    [(http::HeaderName, &'static str); 1],
    Vec<u8>,
) {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let ct = [(http::header::CONTENT_TYPE, "application/x-protobuf")];
    match content_type.as_str() {
        "application/x-protobuf" => {}
        // OTLP/JSON (http/json): decoded through the protobuf types' serde form.
        "application/json" => return json_export(&store, &signal, headers_of(&headers), &body),
        _ => return (http::StatusCode::UNSUPPORTED_MEDIA_TYPE, ct, Vec::new()),
    }
    let headers = headers_of(&headers);
    let ok = match signal.as_str() {
        "traces" => ExportTraceServiceRequest::decode(body).map(|b| {
            store.traces.lock().unwrap().push(Received {
                transport: "http",
                headers,
                body: b,
            });
            ExportTraceServiceResponse::default().encode_to_vec()
        }),
        "metrics" => ExportMetricsServiceRequest::decode(body).map(|b| {
            store.metrics.lock().unwrap().push(Received {
                transport: "http",
                headers,
                body: b,
            });
            ExportMetricsServiceResponse::default().encode_to_vec()
        }),
        "logs" => ExportLogsServiceRequest::decode(body).map(|b| {
            store.logs.lock().unwrap().push(Received {
                transport: "http",
                headers,
                body: b,
            });
            ExportLogsServiceResponse::default().encode_to_vec()
        }),
        _ => return (http::StatusCode::NOT_FOUND, ct, Vec::new()),
    };
    match ok {
        Ok(resp) => (http::StatusCode::OK, ct, resp),
        Err(_) => (http::StatusCode::BAD_REQUEST, ct, Vec::new()),
    }
}

fn json_export(
    store: &Store,
    signal: &str,
    headers: HashMap<String, String>,
    body: &[u8],
) -> (
    http::StatusCode,
    [(http::HeaderName, &'static str); 1],
    Vec<u8>,
) {
    let ct = [(http::header::CONTENT_TYPE, "application/json")];
    fn received<T>(headers: &HashMap<String, String>, body: T) -> Received<T> {
        Received {
            transport: "http",
            headers: headers.clone(),
            body,
        }
    }
    let ok = match signal {
        "traces" => serde_json::from_slice(body)
            .map(|b| store.traces.lock().unwrap().push(received(&headers, b))),
        "metrics" => serde_json::from_slice(body)
            .map(|b| store.metrics.lock().unwrap().push(received(&headers, b))),
        "logs" => serde_json::from_slice(body)
            .map(|b| store.logs.lock().unwrap().push(received(&headers, b))),
        _ => return (http::StatusCode::NOT_FOUND, ct, Vec::new()),
    };
    match ok {
        Ok(()) => (http::StatusCode::OK, ct, b"{}".to_vec()),
        Err(e) => (
            http::StatusCode::BAD_REQUEST,
            ct,
            e.to_string().into_bytes(),
        ),
    }
}

/// Certificates made for one test: a CA, a server certificate it signed for
/// `localhost` and `127.0.0.1`, and a client certificate it signed, as PEM files in a
/// directory of their own.
pub struct Pki {
    pub dir: std::path::PathBuf,
    pub ca: std::path::PathBuf,
    pub client_cert: std::path::PathBuf,
    pub client_key: std::path::PathBuf,
    ca_pem: String,
    server_cert: String,
    server_key: String,
}

impl Pki {
    pub fn new(name: &str) -> Pki {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        let dir = std::env::temp_dir().join(format!("ferrotel-pki-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, format!("ferrotel test CA {name}"));
        let ca_key = KeyPair::generate().unwrap();
        let ca_pem = ca_params.self_signed(&ca_key).unwrap().pem();
        let issuer = Issuer::new(ca_params, ca_key);
        let leaf = |sans: Vec<String>| {
            let key = KeyPair::generate().unwrap();
            let cert = CertificateParams::new(sans)
                .unwrap()
                .signed_by(&key, &issuer)
                .unwrap();
            (cert.pem(), key.serialize_pem())
        };
        let (server_cert, server_key) = leaf(vec!["localhost".into(), "127.0.0.1".into()]);
        let (client_cert, client_key) = leaf(vec!["client.test".into()]);
        let write = |file: &str, text: &str| {
            let path = dir.join(file);
            std::fs::write(&path, text).unwrap();
            path
        };
        Pki {
            ca: write("ca.pem", &ca_pem),
            client_cert: write("client.pem", &client_cert),
            client_key: write("client-key.pem", &client_key),
            dir,
            ca_pem,
            server_cert,
            server_key,
        }
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// How the receiver's listeners speak: plain, TLS, or TLS that asks for a client
/// certificate signed by the test CA.
#[derive(Clone)]
enum Listening {
    Plain,
    Tls {
        cert: String,
        key: String,
        client_ca: Option<String>,
    },
}

impl Receiver {
    /// Starts gRPC and HTTP listeners on free loopback ports.
    pub fn start() -> Receiver {
        Receiver::start_as(Listening::Plain)
    }

    /// Both listeners behind TLS with the PKI's server certificate; with `mutual`, a
    /// client certificate signed by its CA is required.
    pub fn start_tls(pki: &Pki, mutual: bool) -> Receiver {
        Receiver::start_as(Listening::Tls {
            cert: pki.server_cert.clone(),
            key: pki.server_key.clone(),
            client_ca: mutual.then(|| pki.ca_pem.clone()),
        })
    }

    fn start_as(listening: Listening) -> Receiver {
        let store = Arc::new(Store::default());
        let grpc_l = TcpListener::bind("127.0.0.1:0").unwrap();
        let http_l = TcpListener::bind("127.0.0.1:0").unwrap();
        let (grpc, http) = (grpc_l.local_addr().unwrap(), http_l.local_addr().unwrap());
        grpc_l.set_nonblocking(true).unwrap();
        http_l.set_nonblocking(true).unwrap();
        let s = store.clone();
        std::thread::Builder::new()
            .name("otlp-receiver".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let grpc_l = tokio::net::TcpListener::from_std(grpc_l).unwrap();
                    let http_l = tokio::net::TcpListener::from_std(http_l).unwrap();
                    // Gzip, as the collector's exporters send by default.
                    let gzip = tonic::codec::CompressionEncoding::Gzip;
                    let mut server = tonic::transport::Server::builder();
                    if let Listening::Tls {
                        cert,
                        key,
                        client_ca,
                    } = &listening
                    {
                        let mut tls = tonic::transport::ServerTlsConfig::new()
                            .identity(tonic::transport::Identity::from_pem(cert, key));
                        if let Some(ca) = client_ca {
                            tls = tls.client_ca_root(tonic::transport::Certificate::from_pem(ca));
                        }
                        server = server.tls_config(tls).unwrap();
                    }
                    let grpc = server
                        .add_service(
                            TraceServiceServer::new(Grpc(s.clone())).accept_compressed(gzip),
                        )
                        .add_service(
                            MetricsServiceServer::new(Grpc(s.clone())).accept_compressed(gzip),
                        )
                        .add_service(
                            LogsServiceServer::new(Grpc(s.clone())).accept_compressed(gzip),
                        )
                        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(grpc_l));
                    // What the client sent is kept as x-received-content-encoding: the
                    // decompression below removes content-encoding.
                    let app = axum::Router::new()
                        .route("/v1/{signal}", axum::routing::post(http_export))
                        .layer(tower_http::decompression::RequestDecompressionLayer::new())
                        .layer(axum::middleware::map_request(
                            |mut req: axum::extract::Request| async move {
                                if let Some(v) = req.headers().get("content-encoding").cloned() {
                                    req.headers_mut().insert("x-received-content-encoding", v);
                                }
                                req
                            },
                        ))
                        .with_state(s);
                    let http = async move {
                        match &listening {
                            Listening::Plain => axum::serve(http_l, app).await,
                            Listening::Tls {
                                cert,
                                key,
                                client_ca,
                            } => {
                                let config = rustls_server(cert, key, client_ca.as_deref());
                                axum_server::from_tcp_rustls(
                                    http_l.into_std().unwrap(),
                                    axum_server::tls_rustls::RustlsConfig::from_config(config),
                                )
                                .unwrap()
                                .serve(app.into_make_service())
                                .await
                            }
                        }
                    };
                    let _ = tokio::join!(grpc, http);
                });
            })
            .unwrap();
        Receiver { grpc, http, store }
    }

    /// The base `https://` endpoint (by name, as the certificate says) for a protocol.
    pub fn tls_endpoint(&self, protocol: &str) -> String {
        match protocol {
            "grpc" => format!("https://localhost:{}", self.grpc.port()),
            _ => format!("https://localhost:{}", self.http.port()),
        }
    }

    /// The base endpoint for a protocol name as `OTEL_EXPORTER_OTLP_PROTOCOL` spells it.
    pub fn endpoint(&self, protocol: &str) -> String {
        match protocol {
            "grpc" => format!("http://{}", self.grpc),
            _ => format!("http://{}", self.http),
        }
    }

    pub fn spans(&self) -> Vec<(Resource, Span)> {
        let mut out = Vec::new();
        for r in self.store.traces.lock().unwrap().iter() {
            for rs in &r.body.resource_spans {
                for ss in &rs.scope_spans {
                    for s in &ss.spans {
                        out.push((rs.resource.clone().unwrap_or_default(), s.clone()));
                    }
                }
            }
        }
        out
    }

    /// The first log record of trace `trace_id` whose body contains `text`.
    pub fn log_saying(&self, trace_id: &[u8], text: &str) -> Option<LogRecord> {
        self.logs().into_iter().map(|(_, l)| l).find(|l| {
            l.trace_id == trace_id
                && l.body
                    .as_ref()
                    .and_then(|b| b.value.as_ref())
                    .is_some_and(|v| format!("{v:?}").contains(text))
        })
    }

    pub fn logs(&self) -> Vec<(Resource, LogRecord)> {
        let mut out = Vec::new();
        for r in self.store.logs.lock().unwrap().iter() {
            for rl in &r.body.resource_logs {
                for sl in &rl.scope_logs {
                    for l in &sl.log_records {
                        out.push((rl.resource.clone().unwrap_or_default(), l.clone()));
                    }
                }
            }
        }
        out
    }

    pub fn metrics(&self) -> Vec<(Resource, Metric)> {
        let mut out = Vec::new();
        for r in self.store.metrics.lock().unwrap().iter() {
            for rm in &r.body.resource_metrics {
                for sm in &rm.scope_metrics {
                    for m in &sm.metrics {
                        out.push((rm.resource.clone().unwrap_or_default(), m.clone()));
                    }
                }
            }
        }
        out
    }

    /// Headers of every request of every signal, with the signal's name.
    pub fn headers(&self) -> Vec<(&'static str, &'static str, HashMap<String, String>)> {
        let mut out = Vec::new();
        for r in self.store.traces.lock().unwrap().iter() {
            out.push(("traces", r.transport, r.headers.clone()));
        }
        for r in self.store.metrics.lock().unwrap().iter() {
            out.push(("metrics", r.transport, r.headers.clone()));
        }
        for r in self.store.logs.lock().unwrap().iter() {
            out.push(("logs", r.transport, r.headers.clone()));
        }
        out
    }

    /// Polls until `done` holds; panics with `what` after a generous bound.
    pub fn wait_for(&self, what: &str, done: impl Fn(&Receiver) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the receiver never saw {what}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A string attribute of a resource, span or log record.
/// A rustls server configuration (aws-lc-rs) for the receiver's HTTP listener.
fn rustls_server(cert: &str, key: &str, client_ca: Option<&str>) -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let certs: Vec<_> = CertificateDer::pem_slice_iter(cert.as_bytes())
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in CertificateDer::pem_slice_iter(ca.as_bytes()) {
                roots.add(c.unwrap()).unwrap();
            }
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(certs, key).unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

pub fn attr(attrs: &[KeyValue], key: &str) -> Option<String> {
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| {
        match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(s) => Some(s.clone()),
            any_value::Value::IntValue(i) => Some(i.to_string()),
            any_value::Value::BoolValue(b) => Some(b.to_string()),
            any_value::Value::DoubleValue(d) => Some(d.to_string()),
            _ => None,
        }
    })
}

/// Serves `app` on a free loopback port from a thread of its own (with its own
/// single-threaded runtime, so it answers whatever the caller's runtime is doing).
pub fn serve_on_thread(app: axum::Router) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    l.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::from_std(l).unwrap();
            axum::serve(l, app).await.unwrap();
        });
    });
    addr
}

/// The repository's root folder.
pub fn root() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A YAML file of the repository (or an absolute path), parsed; panics naming the file.
pub fn yaml(path: &str) -> serde_norway::Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `grafana/dashboards/*.json`, parsed, by file name in name order.
pub fn dashboards() -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root().join("grafana/dashboards")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let v = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            out.push((path.file_name().unwrap().to_string_lossy().into_owned(), v));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Accepts TCP connections and never answers: a collector that black-holes.
pub fn black_hole() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            held.push(s);
        }
    });
    addr
}

/// A loopback address where nothing listens.
pub fn dead_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// `GET` over plain HTTP/1.1; returns the status code and body.
pub fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let (status, _, body) = request(addr, "GET", path, &[], "");
    (status, body)
}

/// A raw HTTP/1.1 request; returns status, headers (lower-cased names) and body.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
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
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, headers, body)
}

/// The body of a chunked HTTP/1.1 response.
pub fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    out
}

/// Scrapes and parses a Prometheus endpoint.
pub fn scrape(addr: SocketAddr) -> ferrotel::testing::Scrape {
    let (status, body) = http_get(addr, "/metrics");
    assert_eq!(status, 200, "GET /metrics answered {status}: {body}");
    ferrotel::testing::parse_exposition(&body).expect("the exposition parses")
}

/// The example running as a child process, its standard output read line by line.
pub struct Example {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    name: String,
}

impl Example {
    /// Starts `target/…/examples/NAME` with a clean environment plus `env`.
    pub fn start(name: &str, env: &[(&str, &str)]) -> Example {
        Example::start_with_args(name, &[], env)
    }

    /// Like [`start`](Example::start), with command-line arguments.
    pub fn start_with_args(name: &str, args: &[&str], env: &[(&str, &str)]) -> Example {
        // target/debug/deps/TEST-HASH -> target/debug/examples/NAME
        let exe = std::env::current_exe().unwrap();
        let path = exe
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join("examples")
            .join(name);
        assert!(
            path.exists(),
            "{} is missing: `cargo test` builds the examples",
            path.display()
        );
        let mut child = Command::new(path)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("OTEL_EXPORTER_PROMETHEUS_PORT", "0")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Example {
            child,
            lines,
            seen: Vec::new(),
            name: name.to_string(),
        }
    }

    /// Every line read so far.
    pub fn printed(&self) -> &[String] {
        &self.seen
    }

    /// The example's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The example's resident memory in bytes (Linux: `/proc/PID/status`).
    pub fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status");
        kb * 1024
    }

    /// The next line that satisfies `pred`; panics after a generous bound.
    pub fn next(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let left = Duration::from_secs(60).saturating_sub(start.elapsed());
            let Ok(line) = self.lines.recv_timeout(left) else {
                panic!(
                    "{} never printed {what}; printed {:#?}",
                    self.name, self.seen
                );
            };
            self.seen.push(line.clone());
            if pred(&line) {
                return line;
            }
        }
    }

    /// The `host:port` of the first `http://` URL on the line containing `marker`.
    pub fn url_after(&mut self, marker: &str) -> std::net::SocketAddr {
        let line = self.next(marker, |l| l.contains(marker));
        let url = line.split("http://").nth(1).unwrap();
        let hostport = url.split(['/', ' ']).next().unwrap();
        hostport
            .parse()
            .unwrap_or_else(|_| panic!("no address in {line:?}"))
    }

    /// Waits for the example to exit by itself, successfully; returns everything it printed.
    pub fn wait_success(mut self) -> Vec<String> {
        let start = Instant::now();
        let exit = loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                break exit;
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "{} did not finish",
                self.name
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        assert!(
            exit.success(),
            "{} exited with {exit}; printed {:#?}",
            self.name,
            self.seen
        );
        std::mem::take(&mut self.seen)
    }

    /// Sends SIGTERM and waits for a successful exit; returns what it printed after.
    pub fn stop(mut self) -> Vec<String> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let start = Instant::now();
        let exit = loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                break exit;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the example did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(exit.success(), "the example exited with {exit}");
        let mut rest = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            rest.push(line);
        }
        rest
    }
}

impl Drop for Example {
    /// A test that fails midway must not leave the example running (it would hold the
    /// test runner's output pipe open).
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A real `redis-server` on a loopback port, killed when dropped.
pub struct RedisServer {
    pub port: u16,
    child: Child,
}

impl RedisServer {
    /// Starts `redis-server` (Debian's package; `scripts/test` installs it) on `port`
    /// (0: a free one) and waits until it accepts connections.
    pub fn start(port: u16) -> RedisServer {
        let port = if port == 0 { dead_addr().port() } else { port };
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("redis-server is not installed: run scripts/test, which installs it, or apt-get install redis-server");
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "redis-server did not start on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        RedisServer { port, child }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A PostgreSQL server of its own (Debian's `postgresql` package; `scripts/test` installs
/// it) in a fresh data directory on a free loopback port, stopped and removed when
/// dropped. As root it runs as the package's `postgres` user (the server refuses root).
pub struct PostgresServer {
    pub port: u16,
    child: Child,
    dir: std::path::PathBuf,
}

impl PostgresServer {
    pub fn start(name: &str) -> PostgresServer {
        use std::os::unix::process::CommandExt;
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| {
                versions
                    .filter_map(Result::ok)
                    .map(|v| v.path().join("bin"))
                    .filter(|b| b.join("initdb").exists())
                    .max()
            })
            .expect("PostgreSQL is not installed: run scripts/test, which installs Debian's postgresql package");
        let dir = std::env::temp_dir().join(format!("ferrotel-pg-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // The server refuses to run as root: then it runs as the package's user, who owns
        // the directory.
        let root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| o.stdout == b"0\n")
            .unwrap_or(false);
        let user = root.then(|| {
            let id = |flag: &str| -> u32 {
                let out = Command::new("id")
                    .args([flag, "postgres"])
                    .output()
                    .unwrap();
                String::from_utf8(out.stdout)
                    .unwrap()
                    .trim()
                    .parse()
                    .expect("the postgres user")
            };
            let (uid, gid) = (id("-u"), id("-g"));
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).unwrap();
            (uid, gid)
        });
        let as_user = |cmd: &mut Command| {
            if let Some((uid, gid)) = user {
                cmd.uid(uid).gid(gid);
            }
        };
        let data = dir.join("data");
        let mut initdb = Command::new(bin.join("initdb"));
        initdb
            .args([
                "-A",
                "trust",
                "-U",
                "ferrotel",
                "-E",
                "UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(&data);
        as_user(&mut initdb);
        let out = initdb.output().unwrap();
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = dead_addr().port();
        let mut server = Command::new(bin.join("postgres"));
        server
            .arg("-D")
            .arg(&data)
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-c",
                "fsync=off",
                "-c",
                "full_page_writes=off",
                "-k",
            ])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        as_user(&mut server);
        let child = server.spawn().unwrap();
        let start = Instant::now();
        loop {
            let ready = Command::new(bin.join("pg_isready"))
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                    "-U",
                    "ferrotel",
                    "-q",
                ])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "postgres did not start on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        PostgresServer { port, child, dir }
    }

    pub fn url(&self) -> String {
        format!("postgres://ferrotel@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        // SIGINT: a "fast" shutdown, which ends open connections.
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// ferrotel installed globally, as a service would, exporting to a receiver of its
/// own, with a multi-thread runtime for the test's async parts.
pub struct Installed {
    pub telemetry: ferrotel::Telemetry,
    pub receiver: Receiver,
    pub runtime: tokio::runtime::Runtime,
}

impl Installed {
    /// `init` with OTLP over gRPC to a fresh receiver, fast batches, Prometheus on a
    /// free port, plus `extra` variables. Call once per test binary.
    pub fn start(service: &str, extra: &[(&str, &str)]) -> Installed {
        Installed::start_with_layers(service, extra, Vec::new())
    }

    /// As [`start`](Installed::start), with the application's own `tracing` layers.
    pub fn start_with_layers(
        service: &str,
        extra: &[(&str, &str)],
        layers: Vec<ferrotel::BoxedLayer>,
    ) -> Installed {
        let receiver = Receiver::start();
        let endpoint = receiver.endpoint("grpc");
        let mut vars = vec![
            ("OTEL_SERVICE_NAME", service),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_BSP_SCHEDULE_DELAY", "50"),
            ("OTEL_BLRP_SCHEDULE_DELAY", "50"),
            ("OTEL_EXPORTER_PROMETHEUS_PORT", "0"),
        ];
        vars.extend_from_slice(extra);
        let telemetry =
            ferrotel::init_with_layers(ferrotel::Config::from_vars(vars).unwrap(), layers)
                .expect("global init");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        // Built after init, so its metrics are registered by hand.
        telemetry.observe_runtime(runtime.handle().clone());
        Installed {
            telemetry,
            receiver,
            runtime,
        }
    }

    /// The exposition, parsed.
    pub fn scrape(&self) -> ferrotel::testing::Scrape {
        ferrotel::testing::parse_exposition(&self.telemetry.prometheus_exposition().unwrap())
            .unwrap()
    }
}

/// A TCP forwarder to `target` that can be cut, standing in for a backend outage: while
/// down it closes every connection it holds and every new one at once.
pub struct Switch {
    pub addr: SocketAddr,
    up: Arc<std::sync::atomic::AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Switch {
    /// Starts forwarding from a free loopback port to `target`, up.
    pub fn start(target: SocketAddr) -> Switch {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (up2, open2) = (up.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                if !up2.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // dropped: closed at once
                }
                let Ok(server) = TcpStream::connect(target) else {
                    continue;
                };
                for s in [&client, &server] {
                    open2.lock().unwrap().push(s.try_clone().unwrap());
                }
                let pipe = |mut from: TcpStream, mut to: TcpStream| {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                };
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
        });
        Switch { addr, up, open }
    }

    /// Cuts (`false`) or restores (`true`) the connection to the target.
    pub fn set(&self, up: bool) {
        self.up.store(up, std::sync::atomic::Ordering::SeqCst);
        if !up {
            for s in self.open.lock().unwrap().drain(..) {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        }
    }
}
