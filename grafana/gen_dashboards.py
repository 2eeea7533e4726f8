#!/usr/bin/env python3
# Writes grafana/dashboards/*.json. Run from the repository root after editing:
#   python3 grafana/gen_dashboards.py          (or: ... OUTPUT_DIR)
# tests/configs checks the committed JSON is what this script writes, that every panel
# has a description and a unit, and that every query selects by service_name (never job);
# tests/e2e checks every query returns data from a real Prometheus scraping the demo.
import json
import os
import sys

DS = {"type": "prometheus", "uid": "prometheus"}
SVC = 'service_name="$service_name"'
RI = "$__rate_interval"


def rate(metric, sel="", by=None, window=RI):
    inner = f"rate({metric}{{{SVC}{', ' + sel if sel else ''}}}[{window}])"
    return f"sum by ({', '.join(by)}) ({inner})" if by else f"sum({inner})"


def ratio(metric, bad, by=None, base_sel=""):
    """Share of `metric` events matching `bad`; 0 (not "No data") while there are none."""
    all_ = rate(metric, base_sel, by)
    sel = f"{base_sel}, {bad}" if base_sel else bad
    return f"({rate(metric, sel, by)} or 0 * {all_})\n/ {all_}"


def quantile(q, metric, by=(), sel=""):
    b = ", ".join(list(by) + ["le"])
    return f"histogram_quantile({q}, {rate(metric + '_bucket', sel, [b])})"


def target(expr, legend="__auto", ref="A", exemplar=False):
    t = {"refId": ref, "datasource": DS, "expr": expr, "legendFormat": legend, "range": True}
    if exemplar:
        t["exemplar"] = True
    return t


class Board:
    def __init__(self, uid, title, description, var_metric, extra_vars=()):
        self.uid, self.title, self.description = uid, title, description
        self.var_metric, self.extra_vars = var_metric, list(extra_vars)
        self.panels, self.x, self.y, self.row_h, self.next_id = [], 0, 0, 0, 1

    def row(self, title):
        self._newline()
        self.panels.append({"type": "row", "id": self._id(), "title": title, "collapsed": False,
                            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "panels": []})
        self.y += 1

    def _id(self):
        self.next_id += 1
        return self.next_id - 1

    def _newline(self):
        if self.x:
            self.x, self.y, self.row_h = 0, self.y + self.row_h, 0

    def _place(self, w, h):
        if self.x + w > 24:
            self._newline()
        pos = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.x += w
        self.row_h = max(self.row_h, h)
        return pos

    def ts(self, title, description, unit, targets, w=12, h=8, stack=False, thresholds=None):
        custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10,
                  "showPoints": "never", "spanNulls": False,
                  "stacking": {"mode": "normal" if stack else "none", "group": "A"}}
        defaults = {"unit": unit, "custom": custom}
        if thresholds:
            defaults["thresholds"] = thresholds
            custom["thresholdsStyle"] = {"mode": "dashed"}
        self.panels.append({
            "type": "timeseries", "id": self._id(), "title": title, "description": description,
            "datasource": DS, "gridPos": self._place(w, h),
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": {"legend": {"showLegend": True, "displayMode": "list",
                                   "placement": "bottom", "calcs": []},
                        "tooltip": {"mode": "multi", "sort": "desc"}},
            "targets": [t if isinstance(t, dict) else target(t, ref=chr(65 + i))
                        for i, t in enumerate(targets)],
        })

    def stat(self, title, description, unit, expr, w=6, h=4, thresholds=None, mappings=None,
             decimals=None):
        defaults = {"unit": unit, "thresholds": thresholds or
                    {"mode": "absolute", "steps": [{"color": "green", "value": None}]}}
        if mappings:
            defaults["mappings"] = mappings
        if decimals is not None:
            defaults["decimals"] = decimals
        self.panels.append({
            "type": "stat", "id": self._id(), "title": title, "description": description,
            "datasource": DS, "gridPos": self._place(w, h),
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "orientation": "auto", "textMode": "auto", "colorMode": "value",
                        "graphMode": "area", "justifyMode": "auto", "wideLayout": True,
                        "showPercentChange": False, "percentChangeColorMode": "standard"},
            "targets": [expr if isinstance(expr, dict) else target(expr, legend="__auto")],
        })

    def json(self):
        variables = [{
            "name": "service_name", "label": "Service", "type": "query", "datasource": DS,
            "query": {"qryType": 1, "query": f"label_values({self.var_metric}, service_name)",
                      "refId": "PrometheusVariableQueryEditor-VariableQuery"},
            "refresh": 2, "sort": 1, "includeAll": False, "multi": False,
            "description": "The service.name resource attribute of the service shown.",
        }] + self.extra_vars
        return {
            "uid": self.uid, "title": self.title, "description": self.description,
            "tags": ["ferrotel"], "editable": False, "graphTooltip": 1, "schemaVersion": 41,
            "version": 1, "refresh": "30s", "timezone": "browser", "fiscalYearStartMonth": 0,
            "liveNow": False, "time": {"from": "now-1h", "to": "now"},
            "links": [{"title": "ferrotel dashboards", "type": "dashboards", "tags": ["ferrotel"],
                       "asDropdown": True, "includeVars": True, "keepTime": True, "icon": "external link",
                       "targetBlank": False, "tooltip": "", "url": ""}],
            "annotations": {"list": [{
                "name": "Alerts", "enable": True, "iconColor": "red",
                "datasource": DS, "hide": False,
                "expr": f'ALERTS{{{SVC}, alertstate="firing"}}',
                "titleFormat": "{{alertname}}", "tagKeys": "severity", "textFormat": "{{alertname}} firing",
                "step": "60s", "useValueForTime": False}]},
            "templating": {"list": variables},
            "panels": self.panels,
        }


RED = {"mode": "absolute", "steps": [{"color": "green", "value": None},
                                     {"color": "orange", "value": 0.001},
                                     {"color": "red", "value": 0.01}]}
def two_states(zero, one):
    """Value mappings for a 0/1 series: red text for 0, green for 1."""
    return [{"type": "value", "options": {"0": {"text": zero, "color": "red", "index": 0},
                                          "1": {"text": one, "color": "green", "index": 1}}}]


HEALTH = two_states("failing", "healthy")


def service_overview():
    b = Board("ferrotel-service", "ferrotel / Service overview",
              "RED metrics, saturation and dependency health of one service (ferrotel's HTTP server layer, process and runtime metrics, health registry).",
              "http_server_request_duration_seconds_count")
    H = "http_server_request_duration_seconds"
    b.row("Traffic and errors")
    b.stat("Request rate", "HTTP requests per second served, all routes.", "reqps", rate(H + "_count"))
    b.stat("5xx ratio", "Share of requests answered with a 5xx: the availability SLI's complement (SLO 99.9 %).",
           "percentunit", ratio(H + "_count", 'http_response_status_code=~"5.."'), thresholds=RED)
    b.stat("p99 latency", "99th percentile of server request duration, measured to the end of the response body.",
           "s", quantile(0.99, H))
    b.stat("Slow requests", "Share of requests slower than 500 ms: the latency SLI's complement (recording rule).",
           "percentunit", f"service:http_server_slow:ratio_rate5m{{{SVC}}}", thresholds=RED)
    b.ts("Requests by route and status", "Request rate per matched route (http.route) and status code. Raw paths never become labels.",
         "reqps", [target(rate(H + "_count", by=["http_route", "http_response_status_code"]),
                          "{{http_route}} {{http_response_status_code}}")], stack=True)
    b.ts("5xx ratio by route", "Share of each route's requests answered with a 5xx.", "percentunit",
         [target(ratio(H + "_count", 'http_response_status_code=~"5.."', by=["http_route"]), "{{http_route}}")],
         thresholds=RED)
    b.ts("Latency percentiles", "p50, p95 and p99 of server request duration over all routes.",
         "s", [target(quantile(q, H), f"p{int(q * 100)}", chr(65 + i))
               for i, q in enumerate([0.5, 0.95, 0.99])])
    # Span metrics exist only where traces pass through the collector (its spanmetrics
    # connector); they are the one source of exemplars (trace ids on buckets).
    b.ts("Server span latency with exemplars",
         "p95 of server span duration by span name, derived by the collector's spanmetrics connector from the traces it forwards. "
         "Its exemplars (dots) link each bucket to a trace in Tempo. Empty for services whose traces skip the collector; "
         "ferrotel's own metrics carry no exemplars.",
         "s", [target(quantile(0.95, "traces_span_metrics_duration_seconds", ["span_name"],
                               'span_kind="SPAN_KIND_SERVER"'), "p95 {{span_name}}", exemplar=True)])
    burn = {"mode": "absolute", "steps": [{"color": "green", "value": None},
                                          {"color": "orange", "value": 6},
                                          {"color": "red", "value": 14.4}]}
    b.ts("Error-budget burn rate", "How fast the 30-day error budget (0.1 % of requests may fail) burns: 1 spends it exactly in 30 days. Pages fire at 14.4 (1h and 5m windows) and 6 (6h and 30m).",
         "none", [target(f"service:http_server_errors:ratio_rate{w}{{{SVC}}} / 0.001", f"{w} window", chr(65 + i))
                  for i, w in enumerate(["5m", "1h", "30m", "6h"])], thresholds=burn)
    b.ts("Latency-budget burn rate", "How fast the 30-day latency budget (1 % of requests may take over 500 ms) burns. Pages fire at 14.4 (1h and 5m windows) and 6 (6h and 30m).",
         "none", [target(f"service:http_server_slow:ratio_rate{w}{{{SVC}}} / 0.01", f"{w} window", chr(65 + i))
                  for i, w in enumerate(["5m", "1h", "30m", "6h"])], thresholds=burn)
    b.row("Saturation")
    b.ts("In-flight requests", "HTTP requests being served right now.", "short",
         [target(f"sum(http_server_active_requests{{{SVC}}})", "in flight")], w=8)
    b.ts("Tokio busy ratio", "Share of worker time the Tokio runtime spent busy; near 1 means the service is CPU-bound or blocking its workers.",
         "percentunit", [target(f"sum(rate(tokio_runtime_busy_time_seconds_total{{{SVC}}}[{RI}])) / sum(tokio_runtime_workers{{{SVC}}})", "busy")], w=8)
    b.ts("CPU", "CPU time used per second (cores), user and system, against the CPUs the process may use (its cgroup quota); ProcessCpuSaturated opens a ticket over 90 % for 15 minutes.", "short",
         [target(f"sum(rate(process_cpu_time_seconds_total{{{SVC}}}[{RI}]))", "cores", "A"),
          target(f"sum(process_cpu_limit{{{SVC}}})", "limit", "B")], w=8)
    b.ts("Memory", "Resident memory of the process against the memory it may use (its cgroup limit, else the machine's); ProcessMemoryNearLimit pages over 90 %.", "bytes",
         [target(f"sum(process_memory_usage_bytes{{{SVC}}})", "resident", "A"),
          target(f"sum(process_memory_limit_bytes{{{SVC}}})", "limit", "B")], w=8)
    b.ts("Open file descriptors", "File descriptors the process holds (sockets included).", "short",
         [target(f"sum(process_unix_file_descriptor_count{{{SVC}}})", "open")], w=8)
    b.ts("Outbound HTTP latency p95", "95th percentile of the service's own HTTP client calls, by server.", "s",
         [target(quantile(0.95, "http_client_request_duration_seconds", ["server_address"]), "{{server_address}}")], w=8)
    b.row("Health and errors")
    b.stat("Dependencies healthy", "1 per health check whose last result is healthy, 0 when it is degraded, unknown or unhealthy (the registry's cached results).",
           "none", target(f'max by (health_check_name) (health_check_status{{{SVC}, health_status="healthy"}})',
                          "{{health_check_name}}"), w=8, mappings=HEALTH,
           thresholds={"mode": "absolute", "steps": [{"color": "red", "value": None}, {"color": "green", "value": 1}]})
    b.ts("Components by status", "How many health-checked components are healthy, degraded, unknown (not checked yet, or the first check timed out) and unhealthy. ComponentUnhealthy pages for a critical component unhealthy or unknown; ComponentDegraded opens a ticket for the rest.",
         "none", [target(f'sum by (health_status) (health_check_status{{{SVC}}})', "{{health_status}}")], w=8, stack=True)
    b.ts("Health check duration p95", "How long each dependency's health check takes; a slow check is an early sign of trouble.",
         "s", [target(quantile(0.95, "health_check_duration_seconds", ["health_check_name"]), "{{health_check_name}}")], w=8)
    b.ts("Errors by category", "Errors recorded with ferrotel::app_errors::ErrorCounter, by category and component; ErrorCategorySpike opens a ticket when one category runs at 3x its daily rate.", "ops",
         [target(rate("app_errors_total", by=["error_category", "app_component"]), "{{error_category}} {{app_component}}")], w=8, stack=True)
    return b


def llm():
    model = {"name": "model", "label": "Model", "type": "query", "datasource": DS,
             "query": {"qryType": 1, "query": f"label_values(gen_ai_client_operation_duration_seconds_count{{{SVC}}}, gen_ai_request_model)",
                       "refId": "PrometheusVariableQueryEditor-VariableQuery"},
             "refresh": 2, "sort": 1, "includeAll": True, "multi": True, "allValue": ".*",
             "current": {"text": ["All"], "value": ["$__all"]},
             "description": "Requested models (gen_ai.request.model)."}
    b = Board("ferrotel-llm", "ferrotel / LLM and agents",
              "LLM calls (tokens, cost, latency, time to first token) and AI-agent runs (outcomes, steps, tool calls) of one service.",
              "gen_ai_client_operation_duration_seconds_count", [model])
    M = 'gen_ai_request_model=~"$model"'
    D = "gen_ai_client_operation_duration_seconds"
    b.row("Spend and tokens")
    b.stat("Spend, last hour", "US dollars spent on LLM calls over the last hour (prices from genai-prices plus overrides).",
           "currencyUSD", f"sum(increase(gen_ai_client_cost_total{{{SVC}, {M}}}[1h]))", decimals=4)
    b.stat("Spend rate", "Dollars per hour at the last hour's pace (recording rule); LlmCostBudgetBurn pages above 50.",
           "currencyUSD", f"sum(service:gen_ai_cost_usd:rate1h{{{SVC}}})", decimals=4,
           thresholds={"mode": "absolute", "steps": [{"color": "green", "value": None}, {"color": "red", "value": 50}]})
    b.stat("Tokens per second", "Input and output tokens per second, all models (cached input is part of input, reasoning part of output).", "short",
           rate("gen_ai_client_token_usage_sum", M))
    b.stat("Unpriced calls, last hour", "Calls to models with no known price: their cost is missing from the totals. Add an override to the price table.",
           "short", f"sum(increase(gen_ai_client_cost_unpriced_total{{{SVC}}}[1h])) or vector(0)",
           thresholds={"mode": "absolute", "steps": [{"color": "green", "value": None}, {"color": "orange", "value": 1}]})
    b.ts("Tokens by model and type", "Tokens per second by requested model and gen_ai.token.type: input and output, the two types recorded (cached input tokens count as input, reasoning tokens as output).",
         "short", [target(rate("gen_ai_client_token_usage_sum", M, ["gen_ai_request_model", "gen_ai_token_type"]),
                          "{{gen_ai_request_model}} {{gen_ai_token_type}}")], stack=True)
    b.ts("Cost by model", "Dollars per hour by requested model.", "currencyUSD",
         [target(rate("gen_ai_client_cost_total", M, ["gen_ai_request_model"]) + " * 3600", "{{gen_ai_request_model}}")], stack=True)
    b.ts("Cost by tenant", "Dollars per hour by tenant (the first FERROTEL_GENAI_TENANT_LIMIT tenants; the rest are 'other').",
         "currencyUSD", [target(rate("gen_ai_client_cost_total", M, ["tenant"]) + " * 3600", "{{tenant}}")], stack=True)
    b.ts("Spend by tenant, last 24 hours", "Dollars each tenant spent over the last day; TenantLlmBudget opens a ticket over 50 per tenant.",
         "currencyUSD", [target(f"sum by (tenant) (increase(gen_ai_client_cost_total{{{SVC}}}[1d]))", "{{tenant}}")],
         thresholds={"mode": "absolute", "steps": [{"color": "green", "value": None}, {"color": "red", "value": 50}]})
    b.ts("Spend, last 24 hours", "Dollars spent over the last day, all models; LlmDailyBudgetBurn opens a ticket at 800 (80 % of a 1,000 daily budget).",
         "currencyUSD", [target(f"sum(increase(gen_ai_client_cost_total{{{SVC}}}[1d]))", "spent")],
         thresholds={"mode": "absolute", "steps": [{"color": "green", "value": None}, {"color": "red", "value": 800}]})
    b.ts("LLM error ratio", "Share of LLM calls that failed (HTTP error, transport, cancelled), by model; LlmErrorRatio pages over 10 % per provider and model.", "percentunit",
         [target(ratio(D + "_count", 'error_type!=""', ["gen_ai_request_model"], M), "{{gen_ai_request_model}}")], thresholds=RED)
    b.ts("Cost by route", "Dollars per hour by the http.route of the request that made the calls (the first 100 routes; the rest are 'other'); calls outside a request have no route.",
         "currencyUSD", [target(rate("gen_ai_client_cost_total", M, ["http_route"]) + " * 3600", "{{http_route}}")], stack=True)
    b.ts("Cost per agent run", "Mean and p95 of what one agent run cost: the sum of its priced LLM calls (gen_ai.invoke_agent.cost).",
         "currencyUSD", [target(f"sum by (gen_ai_agent_name) (rate(gen_ai_invoke_agent_cost_sum{{{SVC}}}[{RI}])) / sum by (gen_ai_agent_name) (rate(gen_ai_invoke_agent_cost_count{{{SVC}}}[{RI}]))", "mean {{gen_ai_agent_name}}", "A"),
                         target(quantile(0.95, "gen_ai_invoke_agent_cost", ["gen_ai_agent_name"]), "p95 {{gen_ai_agent_name}}", "B")])
    b.row("Latency")
    b.ts("LLM call duration", "p50 and p95 of whole LLM calls by model.", "s",
         [target(quantile(0.5, D, ["gen_ai_request_model"], M), "p50 {{gen_ai_request_model}}", "A"),
          target(quantile(0.95, D, ["gen_ai_request_model"], M), "p95 {{gen_ai_request_model}}", "B")])
    b.ts("Time to first token", "p50 and p95 of the wait for the first streamed chunk: what a user of a streaming reply feels.",
         "s", [target(quantile(0.5, "gen_ai_client_operation_time_to_first_chunk_seconds", ["gen_ai_request_model"], M), "p50 {{gen_ai_request_model}}", "A"),
               target(quantile(0.95, "gen_ai_client_operation_time_to_first_chunk_seconds", ["gen_ai_request_model"], M), "p95 {{gen_ai_request_model}}", "B")])
    b.row("Voice")
    b.ts("Audio processed", "Seconds of audio per second by operation: transcription (speech in) and speech (speech out).",
         "short", [target(rate("gen_ai_client_audio_processed_seconds_total", by=["gen_ai_operation_name"]), "{{gen_ai_operation_name}}")], stack=True)
    b.ts("Latency by operation", "p50 and p95 of transcription, chat and speech calls: the three legs of a voice turn.",
         "s", [target(quantile(0.5, D, ["gen_ai_operation_name"]), "p50 {{gen_ai_operation_name}}", "A"),
               target(quantile(0.95, D, ["gen_ai_operation_name"]), "p95 {{gen_ai_operation_name}}", "B")])
    b.row("Agents")
    A = "gen_ai_invoke_agent_duration_seconds"
    b.ts("Agent runs by outcome", "Agent runs per second by agent and outcome (success, failure, step_limit, cancelled).",
         "ops", [target(rate(A + "_count", by=["gen_ai_agent_name", "gen_ai_agent_outcome"]),
                        "{{gen_ai_agent_name}} {{gen_ai_agent_outcome}}")], w=8, stack=True)
    b.ts("Agent failure ratio", "Share of runs that failed; AgentFailureRatio opens a ticket over 10 %.", "percentunit",
         [target(ratio(A + "_count", 'gen_ai_agent_outcome="failure"', ["gen_ai_agent_name"]), "{{gen_ai_agent_name}}")], w=8)
    b.ts("Step-limit ratio", "Share of runs that ended because they hit their step budget: answers cut short; AgentStepLimitRatio opens a ticket over 5 %.", "percentunit",
         [target(ratio(A + "_count", 'gen_ai_agent_outcome="step_limit"', ["gen_ai_agent_name"]), "{{gen_ai_agent_name}}")], w=8)
    b.ts("Agent run duration p95", "95th percentile of whole agent runs.", "s",
         [target(quantile(0.95, A, ["gen_ai_agent_name"]), "{{gen_ai_agent_name}}")], w=8)
    T = "gen_ai_execute_tool_duration_seconds"
    b.ts("Tool calls", "Tool executions per second by tool.", "ops",
         [target(rate(T + "_count", by=["gen_ai_tool_name"]), "{{gen_ai_tool_name}}")], w=8, stack=True)
    b.ts("Tool error ratio", "Share of each tool's executions that failed; ToolErrorRatio opens a ticket over 10 %.", "percentunit",
         [target(ratio(T + "_count", 'error_type!=""', ["gen_ai_tool_name"]), "{{gen_ai_tool_name}}")], w=8, thresholds=RED)
    b.ts("Steps per run", "Mean LLM calls and tool calls per agent run: a rising count means the agent loops.", "short",
         [target(f"{rate('gen_ai_invoke_agent_llm_calls_sum')} / {rate('gen_ai_invoke_agent_llm_calls_count')}", "LLM calls", "A"),
          target(f"{rate('gen_ai_invoke_agent_tool_calls_sum')} / {rate('gen_ai_invoke_agent_tool_calls_count')}", "tool calls", "B")], w=8)
    return b


def data():
    b = Board("ferrotel-data", "ferrotel / Database and cache",
              "Database operations (by sanitized query summary), connection pools, cache hit ratio and queues of one service.",
              "db_client_operation_duration_seconds_count")
    D = "db_client_operation_duration_seconds"
    b.row("Database")
    b.ts("Operations by query", "Database operations per second by db.query.summary (sanitized: no literals).", "ops",
         [target(rate(D + "_count", by=["db_system_name", "db_query_summary"]), "{{db_system_name}} {{db_query_summary}}")], stack=True)
    b.ts("Operation duration p95", "95th percentile by query summary; SlowDatabaseQueries files a ticket above 500 ms for 10 minutes.",
         "s", [target(quantile(0.95, D, ["db_query_summary"]), "{{db_query_summary}}")],
         thresholds={"mode": "absolute", "steps": [{"color": "green", "value": None}, {"color": "red", "value": 0.5}]})
    b.ts("Operation error ratio", "Share of database operations that failed, by query summary.", "percentunit",
         [target(ratio(D + "_count", 'error_type!=""', ["db_query_summary"]), "{{db_query_summary}}")], w=8, thresholds=RED)
    b.ts("Rows returned p95", "95th percentile of rows a query returned: a jump is a missing LIMIT or filter.", "short",
         [target(quantile(0.95, "db_client_response_returned_rows", ["db_query_summary"]), "{{db_query_summary}}")], w=8)
    b.ts("Connection pool", "Connections in use and idle against the pool's maximum: used near max means queries wait for a connection; DbPoolSaturated opens a ticket over 90 % in use.",
         "short", [target(f"sum by (db_client_connection_pool_name, db_client_connection_state) (db_client_connection_count{{{SVC}}})",
                          "{{db_client_connection_pool_name}} {{db_client_connection_state}}", "A"),
                   target(f"sum by (db_client_connection_pool_name) (db_client_connection_max{{{SVC}}})",
                          "{{db_client_connection_pool_name}} max", "B")], w=8)
    b.row("Cache")
    C = "cache_requests_total"
    b.stat("Hit ratio", "Share of cache lookups that found their key; CacheHitRatioLow opens a ticket under 50 %.", "percentunit",
           rate(C, 'cache_result="hit"') + " / " + rate(C, 'cache_operation="get"'),
           thresholds={"mode": "absolute", "steps": [{"color": "red", "value": None}, {"color": "orange", "value": 0.5},
                                                     {"color": "green", "value": 0.8}]})
    b.ts("Lookups by result", "Cache lookups per second by cache and result (hit, miss).", "ops",
         [target(rate(C, by=["cache_name", "cache_result"]), "{{cache_name}} {{cache_result}}")], w=9, stack=True)
    b.ts("Cache operation duration p95", "95th percentile of cache operations by operation (get, set).", "s",
         [target(quantile(0.95, "cache_operation_duration_seconds", ["cache_name", "cache_operation"]),
                 "{{cache_name}} {{cache_operation}}")], w=9)
    b.row("Queues")
    b.ts("Queue depth", "Items waiting in each queue; QueueBacklogGrowing opens a ticket when over 100 wait and the backlog grows for 15 minutes.", "short",
         [target(f"sum by (queue_name) (queue_depth{{{SVC}}})", "{{queue_name}}")], w=8)
    b.ts("Queue wait p95", "95th percentile of the time an item waited before a worker took it; QueueWaitHigh opens a ticket over 30 s.", "s",
         [target(quantile(0.95, "queue_wait_duration_seconds", ["queue_name"]), "{{queue_name}}")], w=8)
    b.ts("Processed per second", "Items finished per second, by queue and outcome.", "ops",
         [target(rate("queue_processed_total", by=["queue_name", "error_type"]),
                 "{{queue_name}} {{error_type}}")], w=8, stack=True)
    return b


def pipeline():
    b = Board("ferrotel-pipeline", "ferrotel / Telemetry pipeline",
              "Is the telemetry itself arriving? The SDK's export queues, exports and drops (otel.sdk.* self-monitoring), and Prometheus' scrapes of the service.",
              "otel_sdk_exporter_span_exported_total")
    b.row("Export from the service")
    b.ts("Spans exported", "Spans per second handed to the collector, by outcome (error.type empty means delivered).", "ops",
         [target(rate("otel_sdk_exporter_span_exported_total", by=["error_type"]), "error={{error_type}}")], stack=True)
    b.ts("Log records exported", "Log records per second handed to the collector, by outcome.", "ops",
         [target(rate("otel_sdk_exporter_log_exported_total", by=["error_type"]), "error={{error_type}}")], stack=True)
    b.ts("Export failure ratio", "Share of spans and log records whose export failed; TelemetryExportFailing files a ticket after 10 minutes.",
         "percentunit", [target(ratio("otel_sdk_exporter_span_exported_total", 'error_type!=""'), "spans", "A"),
                         target(ratio("otel_sdk_exporter_log_exported_total", 'error_type!=""'), "logs", "B")], thresholds=RED)
    b.ts("Dropped before export", "Share of spans and log records dropped because the export queue was full (never blocks the application).",
         "percentunit", [target(ratio("otel_sdk_processor_span_processed_total", 'error_type="queue_full"'), "spans", "A"),
                         target(ratio("otel_sdk_processor_log_processed_total", 'error_type="queue_full"'), "logs", "B")], thresholds=RED)
    b.ts("Export queue fill", "Queue size over capacity; TelemetryQueueNearlyFull files a ticket above 80 %.", "percentunit",
         [target(f"sum(otel_sdk_processor_span_queue_size{{{SVC}}}) / sum(otel_sdk_processor_span_queue_capacity{{{SVC}}})", "spans", "A"),
          target(f"sum(otel_sdk_processor_log_queue_size{{{SVC}}}) / sum(otel_sdk_processor_log_queue_capacity{{{SVC}}})", "logs", "B")],
         thresholds={"mode": "absolute", "steps": [{"color": "green", "value": None}, {"color": "red", "value": 0.8}]})
    b.row("Scrapes")
    b.stat("Target up", "1 while Prometheus scrapes the service's /metrics (the pull path); TargetDown pages after 2 minutes at 0.",
           "none", f"min(up{{{SVC}}})", w=8, mappings=two_states("down", "up"),
           thresholds={"mode": "absolute", "steps": [{"color": "red", "value": None}, {"color": "green", "value": 1}]})
    b.ts("Scrape duration", "How long Prometheus takes to scrape the service's /metrics.", "s",
         [target(f"max(scrape_duration_seconds{{{SVC}}})", "duration")], w=8)
    b.ts("Series per scrape", "Samples in each scrape: a jump means a label with too many values.", "short",
         [target(f"sum(scrape_samples_scraped{{{SVC}}})", "samples")], w=8)
    return b


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "dashboards")
    os.makedirs(out, exist_ok=True)
    for name, build in [("service-overview", service_overview), ("llm-agents", llm),
                        ("database-cache", data), ("telemetry-pipeline", pipeline)]:
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(build().json(), f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
