# Writes prometheus/tests/alerts_test.yml: for every alert, a case where it fires and
# one where it stays silent. Expected annotations are the rule's templates with the
# expected labels filled in and the `value` annotation as the case states it (worked out
# from the input series by hand), so the test also checks the templates render.
# Run from the repository root: python3 prometheus/tests/gen_alert_tests.py
import yaml, re
FILES = ['ferrotel-recording.yml', 'ferrotel-alerts.yml', 'ferrotel-slo.yml']
alerts = {}
for f in FILES[1:]:
    for g in yaml.safe_load(open('prometheus/rules/' + f))['groups']:
        for r in g['rules']:
            if 'alert' in r:
                alerts.setdefault(r['alert'], r)

def ann(alert, labels, value):
    out = {}
    for k, v in alerts[alert]['annotations'].items():
        if k == 'value':
            assert value is not None, f'{alert} has a value annotation: the case must say what it renders'
            out[k] = value
            continue
        out[k] = re.sub(r'\{\{ \$labels\.(\w+) \}\}', lambda m: labels[m.group(1)], v)
    assert value is None or 'value' in out, f'{alert} has no value annotation'
    return out

def case(alert, series, eval_time, fires, labels, value=None):
    exp = []
    if fires:
        l = dict(labels)
        l['severity'] = alerts[alert]['labels']['severity']
        exp = [{'exp_labels': l, 'exp_annotations': ann(alert, l, value)}]
    return {'interval': '1m', 'input_series': series,
            'alert_rule_test': [{'eval_time': eval_time, 'alertname': alert, 'exp_alerts': exp}]}

def http(svc, ok, err, fast=None, slow=None, n=180):
    s = [{'series': f'http_server_request_duration_seconds_count{{service_name="{svc}",http_response_status_code="200"}}', 'values': f'0+{ok}x{n}'},
         {'series': f'http_server_request_duration_seconds_count{{service_name="{svc}",http_response_status_code="500"}}', 'values': f'0+{err}x{n}'}]
    if fast is not None:
        s.append({'series': f'http_server_request_duration_seconds_bucket{{service_name="{svc}",http_response_status_code="200",le="0.5"}}', 'values': f'0+{fast}x{n}'})
    return s

tests = []
# Error-budget burns: 10 % errors burn every window; 0.05 % burn none.
for alert, at in [('HttpErrorBudgetFastBurn', '70m'), ('HttpErrorBudgetSlowBurn', '7h'), ('HttpErrorBudgetTicket', '26h')]:
    n = 1700
    tests.append(case(alert, http('api', 900, 100, n=n), at, True, {'service_name': 'api'}, '10%'))
    tests.append(case(alert, http('api', 9995, 5, n=n), at, False, {}))
# Latency: 40 % of requests over 500 ms vs 0.5 %.
tests.append(case('HttpLatencyBudgetFastBurn', http('api', 1000, 0, fast=600), '70m', True, {'service_name': 'api'}, '40%'))
tests.append(case('HttpLatencyBudgetFastBurn', http('api', 1000, 0, fast=995), '70m', False, {}))
# Slow latency burn: 10 % slow for 7 hours pages; 3 % (above the SLO's 1 %, below 6x) does not.
tests.append(case('HttpLatencyBudgetSlowBurn', http('api', 1000, 0, fast=900, n=450), '7h', True, {'service_name': 'api'}, '10%'))
# Latency ticket: 10 % slow for a day opens one; 1 % (the SLO itself) does not.
tests.append(case('HttpLatencyBudgetTicket', http('api', 1000, 0, fast=900, n=1700), '26h', True, {'service_name': 'api'}, '10%'))
tests.append(case('HttpLatencyBudgetTicket', http('api', 1000, 0, fast=990, n=1700), '26h', False, {}))
tests.append(case('HttpLatencyBudgetSlowBurn', http('api', 1000, 0, fast=970, n=450), '7h', False, {}))
# LLM cost: $1.5 a minute is $90 an hour; 1 cent a minute is 60 cents.
cost = lambda per_min: [{'series': 'gen_ai_client_cost_total{service_name="chat",gen_ai_request_model="gpt-4o"}', 'values': f'0+{per_min}x120'}]
tests.append(case('LlmCostBudgetBurn', cost(1.5), '80m', True, {'service_name': 'chat'}, '90 USD/h'))
tests.append(case('LlmCostBudgetBurn', cost(0.01), '80m', False, {}))
# Tokens: steady 6,000 a minute for a day, then 60,000 a minute.
steady = '0+6000x1440 ' + ' '.join(str(6000 * 1440 + 60000 * i) for i in range(1, 31))
flat = '0+6000x1470'
tok = lambda v: [{'series': 'gen_ai_client_token_usage_sum{service_name="chat",gen_ai_token_type="input"}', 'values': v}]
tests.append(case('LlmTokenRateAnomaly', tok(steady), '1470m', True, {'service_name': 'chat'}, '1k tokens/s'))
tests.append(case('LlmTokenRateAnomaly', tok(flat), '1470m', False, {}))
# Unpriced calls.
unp = lambda v: [{'series': 'gen_ai_client_cost_unpriced_total{service_name="chat",gen_ai_request_model="mystery"}', 'values': v}]
tests.append(case('LlmUnpricedCalls', unp('0+1x60'), '40m', True, {'service_name': 'chat', 'gen_ai_request_model': 'mystery'}, '16.67m calls/s'))
tests.append(case('LlmUnpricedCalls', unp('5x60'), '40m', False, {}))
# Slow queries: every query in the (1, +Inf] bucket vs all under 10 ms.
def db(le_fast):
    base = 'db_client_operation_duration_seconds_bucket{service_name="chat",db_system_name="sqlite",db_query_summary="SELECT users",le="%s"}'
    return [{'series': base % '0.01', 'values': f'0+{le_fast}x60'},
            {'series': base % '0.5', 'values': f'0+{le_fast}x60'},
            {'series': base % '1', 'values': f'0+{le_fast}x60'},
            {'series': base % '+Inf', 'values': '0+10x60'}]
tests.append(case('SlowDatabaseQueries', db(0), '30m', True, {'service_name': 'chat', 'db_system_name': 'sqlite', 'db_query_summary': 'SELECT users'}, '1s'))
tests.append(case('SlowDatabaseQueries', db(10), '30m', False, {}))
# Health: a critical component unhealthy (or unknown) pages; a non-critical one, or any
# component degraded, opens a ticket.
hs = lambda status, critical, v: [{'series': 'health_check_status{service_name="chat",health_check_name="redis",health_status="%s",health_check_critical="%s"}' % (status, critical), 'values': v}]
tests.append(case('ComponentUnhealthy', hs('unhealthy', 'true', '1x10'), '5m', True, {'service_name': 'chat', 'health_check_name': 'redis'}))
tests.append(case('ComponentUnhealthy', hs('unknown', 'true', '1x10'), '5m', True, {'service_name': 'chat', 'health_check_name': 'redis'}))
tests.append(case('ComponentUnhealthy', hs('unhealthy', 'true', '0x10'), '5m', False, {}))
tests.append(case('ComponentUnhealthy', hs('unhealthy', 'false', '1x10'), '5m', False, {}))
tests.append(case('ComponentDegraded', hs('unhealthy', 'false', '1x20'), '15m', True, {'service_name': 'chat', 'health_check_name': 'redis'}))
tests.append(case('ComponentDegraded', hs('degraded', 'true', '1x20'), '15m', True, {'service_name': 'chat', 'health_check_name': 'redis'}))
tests.append(case('ComponentDegraded', hs('degraded', 'true', '0x20'), '15m', False, {}))
tests.append(case('ComponentDegraded', hs('unhealthy', 'true', '1x20'), '15m', False, {}))
# LLM errors: 20 % of calls fail vs 2 %.
def llm(ok, err):
    base = 'gen_ai_client_operation_duration_seconds_count{service_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o"%s}'
    return [{'series': base % '', 'values': f'0+{ok}x60'}, {'series': base % ',error_type="timeout"', 'values': f'0+{err}x60'}]
llm_labels = {'service_name': 'chat', 'gen_ai_provider_name': 'openai', 'gen_ai_request_model': 'gpt-4o'}
tests.append(case('LlmErrorRatio', llm(80, 20), '30m', True, llm_labels, '20%'))
tests.append(case('LlmErrorRatio', llm(98, 2), '30m', False, {}))
# Daily spend: 1 USD a minute is 1,440 a day; 10 cents a minute is 144.
day = lambda per_min, tenant='': [{'series': 'gen_ai_client_cost_total{service_name="chat",gen_ai_request_model="gpt-4o"%s}' % tenant, 'values': f'0+{per_min}x1500'}]
tests.append(case('LlmDailyBudgetBurn', day(1), '1500m', True, {'service_name': 'chat'}, '1.44k USD'))
tests.append(case('LlmDailyBudgetBurn', day(0.1), '1500m', False, {}))
# A tenant at 5 cents a minute spends 72 USD a day; at 2 cents, 28.8.
tests.append(case('TenantLlmBudget', day(0.05, ',tenant="acme"'), '1500m', True, {'service_name': 'chat', 'tenant': 'acme'}, '72 USD'))
tests.append(case('TenantLlmBudget', day(0.02, ',tenant="acme"'), '1500m', False, {}))
# Agents: runs by outcome.
def runs(ok, bad, outcome):
    base = 'gen_ai_invoke_agent_duration_seconds_count{service_name="chat",gen_ai_agent_name="support",gen_ai_agent_outcome="%s"}'
    return [{'series': base % 'success', 'values': f'0+{ok}x60'}, {'series': base % outcome, 'values': f'0+{bad}x60'}]
agent = {'service_name': 'chat', 'gen_ai_agent_name': 'support'}
tests.append(case('AgentFailureRatio', runs(8, 2, 'failure'), '40m', True, agent, '20%'))
tests.append(case('AgentFailureRatio', runs(99, 1, 'failure'), '40m', False, {}))
tests.append(case('AgentStepLimitRatio', runs(9, 1, 'step_limit'), '40m', True, agent, '10%'))
tests.append(case('AgentStepLimitRatio', runs(99, 1, 'step_limit'), '40m', False, {}))
def tools(ok, bad):
    base = 'gen_ai_execute_tool_duration_seconds_count{service_name="chat",gen_ai_tool_name="search"%s}'
    return [{'series': base % '', 'values': f'0+{ok}x60'}, {'series': base % ',error_type="timeout"', 'values': f'0+{bad}x60'}]
tests.append(case('ToolErrorRatio', tools(8, 2), '40m', True, {'service_name': 'chat', 'gen_ai_tool_name': 'search'}, '20%'))
tests.append(case('ToolErrorRatio', tools(99, 1), '40m', False, {}))
# Cache: 30 % hits vs 90 %, at 10 lookups a minute; 30 % at one lookup a minute is too
# little traffic to judge.
def cache(hit, miss):
    base = 'cache_requests_total{service_name="chat",cache_name="sessions",cache_operation="get",cache_result="%s"}'
    return [{'series': base % 'hit', 'values': f'0+{hit}x60'}, {'series': base % 'miss', 'values': f'0+{miss}x60'}]
tests.append(case('CacheHitRatioLow', cache(3, 7), '50m', True, {'service_name': 'chat', 'cache_name': 'sessions'}, '30%'))
tests.append(case('CacheHitRatioLow', cache(9, 1), '50m', False, {}))
tests.append(case('CacheHitRatioLow', cache(0.3, 0.7), '50m', False, {}))
# Queues: a backlog growing by 10 items a minute vs a steady 500.
qd = lambda v: [{'series': 'queue_depth{service_name="chat",queue_name="transcode"}', 'values': v}]
tests.append(case('QueueBacklogGrowing', qd('0+10x60'), '40m', True, {'service_name': 'chat', 'queue_name': 'transcode'}, '400 items'))
tests.append(case('QueueBacklogGrowing', qd('500x60'), '40m', False, {}))
def wait(le10):
    base = 'queue_wait_duration_seconds_bucket{service_name="chat",queue_name="transcode",le="%s"}'
    return [{'series': base % '10', 'values': f'0+{le10}x60'}, {'series': base % '60', 'values': '0+10x60'},
            {'series': base % '+Inf', 'values': '0+10x60'}]
# Every wait in (10 s, 60 s]: p95 interpolates to 57.5 s. All under 10 s: 9.5 s.
tests.append(case('QueueWaitHigh', wait(0), '30m', True, {'service_name': 'chat', 'queue_name': 'transcode'}, '57.5s'))
tests.append(case('QueueWaitHigh', wait(10), '30m', False, {}))
pool = lambda used: [{'series': 'db_client_connection_count{service_name="chat",db_client_connection_pool_name="main",db_client_connection_state="used"}', 'values': f'{used}x20'},
                     {'series': 'db_client_connection_count{service_name="chat",db_client_connection_pool_name="main",db_client_connection_state="idle"}', 'values': f'{10 - used}x20'},
                     {'series': 'db_client_connection_max{service_name="chat",db_client_connection_pool_name="main"}', 'values': '10x20'}]
tests.append(case('DbPoolSaturated', pool(10), '10m', True, {'service_name': 'chat', 'db_client_connection_pool_name': 'main'}, '100%'))
tests.append(case('DbPoolSaturated', pool(2), '10m', False, {}))
mem = lambda rss: [{'series': 'process_memory_usage_bytes{service_name="chat",instance="a"}', 'values': f'{rss}x20'},
                   {'series': 'process_memory_limit_bytes{service_name="chat",instance="a"}', 'values': '1000x20'}]
tests.append(case('ProcessMemoryNearLimit', mem(950), '10m', True, {'service_name': 'chat'}, '95%'))
tests.append(case('ProcessMemoryNearLimit', mem(500), '10m', False, {}))
# 54 s user + 6 s system a minute is one CPU: all of a one-CPU limit, a quarter of four.
cpu = lambda limit: [{'series': 'process_cpu_time_seconds_total{service_name="chat",instance="a",cpu_mode="user"}', 'values': '0+54x40'},
                     {'series': 'process_cpu_time_seconds_total{service_name="chat",instance="a",cpu_mode="system"}', 'values': '0+6x40'},
                     {'series': 'process_cpu_limit{service_name="chat",instance="a"}', 'values': f'{limit}x40'}]
tests.append(case('ProcessCpuSaturated', cpu(1), '25m', True, {'service_name': 'chat'}, '100%'))
tests.append(case('ProcessCpuSaturated', cpu(4), '25m', False, {}))
# Errors of one category: 6 a minute for a day, then 600 a minute.
errs = lambda v: [{'series': 'app_errors_total{service_name="chat",error_category="timeout",app_component="billing"}', 'values': v}]
spike = '0+6x1440 ' + ' '.join(str(6 * 1440 + 600 * i) for i in range(1, 31))
tests.append(case('ErrorCategorySpike', errs(spike), '1470m', True, {'service_name': 'chat', 'error_category': 'timeout'}, '10/s'))
tests.append(case('ErrorCategorySpike', errs('0+6x1470'), '1470m', False, {}))
# Scrapes.
up = lambda v: [{'series': 'up{service_name="chat-api",job="demo",instance="127.0.0.1:8080"}', 'values': v}]
tests.append(case('TargetDown', up('0x10'), '5m', True, {'service_name': 'chat-api'}))
tests.append(case('TargetDown', up('1x10'), '5m', False, {}))
tests.append(case('TargetAbsent', [{'series': 'up{service_name="other",job="x",instance="y"}', 'values': '1x10'}], '8m', True, {'service_name': 'chat-api'}))
tests.append(case('TargetAbsent', up('1x10'), '8m', False, {}))
# Pipeline.
exp = lambda err: [{'series': 'otel_sdk_exporter_span_exported_total{service_name="chat",otel_component_type="otlp_grpc_span_exporter",error_type="%s"}' % err, 'values': '0+5x30'},
                   {'series': 'otel_sdk_exporter_log_exported_total{service_name="chat",otel_component_type="otlp_grpc_span_exporter",error_type="%s"}' % err, 'values': '0+5x30'}]
tests.append(case('TelemetryExportFailing', exp('timeout'), '20m', True, {'service_name': 'chat', 'otel_component_type': 'otlp_grpc_span_exporter'}, '83.33m items/s'))
tests.append(case('TelemetryExportFailing', exp(''), '20m', False, {}))
# Only traces exported (no log series at all): span failures alone still alert.
tests.append(case('TelemetryExportFailing', exp('timeout')[:1], '20m', True, {'service_name': 'chat', 'otel_component_type': 'otlp_grpc_span_exporter'}, '83.33m items/s'))
drop = lambda v: [{'series': 'otel_sdk_processor_span_processed_total{service_name="chat",error_type="queue_full"}', 'values': v},
                  {'series': 'otel_sdk_processor_log_processed_total{service_name="chat",error_type="queue_full"}', 'values': v}]
tests.append(case('TelemetryDropped', drop('0+3x30'), '15m', True, {'service_name': 'chat'}, '50m items/s'))
tests.append(case('TelemetryDropped', drop('7x30'), '15m', False, {}))
q = lambda size: [{'series': 'otel_sdk_processor_span_queue_size{service_name="chat"}', 'values': f'{size}x20'},
                  {'series': 'otel_sdk_processor_span_queue_capacity{service_name="chat"}', 'values': '2048x20'}]
tests.append(case('TelemetryQueueNearlyFull', q(2000), '10m', True, {'service_name': 'chat'}, '97.66%'))
tests.append(case('TelemetryQueueNearlyFull', q(100), '10m', False, {}))
# A series limit overflowed: an overflow series exists for 15 minutes, or none exists.
ovf = lambda extra: [{'series': 'app_logins_total{service_name="chat"%s}' % extra, 'values': '0+10x30'}]
tests.append(case('MetricCardinalityOverflow', ovf(',otel_metric_overflow="true"'), '20m', True, {'service_name': 'chat'}, '1 overflow series'))
tests.append(case('MetricCardinalityOverflow', ovf(',user_id="7"'), '20m', False, {}))
# The collector's own telemetry.
col = 'service_name="otel-collector",job="otel-collector-self",instance="otel-collector:8888"'
cf = lambda v: [{'series': 'otelcol_exporter_send_failed_spans{%s,exporter="otlp/tempo"}' % col, 'values': v}]
tests.append(case('CollectorExportFailing', cf('0+10x30'), '20m', True, {'service_name': 'otel-collector', 'exporter': 'otlp/tempo'}, '166.7m'))
tests.append(case('CollectorExportFailing', cf('10x30'), '20m', False, {}))
# A backend down: items wait in the queue and nothing is sent (failures not yet counted).
stall = lambda sent: [{'series': 'otelcol_exporter_queue_size{%s,exporter="otlphttp/loki",data_type="logs"}' % col, 'values': '3000x30'},
                      {'series': 'otelcol_exporter_sent_log_records{%s,exporter="otlphttp/loki",data_type="logs"}' % col, 'values': sent}]
tests.append(case('CollectorExportFailing', stall('500x30'), '20m', True, {'service_name': 'otel-collector', 'exporter': 'otlphttp/loki'}, '3k'))
tests.append(case('CollectorExportFailing', stall('500+100x30'), '20m', False, {}))
cr = lambda v: [{'series': 'otelcol_receiver_refused_log_records{%s,receiver="otlp",transport="grpc"}' % col, 'values': v}]
tests.append(case('CollectorRefusingData', cr('0+50x20'), '15m', True, {'service_name': 'otel-collector', 'receiver': 'otlp'}, '833.3m items/s'))
tests.append(case('CollectorRefusingData', cr('50x20'), '15m', False, {}))
cq = lambda size: [{'series': 'otelcol_exporter_queue_size{%s,exporter="otlphttp/loki",data_type="logs"}' % col, 'values': f'{size}x20'},
                   {'series': 'otelcol_exporter_queue_capacity{%s,exporter="otlphttp/loki",data_type="logs"}' % col, 'values': '5000x20'}]
tests.append(case('CollectorQueueNearlyFull', cq(4900), '10m', True, {'service_name': 'otel-collector', 'exporter': 'otlphttp/loki'}, '98%'))
tests.append(case('CollectorQueueNearlyFull', cq(200), '10m', False, {}))

covered = {t['alert_rule_test'][0]['alertname'] for t in tests}
missing = set(alerts) - covered
assert not missing, f'alerts without tests: {missing}'
doc = {'rule_files': ['../rules/' + f for f in FILES], 'evaluation_interval': '1m', 'tests': tests}
header = '# Generated by prometheus/tests/gen_alert_tests.py: every alert fires when it should and stays\n# silent when it should not. Run: promtool test rules prometheus/tests/alerts_test.yml\n'
open('prometheus/tests/alerts_test.yml', 'w').write(header + yaml.safe_dump(doc, sort_keys=False, width=200))
print(len(tests), 'cases for', len(covered), 'alerts')
