//! The demo service: a chat API that uses everything ferrotel instruments — axum with
//! the server layer, SQLite through sqlx, Redis as a cache when one is reachable, an
//! LLM agent with two tools (against a local OpenAI-compatible server, started
//! in-process), voice turns (transcription, the agent, speech), an in-process queue,
//! health checks and the admin endpoints.
//!
//! ```text
//! cargo run --example demo
//! curl -s -XPOST localhost:8080/chat -H 'content-type: application/json' -d '{"question":"What should I pack?","tenant":"acme"}'
//! head -c 64000 /dev/zero | curl -s -XPOST localhost:8080/voice -H 'x-tenant: acme' --data-binary @-
//! cargo run --example loadgen -- --target http://127.0.0.1:8080 --duration 90s
//! ```
//!
//! Variables: `DEMO_ADDR` (default `127.0.0.1:8080`), `REDIS_URL` (default
//! `redis://127.0.0.1:6379`; without Redis the cache is off), `DEMO_SQLITE` (default a
//! file in the temporary folder), plus every `OTEL_*` variable ferrotel reads. A request
//! header `x-demo-fault: errors | slow-llm | redis-down` injects that fault into it.

use ferrotel::opentelemetry::trace::FutureExt as _;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use ferrotel::app_errors::{Category, ErrorCounter};
use ferrotel::cache::Cache;
use ferrotel::db::Db;
use ferrotel::failure::Failure;
use ferrotel::genai::{AgentRun, GenAi, LlmCall, TokenUsage};
use ferrotel::health::{CheckOptions, MemoryCheck, RedisCheck, SqlCheck};
use ferrotel::http::ClientTelemetry;
use ferrotel::queue::{Queue, Ticket};
use redis::AsyncCommands;
use serde_json::{json, Value};
use tokio::sync::Mutex;
use tracing::info;

const MODEL: &str = "gpt-4o-mini";

struct App {
    pool: sqlx::SqlitePool,
    db: Db,
    redis: Option<Mutex<redis::aio::MultiplexedConnection>>,
    cache: Cache,
    llm_base: String,
    http: reqwest::Client,
    http_telemetry: ClientTelemetry,
    genai: GenAi,
    errors: ErrorCounter,
    audit: Queue,
    audit_tx: tokio::sync::mpsc::Sender<(i64, Ticket)>,
}

type Shared = State<Arc<App>>;

fn fault(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-demo-fault").and_then(|v| v.to_str().ok())
}

const TOOLS: [&str; 2] = ["get_weather", "get_calendar"];

/// The tools; the calendar backend times out on every seventh call.
fn run_tool(name: &str) -> Result<String, &'static str> {
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    match name {
        "get_weather" => Ok("14°C and light rain".to_string()),
        _ if CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 7 == 6 => {
            Err("the calendar service timed out")
        }
        _ => Ok("museum visit, dinner at 8".to_string()),
    }
}

async fn llm(
    app: &App,
    run: &AgentRun,
    tenant: &str,
    messages: &[Value],
    slow: bool,
    stream: bool,
) -> Result<Value, String> {
    let mut call = run.llm_call("openai", "chat", MODEL).with_tenant(tenant);
    let cx = call.context();
    async move {
        let tools: Vec<Value> = TOOLS
            .iter()
            .map(|t| json!({ "type": "function", "function": { "name": t } }))
            .collect();
        let mut body = json!({ "model": MODEL, "messages": messages, "tools": tools });
        if stream {
            body["stream"] = json!(true);
            body["stream_options"] = json!({ "include_usage": true });
        }
        let mut req = app
            .http
            .post(format!("{}/chat/completions", app.llm_base))
            .header("content-type", "application/json")
            .body(body.to_string());
        if slow {
            req = req.header("x-mock-latency-ms", "1500");
        }
        let resp = match app.http_telemetry.send(req).await {
            Ok(r) if r.status().is_success() => r,
            Ok(r) => {
                call.fail(&Failure::new(r.status().as_str().to_string()));
                return Err(format!("the LLM answered {}", r.status()));
            }
            Err(e) => {
                call.fail(&e);
                return Err(e.to_string());
            }
        };
        if !stream {
            let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
            let v: Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
            call.finish_with_body("chat", &bytes);
            return Ok(v["choices"][0]["message"].clone());
        }
        // Server-sent events: the time to the first chunk is what the user waits for.
        call.streaming();
        let mut resp = resp;
        let mut raw = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
            call.first_chunk();
            raw.extend_from_slice(&chunk);
        }
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (mut content, mut usage) = (String::new(), None);
        for data in text.lines().filter_map(|l| l.strip_prefix("data: ")) {
            let Ok(v) = serde_json::from_str::<Value>(data) else {
                continue; // "[DONE]"
            };
            if let Some(piece) = v["choices"][0]["delta"]["content"].as_str() {
                content.push_str(piece);
            }
            if v.get("usage").is_some_and(|u| !u.is_null()) {
                usage = Some(data.to_string());
            }
        }
        call.finish_with_body("chat", usage.unwrap_or_default().as_bytes());
        Ok(json!({ "role": "assistant", "content": content }))
    }
    .with_context(cx)
    .await
}

/// Free-plan tenants get a smaller step budget, so some runs end at the step limit.
fn step_budget(tenant: &str) -> usize {
    if tenant == "initech" {
        2
    } else {
        6
    }
}

async fn agent(app: &App, tenant: &str, question: &str, slow: bool) -> Result<String, String> {
    let run = app.genai.agent_run("trip-planner");
    let result = async {
        let mut messages = vec![json!({ "role": "user", "content": question })];
        let mut answered = 0;
        for _ in 0..step_budget(tenant) {
            // Once every tool has answered, the reply is streamed to the user.
            let stream = answered == TOOLS.len();
            let message = llm(app, &run, tenant, &messages, slow, stream).await?;
            messages.push(message.clone());
            let Some(calls) = message["tool_calls"].as_array().filter(|c| !c.is_empty()) else {
                return Ok(Some(message["content"].as_str().unwrap_or("").to_string()));
            };
            for c in calls {
                let name = c["function"]["name"].as_str().unwrap_or("");
                let id = c["id"].as_str().unwrap_or("");
                let tool = run.tool_call(name, "function", Some(id));
                let out = match run_tool(name) {
                    Ok(out) => {
                        tool.finish();
                        out
                    }
                    Err(e) => {
                        tool.fail(&Failure::new("timeout"));
                        format!("error: {e}")
                    }
                };
                answered += 1;
                messages.push(json!({ "role": "tool", "tool_call_id": id, "content": out }));
            }
        }
        Ok(None)
    }
    .with_context(run.context())
    .await;
    match result {
        Ok(Some(answer)) => {
            run.finish();
            Ok(answer)
        }
        Ok(None) => {
            run.step_limit_reached();
            Ok("I ran out of steps before finishing; here is what I found so far.".to_string())
        }
        Err(e) => {
            run.fail(&Failure::new("llm_error"));
            Err(e)
        }
    }
}

/// Posts `body` to the provider's `path` inside `call`'s span; a non-2xx or a transport
/// error fails the call.
async fn provider_post(
    app: &App,
    call: &LlmCall,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> Result<axum::body::Bytes, String> {
    let req = app
        .http
        .post(format!("{}/{path}", app.llm_base))
        .header("content-type", content_type)
        .body(body);
    match app
        .http_telemetry
        .send(req)
        .with_context(call.context())
        .await
    {
        Ok(r) if r.status().is_success() => r.bytes().await.map_err(|e| e.to_string()),
        Ok(r) => Err(r.status().as_str().to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// A voice turn: the audio in the body is transcribed (whisper-1, priced per minute),
/// answered by the agent, and the answer spoken (tts-1, priced per character).
async fn voice(
    State(app): Shared,
    headers: HeaderMap,
    audio: axum::body::Bytes,
) -> (StatusCode, Json<Value>) {
    let tenant = headers
        .get("x-tenant")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("anonymous")
        .to_string();
    let failed = |e: String| (StatusCode::BAD_GATEWAY, Json(json!({ "error": e })));
    let call = app
        .genai
        .llm_call("openai", "transcription", "whisper-1")
        .with_tenant(&tenant);
    let transcript = match provider_post(
        &app,
        &call,
        "audio/transcriptions",
        "application/octet-stream",
        audio,
    )
    .await
    {
        Ok(bytes) => {
            let v: Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let seconds = v["usage"]["seconds"].as_f64().unwrap_or(0.0);
            call.finish(TokenUsage::new(0, 0).with_audio_seconds(seconds));
            v["text"].as_str().unwrap_or_default().to_string()
        }
        Err(e) => {
            call.fail(&Failure::new(e.clone()));
            return failed(e);
        }
    };
    let answer = match agent(&app, &tenant, &transcript, false).await {
        Ok(a) => a,
        Err(e) => return failed(e),
    };
    let call = app
        .genai
        .llm_call("openai", "speech", "tts-1")
        .with_tenant(&tenant);
    let body = json!({ "model": "tts-1", "input": answer, "voice": "alloy" }).to_string();
    match provider_post(&app, &call, "audio/speech", "application/json", body).await {
        Ok(speech) => {
            // The reply is MP3 at 32 kbit/s: 4,000 bytes a second.
            let seconds = speech.len() as f64 / 4_000.0;
            call.finish(
                TokenUsage::new(0, 0)
                    .with_characters(answer.chars().count() as u64)
                    .with_audio_seconds(seconds),
            );
            (
                StatusCode::OK,
                Json(
                    json!({ "transcript": transcript, "answer": answer, "speech_seconds": seconds }),
                ),
            )
        }
        Err(e) => {
            call.fail(&Failure::new(e.clone()));
            failed(e)
        }
    }
}

async fn chat(
    State(app): Shared,
    headers: HeaderMap,
    Json(req): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let question = req["question"].as_str().unwrap_or("").trim().to_string();
    let tenant = req["tenant"].as_str().unwrap_or("anonymous").to_string();
    if question.is_empty() {
        let e = std::io::Error::new(std::io::ErrorKind::InvalidInput, "question is empty");
        app.errors.record(Category::Validation, "chat", &e);
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "question is empty" })),
        );
    }
    let fault = fault(&headers);
    if fault == Some("errors") {
        let e = std::io::Error::other("injected failure");
        app.errors.record(Category::Internal, "chat", &e);
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "error": "injected failure" })),
        );
    }

    // The cache: answers by question.
    let key = format!("answer:{question}");
    if let Some(redis) = &app.redis {
        if fault == Some("redis-down") {
            let op = app.cache.start("get");
            op.fail(&std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "redis is down (injected)",
            ));
        } else {
            let mut conn = redis.lock().await;
            if let Ok(Some(answer)) = app.cache.get(conn.get::<_, Option<String>>(&key)).await {
                return (
                    StatusCode::OK,
                    Json(json!({ "answer": answer, "cached": true })),
                );
            }
        }
    }

    let answer = match agent(&app, &tenant, &question, fault == Some("slow-llm")).await {
        Ok(a) => a,
        Err(e) => {
            app.errors
                .record(Category::Ai, "agent", &std::io::Error::other(e.clone()));
            return (StatusCode::BAD_GATEWAY, Json(json!({ "error": e })));
        }
    };
    let insert = "INSERT INTO conversations (tenant, question, answer) VALUES (?, ?, ?)";
    let id = match app
        .db
        .run(
            insert,
            sqlx::query(insert)
                .bind(&tenant)
                .bind(&question)
                .bind(&answer)
                .execute(&app.pool),
        )
        .await
    {
        Ok(r) => r.last_insert_rowid(),
        Err(e) => {
            app.errors.record(Category::Database, "conversations", &e);
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({ "error": "storage failed" })),
            );
        }
    };
    if let (Some(redis), None) = (&app.redis, fault) {
        let op = app.cache.start("set");
        match redis
            .lock()
            .await
            .set_ex::<_, _, ()>(&key, &answer, 30)
            .await
        {
            Ok(()) => op.finish(),
            Err(e) => op.fail(&e),
        }
    }
    let _ = app.audit_tx.try_send((id, app.audit.enqueued()));
    (
        StatusCode::OK,
        Json(json!({ "answer": answer, "conversation_id": id, "cached": false })),
    )
}

async fn conversation(State(app): Shared, Path(id): Path<i64>) -> (StatusCode, Json<Value>) {
    let sql = "SELECT question, answer FROM conversations WHERE id = ?";
    match app
        .db
        .run(
            sql,
            sqlx::query_as::<_, (String, String)>(sql)
                .bind(id)
                .fetch_optional(&app.pool),
        )
        .await
    {
        Ok(Some((q, a))) => (
            StatusCode::OK,
            Json(json!({ "id": id, "question": q, "answer": a })),
        ),
        Ok(None) => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "no such conversation" })),
        ),
        Err(e) => {
            app.errors.record(Category::Database, "conversations", &e);
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({ "error": "storage failed" })),
            )
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let telemetry = ferrotel::init(
        ferrotel::Config::from_env()?
            .with_default_service_name("chat-api")
            .with_service_version(env!("CARGO_PKG_VERSION")),
    )?;

    let path = std::env::var("DEMO_SQLITE").unwrap_or_else(|_| {
        std::env::temp_dir()
            .join("ferrotel-demo.db")
            .display()
            .to_string()
    });
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{path}?mode=rwc")).await?;
    ferrotel::db::observe_pool(&telemetry.meter("ferrotel"), "main", pool.clone());
    let db = Db::new("sqlite").with_namespace("main");
    let create = "CREATE TABLE IF NOT EXISTS conversations (id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT, question TEXT, answer TEXT)";
    db.run(create, sqlx::query(create).execute(&pool)).await?;
    telemetry
        .health()
        .register("sqlite", SqlCheck::sqlite(pool.clone()));
    // Memory against the process's limit. Not critical: the demo still answers near it.
    // (A DiskCheck belongs here in a real service; the demo leaves it out, since the
    // machines its tests run on fill their disks past any threshold on their own.)
    telemetry.health().register_with(
        "memory",
        MemoryCheck::new(),
        CheckOptions::default().non_critical(),
    );

    let redis_url =
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string());
    let client = redis::Client::open(redis_url.as_str()).ok();
    let redis = match &client {
        Some(c) => {
            tokio::time::timeout(Duration::from_secs(2), c.get_multiplexed_async_connection())
                .await
                .ok()
                .and_then(Result::ok)
        }
        None => None,
    };
    match (&redis, client) {
        (Some(_), Some(c)) => {
            println!("demo: caching in Redis at {redis_url}");
            telemetry.health().register_with(
                "redis",
                RedisCheck::new(c),
                CheckOptions::default().non_critical(),
            );
        }
        _ => {
            println!("demo: Redis at {redis_url} is not reachable; running with the cache disabled")
        }
    }

    // The local provider serves while its handle lives: kept until main returns.
    let (llm_base, _provider) = match std::env::var("OPENAI_BASE_URL") {
        Ok(url) => (url, None),
        Err(_) => {
            let provider = ferrotel::testing::openai::MockOpenAi::start()?;
            (provider.base_url(), Some(provider))
        }
    };
    // Printed after the listening address: tools take the first http:// the demo prints.
    let llm_line = format!("demo: LLM at {llm_base}");

    let (audit_tx, mut audit_rx) = tokio::sync::mpsc::channel::<(i64, Ticket)>(1024);
    let app = Arc::new(App {
        pool,
        db,
        redis: redis.map(Mutex::new),
        cache: Cache::new("answers"),
        llm_base,
        http: reqwest::Client::new(),
        http_telemetry: ClientTelemetry::new(),
        genai: GenAi::new(),
        errors: ErrorCounter::new(),
        audit: Queue::new("audit"),
        audit_tx,
    });
    // The audit worker: takes conversations off the queue, a little later.
    tokio::spawn(async move {
        while let Some((id, ticket)) = audit_rx.recv().await {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let work = ticket.dequeued();
            info!(conversation = id, "audited");
            work.finish();
        }
    });

    let router = Router::new()
        .route("/chat", post(chat))
        .route("/voice", post(voice))
        .route("/conversations/{id}", get(conversation))
        .with_state(app)
        .merge(telemetry.admin_router())
        .layer(ferrotel::http::ServerLayer::new());

    let addr = std::env::var("DEMO_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".to_string());
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} (set DEMO_ADDR): {e}"))?;
    let local = listener.local_addr()?;
    println!("demo: listening on http://{local}");
    println!("demo: metrics at http://{local}/metrics, health at http://{local}/health/ready");
    println!("{llm_line}");
    axum::serve(listener, router)
        .with_graceful_shutdown(ferrotel::shutdown_signal())
        .await?;
    // The exit code never depends on the telemetry backend: say what was lost, exit 0.
    if let Err(e) = telemetry.shutdown() {
        println!("demo: {e}");
    }
    println!("demo: telemetry flushed, bye");
    Ok(())
}
