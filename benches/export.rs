//! The export path under load: spans delivered per second to a local OTLP receiver
//! (gRPC and HTTP/protobuf, default batch settings), ferrotel's pipeline against the raw
//! SDK's (`BatchSpanProcessor` + opentelemetry-otlp), in one process run.
//!
//! ```text
//! cargo bench --bench export
//! ```
//!
//! For each transport and side: a tight loop for 3 s (the rate produced and the rate
//! delivered, the share dropped); a producer paced at 50,000 spans/s for 5 s (spans
//! dropped); the highest of a ladder of paced rates (3 s each) with nothing dropped.
//! Spans are made through the OpenTelemetry tracer API on both sides (a server span with
//! five attributes), so only the export path differs; one row also makes them as
//! `tracing` spans through ferrotel's subscriber, what an application does. The receiver
//! decodes every request (tonic's generated service; prost for HTTP) and counts spans.
//! Prints a Markdown table for BENCHMARKS.md.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry::trace::{Span, SpanKind, Tracer, TracerProvider};
use opentelemetry::KeyValue;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;

/// Counts the spans of every request it decodes.
#[derive(Clone, Default)]
struct Count(Arc<AtomicU64>);

impl Count {
    fn add(&self, req: &ExportTraceServiceRequest) {
        let n: usize = req
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len())
            .sum();
        self.0.fetch_add(n as u64, Ordering::Relaxed);
    }
    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[tonic::async_trait]
impl TraceService for Count {
    async fn export(
        &self,
        req: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.add(req.get_ref());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

/// A receiver on loopback, on a runtime of its own (two workers: it must not be what
/// limits the rate).
struct Receiver {
    grpc: SocketAddr,
    http: SocketAddr,
    count: Count,
    _rt: tokio::runtime::Runtime,
}

impl Receiver {
    fn start() -> Receiver {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let count = Count::default();
        let (grpc, http) = rt.block_on(async {
            let g = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let h = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            (g, h)
        });
        let (grpc_addr, http_addr) = (grpc.local_addr().unwrap(), http.local_addr().unwrap());
        let svc = TraceServiceServer::new(count.clone());
        rt.spawn(async move {
            // Flow-control windows that grow with the traffic, as the collector's gRPC
            // server (grpc-go's BDP estimation) has: h2's fixed 64 KiB window would make
            // every 100 KiB batch wait for window updates.
            tonic::transport::Server::builder()
                .http2_adaptive_window(Some(true))
                .add_service(svc)
                .serve_with_incoming(tokio_stream_from(grpc))
                .await
                .unwrap();
        });
        let c = count.clone();
        let app = axum::Router::new().route(
            "/v1/traces",
            axum::routing::post(move |body: axum::body::Bytes| {
                let c = c.clone();
                async move {
                    match ExportTraceServiceRequest::decode(body) {
                        Ok(req) => {
                            c.add(&req);
                            (axum::http::StatusCode::OK, Vec::new())
                        }
                        Err(_) => (axum::http::StatusCode::BAD_REQUEST, Vec::new()),
                    }
                }
            }),
        );
        rt.spawn(async move { axum::serve(http, app).await.unwrap() });
        Receiver {
            grpc: grpc_addr,
            http: http_addr,
            count,
            _rt: rt,
        }
    }

    fn endpoint(&self, transport: &str) -> String {
        match transport {
            "grpc" => format!("http://{}", self.grpc),
            _ => format!("http://{}", self.http),
        }
    }

    /// Waits until the count stops moving (every export in flight has landed).
    fn settled(&self) -> u64 {
        let mut last = self.count.get();
        loop {
            std::thread::sleep(Duration::from_millis(300));
            let now = self.count.get();
            if now == last {
                return now;
            }
            last = now;
        }
    }
}

fn tokio_stream_from(
    listener: tokio::net::TcpListener,
) -> impl futures_util::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    futures_util::stream::unfold(listener, |l| async move {
        let conn = l.accept().await.map(|(s, _)| s);
        Some((conn, l))
    })
}

/// One span as a server would make it.
fn span_via_api(tracer: &opentelemetry_sdk::trace::SdkTracer, i: u64) {
    let mut span = tracer
        .span_builder("GET /users/{id}")
        .with_kind(SpanKind::Server)
        .with_attributes([
            KeyValue::new("http.request.method", "GET"),
            KeyValue::new("http.route", "/users/{id}"),
            KeyValue::new("url.scheme", "http"),
            KeyValue::new("network.protocol.version", "1.1"),
            KeyValue::new("http.response.status_code", 200 + (i % 2) as i64),
        ])
        .start(tracer);
    span.end();
}

/// How spans are made on one side.
enum Producer {
    Api(opentelemetry_sdk::trace::SdkTracer),
    Tracing(tracing::Dispatch),
}

impl Producer {
    fn one(&self, i: u64) {
        match self {
            Producer::Api(t) => span_via_api(t, i),
            Producer::Tracing(d) => tracing::dispatcher::with_default(d, || {
                let span = tracing::info_span!(
                    "GET /users/{id}",
                    otel.kind = "server",
                    http.request.method = "GET",
                    http.route = "/users/{id}",
                    url.scheme = "http",
                    network.protocol.version = "1.1",
                    http.response.status_code = 200 + (i % 2) as i64,
                );
                drop(span.enter());
            }),
        }
    }

    /// Makes spans for `secs` seconds, at `rate` per second (`None`: as fast as it can).
    fn run(&self, secs: f64, rate: Option<u64>) -> u64 {
        let start = Instant::now();
        let end = Duration::from_secs_f64(secs);
        let mut n = 0u64;
        match rate {
            None => {
                while start.elapsed() < end {
                    for _ in 0..256 {
                        self.one(n);
                        n += 1;
                    }
                }
            }
            Some(rate) => {
                // Chunks of one millisecond's spans, each started on schedule (late
                // chunks catch up at once, so the rate holds on average).
                let per_ms = (rate / 1000).max(1);
                let mut ms = 0u64;
                while start.elapsed() < end {
                    // Sleep until due: a spinning producer would take the CPU the
                    // export path needs (two cores here), which no service does.
                    let due = start + Duration::from_millis(ms);
                    let now = Instant::now();
                    if due > now {
                        std::thread::sleep(due - now);
                    }
                    for _ in 0..per_ms {
                        self.one(n);
                        n += 1;
                    }
                    ms += 1;
                }
            }
        }
        n
    }
}

/// One side's pipeline: its producer and how to flush and stop it.
struct Side {
    producer: Producer,
    flush: Box<dyn Fn()>,
}

fn ferrotel_side(
    endpoint: &str,
    transport: &str,
    via_tracing: bool,
) -> (Side, Arc<ferrotel::Telemetry>) {
    let protocol = if transport == "grpc" {
        "grpc"
    } else {
        "http/protobuf"
    };
    // EXPORT_BENCH_CONCURRENT=1 compares one export at a time (the SDK's way).
    let concurrent = std::env::var("EXPORT_BENCH_CONCURRENT").unwrap_or_else(|_| "2".into());
    let telemetry = ferrotel::init(
        ferrotel::Config::from_vars([
            ("OTEL_BSP_MAX_CONCURRENT_EXPORTS", concurrent.as_str()),
            ("OTEL_SERVICE_NAME", "export-bench"),
            ("OTEL_TRACES_EXPORTER", "otlp"),
            ("OTEL_METRICS_EXPORTER", "none"),
            ("OTEL_LOGS_EXPORTER", "none"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("FERROTEL_STARTUP_LOG", "false"),
            ("RUST_LOG", "info"),
        ])
        .unwrap()
        .without_global_subscriber(),
    )
    .unwrap();
    let telemetry = Arc::new(telemetry);
    let producer = if via_tracing {
        Producer::Tracing(telemetry.dispatch().clone())
    } else {
        Producer::Api(telemetry.tracer_provider().unwrap().tracer("bench"))
    };
    let t = telemetry.clone();
    let side = Side {
        producer,
        flush: Box::new(move || {
            let _ = t.force_flush();
        }),
    };
    (side, telemetry)
}

fn sdk_side(endpoint: &str, transport: &str, rt: &tokio::runtime::Runtime) -> Side {
    use opentelemetry_otlp::{SpanExporter, WithExportConfig, WithHttpConfig};
    // The SDK's default HTTP client: reqwest's blocking one (made outside the runtime).
    let blocking = reqwest::blocking::Client::new();
    let _in_rt = rt.enter();
    let exporter = if transport == "grpc" {
        SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()
            .unwrap()
    } else {
        SpanExporter::builder()
            .with_http()
            .with_http_client(blocking)
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_endpoint(format!("{endpoint}/v1/traces"))
            .build()
            .unwrap()
    };
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .build();
    let p = provider.clone();
    Side {
        producer: Producer::Api(provider.tracer("bench")),
        flush: Box::new(move || {
            let _ = p.force_flush();
        }),
    }
}

struct Row {
    name: String,
    produced_per_s: f64,
    delivered_per_s: f64,
    dropped_tight: f64,
    dropped_at_50k: u64,
    sent_at_50k: u64,
    max_clean: Option<u64>,
}

fn measure(name: &str, side: &Side, receiver: &Receiver) -> Row {
    let before = receiver.settled();
    let secs = 3.0;
    let t = Instant::now();
    let made = side.producer.run(secs, None);
    let took = t.elapsed().as_secs_f64();
    (side.flush)();
    let delivered = receiver.settled() - before;
    let row_tight = (
        made as f64 / took,
        delivered as f64 / took,
        1.0 - delivered as f64 / made as f64,
    );

    let before = receiver.settled();
    let sent_at_50k = side.producer.run(5.0, Some(50_000));
    (side.flush)();
    let dropped_at_50k = sent_at_50k.saturating_sub(receiver.settled() - before);

    let mut max_clean = None;
    for rate in [50_000, 100_000, 150_000, 200_000, 300_000, 400_000, 600_000] {
        let before = receiver.settled();
        let sent = side.producer.run(3.0, Some(rate));
        (side.flush)();
        let got = receiver.settled() - before;
        eprintln!("  {name} at {rate}/s: sent {sent}, delivered {got}");
        // The producer may not keep up with the rate asked: it must have made at least
        // 95 % of it for the rate to count.
        if got < sent || (sent as f64) < 0.95 * 3.0 * rate as f64 {
            break;
        }
        max_clean = Some(rate);
    }
    let row = Row {
        name: name.to_string(),
        produced_per_s: row_tight.0,
        delivered_per_s: row_tight.1,
        dropped_tight: row_tight.2,
        dropped_at_50k,
        sent_at_50k,
        max_clean,
    };
    eprintln!(
        "{name}: produced {:.0}/s, delivered {:.0}/s ({:.1} % dropped); at 50k/s {} of {} dropped; highest clean rate {:?}",
        row.produced_per_s,
        row.delivered_per_s,
        row.dropped_tight * 100.0,
        row.dropped_at_50k,
        row.sent_at_50k,
        row.max_clean
    );
    row
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would run this as a test: skip.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    if std::env::var_os("EXPORT_BENCH_DEBUG").is_some() {
        // The SDK's own diagnostics, on the console.
        tracing::subscriber::set_global_default(
            tracing_subscriber::fmt()
                .with_env_filter(
                    "opentelemetry=debug,opentelemetry_sdk=debug,opentelemetry_otlp=debug",
                )
                .finish(),
        )
        .unwrap();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    let only = std::env::var("EXPORT_BENCH_ONLY").ok();
    for transport in ["grpc", "http"] {
        if only.as_deref().is_some_and(|o| o != transport) {
            continue;
        }
        let receiver = Receiver::start();
        let endpoint = receiver.endpoint(transport);
        let sdk = sdk_side(&endpoint, transport, &rt);
        rows.push(measure(&format!("raw SDK, {transport}"), &sdk, &receiver));
        let (side, telemetry) = ferrotel_side(&endpoint, transport, false);
        rows.push(measure(&format!("ferrotel, {transport}"), &side, &receiver));
        let _ = telemetry.shutdown();
        let (side, telemetry) = ferrotel_side(&endpoint, transport, true);
        rows.push(measure(
            &format!("ferrotel via `tracing`, {transport}"),
            &side,
            &receiver,
        ));
        let _ = telemetry.shutdown();
    }
    println!("| pipeline, transport | produced (tight loop) | delivered | dropped | dropped at 50k spans/s (5 s) | highest paced rate with 0 dropped |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {:.0}k/s | {:.0}k/s | {:.1} % | {} of {} | {} |",
            r.name,
            r.produced_per_s / 1000.0,
            r.delivered_per_s / 1000.0,
            r.dropped_tight * 100.0,
            r.dropped_at_50k,
            r.sent_at_50k,
            r.max_clean
                .map_or("none of the ladder".to_string(), |m| format!(
                    "{}k/s",
                    m / 1000
                )),
        );
    }
}
