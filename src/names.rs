//! Metric and attribute names used by ferrotel, taken from
//! `opentelemetry-semantic-conventions` wherever a convention exists.

// Some names are used only by optional features.
#[allow(unused_imports)]
pub(crate) use opentelemetry_semantic_conventions::attribute::{
    CPU_MODE, DB_CLIENT_CONNECTION_POOL_NAME, DB_CLIENT_CONNECTION_STATE, DB_COLLECTION_NAME,
    DB_NAMESPACE, DB_OPERATION_NAME, DB_QUERY_SUMMARY, DB_RESPONSE_STATUS_CODE, DB_SYSTEM_NAME,
    DEPLOYMENT_ENVIRONMENT_NAME, ERROR_TYPE, HOST_NAME, HTTP_REQUEST_METHOD,
    HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE, NETWORK_PROTOCOL_VERSION, OTEL_COMPONENT_NAME,
    OTEL_COMPONENT_TYPE, PROCESS_PID, RPC_METHOD, RPC_RESPONSE_STATUS_CODE, RPC_SYSTEM_NAME,
    SERVER_ADDRESS, SERVER_PORT, SERVICE_INSTANCE_ID, SERVICE_NAME, SERVICE_NAMESPACE,
    SERVICE_VERSION, URL_PATH, URL_SCHEME,
};
pub(crate) use opentelemetry_semantic_conventions::metric::{
    DB_CLIENT_CONNECTION_COUNT, DB_CLIENT_CONNECTION_MAX, DB_CLIENT_OPERATION_DURATION,
    DB_CLIENT_RESPONSE_RETURNED_ROWS, HTTP_CLIENT_REQUEST_DURATION, HTTP_SERVER_ACTIVE_REQUESTS,
    HTTP_SERVER_REQUEST_BODY_SIZE, HTTP_SERVER_REQUEST_DURATION, HTTP_SERVER_RESPONSE_BODY_SIZE,
    OTEL_SDK_EXPORTER_LOG_EXPORTED, OTEL_SDK_EXPORTER_METRIC_DATA_POINT_EXPORTED,
    OTEL_SDK_EXPORTER_SPAN_EXPORTED, OTEL_SDK_PROCESSOR_LOG_PROCESSED,
    OTEL_SDK_PROCESSOR_LOG_QUEUE_CAPACITY, OTEL_SDK_PROCESSOR_LOG_QUEUE_SIZE,
    OTEL_SDK_PROCESSOR_SPAN_PROCESSED, OTEL_SDK_PROCESSOR_SPAN_QUEUE_CAPACITY,
    OTEL_SDK_PROCESSOR_SPAN_QUEUE_SIZE, PROCESS_CPU_TIME, PROCESS_MEMORY_USAGE,
    PROCESS_MEMORY_VIRTUAL, PROCESS_THREAD_COUNT, PROCESS_UNIX_FILE_DESCRIPTOR_COUNT,
    PROCESS_UPTIME, RPC_CLIENT_CALL_DURATION, RPC_SERVER_CALL_DURATION,
};

/// ferrotel's own names, where no convention exists (listed in docs/metrics.md's metric table).
pub(crate) const HEALTH_CHECK_STATUS: &str = "health.check.status";
pub(crate) const HEALTH_CHECK_DURATION: &str = "health.check.duration";
pub(crate) const HEALTH_CHECK_NAME: &str = "health.check.name";
pub(crate) const HEALTH_STATUS: &str = "health.status";
pub(crate) const HEALTH_CHECK_CRITICAL: &str = "health.check.critical";
pub(crate) const PROCESS_MEMORY_LIMIT: &str = "process.memory.limit";
pub(crate) const PROCESS_CPU_LIMIT: &str = "process.cpu.limit";
pub(crate) const TOKIO_WORKERS: &str = "tokio.runtime.workers";
pub(crate) const TOKIO_ALIVE_TASKS: &str = "tokio.runtime.alive_tasks";
pub(crate) const TOKIO_GLOBAL_QUEUE_DEPTH: &str = "tokio.runtime.global_queue.depth";
pub(crate) const TOKIO_BUSY_TIME: &str = "tokio.runtime.busy_time";
pub(crate) const TOKIO_RUNTIME_FLAVOR: &str = "tokio.runtime.flavor";
pub(crate) const CACHE_REQUESTS: &str = "cache.requests";
pub(crate) const CACHE_OPERATION_DURATION: &str = "cache.operation.duration";
pub(crate) const CACHE_NAME: &str = "cache.name";
pub(crate) const CACHE_OPERATION: &str = "cache.operation";
pub(crate) const CACHE_RESULT: &str = "cache.result";
pub(crate) const QUEUE_DEPTH: &str = "queue.depth";
pub(crate) const QUEUE_WAIT_DURATION: &str = "queue.wait.duration";
pub(crate) const QUEUE_PROCESS_DURATION: &str = "queue.process.duration";
pub(crate) const QUEUE_PROCESSED: &str = "queue.processed";
pub(crate) const QUEUE_NAME: &str = "queue.name";
pub(crate) const APP_ERRORS: &str = "app.errors";
pub(crate) const ERROR_CATEGORY: &str = "error.category";
pub(crate) const APP_COMPONENT: &str = "app.component";
/// GenAI names: declared here since the semantic-conventions crate marks them deprecated (moved).
pub(crate) const GEN_AI_CLIENT_TOKEN_USAGE: &str = "gen_ai.client.token.usage";
pub(crate) const GEN_AI_CLIENT_OPERATION_DURATION: &str = "gen_ai.client.operation.duration";
pub(crate) const GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK: &str =
    "gen_ai.client.operation.time_to_first_chunk";
pub(crate) const GEN_AI_CLIENT_COST: &str = "gen_ai.client.cost";
pub(crate) const GEN_AI_INVOKE_AGENT_COST: &str = "gen_ai.invoke_agent.cost";
pub(crate) const GEN_AI_CLIENT_COST_UNPRICED: &str = "gen_ai.client.cost.unpriced";
pub(crate) const GEN_AI_OPERATION_NAME: &str = "gen_ai.operation.name";
pub(crate) const GEN_AI_PROVIDER_NAME: &str = "gen_ai.provider.name";
pub(crate) const GEN_AI_REQUEST_MODEL: &str = "gen_ai.request.model";
pub(crate) const GEN_AI_RESPONSE_MODEL: &str = "gen_ai.response.model";
pub(crate) const GEN_AI_TOKEN_TYPE: &str = "gen_ai.token.type";
pub(crate) const GEN_AI_INVOKE_AGENT_DURATION: &str = "gen_ai.invoke_agent.duration";
pub(crate) const GEN_AI_INVOKE_AGENT_LLM_CALLS: &str = "gen_ai.invoke_agent.llm_calls";
pub(crate) const GEN_AI_INVOKE_AGENT_TOOL_CALLS: &str = "gen_ai.invoke_agent.tool_calls";
pub(crate) const GEN_AI_EXECUTE_TOOL_DURATION: &str = "gen_ai.execute_tool.duration";
pub(crate) const GEN_AI_CLIENT_AUDIO_PROCESSED: &str = "gen_ai.client.audio.processed";
pub(crate) const GEN_AI_AGENT_NAME: &str = "gen_ai.agent.name";
pub(crate) const GEN_AI_AGENT_OUTCOME: &str = "gen_ai.agent.outcome";
pub(crate) const GEN_AI_TOOL_NAME: &str = "gen_ai.tool.name";
pub(crate) const GEN_AI_TOOL_TYPE: &str = "gen_ai.tool.type";
pub(crate) const TENANT: &str = "tenant";
