#!/usr/bin/env python3
"""Renders Grafana dashboards to PNG from a real Prometheus, driven by the dashboard JSON.

Each dashboard's panels are drawn on its own 24-column grid (gridPos), with their
titles, units and legends: a timeseries panel from range queries of its targets, a stat
panel from the last value of its first target, a row as a section heading. Writes
OUT/<dashboard>.png and one OUT/<dashboard>/panel-<id>.png per panel, and prints a JSON
summary (one entry per panel: file, title, series drawn) on its last line.

    render_dashboards.py --prometheus http://127.0.0.1:9090 --dashboards grafana/dashboards \
        --out docs/img --range 600 --var service_name=chat-api --var model=.*
"""

import argparse
import json
import math
import pathlib
import re
import sys
import time
import urllib.parse
import urllib.request

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROW_HEIGHT_PX = 30  # one grid unit of height, as Grafana draws it
COL_WIDTH_PX = 60  # one of the 24 columns
DPI = 100
BACKGROUND = "#111217"
PANEL = "#181b1f"
TEXT = "#ccccdc"
PALETTE = ["#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#5794f2", "#b877d9", "#fade2a"]


def prom_query(base, path, params):
    url = f"{base}/api/v1/{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=30) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(f"{url}: {body}")
    return body["data"]["result"]


def substitute(expr, variables, step):
    # Longest names first, so $model does not eat part of $model_name.
    for name in sorted(variables, key=len, reverse=True):
        expr = expr.replace(f"${{{name}}}", variables[name]).replace(f"${name}", variables[name])
    rate = f"{max(4 * step, 60)}s"
    return expr.replace("$__rate_interval", rate).replace("$__interval", f"{step}s").replace("$__range", rate)


def legend(fmt, labels, expr):
    if fmt and fmt != "__auto":
        return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), fmt)
    shown = {k: v for k, v in labels.items() if k != "__name__"}
    return ", ".join(f"{k}={v}" for k, v in sorted(shown.items())) or expr[:40]


def fmt_value(v, unit):
    if v is None or (isinstance(v, float) and (math.isnan(v) or math.isinf(v))):
        return "—"
    if unit == "percentunit":
        return f"{v * 100:.1f}%"
    if unit == "percent":
        return f"{v:.1f}%"
    if unit in ("s", "ms"):
        secs = v if unit == "s" else v / 1000
        if secs >= 1:
            return f"{secs:.2f} s"
        if secs >= 0.001:
            return f"{secs * 1000:.1f} ms"
        return f"{secs * 1e6:.0f} µs"
    if unit in ("currencyUSD", "USD"):
        return f"${v:,.4f}" if abs(v) < 1 else f"${v:,.2f}"
    if unit in ("bytes", "decbytes"):
        for suffix in ["B", "KiB", "MiB", "GiB", "TiB"]:
            if abs(v) < 1024:
                return f"{v:.1f} {suffix}"
            v /= 1024
    suffix = {"reqps": " req/s", "ops": " ops/s", "rps": " req/s"}.get(unit, "")
    if abs(v) >= 1e6:
        return f"{v / 1e6:.2f}M{suffix}"
    if abs(v) >= 1e3:
        return f"{v / 1e3:.1f}k{suffix}"
    return f"{v:.3g}{suffix}"


def style(ax, title):
    ax.set_facecolor(PANEL)
    for s in ax.spines.values():
        s.set_color("#2c3235")
    ax.tick_params(colors=TEXT, labelsize=7)
    ax.set_title(title, color=TEXT, fontsize=9, loc="left")


def draw_timeseries(ax, panel, base, variables, start, end, step):
    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "short")
    drawn = 0
    for t in panel.get("targets", []):
        expr = substitute(t["expr"], variables, step)
        for series in prom_query(base, "query_range", {"query": expr, "start": start, "end": end, "step": step}):
            points = [(float(ts), float(v)) for ts, v in series["values"]]
            points = [(ts, v) for ts, v in points if math.isfinite(v)]
            if not points:
                continue
            xs = [(ts - end) / 60 for ts, _ in points]
            ys = [v for _, v in points]
            ax.plot(xs, ys, linewidth=1.2, color=PALETTE[drawn % len(PALETTE)],
                    marker="o" if len(points) < 3 else None, markersize=3,
                    label=legend(t.get("legendFormat"), series["metric"], expr)[:48])
            drawn += 1
    ax.set_xlabel("minutes", color=TEXT, fontsize=7)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: fmt_value(v, unit)))
    if drawn:
        ax.legend(fontsize=6, loc="upper left", facecolor=PANEL, edgecolor="#2c3235", labelcolor=TEXT, ncol=2)
    else:
        ax.text(0.5, 0.5, "No data", ha="center", va="center", color=TEXT, transform=ax.transAxes)
    return drawn


def draw_stat(ax, panel, base, variables, end, step):
    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "short")
    values = []
    for t in panel.get("targets", [])[:1]:
        expr = substitute(t["expr"], variables, step)
        for series in prom_query(base, "query", {"query": expr, "time": end}):
            v = float(series["value"][1])
            if math.isfinite(v):
                values.append((legend(t.get("legendFormat"), series["metric"], expr), v))
    ax.set_xticks([])
    ax.set_yticks([])
    if not values:
        ax.text(0.5, 0.5, "No data", ha="center", va="center", color=TEXT, transform=ax.transAxes)
        return 0
    shown = values[:4]
    for i, (name, v) in enumerate(shown):
        y = 1 - (i + 0.5) / len(shown)
        ax.text(0.5, y, fmt_value(v, unit), ha="center", va="center", fontsize=18 if len(shown) == 1 else 11,
                color=PALETTE[0], transform=ax.transAxes, fontweight="bold")
        if len(shown) > 1:
            ax.text(0.02, y, name[:24], ha="left", va="center", fontsize=6, color=TEXT, transform=ax.transAxes)
    return len(values)


def render(dashboard, base, variables, start, end, step, out):
    panels = dashboard["panels"]
    # Two grid units on top for the dashboard's title.
    top = 2
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels) + top
    fig = plt.figure(figsize=(24 * COL_WIDTH_PX / DPI, rows * ROW_HEIGHT_PX / DPI), dpi=DPI)
    fig.patch.set_facecolor(BACKGROUND)
    stem = out / dashboard["uid"] if "uid" in dashboard else out / "dashboard"
    summary = []
    for p in panels:
        g = dict(p["gridPos"])
        g["y"] += top
        # Room on the left of each panel for its y-axis labels, and above for its title.
        left = 0.045 * 24 / g["w"] * g["w"] / 24 if p["type"] != "stat" else 0.004
        rect = [g["x"] / 24 + left, 1 - (g["y"] + g["h"]) / rows + 0.012,
                g["w"] / 24 - left - 0.006, g["h"] / rows - 0.032]
        if p["type"] == "row":
            fig.text(0.005, 1 - (g["y"] + 0.7) / rows, p["title"], color=TEXT, fontsize=11, fontweight="bold")
            continue
        for target_fig, axes_rect in ((fig, rect), (None, [0.08, 0.15, 0.88, 0.72])):
            if target_fig is None:
                target_fig = plt.figure(figsize=(g["w"] * COL_WIDTH_PX / DPI, max(g["h"], 4) * ROW_HEIGHT_PX / DPI), dpi=DPI)
                target_fig.patch.set_facecolor(BACKGROUND)
            ax = target_fig.add_axes(axes_rect)
            style(ax, p["title"])
            if p["type"] == "stat":
                series = draw_stat(ax, p, base, variables, end, step)
            else:
                series = draw_timeseries(ax, p, base, variables, start, end, step)
            if target_fig is not fig:
                path = out / pathlib.Path(stem.name) / f"panel-{p['id']}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                target_fig.savefig(path, facecolor=BACKGROUND)
                plt.close(target_fig)
                summary.append({"dashboard": stem.name, "id": p["id"], "file": str(path),
                                "title": p["title"], "series": series})
    composite = out / f"{stem.name}.png"
    fig.text(0.005, 1 - 1.2 / rows, dashboard["title"], color=TEXT, fontsize=15, ha="left")
    fig.savefig(composite, facecolor=BACKGROUND)
    plt.close(fig)
    return composite, summary


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prometheus", required=True, help="base URL, e.g. http://127.0.0.1:9090")
    ap.add_argument("--dashboards", required=True, help="folder of dashboard JSON files")
    ap.add_argument("--out", required=True, help="folder for the PNG files")
    ap.add_argument("--range", type=int, default=600, help="seconds of history to draw (default 600)")
    ap.add_argument("--step", type=int, default=0, help="query step in seconds (default: range / 120, at least 5)")
    ap.add_argument("--var", action="append", default=[], help="template variable NAME=VALUE (repeatable)")
    ap.add_argument("--only", action="append", default=[], help="render only these dashboard files (stem)")
    a = ap.parse_args()
    variables = dict(v.split("=", 1) for v in a.var)
    end = time.time()
    start = end - a.range
    step = a.step or max(5, a.range // 120)
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {"dashboards": [], "panels": []}
    for f in sorted(pathlib.Path(a.dashboards).glob("*.json")):
        if a.only and f.stem not in a.only:
            continue
        d = json.loads(f.read_text())
        d["uid"] = f.stem
        composite, panels = render(d, a.prometheus.rstrip("/"), variables, start, end, step, out)
        report["dashboards"].append(str(composite))
        report["panels"].extend(panels)
        print(f"{composite}: {len(panels)} panels, {sum(1 for p in panels if p['series'])} with data", file=sys.stderr)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
