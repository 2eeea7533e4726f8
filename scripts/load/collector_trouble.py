#!/usr/bin/env python3
"""The demo under load with its collector in trouble: up, down, black-holing (accepts
connections, never answers) and answering errors, then a soak with the collector
flapping. Real processes: the demo and the load generator (release builds), the
collector built from collector/ (scripts/build-go-tools), a Python socket for the black
hole. Prints a Markdown table for BENCHMARKS.md.

    scripts/load/collector_trouble.py [--duration 60] [--rate 100] [--protocol grpc|http/protobuf] [--soak-minutes 5] [--soak-only]

For each case: the load generator's p50/p99 and errors, the demo's resident memory
(sampled every second: at the start of load and the most), the spans and log records it
dropped (queue full) and whose export failed, as its own /metrics counts them, and how
long it took to stop on SIGTERM. After the "down" case the collector comes back under
load and the script checks that exports succeed again.
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def target_dir():
    return os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")


def build():
    print("building the demo and the load generator (release)...", file=sys.stderr)
    subprocess.run(["cargo", "build", "--release", "--example", "demo", "--example", "loadgen"],
                   cwd=ROOT, check=True)
    ex = os.path.join(target_dir(), "release", "examples")
    return os.path.join(ex, "demo"), os.path.join(ex, "loadgen")


def collector_binary():
    tools = os.path.join(os.path.expanduser("~"), ".cache", "ferrotel-tools", "bin", "ferrotel-otelcol")
    if not os.path.exists(tools):
        subprocess.run([os.path.join(ROOT, "scripts", "build-go-tools")], check=True)
    return tools


COLLECTOR = """
receivers:
  otlp:
    protocols:
      grpc: {{endpoint: "127.0.0.1:{grpc}"}}
      http: {{endpoint: "127.0.0.1:{http}"}}
exporters:
  debug: {{verbosity: basic, sampling_initial: 1, sampling_thereafter: 1000}}
  # "errors": a backend that is never there, with no queue and no retry, so the receiver
  # answers every export with the failure (UNAVAILABLE / 503).
  otlp/nowhere:
    endpoint: "127.0.0.1:1"
    tls: {{insecure: true}}
    sending_queue: {{enabled: false}}
    retry_on_failure: {{enabled: false}}
    timeout: 1s
service:
  telemetry:
    metrics: {{level: none}}
  pipelines:
    traces: {{receivers: [otlp], exporters: [{exporter}]}}
    logs: {{receivers: [otlp], exporters: [{exporter}]}}
"""


class Collector:
    def __init__(self, binary, grpc, http, failing=False):
        self.dir = tempfile.mkdtemp(prefix="ferrotel-load-")
        conf = os.path.join(self.dir, "collector.yaml")
        with open(conf, "w") as f:
            f.write(COLLECTOR.format(grpc=grpc, http=http, exporter="otlp/nowhere" if failing else "debug"))
        self.proc = subprocess.Popen([binary, f"--config={conf}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(grpc)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


class BlackHole:
    """Accepts connections and never reads or answers."""

    def __init__(self, port):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(128)
        self.conns = []
        self.running = True
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while self.running:
            try:
                c, _ = self.sock.accept()
                self.conns.append(c)
            except OSError:
                return

    def stop(self):
        self.running = False
        self.sock.close()
        for c in self.conns:
            c.close()


def wait_port(port, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port} after {timeout}s")


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def scrape(addr):
    text = urllib.request.urlopen(f"http://{addr}/metrics", timeout=10).read().decode()
    out = {}
    for line in text.splitlines():
        m = re.match(r'(otel_sdk_(?:processor|exporter)_(span|log)_(?:processed|exported)_total)\{([^}]*)\} (\S+)', line)
        if m:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(3)))
            key = (m.group(1), m.group(2), labels.get("error_type", ""))
            out[key] = out.get(key, 0.0) + float(m.group(4))
    return out


def dropped(counts):
    return sum(v for (name, _, err), v in counts.items() if "processor" in name and err == "queue_full")


def failed(counts):
    return sum(v for (name, _, err), v in counts.items() if "exporter" in name and err)


def exported_ok(counts):
    return sum(v for (name, _, err), v in counts.items() if "exporter" in name and not err)


class Demo:
    def __init__(self, binary, otlp_port, protocol):
        self.port = free_port()
        self.addr = f"127.0.0.1:{self.port}"
        env = dict(os.environ,
                   DEMO_ADDR=self.addr,
                   REDIS_URL="redis://127.0.0.1:1",
                   DEMO_SQLITE=os.path.join(tempfile.mkdtemp(prefix="ferrotel-load-"), "demo.db"),
                   OTEL_SERVICE_NAME="chat-api",
                   OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{otlp_port}",
                   OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
                   OTEL_METRICS_EXPORTER="prometheus",
                   RUST_LOG="warn")
        self.proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)
        self.samples = []
        self.sampling = True
        threading.Thread(target=self.sample, daemon=True).start()

    def sample(self):
        while self.sampling and self.proc.poll() is None:
            try:
                self.samples.append(rss_mib(self.proc.pid))
            except OSError:
                return
            time.sleep(1)

    def stop(self):
        self.sampling = False
        start = time.time()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=60)
        return time.time() - start, code


def load(loadgen, demo, seconds, rate):
    out = subprocess.run([loadgen, "--target", f"http://{demo.addr}", "--duration", f"{seconds}s",
                          "--rate", str(rate), "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def case(name, demo_bin, loadgen, args, trouble):
    """trouble(port) starts what answers on the OTLP port and returns a stop function."""
    otlp = free_port()
    stop_trouble = trouble(otlp)
    demo = Demo(demo_bin, otlp, args.protocol)
    result = load(loadgen, demo, args.duration, args.rate)
    counts = scrape(demo.addr)
    resumed = None
    if name == "down":
        # The collector comes back under load: exports must succeed again.
        before = exported_ok(counts)
        back = Collector(collector_binary(), otlp if args.protocol == "grpc" else free_port(),
                         otlp if args.protocol != "grpc" else free_port())
        load(loadgen, demo, 15, args.rate)
        resumed = exported_ok(scrape(demo.addr)) - before
        back.stop()
    took, code = demo.stop()
    if stop_trouble:
        stop_trouble()
    lat = result["latency"]
    return {
        "case": name, "p50": lat["p50_ms"], "p99": lat["p99_ms"], "sent": result["sent"],
        "errors": result["5xx"] + result["failed"], "rss_start": demo.samples[1] if len(demo.samples) > 1 else 0,
        "rss_max": max(demo.samples or [0]), "dropped": dropped(counts), "failed": failed(counts),
        "exported": exported_ok(counts), "resumed": resumed, "stop_s": took, "exit": code,
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--duration", type=int, default=60)
    p.add_argument("--rate", type=int, default=100)
    p.add_argument("--protocol", default="grpc")
    p.add_argument("--soak-minutes", type=float, default=0)
    p.add_argument("--soak-only", action="store_true", help="skip the four cases, run the soak alone")
    args = p.parse_args()
    demo_bin, loadgen = build()
    col = collector_binary()

    def ports(port):
        return (port, free_port()) if args.protocol == "grpc" else (free_port(), port)

    def up(port):
        c = Collector(col, *ports(port))
        return c.stop

    def errors(port):
        c = Collector(col, *ports(port), failing=True)
        return c.stop

    def hole(port):
        b = BlackHole(port)
        return b.stop

    rows = []
    cases = [("up", up), ("down", lambda port: None), ("black hole", hole), ("errors", errors)]
    for name, trouble in [] if args.soak_only else cases:
        print(f"case {name}...", file=sys.stderr)
        rows.append(case(name, demo_bin, loadgen, args, trouble))
        print(json.dumps(rows[-1]), file=sys.stderr)
    if rows:
        base = rows[0]["p99"]
        print(f"| collector ({args.protocol}, {args.rate} requests/s for {args.duration} s) | p50 | p99 | p99 / up | 5xx + failed | RSS at start → most | spans+logs dropped (queue full) | exports failed (items) | exported | stop on SIGTERM |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            resumed = f" (+{r['resumed']:.0f} after it came back)" if r["resumed"] is not None else ""
            print(f"| {r['case']} | {r['p50']:.1f} ms | {r['p99']:.1f} ms | {r['p99'] / base:.2f} | {r['errors']} | "
                  f"{r['rss_start']:.1f} → {r['rss_max']:.1f} MiB | {r['dropped']:.0f} | {r['failed']:.0f} | "
                  f"{r['exported']:.0f}{resumed} | {r['stop_s']:.1f} s (exit {r['exit']}) |")

    if args.soak_minutes > 0:
        print(f"soak: {args.soak_minutes} minutes, the collector up and down every 30 s...", file=sys.stderr)
        otlp = free_port()
        demo = Demo(demo_bin, otlp, args.protocol)
        done = threading.Event()

        def flap():
            while not done.is_set():
                c = Collector(col, *ports(otlp))
                done.wait(30)
                c.stop()
                done.wait(30)

        threading.Thread(target=flap, daemon=True).start()
        load(loadgen, demo, int(args.soak_minutes * 60), args.rate)
        done.set()
        counts = scrape(demo.addr)
        took, code = demo.stop()
        s = demo.samples
        warm = s[min(len(s) - 1, 60)] if s else 0
        minute = lambda m: s[min(len(s) - 1, m * 60)] if s else 0
        marks = ", ".join(f"{minute(m):.1f}" for m in range(1, int(args.soak_minutes) + 1))
        print(f"\nsoak ({args.soak_minutes} min, {args.rate} requests/s, collector flapping every 30 s): "
              f"RSS after each minute {marks} MiB (after the first minute {warm:.1f}, most {max(s):.1f}); "
              f"dropped {dropped(counts):.0f}, export failures {failed(counts):.0f} items, exported {exported_ok(counts):.0f}; "
              f"stopped in {took:.1f} s (exit {code})")


if __name__ == "__main__":
    main()
