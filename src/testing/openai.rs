//! A local server speaking the OpenAI chat-completions wire format, for tests and
//! demos where no real provider is reachable (features `testing` and `genai`).
//!
//! `POST /v1/chat/completions` answers JSON, or Server-Sent Events with
//! `"stream": true` (a final usage chunk with `stream_options.include_usage`).
//! Everything is deterministic: the reply echoes the last user message; usage counts
//! words (`prompt_tokens` over all messages, `completion_tokens` over the reply);
//! a message containing `[cached]` has half its prompt tokens reported as cached;
//! models whose name starts with `o` report 3 reasoning tokens (within the
//! completion tokens). With `tools` (non-streaming), it asks for each tool in turn —
//! one `tool_calls` reply per tool, call id `call_{name}` — and once every tool has a
//! `tool` message, answers `answer: ` followed by their contents. Faults on demand: header `x-mock-status: 429` (or any code)
//! answers that error, `x-mock-latency-ms: 200` waits before answering (and between
//! streamed chunks).
//!
//! Voice: `POST /v1/audio/transcriptions` takes the audio as the request body (16 kB a
//! second of audio, as 16-bit mono PCM at 8 kHz) and answers `{"text", "usage":
//! {"type": "duration", "seconds"}}`, as whisper-1 does; `POST /v1/audio/speech` takes
//! `{"model", "input", "voice"}` and answers `audio/mpeg` bytes, 4 kB (a second at
//! 32 kbit/s) per 15 characters of input. `GET /v1/models` lists the models for
//! [`MockOpenAi::API_KEY`] and answers 401 to any other key.
//!
//! ```no_run
//! let provider = ferrotel::testing::openai::MockOpenAi::start().unwrap();
//! println!("OPENAI_BASE_URL={}", provider.base_url());
//! ```

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// The running mock provider. Cheap to clone; it stops serving, and its thread ends,
/// when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct MockOpenAi {
    addr: SocketAddr,
    requests: Arc<AtomicU64>,
    _server: Arc<Server>,
}

/// The server's thread, stopped and joined on drop.
#[derive(Debug)]
struct Server {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Reply {
    id: String,
    model: String,
    text: String,
    /// A tool the model asks to call, with its call id.
    tool_call: Option<(String, String)>,
    usage: Value,
}

fn words(s: &str) -> u64 {
    s.split_whitespace().count() as u64
}

fn reply(n: u64, body: &Value) -> Reply {
    let model = body["model"].as_str().unwrap_or("mock").to_string();
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let content = |m: &Value| -> String {
        match &m["content"] {
            Value::String(s) => s.clone(),
            Value::Array(parts) => parts
                .iter()
                .filter_map(|p| p["text"].as_str())
                .collect::<Vec<_>>()
                .join(" "),
            _ => String::new(),
        }
    };
    let prompt: u64 = messages.iter().map(|m| words(&content(m))).sum();
    let cached = if messages.iter().any(|m| content(m).contains("[cached]")) {
        prompt / 2
    } else {
        0
    };
    let last_user = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .map(content)
        .unwrap_or_default();
    // With tools: ask for each in turn (one call per reply), then answer from their results.
    let answered: Vec<String> = messages
        .iter()
        .filter(|m| m["role"] == "tool")
        .filter_map(|m| m["tool_call_id"].as_str().map(str::to_string))
        .collect();
    let tool_call = body["tools"].as_array().and_then(|tools| {
        tools
            .iter()
            .filter_map(|t| t["function"]["name"].as_str())
            .map(|name| (name.to_string(), format!("call_{name}")))
            .find(|(_, id)| !answered.contains(id))
    });
    let text = if tool_call.is_some() {
        String::new()
    } else if !answered.is_empty() {
        let results: Vec<String> = messages
            .iter()
            .filter(|m| m["role"] == "tool")
            .map(content)
            .collect();
        format!("answer: {}", results.join("; "))
    } else {
        let echoed: Vec<&str> = last_user.split_whitespace().take(20).collect();
        format!("echo: {}", echoed.join(" "))
    };
    let reasoning = if model.starts_with('o') { 3 } else { 0 };
    let completion = words(&text) + reasoning + u64::from(tool_call.is_some()) * 5;
    Reply {
        id: format!("chatcmpl-mock-{n}"),
        model,
        text,
        tool_call,
        usage: json!({
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": { "cached_tokens": cached },
            "completion_tokens_details": { "reasoning_tokens": reasoning },
        }),
    }
}

fn error(status: StatusCode) -> Response {
    let body = json!({ "error": { "message": format!("mock error {}", status.as_u16()), "type": "mock_error", "code": status.as_u16() } });
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn completions(
    State(count): State<Arc<AtomicU64>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let n = count.fetch_add(1, Ordering::Relaxed) + 1;
    let (latency, status) = faults(&headers);
    if let Some(status) = status {
        tokio::time::sleep(latency).await;
        return error(status);
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST);
    };
    let r = reply(n, &request);
    tokio::time::sleep(latency).await;
    if request["stream"].as_bool() != Some(true) {
        let (message, finish) = match &r.tool_call {
            Some((name, id)) => (
                json!({ "role": "assistant", "content": null, "tool_calls": [{
                    "id": id, "type": "function", "function": { "name": name, "arguments": "{}" } }] }),
                "tool_calls",
            ),
            None => (json!({ "role": "assistant", "content": r.text }), "stop"),
        };
        let body = json!({
            "id": r.id, "object": "chat.completion", "created": 0, "model": r.model,
            "choices": [{ "index": 0, "message": message, "finish_reason": finish }],
            "usage": r.usage,
        });
        return ([("content-type", "application/json")], body.to_string()).into_response();
    }
    let include_usage = request["stream_options"]["include_usage"].as_bool() == Some(true);
    let mut events: Vec<String> = r
        .text
        .split_inclusive(' ')
        .map(|w| {
            json!({ "id": r.id, "object": "chat.completion.chunk", "created": 0, "model": r.model,
                    "choices": [{ "index": 0, "delta": { "content": w }, "finish_reason": null }] })
            .to_string()
        })
        .collect();
    events.push(
        json!({ "id": r.id, "object": "chat.completion.chunk", "created": 0, "model": r.model,
                "choices": [{ "index": 0, "delta": {}, "finish_reason": "stop" }] })
        .to_string(),
    );
    if include_usage {
        events.push(
            json!({ "id": r.id, "object": "chat.completion.chunk", "created": 0, "model": r.model,
                    "choices": [], "usage": r.usage })
            .to_string(),
        );
    }
    events.push("[DONE]".to_string());
    let stream = futures_util::stream::unfold(
        (events.into_iter(), latency, true),
        |(mut it, latency, first)| async move {
            let event = it.next()?;
            if !first {
                tokio::time::sleep(latency).await;
            }
            Some((
                Ok::<_, std::io::Error>(Bytes::from(format!("data: {event}\n\n"))),
                (it, latency, false),
            ))
        },
    );
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| error(StatusCode::INTERNAL_SERVER_ERROR))
}

/// Bytes of request audio per second (16-bit mono PCM at 8 kHz).
pub const AUDIO_BYTES_PER_SECOND: usize = 16_000;
/// Bytes of speech per second the speech endpoint answers (32 kbit/s MP3).
pub const SPEECH_BYTES_PER_SECOND: usize = 4_000;

/// `POST /v1/audio/transcriptions`: a transcript and the audio's duration.
async fn transcriptions(headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = mock_fault(&headers).await {
        return r;
    }
    let seconds = body.len() as f64 / AUDIO_BYTES_PER_SECOND as f64;
    let v = json!({
        "text": "what is the weather in Lisbon tomorrow",
        "usage": { "type": "duration", "seconds": seconds },
    });
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

/// `POST /v1/audio/speech`: audio bytes for the input text.
async fn speech(headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = mock_fault(&headers).await {
        return r;
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST);
    };
    let chars = v["input"].as_str().map_or(0, |s| s.chars().count());
    let bytes = vec![0u8; chars.div_ceil(15) * SPEECH_BYTES_PER_SECOND];
    ([(axum::http::header::CONTENT_TYPE, "audio/mpeg")], bytes).into_response()
}

/// The faults a request asks for: `x-mock-latency-ms` (the wait before answering) and
/// `x-mock-status` (the error to answer with).
fn faults(headers: &HeaderMap) -> (Duration, Option<StatusCode>) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let latency = header("x-mock-latency-ms")
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_millis)
        .unwrap_or_default();
    let status = header("x-mock-status")
        .and_then(|v| v.parse::<u16>().ok())
        .map(|code| StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    (latency, status)
}

/// The voice endpoints' faults: the wait, then the error if one was asked for.
async fn mock_fault(headers: &HeaderMap) -> Option<Response> {
    let (latency, status) = faults(headers);
    tokio::time::sleep(latency).await;
    status.map(error)
}

/// `GET /v1/models`: the model list for [`MockOpenAi::API_KEY`], else OpenAI's 401.
async fn models(headers: axum::http::HeaderMap) -> Response {
    let authorized = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {}", MockOpenAi::API_KEY));
    if !authorized {
        return error(StatusCode::UNAUTHORIZED);
    }
    let body = json!({
        "object": "list",
        "data": [{"id": "gpt-4o-mini", "object": "model", "created": 1721172741, "owned_by": "system"}],
    });
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

impl MockOpenAi {
    /// The API key `GET /v1/models` accepts (chat completions accept any).
    pub const API_KEY: &'static str = "sk-ferrotel-mock";

    /// Starts the server on a free loopback port, on a thread of its own.
    pub fn start() -> std::io::Result<MockOpenAi> {
        let requests = Arc::new(AtomicU64::new(0));
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let count = requests.clone();
        let thread = std::thread::Builder::new()
            .name("mock-openai".into())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:0").await else {
                        return;
                    };
                    let _ = tx.send(listener.local_addr());
                    let app = axum::Router::new()
                        .route("/v1/chat/completions", axum::routing::post(completions))
                        .route("/v1/models", axum::routing::get(models))
                        .route(
                            "/v1/audio/transcriptions",
                            axum::routing::post(transcriptions),
                        )
                        .route("/v1/audio/speech", axum::routing::post(speech))
                        .with_state(count);
                    // Dropping the handle stops serving at once, streams included.
                    tokio::select! {
                        _ = axum::serve(listener, app) => {}
                        _ = stopped => {}
                    }
                });
            })?;
        let addr = rx.recv().map_err(|_| {
            std::io::Error::other("the mock provider's thread stopped before binding")
        })??;
        Ok(MockOpenAi {
            addr,
            requests,
            _server: Arc::new(Server {
                stop: Some(stop),
                thread: Some(thread),
            }),
        })
    }

    /// `http://127.0.0.1:PORT/v1`, the base URL OpenAI clients take.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Requests served so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::MockOpenAi;

    #[test]
    fn dropping_the_last_handle_stops_the_server() {
        let provider = MockOpenAi::start().unwrap();
        let addr = provider.addr;
        let clone = provider.clone();
        drop(provider);
        assert!(
            std::net::TcpStream::connect(addr).is_ok(),
            "a clone keeps it serving"
        );
        drop(clone);
        assert!(
            std::net::TcpStream::connect(addr).is_err(),
            "nothing listens after the last handle is gone"
        );
    }
}
