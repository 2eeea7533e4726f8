#!/usr/bin/env python3
"""Requests per second an instrumented axum service keeps, and spans it loses: ferrotel's
`examples/axum_service` against the same routes assembled from the peer crates
(`examples/peer_service`), each with its telemetry off and on, in one run. wrk drives
`GET /hello/otel` (a server span, the handler's `#[instrument]` span and one log record
per request); traces and logs go over OTLP/gRPC to the collector built from collector/,
whose own metrics count the spans it accepted.

    scripts/load/throughput.py [--rounds 3] [--seconds 10] [--preload LIB]

--preload runs both services, telemetry off and on, with LIB in LD_PRELOAD: another
malloc, e.g. Debian's jemalloc (/usr/lib/x86_64-linux-gnu/libjemalloc.so.2), to see what
the allocator does to a service whose spans are freed on the export thread.

Needs wrk (Debian's package: apt-get install wrk). Prints a Markdown table.
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from collector_trouble import collector_binary, free_port, target_dir, wait_port  # noqa: E402

COLLECTOR = """
receivers:
  otlp:
    protocols:
      grpc: {{endpoint: "127.0.0.1:{grpc}"}}
exporters:
  debug: {{verbosity: basic, sampling_initial: 1, sampling_thereafter: 100000}}
service:
  telemetry:
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus: {{host: "127.0.0.1", port: {metrics}}}
  pipelines:
    traces: {{receivers: [otlp], exporters: [debug]}}
    logs: {{receivers: [otlp], exporters: [debug]}}
"""


def accepted_spans(port):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    return sum(float(m.group(1)) for m in re.finditer(r'^otelcol_receiver_accepted_spans(?:_total)?\{[^}]*\} (\S+)', text, re.M))


def wrk(url, seconds):
    out = subprocess.run(["wrk", "-t1", "-c16", f"-d{seconds}s", url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+(\S+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return rps, total


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--preload", help="a shared library both services run with (LD_PRELOAD)")
    args = p.parse_args()
    if args.preload and not os.path.isfile(args.preload):
        raise SystemExit(f"--preload {args.preload}: no such file")
    if subprocess.run(["which", "wrk"], capture_output=True).returncode != 0:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    subprocess.run(["cargo", "build", "--release", "--example", "axum_service", "--example", "peer_service"], cwd=ROOT, check=True)
    ex = os.path.join(target_dir(), "release", "examples")
    grpc, metrics = free_port(), free_port()
    conf = os.path.join(tempfile.mkdtemp(prefix="ferrotel-tp-"), "collector.yaml")
    with open(conf, "w") as f:
        f.write(COLLECTOR.format(grpc=grpc, metrics=metrics))
    col = subprocess.Popen([collector_binary(), f"--config={conf}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(grpc)
    wait_port(metrics)
    endpoint = f"http://127.0.0.1:{grpc}"
    cases = [
        ("ferrotel `axum_service`", "axum_service", {"OTEL_SDK_DISABLED": "true"}, {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}),
        ("peers by hand (`peer_service`)", "peer_service", {"PEER_TELEMETRY": "off"}, {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}),
    ]
    rows = []
    for name, binary, off_env, on_env in cases:
        results = {}
        for mode, extra in [("off", off_env), ("on", on_env)]:
            rps_all, served, spans = [], 0, 0.0
            for _ in range(args.rounds):
                port = free_port()
                env = dict(os.environ, APP_ADDR=f"127.0.0.1:{port}", OTEL_EXPORTER_PROMETHEUS_PORT="0", **extra)
                if args.preload:
                    env["LD_PRELOAD"] = args.preload
                proc = subprocess.Popen([os.path.join(ex, binary)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                wait_port(port)
                if mode == "on" and "per_request" not in results:
                    # Spans one request makes on this side (each stack has its own):
                    # 200 requests one at a time, then a wait past the batch delay.
                    before = accepted_spans(metrics)
                    for _ in range(200):
                        urllib.request.urlopen(f"http://127.0.0.1:{port}/hello/otel", timeout=10).read()
                    time.sleep(7)
                    results["per_request"] = round((accepted_spans(metrics) - before) / 200)
                before = accepted_spans(metrics)
                rps, total = wrk(f"http://127.0.0.1:{port}/hello/otel", args.seconds)
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)
                time.sleep(2)
                spans += accepted_spans(metrics) - before
                served += total
                rps_all.append(rps)
            results[mode] = (rps_all, served, spans)
            print(f"{name} {mode}: {rps_all} requests/s, {served} served, {spans:.0f} spans accepted", file=sys.stderr)
        off, on, per = results["off"], results["on"], results["per_request"]
        lost = 1 - on[2] / (per * on[1])
        rows.append((name, off[0], on[0], sum(on[0]) / sum(off[0]), lost, per))
    col.terminate()
    col.wait(timeout=30)
    alloc = f", LD_PRELOAD={os.path.basename(args.preload)}" if args.preload else ""
    print(f"| service (wrk -t1 -c16, {args.seconds} s, {args.rounds} rounds each{alloc}) | telemetry off, requests/s | on (OTLP/gRPC to a collector), requests/s | kept | spans per request | spans lost |")
    print("|---|---:|---:|---:|---:|---:|")
    fmt = lambda xs: " / ".join(f"{x / 1000:.1f}k" for x in xs)
    for name, off, on, kept, lost, per in rows:
        print(f"| {name} | {fmt(off)} | {fmt(on)} | {kept * 100:.0f} % | {per} | {lost * 100:.1f} % |")


if __name__ == "__main__":
    main()
