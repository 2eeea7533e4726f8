//! The instruments ferrotel records, one [`InstrumentSpec`] each: the SDK's own
//! (`otel.sdk.*`), HTTP, health, process and runtime, RPC, database, cache, queue,
//! errors and GenAI. [`CATALOG`](super::CATALOG) lists them all.

use super::{InstrumentSpec, Kind};
use crate::names;

const PROCESSOR: &[&str] = &[
    names::OTEL_COMPONENT_TYPE,
    names::OTEL_COMPONENT_NAME,
    names::ERROR_TYPE,
];
const QUEUE: &[&str] = &[names::OTEL_COMPONENT_TYPE, names::OTEL_COMPONENT_NAME];

/// Spans whose processing finished; `error.type=queue_full` marks spans dropped because the queue was full.
pub const SDK_SPAN_PROCESSED: InstrumentSpec = InstrumentSpec {
    name: names::OTEL_SDK_PROCESSOR_SPAN_PROCESSED,
    kind: Kind::Counter,
    unit: "{span}",
    description: "Spans whose processing finished; error.type=queue_full counts spans dropped because the export queue was full.",
    attributes: PROCESSOR,
};
/// Spans handed to an exporter; `error.type` set when the export failed.
pub const SDK_SPAN_EXPORTED: InstrumentSpec = InstrumentSpec {
    name: names::OTEL_SDK_EXPORTER_SPAN_EXPORTED,
    kind: Kind::Counter,
    unit: "{span}",
    description: "Spans an exporter tried to deliver; error.type is set (timeout, export_failed) when delivery failed.",
    attributes: PROCESSOR,
};
/// Spans waiting in the export queue.
pub const SDK_SPAN_QUEUE_SIZE: InstrumentSpec = InstrumentSpec {
    name: names::OTEL_SDK_PROCESSOR_SPAN_QUEUE_SIZE,
    kind: Kind::UpDownCounter,
    unit: "{span}",
    description:
        "Spans waiting in the export queue; near capacity means the exporter cannot keep up.",
    attributes: QUEUE,
};
/// Capacity of the span export queue.
pub const SDK_SPAN_QUEUE_CAPACITY: InstrumentSpec = InstrumentSpec {
    name: names::OTEL_SDK_PROCESSOR_SPAN_QUEUE_CAPACITY,
    kind: Kind::UpDownCounter,
    unit: "{span}",
    description: "Capacity of the span export queue (OTEL_BSP_MAX_QUEUE_SIZE).",
    attributes: QUEUE,
};
/// Log records whose processing finished; `error.type=queue_full` marks drops.
pub const SDK_LOG_PROCESSED: InstrumentSpec = InstrumentSpec {
    name: names::OTEL_SDK_PROCESSOR_LOG_PROCESSED,
    kind: Kind::Counter,
    unit: "{log_record}",
    description: "Log records whose processing finished; error.type=queue_full counts records dropped because the export queue was full.",
    attributes: PROCESSOR,
};
/// Log records handed to an exporter; `error.type` set when the export failed.
pub const SDK_LOG_EXPORTED: InstrumentSpec = InstrumentSpec {
    name: names::OTEL_SDK_EXPORTER_LOG_EXPORTED,
    kind: Kind::Counter,
    unit: "{log_record}",
    description: "Log records an exporter tried to deliver; error.type is set (timeout, export_failed) when delivery failed.",
    attributes: PROCESSOR,
};
/// Log records waiting in the export queue.
pub const SDK_LOG_QUEUE_SIZE: InstrumentSpec = InstrumentSpec {
    name: names::OTEL_SDK_PROCESSOR_LOG_QUEUE_SIZE,
    kind: Kind::UpDownCounter,
    unit: "{log_record}",
    description:
        "Log records waiting in the export queue; near capacity means the exporter cannot keep up.",
    attributes: QUEUE,
};
/// Capacity of the log export queue.
pub const SDK_LOG_QUEUE_CAPACITY: InstrumentSpec = InstrumentSpec {
    name: names::OTEL_SDK_PROCESSOR_LOG_QUEUE_CAPACITY,
    kind: Kind::UpDownCounter,
    unit: "{log_record}",
    description: "Capacity of the log export queue (OTEL_BLRP_MAX_QUEUE_SIZE).",
    attributes: QUEUE,
};
/// Metric data points an OTLP exporter tried to deliver.
pub const SDK_METRIC_POINTS_EXPORTED: InstrumentSpec = InstrumentSpec {
    name: names::OTEL_SDK_EXPORTER_METRIC_DATA_POINT_EXPORTED,
    kind: Kind::Counter,
    unit: "{data_point}",
    description: "Metric data points an OTLP exporter tried to deliver; error.type is set (timeout, export_failed) when delivery failed.",
    attributes: PROCESSOR,
};

const HTTP_SERVER: &[&str] = &[
    names::HTTP_REQUEST_METHOD,
    names::URL_SCHEME,
    names::HTTP_ROUTE,
    names::HTTP_RESPONSE_STATUS_CODE,
    names::NETWORK_PROTOCOL_VERSION,
    names::ERROR_TYPE,
];

/// Duration of HTTP server requests, to the end of the response body.
pub const HTTP_SERVER_REQUEST_DURATION: InstrumentSpec = InstrumentSpec {
    name: names::HTTP_SERVER_REQUEST_DURATION,
    kind: Kind::Histogram,
    unit: "s",
    description:
        "Duration of HTTP server requests, from the request to the end of the response body.",
    attributes: HTTP_SERVER,
};
/// HTTP server requests in flight.
pub const HTTP_SERVER_ACTIVE_REQUESTS: InstrumentSpec = InstrumentSpec {
    name: names::HTTP_SERVER_ACTIVE_REQUESTS,
    kind: Kind::UpDownCounter,
    unit: "{request}",
    description: "HTTP server requests in flight (until their response body ends).",
    attributes: &[names::HTTP_REQUEST_METHOD, names::URL_SCHEME],
};
/// Size of HTTP request bodies.
pub const HTTP_SERVER_REQUEST_BODY_SIZE: InstrumentSpec = InstrumentSpec {
    name: names::HTTP_SERVER_REQUEST_BODY_SIZE,
    kind: Kind::Histogram,
    unit: "By",
    description: "Size of HTTP request bodies, from Content-Length.",
    attributes: HTTP_SERVER,
};
/// Size of HTTP response bodies.
pub const HTTP_SERVER_RESPONSE_BODY_SIZE: InstrumentSpec = InstrumentSpec {
    name: names::HTTP_SERVER_RESPONSE_BODY_SIZE,
    kind: Kind::Histogram,
    unit: "By",
    description: "Size of HTTP response bodies, counted as they are sent.",
    attributes: HTTP_SERVER,
};

/// Current status of each health-checked component, enum style: one series per
/// component and status, 1 for the current status and 0 for the others.
pub const HEALTH_CHECK_STATUS: InstrumentSpec = InstrumentSpec {
    name: names::HEALTH_CHECK_STATUS,
    kind: Kind::Gauge,
    unit: "{status}",
    description: "Current status of each health-checked component: 1 on the series of its current health.status (healthy, degraded, unknown, unhealthy), 0 on the others; health.check.critical says whether it makes the service unready.",
    attributes: &[names::HEALTH_CHECK_NAME, names::HEALTH_STATUS, names::HEALTH_CHECK_CRITICAL],
};
/// How long each health check took.
pub const HEALTH_CHECK_DURATION: InstrumentSpec = InstrumentSpec {
    name: names::HEALTH_CHECK_DURATION,
    kind: Kind::Histogram,
    unit: "s",
    description: "Duration of each health check run, by component and the status it found.",
    attributes: &[names::HEALTH_CHECK_NAME, names::HEALTH_STATUS],
};

/// CPU time of the process, by `cpu.mode` (`user`, `system`).
pub const PROCESS_CPU_TIME: InstrumentSpec = InstrumentSpec {
    name: names::PROCESS_CPU_TIME,
    kind: Kind::Counter,
    unit: "s",
    description: "CPU time the process used, by cpu.mode (user, system).",
    attributes: &[names::CPU_MODE],
};
/// Resident memory of the process.
pub const PROCESS_MEMORY_USAGE: InstrumentSpec = InstrumentSpec {
    name: names::PROCESS_MEMORY_USAGE,
    kind: Kind::UpDownCounter,
    unit: "By",
    description: "Resident memory of the process (RSS).",
    attributes: &[],
};
/// Virtual memory of the process.
pub const PROCESS_MEMORY_VIRTUAL: InstrumentSpec = InstrumentSpec {
    name: names::PROCESS_MEMORY_VIRTUAL,
    kind: Kind::UpDownCounter,
    unit: "By",
    description: "Virtual memory the process has mapped.",
    attributes: &[],
};
/// Threads of the process.
pub const PROCESS_THREAD_COUNT: InstrumentSpec = InstrumentSpec {
    name: names::PROCESS_THREAD_COUNT,
    kind: Kind::UpDownCounter,
    unit: "{thread}",
    description: "Threads of the process.",
    attributes: &[],
};
/// Open file descriptors of the process.
pub const PROCESS_UNIX_FILE_DESCRIPTOR_COUNT: InstrumentSpec = InstrumentSpec {
    name: names::PROCESS_UNIX_FILE_DESCRIPTOR_COUNT,
    kind: Kind::UpDownCounter,
    unit: "{file_descriptor}",
    description: "Open file descriptors of the process; compare with its limit to catch leaks.",
    attributes: &[],
};
/// The memory the process may use: its cgroup's limit, else the machine's memory.
pub const PROCESS_MEMORY_LIMIT: InstrumentSpec = InstrumentSpec {
    name: names::PROCESS_MEMORY_LIMIT,
    kind: Kind::UpDownCounter,
    unit: "By",
    description: "Memory the process may use: its cgroup's memory.max, else the machine's memory; RSS over this is the memory alert's ratio.",
    attributes: &[],
};
/// The CPUs the process may use: its cgroup's quota, else the CPUs it may run on.
pub const PROCESS_CPU_LIMIT: InstrumentSpec = InstrumentSpec {
    name: names::PROCESS_CPU_LIMIT,
    kind: Kind::Gauge,
    unit: "{cpu}",
    description: "CPUs the process may use: its cgroup's cpu.max quota, else the CPUs it may run on; the rate of process.cpu.time over this is the saturation.",
    attributes: &[],
};
/// Time since telemetry started.
pub const PROCESS_UPTIME: InstrumentSpec = InstrumentSpec {
    name: names::PROCESS_UPTIME,
    kind: Kind::Gauge,
    unit: "s",
    description: "Seconds since telemetry started in this process; drops to zero on restarts.",
    attributes: &[],
};
/// Worker threads of the Tokio runtime `init` ran in.
pub const TOKIO_WORKERS: InstrumentSpec = InstrumentSpec {
    name: names::TOKIO_WORKERS,
    kind: Kind::UpDownCounter,
    unit: "{worker}",
    description: "Worker threads of the application's Tokio runtime.",
    attributes: &[names::TOKIO_RUNTIME_FLAVOR],
};
/// Tasks alive in the Tokio runtime.
pub const TOKIO_ALIVE_TASKS: InstrumentSpec = InstrumentSpec {
    name: names::TOKIO_ALIVE_TASKS,
    kind: Kind::UpDownCounter,
    unit: "{task}",
    description: "Tasks alive in the application's Tokio runtime; steady growth means a task leak.",
    attributes: &[names::TOKIO_RUNTIME_FLAVOR],
};
/// Tasks waiting in the runtime's global queue.
pub const TOKIO_GLOBAL_QUEUE_DEPTH: InstrumentSpec = InstrumentSpec {
    name: names::TOKIO_GLOBAL_QUEUE_DEPTH,
    kind: Kind::UpDownCounter,
    unit: "{task}",
    description: "Tasks waiting in the runtime's global queue; a growing queue means the workers are saturated.",
    attributes: &[names::TOKIO_RUNTIME_FLAVOR],
};
/// Time the runtime's workers spent busy, summed over workers.
pub const TOKIO_BUSY_TIME: InstrumentSpec = InstrumentSpec {
    name: names::TOKIO_BUSY_TIME,
    kind: Kind::Counter,
    unit: "s",
    description: "Time the runtime's workers spent polling tasks, summed over workers; rate() over tokio.runtime.workers is the busy ratio.",
    attributes: &[names::TOKIO_RUNTIME_FLAVOR],
};

/// Duration of gRPC calls served.
pub const RPC_SERVER_CALL_DURATION: InstrumentSpec = InstrumentSpec {
    name: names::RPC_SERVER_CALL_DURATION,
    kind: Kind::Histogram,
    unit: "s",
    description: "Duration of gRPC calls served, to the end of the response stream.",
    attributes: &[
        names::RPC_SYSTEM_NAME,
        names::RPC_METHOD,
        names::RPC_RESPONSE_STATUS_CODE,
        names::ERROR_TYPE,
    ],
};
/// Duration of gRPC calls made.
pub const RPC_CLIENT_CALL_DURATION: InstrumentSpec = InstrumentSpec {
    name: names::RPC_CLIENT_CALL_DURATION,
    kind: Kind::Histogram,
    unit: "s",
    description: "Duration of gRPC calls made, to the end of the response stream.",
    attributes: &[
        names::RPC_SYSTEM_NAME,
        names::RPC_METHOD,
        names::RPC_RESPONSE_STATUS_CODE,
        names::SERVER_ADDRESS,
        names::ERROR_TYPE,
    ],
};

/// Duration of outgoing HTTP requests, to the response headers.
pub const HTTP_CLIENT_REQUEST_DURATION: InstrumentSpec = InstrumentSpec {
    name: names::HTTP_CLIENT_REQUEST_DURATION,
    kind: Kind::Histogram,
    unit: "s",
    description: "Duration of outgoing HTTP requests, until the response headers arrive.",
    attributes: &[
        names::HTTP_REQUEST_METHOD,
        names::SERVER_ADDRESS,
        names::SERVER_PORT,
        names::URL_SCHEME,
        names::HTTP_RESPONSE_STATUS_CODE,
        names::NETWORK_PROTOCOL_VERSION,
        names::ERROR_TYPE,
    ],
};

const DB_OPERATION: &[&str] = &[
    names::DB_SYSTEM_NAME,
    names::DB_NAMESPACE,
    names::DB_OPERATION_NAME,
    names::DB_COLLECTION_NAME,
    names::DB_QUERY_SUMMARY,
    names::SERVER_ADDRESS,
    names::DB_RESPONSE_STATUS_CODE,
    names::ERROR_TYPE,
];

/// Duration of database operations.
pub const DB_CLIENT_OPERATION_DURATION: InstrumentSpec = InstrumentSpec {
    name: names::DB_CLIENT_OPERATION_DURATION,
    kind: Kind::Histogram,
    unit: "s",
    description: "Duration of database operations, by system, operation, collection and outcome.",
    attributes: DB_OPERATION,
};
/// Rows returned by database operations.
pub const DB_CLIENT_RESPONSE_RETURNED_ROWS: InstrumentSpec = InstrumentSpec {
    name: names::DB_CLIENT_RESPONSE_RETURNED_ROWS,
    kind: Kind::Histogram,
    unit: "{row}",
    description: "Rows returned by database operations that return a row set.",
    // Recorded for operations that succeeded only: no outcome labels.
    attributes: &[
        names::DB_SYSTEM_NAME,
        names::DB_NAMESPACE,
        names::DB_OPERATION_NAME,
        names::DB_COLLECTION_NAME,
        names::DB_QUERY_SUMMARY,
        names::SERVER_ADDRESS,
    ],
};
/// Connections of a pool, by state.
pub const DB_CLIENT_CONNECTION_COUNT: InstrumentSpec = InstrumentSpec {
    name: names::DB_CLIENT_CONNECTION_COUNT,
    kind: Kind::UpDownCounter,
    unit: "{connection}",
    description: "Connections of a pool, by db.client.connection.state (idle, used).",
    attributes: &[
        names::DB_CLIENT_CONNECTION_POOL_NAME,
        names::DB_CLIENT_CONNECTION_STATE,
    ],
};
/// The most connections a pool may open.
pub const DB_CLIENT_CONNECTION_MAX: InstrumentSpec = InstrumentSpec {
    name: names::DB_CLIENT_CONNECTION_MAX,
    kind: Kind::UpDownCounter,
    unit: "{connection}",
    description: "The most connections a pool may open; used near max means waits.",
    attributes: &[names::DB_CLIENT_CONNECTION_POOL_NAME],
};

/// Cache lookups by result (hit, miss).
pub const CACHE_REQUESTS: InstrumentSpec = InstrumentSpec {
    name: names::CACHE_REQUESTS,
    kind: Kind::Counter,
    unit: "{request}",
    description: "Cache lookups by cache.result (hit, miss); the hit ratio is hits over all.",
    attributes: &[
        names::CACHE_NAME,
        names::CACHE_OPERATION,
        names::CACHE_RESULT,
    ],
};
/// Duration of cache operations.
pub const CACHE_OPERATION_DURATION: InstrumentSpec = InstrumentSpec {
    name: names::CACHE_OPERATION_DURATION,
    kind: Kind::Histogram,
    unit: "s",
    description:
        "Duration of cache operations (get, set, delete, ...), with error.type when they failed.",
    attributes: &[names::CACHE_NAME, names::CACHE_OPERATION, names::ERROR_TYPE],
};
/// Items waiting in an in-process queue.
pub const QUEUE_DEPTH: InstrumentSpec = InstrumentSpec {
    name: names::QUEUE_DEPTH,
    kind: Kind::UpDownCounter,
    unit: "{item}",
    description: "Items enqueued and not yet dequeued.",
    attributes: &[names::QUEUE_NAME],
};
/// Time items waited between enqueue and dequeue.
pub const QUEUE_WAIT_DURATION: InstrumentSpec = InstrumentSpec {
    name: names::QUEUE_WAIT_DURATION,
    kind: Kind::Histogram,
    unit: "s",
    description: "Time items waited in the queue, from enqueue to dequeue.",
    attributes: &[names::QUEUE_NAME],
};
/// Time spent processing dequeued items.
pub const QUEUE_PROCESS_DURATION: InstrumentSpec = InstrumentSpec {
    name: names::QUEUE_PROCESS_DURATION,
    kind: Kind::Histogram,
    unit: "s",
    description: "Time spent processing dequeued items, with error.type when processing failed.",
    attributes: &[names::QUEUE_NAME, names::ERROR_TYPE],
};
/// Items processed, failed ones with `error.type`.
pub const QUEUE_PROCESSED: InstrumentSpec = InstrumentSpec {
    name: names::QUEUE_PROCESSED,
    kind: Kind::Counter,
    unit: "{item}",
    description: "Items processed; error.type marks failed ones (cancelled: dropped unfinished).",
    attributes: &[names::QUEUE_NAME, names::ERROR_TYPE],
};
/// Application errors by category and component.
pub const APP_ERRORS: InstrumentSpec = InstrumentSpec {
    name: names::APP_ERRORS,
    kind: Kind::Counter,
    unit: "{error}",
    description: "Application errors recorded with ferrotel::app_errors::ErrorCounter, by category, component and error type.",
    attributes: &[names::ERROR_CATEGORY, names::APP_COMPONENT, names::ERROR_TYPE],
};

const GEN_AI: &[&str] = &[
    names::GEN_AI_OPERATION_NAME,
    names::GEN_AI_PROVIDER_NAME,
    names::GEN_AI_REQUEST_MODEL,
    names::GEN_AI_RESPONSE_MODEL,
    names::ERROR_TYPE,
];

/// Tokens per LLM call, by `gen_ai.token.type` (input, output).
pub const GEN_AI_CLIENT_TOKEN_USAGE: InstrumentSpec = InstrumentSpec {
    name: names::GEN_AI_CLIENT_TOKEN_USAGE,
    kind: Kind::Histogram,
    unit: "{token}",
    description: "Tokens per LLM call by gen_ai.token.type (input includes cached input; output includes reasoning).",
    attributes: &[
        names::GEN_AI_OPERATION_NAME,
        names::GEN_AI_PROVIDER_NAME,
        names::GEN_AI_REQUEST_MODEL,
        names::GEN_AI_RESPONSE_MODEL,
        names::GEN_AI_TOKEN_TYPE,
        names::TENANT,
    ],
};
/// Duration of LLM calls.
pub const GEN_AI_CLIENT_OPERATION_DURATION: InstrumentSpec = InstrumentSpec {
    name: names::GEN_AI_CLIENT_OPERATION_DURATION,
    kind: Kind::Histogram,
    unit: "s",
    description: "Duration of LLM calls, to the last chunk for streamed ones.",
    attributes: GEN_AI,
};
/// Time to the first chunk of streamed LLM calls.
pub const GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK: InstrumentSpec = InstrumentSpec {
    name: names::GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK,
    kind: Kind::Histogram,
    unit: "s",
    description: "Time from the request to the first chunk of a streamed LLM response.",
    attributes: GEN_AI,
};
/// Cost of LLM calls in US dollars.
pub const GEN_AI_CLIENT_COST: InstrumentSpec = InstrumentSpec {
    name: names::GEN_AI_CLIENT_COST,
    kind: Kind::Counter,
    unit: "{USD}",
    description:
        "Cost of LLM calls in US dollars: the provider's reported cost, else the price table's; by tenant and by the http.route of the request being served.",
    // Recorded for calls that succeeded, by tenant (bounded by FERROTEL_GENAI_TENANT_LIMIT)
    // and route (bounded by genai::MAX_COST_ROUTES).
    attributes: &[
        names::GEN_AI_OPERATION_NAME,
        names::GEN_AI_PROVIDER_NAME,
        names::GEN_AI_REQUEST_MODEL,
        names::GEN_AI_RESPONSE_MODEL,
        names::TENANT,
        names::HTTP_ROUTE,
    ],
};
/// LLM calls whose model has no price.
pub const GEN_AI_CLIENT_COST_UNPRICED: InstrumentSpec = InstrumentSpec {
    name: names::GEN_AI_CLIENT_COST_UNPRICED,
    kind: Kind::Counter,
    unit: "{call}",
    description: "LLM calls whose model the price table does not know: their cost is missing from gen_ai.client.cost.",
    attributes: &[names::GEN_AI_PROVIDER_NAME, names::GEN_AI_REQUEST_MODEL],
};

/// Duration of agent runs by outcome.
pub const GEN_AI_INVOKE_AGENT_DURATION: InstrumentSpec = InstrumentSpec {
    name: names::GEN_AI_INVOKE_AGENT_DURATION,
    kind: Kind::Histogram,
    unit: "s",
    description:
        "Duration of agent runs by gen_ai.agent.outcome (success, failure, step_limit, cancelled).",
    attributes: &[
        names::GEN_AI_AGENT_NAME,
        names::GEN_AI_AGENT_OUTCOME,
        names::ERROR_TYPE,
    ],
};
/// LLM calls per agent run.
pub const GEN_AI_INVOKE_AGENT_LLM_CALLS: InstrumentSpec = InstrumentSpec {
    name: names::GEN_AI_INVOKE_AGENT_LLM_CALLS,
    kind: Kind::Histogram,
    unit: "{call}",
    description: "LLM calls an agent run made.",
    attributes: &[names::GEN_AI_AGENT_NAME],
};
/// Tool calls per agent run.
pub const GEN_AI_INVOKE_AGENT_TOOL_CALLS: InstrumentSpec = InstrumentSpec {
    name: names::GEN_AI_INVOKE_AGENT_TOOL_CALLS,
    kind: Kind::Histogram,
    unit: "{call}",
    description: "Tool calls an agent run made.",
    attributes: &[names::GEN_AI_AGENT_NAME],
};
/// What an agent run cost: the sum of its priced LLM calls.
pub const GEN_AI_INVOKE_AGENT_COST: InstrumentSpec = InstrumentSpec {
    name: names::GEN_AI_INVOKE_AGENT_COST,
    kind: Kind::Histogram,
    unit: "{USD}",
    description: "Cost of agent runs in US dollars: the sum of the priced LLM calls each run made, by agent and gen_ai.agent.outcome.",
    attributes: &[names::GEN_AI_AGENT_NAME, names::GEN_AI_AGENT_OUTCOME],
};
/// Duration of tool calls by tool.
pub const GEN_AI_EXECUTE_TOOL_DURATION: InstrumentSpec = InstrumentSpec {
    name: names::GEN_AI_EXECUTE_TOOL_DURATION,
    kind: Kind::Histogram,
    unit: "s",
    description: "Duration of tool calls by tool, with error.type when the tool failed.",
    attributes: &[
        names::GEN_AI_TOOL_NAME,
        names::GEN_AI_TOOL_TYPE,
        names::ERROR_TYPE,
    ],
};
/// Seconds of audio processed by speech-to-text and text-to-speech calls.
pub const GEN_AI_CLIENT_AUDIO_PROCESSED: InstrumentSpec = InstrumentSpec {
    name: names::GEN_AI_CLIENT_AUDIO_PROCESSED,
    kind: Kind::Counter,
    unit: "s",
    description: "Seconds of audio processed by voice calls (transcription, speech).",
    attributes: GEN_AI,
};
