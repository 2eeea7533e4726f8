//! gRPC: a real tonic server and client on loopback, both instrumented.

use std::net::SocketAddr;

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tracing::Instrument;

use crate::support::attr;
use crate::{scrape, world};

const METHOD: &str = "opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// Accepts requests with spans, refuses empty ones with UNAVAILABLE.
struct Picky;

#[tonic::async_trait]
impl TraceService for Picky {
    async fn export(
        &self,
        req: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        use ferrotel::opentelemetry::trace::TraceContextExt;
        tracing::info!("handling export");
        if req.get_ref().resource_spans.is_empty() {
            return Err(tonic::Status::unavailable("nothing to store"));
        }
        if let Some(cx) = ferrotel::server_context() {
            let n = req.get_ref().resource_spans.len() as i64;
            cx.span()
                .set_attribute(ferrotel::opentelemetry::KeyValue::new("app.batches", n));
        }
        async { tracing::info!("storing the batch") }
            .instrument(tracing::info_span!("store_batch"))
            .await;
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

/// A channel to `addr` through `layer`.
async fn channel(
    addr: SocketAddr,
    layer: ferrotel::grpc::ClientLayer,
) -> ferrotel::grpc::Instrumented<tonic::transport::Channel> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    tower::ServiceBuilder::new().layer(layer).service(channel)
}

fn start_server() -> SocketAddr {
    let w = world();
    w.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(
            tonic::transport::Server::builder()
                .layer(ferrotel::grpc::ServerLayer::new())
                .add_service(TraceServiceServer::new(Picky))
                .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
        );
        addr
    })
}

#[test]
fn calls_are_traced_across_client_and_server_and_measured() {
    let w = world();
    let addr = start_server();
    let (ok, err, unimplemented) = w.block_on(
        async move {
            let layer = ferrotel::grpc::ClientLayer::new().with_server_address("127.0.0.1");
            let channel = channel(addr, layer).await;
            let mut traces = TraceServiceClient::new(channel.clone());
            let full = ExportTraceServiceRequest {
                resource_spans: vec![Default::default()],
            };
            let ok = traces.export(full).await.map(|_| ());
            let err = traces
                .export(ExportTraceServiceRequest::default())
                .await
                .map(|_| ());
            let unimplemented = LogsServiceClient::new(channel)
                .export(ExportLogsServiceRequest::default())
                .await
                .map(|_| ());
            (ok, err, unimplemented)
        }
        .instrument(tracing::info_span!("grpc_caller")),
    );
    ok.expect("the call with spans succeeds");
    assert_eq!(err.unwrap_err().code(), tonic::Code::Unavailable);
    assert_eq!(
        unimplemented.unwrap_err().code(),
        tonic::Code::Unimplemented
    );

    // Spans: caller -> client call -> server call, one trace, across the wire.
    w.receiver
        .wait_for("the caller's and the gRPC server spans", |r| {
            let spans = r.spans();
            spans.iter().any(|(_, s)| s.name == "grpc_caller")
                && spans
                    .iter()
                    .filter(|(_, s)| s.name == METHOD && s.kind == 2)
                    .count()
                    >= 2
        });
    let spans = w.receiver.spans();
    let caller = spans
        .iter()
        .find(|(_, s)| s.name == "grpc_caller")
        .map(|(_, s)| s.clone())
        .unwrap();
    let clients: Vec<_> = spans
        .iter()
        .filter(|(_, s)| s.name == METHOD && s.kind == 3 && s.trace_id == caller.trace_id)
        .map(|(_, s)| s.clone())
        .collect();
    assert_eq!(clients.len(), 2);
    for c in &clients {
        assert_eq!(c.parent_span_id, caller.span_id);
        let server = spans
            .iter()
            .find(|(_, s)| s.kind == 2 && s.parent_span_id == c.span_id)
            .map(|(_, s)| s.clone())
            .expect("the server span is the client span's child");
        assert_eq!(server.trace_id, caller.trace_id);
        assert_eq!(
            attr(&server.attributes, "rpc.system.name").as_deref(),
            Some("grpc")
        );
        assert_eq!(
            attr(&server.attributes, "rpc.method").as_deref(),
            Some(METHOD)
        );
    }
    let failed = clients
        .iter()
        .find(|c| attr(&c.attributes, "rpc.response.status_code").as_deref() == Some("UNAVAILABLE"))
        .expect("the failed call's client span");
    assert_eq!(
        attr(&failed.attributes, "error.type").as_deref(),
        Some("UNAVAILABLE")
    );
    assert_eq!(failed.status.as_ref().map(|s| s.code), Some(2));

    // Metrics on both sides, by method and status; unknown methods are _OTHER. The
    // server records when its response stream ends, a moment after the client has it.
    let start = std::time::Instant::now();
    let s = loop {
        let s = scrape();
        if s.find("rpc_server_call_duration_seconds_count", &[])
            .count()
            >= 3
        {
            break s;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "server calls never all recorded"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let server = |status: &str| {
        s.value(
            "rpc_server_call_duration_seconds_count",
            &[
                ("rpc_system_name", "grpc"),
                ("rpc_method", METHOD),
                ("rpc_response_status_code", status),
            ],
        )
    };
    assert!(server("OK").unwrap() >= 1.0);
    assert!(server("UNAVAILABLE").unwrap() >= 1.0);
    assert!(s
        .value(
            "rpc_server_call_duration_seconds_count",
            &[
                ("rpc_response_status_code", "UNAVAILABLE"),
                ("error_type", "UNAVAILABLE")
            ]
        )
        .is_some());
    assert!(s
        .value(
            "rpc_server_call_duration_seconds_count",
            &[
                ("rpc_method", "_OTHER"),
                ("rpc_response_status_code", "UNIMPLEMENTED")
            ]
        )
        .is_some());
    assert!(s
        .find("rpc_server_call_duration_seconds_count", &[])
        .all(|x| !x.labels["rpc_method"].contains("LogsService")));
    let client = [("rpc_method", METHOD), ("server_address", "127.0.0.1")];
    assert!(
        s.value("rpc_client_call_duration_seconds_count", &client)
            .unwrap()
            >= 2.0
    );
    assert!(s
        .value(
            "rpc_client_call_duration_seconds_count",
            &[
                ("rpc_response_status_code", "UNAVAILABLE"),
                ("error_type", "UNAVAILABLE")
            ]
        )
        .is_some());
}

#[test]
fn the_interceptor_injects_the_current_trace() {
    let w = world();
    let (req, trace_id) = w.block_on(
        async {
            use ferrotel::opentelemetry::trace::TraceContextExt;
            use tracing_opentelemetry::OpenTelemetrySpanExt;
            let trace_id = tracing::Span::current()
                .context()
                .span()
                .span_context()
                .trace_id();
            (
                ferrotel::grpc::inject_context(tonic::Request::new(())).unwrap(),
                trace_id,
            )
        }
        .instrument(tracing::info_span!("intercepted")),
    );
    let tp = req
        .metadata()
        .get("traceparent")
        .expect("traceparent injected")
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        tp.contains(&trace_id.to_string()),
        "{tp} carries {trace_id}"
    );
}

/// As for HTTP: the server span is an OpenTelemetry span; the handler's own `tracing`
/// span is its child, its events carry its ids, and the accessor reaches it.
#[test]
fn handler_spans_and_events_land_under_the_grpc_server_span() {
    let w = world();
    let addr = start_server();
    let trace = w.block_on(
        async move {
            use ferrotel::opentelemetry::trace::TraceContextExt;
            let channel = channel(addr, ferrotel::grpc::ClientLayer::new()).await;
            let full = ExportTraceServiceRequest {
                resource_spans: vec![Default::default(), Default::default()],
            };
            TraceServiceClient::new(channel).export(full).await.unwrap();
            ferrotel::opentelemetry::Context::current()
                .span()
                .span_context()
                .trace_id()
        }
        .instrument(tracing::info_span!("grpc_handler_caller")),
    );
    let in_trace = |r: &crate::support::Receiver, name: &str| {
        r.spans()
            .into_iter()
            .map(|(_, s)| s)
            .find(|s| s.name == name && s.trace_id == trace.to_bytes())
    };
    let said = |r: &crate::support::Receiver, text: &str| r.log_saying(&trace.to_bytes(), text);
    w.receiver.wait_for("the handler's span and events", |r| {
        in_trace(r, "store_batch").is_some()
            && said(r, "storing the batch").is_some()
            && said(r, "handling export").is_some()
            && r.spans()
                .iter()
                .any(|(_, s)| s.kind == 2 && s.trace_id == trace.to_bytes())
    });
    let spans = w.receiver.spans();
    let server = spans
        .iter()
        .map(|(_, s)| s)
        .find(|s| s.kind == 2 && s.trace_id == trace.to_bytes())
        .unwrap();
    let child = in_trace(&w.receiver, "store_batch").unwrap();
    assert_eq!(server.name, METHOD);
    assert_eq!(
        child.parent_span_id, server.span_id,
        "the handler's span is a child"
    );
    assert_eq!(
        attr(&server.attributes, "app.batches").as_deref(),
        Some("2")
    );
    let top = said(&w.receiver, "handling export").unwrap();
    assert_eq!(
        top.span_id, server.span_id,
        "a top-level event is the server span's"
    );
    let inner = said(&w.receiver, "storing the batch").unwrap();
    assert_eq!(inner.span_id, child.span_id);
}
