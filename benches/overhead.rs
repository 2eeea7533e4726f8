//! What ferrotel costs on the hot path, side by side with the raw OpenTelemetry SDK and
//! peer crates, in one process with one SDK pipeline (ferrotel::init: spans exported over
//! OTLP/HTTP to a local sink that answers 200, metrics to the Prometheus reader).
//!
//! ```text
//! cargo bench --bench overhead                                  # sampler: parentbased_always_on
//! OTEL_TRACES_SAMPLER=always_off cargo bench --bench overhead   # spans the sampler drops
//! ```
//!
//! Besides criterion's timings it prints heap allocations per operation (a global
//! allocator counting the calling thread's allocations, 1,000 operations each) and the spans dropped at a full export queue,
//! which BENCHMARKS.md records with the timings.

#[path = "../tests/support/mod.rs"]
mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use axum::Router;
use criterion::{criterion_group, criterion_main, Criterion};
use opentelemetry::metrics::MeterProvider;
use opentelemetry::KeyValue;
use tower::ServiceExt;

struct Counting;

thread_local! {
    /// Allocations made by this thread: the exporter's thread allocates too, at its own
    /// pace, and must not be counted against the operation measured.
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn count_one() {
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

// The one unsafe code in the repository: a GlobalAlloc must be an unsafe impl.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations per call of `f` on this thread, over 1,000 calls after 100 warm-up calls.
fn allocs_per_op(mut f: impl FnMut()) -> f64 {
    for _ in 0..100 {
        f();
    }
    let before = ALLOCS.with(Cell::get);
    for _ in 0..1000 {
        f();
    }
    (ALLOCS.with(Cell::get) - before) as f64 / 1000.0
}

/// An OTLP/HTTP endpoint that accepts everything (an empty protobuf response is a valid
/// Export*ServiceResponse), on its own thread.
fn sink() -> String {
    let app = Router::new()
        .route(
            "/v1/{signal}",
            axum::routing::post(|| async {
                (
                    [("content-type", "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }),
        )
        // A batch of 8,192 spans is larger than axum's default 2 MB limit.
        .layer(axum::extract::DefaultBodyLimit::disable());
    format!("http://{}", support::serve_on_thread(app))
}

fn routes() -> Router {
    Router::new().route("/users/{id}", get(|| async { "ok" }))
}

fn request() -> Request<Body> {
    Request::builder()
        .uri("/users/42?fields=name")
        .header("user-agent", "bench")
        .body(Body::empty())
        .unwrap()
}

/// The wall time of `threads` threads each running `op` `iters` times at once.
fn on_threads(threads: usize, iters: u64, op: impl Fn() + Sync) -> Duration {
    let start = std::time::Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..iters {
                    op();
                }
            });
        }
    });
    start.elapsed()
}

fn benches(c: &mut Criterion) {
    let sampler =
        std::env::var("OTEL_TRACES_SAMPLER").unwrap_or_else(|_| "parentbased_always_on".into());
    let endpoint = sink();
    let config = ferrotel::Config::from_vars([
        ("OTEL_SERVICE_NAME", "bench"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_TRACES_SAMPLER", sampler.as_str()),
        ("OTEL_METRICS_EXPORTER", "prometheus"),
        ("OTEL_LOGS_EXPORTER", "none"),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "65536"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "8192"),
        ("OTEL_EXPORTER_PROMETHEUS_PORT", "0"),
        // INFO spans are recorded (every instrumentation below creates its spans at INFO);
        // nothing on the hot path logs an event, so the console stays quiet.
        ("RUST_LOG", "info"),
        // As services run in production: JSON lines (OTEL_BENCH_LOG_FORMAT=text to compare).
        (
            "FERROTEL_LOG_FORMAT",
            if std::env::var("OTEL_BENCH_LOG_FORMAT").as_deref() == Ok("text") {
                "text"
            } else {
                "json"
            },
        ),
    ])
    .expect("bench config");
    let telemetry = ferrotel::init(config).expect("ferrotel::init");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();

    let mut allocs: Vec<(String, f64)> = Vec::new();

    // Metrics: one counter add and one histogram record with three attributes.
    let meter = telemetry
        .meter_provider()
        .expect("a meter provider")
        .meter("bench");
    let counter = meter.u64_counter("bench.requests").build();
    let histogram = meter.f64_histogram("bench.duration").with_unit("s").build();
    let attrs = [
        KeyValue::new("http.request.method", "GET"),
        KeyValue::new("http.route", "/users/{id}"),
        KeyValue::new("http.response.status_code", 200),
    ];
    let cache = ferrotel::cache::Cache::new("answers");
    let mut g = c.benchmark_group("metrics");
    g.bench_function("raw OTel counter add, 3 attributes built per call", |b| {
        b.iter(|| {
            counter.add(
                1,
                &[
                    KeyValue::new("http.request.method", "GET"),
                    KeyValue::new("http.route", "/users/{id}"),
                    KeyValue::new("http.response.status_code", 200),
                ],
            )
        })
    });
    g.bench_function("raw OTel counter add, 3 attributes prebuilt", |b| {
        b.iter(|| counter.add(1, black_box(&attrs)))
    });
    g.bench_function("raw OTel histogram record, 3 attributes prebuilt", |b| {
        b.iter(|| histogram.record(black_box(0.0123), black_box(&attrs)))
    });
    // The SDK's bound instruments (feature `experimental_metrics_bound_instruments`), which
    // ferrotel's handles record through once an attribute set is resolved.
    let bound_counter = counter.bind(&attrs);
    let bound_histogram = histogram.bind(&attrs);
    g.bench_function("raw OTel counter add, bound to 3 attributes", |b| {
        b.iter(|| bound_counter.add(black_box(1)))
    });
    g.bench_function("raw OTel histogram record, bound to 3 attributes", |b| {
        b.iter(|| bound_histogram.record(black_box(0.0123)))
    });
    g.bench_function("ferrotel cache lookup (counter + histogram + timer)", |b| {
        b.iter(|| cache.start("get").hit())
    });
    g.finish();
    allocs.push((
        "raw OTel counter add, 3 attributes built per call".into(),
        allocs_per_op(|| {
            counter.add(
                1,
                &[
                    KeyValue::new("http.request.method", "GET"),
                    KeyValue::new("http.route", "/users/{id}"),
                    KeyValue::new("http.response.status_code", 200),
                ],
            )
        }),
    ));
    allocs.push((
        "raw OTel counter add, 3 attributes prebuilt".into(),
        allocs_per_op(|| counter.add(1, &attrs)),
    ));
    allocs.push((
        "raw OTel counter add, bound to 3 attributes".into(),
        allocs_per_op(|| bound_counter.add(1)),
    ));
    allocs.push((
        "ferrotel cache lookup (counter + histogram + timer)".into(),
        allocs_per_op(|| cache.start("get").hit()),
    ));

    // Spans: a `tracing` span through tracing-opentelemetry, with ferrotel's pipeline.
    let mut g = c.benchmark_group("spans");
    g.bench_function(
        format!("tracing span, entered and closed (sampler {sampler})"),
        |b| {
            b.iter(|| {
                let span = tracing::info_span!("work", user.id = 42);
                let _g = span.enter();
            })
        },
    );
    g.bench_function(
        format!("server-span shaped tracing span, 10 fields (sampler {sampler})"),
        |b| {
            b.iter(|| {
                let span = tracing::info_span!(
                    target: "ferrotel::http",
                    "HTTP request",
                    otel.name = %"GET /users/{id}",
                    otel.kind = "server",
                    otel.status_code = tracing::field::Empty,
                    http.request.method = "GET",
                    http.route = "/users/{id}",
                    url.path = "/users/42",
                    url.scheme = "http",
                    network.protocol.version = "1.1",
                    http.response.status_code = tracing::field::Empty,
                    error.type = tracing::field::Empty,
                );
                span.record("http.response.status_code", 200);
                let _g = span.enter();
            })
        },
    );
    let headers = request().headers().clone();
    g.bench_function("context extraction, no traceparent", |b| {
        b.iter(|| ferrotel::propagation::extract(black_box(&headers)))
    });
    g.finish();
    allocs.push((
        format!("tracing span (sampler {sampler})"),
        allocs_per_op(|| {
            let span = tracing::info_span!("work", user.id = 42);
            let _g = span.enter();
        }),
    ));

    // HTTP: one request through an axum router, in process (no sockets), with each
    // instrumentation layer; the same handler and route everywhere.
    let variants: Vec<(&str, Router)> = vec![
        ("axum, no instrumentation", routes()),
        (
            "ferrotel ServerLayer",
            routes().layer(ferrotel::http::ServerLayer::new()),
        ),
        (
            "tower-http TraceLayer (spans only)",
            routes().layer(
                tower_http::trace::TraceLayer::new_for_http().make_span_with(
                    tower_http::trace::DefaultMakeSpan::new().level(tracing::Level::INFO),
                ),
            ),
        ),
        (
            "axum-tracing-opentelemetry + opentelemetry-instrumentation-tower",
            routes()
                .layer(opentelemetry_instrumentation_tower::http::server::Layer::new())
                .layer(axum_tracing_opentelemetry::middleware::OtelAxumLayer::default()),
        ),
    ];
    let mut g = c.benchmark_group(format!("http request (sampler {sampler})"));
    for (name, app) in &variants {
        g.bench_function(*name, |b| {
            b.to_async(&rt).iter(|| {
                let app = app.clone();
                async move {
                    let resp = app.oneshot(request()).await.unwrap();
                    axum::body::to_bytes(resp.into_body(), 1024).await.unwrap()
                }
            })
        });
    }
    g.finish();
    for (name, app) in &variants {
        let per = allocs_per_op(|| {
            rt.block_on(async {
                let resp = app.clone().oneshot(request()).await.unwrap();
                axum::body::to_bytes(resp.into_body(), 1024).await.unwrap();
            })
        });
        allocs.push((format!("http request: {name} (sampler {sampler})"), per));
    }

    // Two threads recording the same instruments at once, against one: per-operation
    // wall time of each thread's loop (equal times mean the second core doubled the
    // throughput; a longer time is contention on the shared instruments).
    let mut g = c.benchmark_group("threads");
    for threads in [1usize, 2] {
        g.bench_function(
            format!("ferrotel cache lookup, {threads} thread(s) at once"),
            |b| b.iter_custom(|iters| on_threads(threads, iters, || cache.start("get").hit())),
        );
        g.bench_function(
            format!("raw OTel counter add, 3 attributes, {threads} thread(s) at once"),
            |b| {
                b.iter_custom(|iters| {
                    on_threads(threads, iters, || counter.add(1, black_box(&attrs)))
                })
            },
        );
    }
    g.finish();

    // GenAI: one LLM call from start to finish with usage, priced from the table.
    let genai = ferrotel::genai::GenAi::new();
    let usage = ferrotel::genai::TokenUsage::new(1_200, 300).with_cached_input(1_000);
    let mut g = c.benchmark_group("genai");
    g.bench_function("LlmCall start -> finish with usage and cost", |b| {
        b.iter(|| {
            genai
                .llm_call("openai", "chat", "gpt-4o-mini")
                .finish(black_box(usage.clone()))
        })
    });
    g.finish();
    allocs.push((
        "LlmCall start -> finish with usage and cost".into(),
        allocs_per_op(|| {
            genai
                .llm_call("openai", "chat", "gpt-4o-mini")
                .finish(usage.clone())
        }),
    ));

    // The /metrics exposition of 10,000 series (5 counters x 2,000 label values, under
    // the SDK's default cardinality limit), beside prometheus-client encoding the same
    // series, names and labels in the same run.
    let wide = telemetry
        .meter_provider()
        .expect("a meter provider")
        .meter("wide");
    let mut family_client = prometheus_client::registry::Registry::default();
    for i in 0..5 {
        let name = format!("bench_wide_{i}");
        let counter = wide.u64_counter(name.clone()).build();
        let family = prometheus_client::metrics::family::Family::<
            Vec<(String, String)>,
            prometheus_client::metrics::counter::Counter,
        >::default();
        family_client.register(name.clone(), "10,000-series bench", family.clone());
        for user in 0..2_000 {
            let user = format!("user-{user}");
            counter.add(1, &[KeyValue::new("user", user.clone())]);
            family
                .get_or_create(&vec![
                    ("user".to_string(), user),
                    ("service_name".to_string(), "bench".to_string()),
                ])
                .inc();
        }
    }
    let series = telemetry
        .prometheus_exposition()
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("bench_wide_"))
        .count();
    println!("\n/metrics bench: {series} bench_wide_* series in ferrotel's exposition");
    let mut g = c.benchmark_group("/metrics encode, 10,000 series");
    g.sample_size(10);
    g.bench_function(
        "ferrotel prometheus_exposition (opentelemetry-prometheus)",
        |b| b.iter(|| telemetry.prometheus_exposition()),
    );
    g.bench_function("prometheus-client text encode", |b| {
        b.iter(|| {
            let mut out = String::with_capacity(1 << 20);
            prometheus_client::encoding::text::encode(&mut out, &family_client).unwrap();
            out
        })
    });
    g.finish();

    println!("\nheap allocations per operation (1,000 operations after 100 warm-up):");
    for (name, n) in &allocs {
        println!("  {n:>8.1}  {name}");
    }
    let exposition = telemetry.prometheus_exposition().unwrap_or_default();
    let dropped: f64 = exposition
        .lines()
        .filter(|l| {
            l.starts_with("otel_sdk_processor_span_processed_total") && l.contains("queue_full")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .fold(0.0, |a, b| a + b);
    println!("spans dropped at a full export queue during the run: {dropped}");
    drop(rt);
    let _ = telemetry.shutdown();
}

criterion_group! {
    name = overhead;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    targets = benches
}
criterion_main!(overhead);
