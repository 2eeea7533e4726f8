// Type-checks Grafana dashboard JSON with tsc against @grafana/schema (see schema.ts).
// usage: node check.mjs [dashboard.json ...]   (default: ../dashboards/*.json)
// Each file becomes out/<name>.ts: the whole dashboard checked as a Dashboard, and each
// panel again as the typed panel of its `type`. Exit status 1 with tsc's messages when
// any file does not type-check, 2 when a panel has a type this checker does not know.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, "..", "dashboards");
const files = process.argv.length > 2
  ? process.argv.slice(2).map((f) => resolve(f))
  : readdirSync(dir).filter((f) => f.endsWith(".json")).sort().map((f) => join(dir, f));
const kinds = { timeseries: "TimeSeriesPanel", stat: "StatPanel", row: "Row" };

const out = join(here, "out");
rmSync(out, { recursive: true, force: true });
mkdirSync(out);
for (const file of files) {
  const text = readFileSync(file, "utf8");
  const dashboard = JSON.parse(text);
  const name = basename(file, ".json").replace(/[^A-Za-z0-9]/g, "_");
  let ts = `// generated from ${basename(file)} by check.mjs\n`;
  ts += `import type { DashboardJson, Row, StatPanel, TimeSeriesPanel } from "../schema.js";\n`;
  ts += `export const dashboard: DashboardJson = ${text.trim()};\n`;
  (dashboard.panels ?? []).forEach((p, i) => {
    const kind = kinds[p.type];
    if (!kind) {
      console.error(`${file}: panel ${i} ("${p.title}") has type ${JSON.stringify(p.type)}; known: ${Object.keys(kinds).join(", ")}`);
      process.exit(2);
    }
    ts += `export const panel${i}: ${kind} = ${JSON.stringify(p, null, 2)};\n`;
  });
  writeFileSync(join(out, `${name}.ts`), ts);
}
const tsc = join(here, "node_modules", "typescript", "bin", "tsc");
try {
  execFileSync(process.execPath, [tsc, "-p", join(here, "tsconfig.json")], { stdio: "inherit" });
} catch {
  process.exit(1);
}
console.log(`check.mjs: ${files.length} dashboards type-check against @grafana/schema`);
