/* global window, document, sessionStorage, fetch, Chart, Blob, URL, setTimeout, clearTimeout, URLSearchParams */
// The Lakay dashboard: plain browser JavaScript over the serving API (no build step). Each page polls
// its endpoints every POLL_MS and redraws in place. Actions send the token kept in sessionStorage
// (entered once, never put in a URL); without one they are refused here, before any request.
"use strict";

const POLL_MS = 2000;
const TOKEN_KEY = "lakay.token";
const PAGES = ["overview", "models", "experiment", "drift", "audit"];
const charts = {};
const series = { t: [], rps: [], p95: [], p99: [], slaP95: [], slaP99: [] };
let lastRequests = null;
let current = "overview";
let timer = null;
let lastMonitoring = null;
let lastAudit = [];

// ── helpers ─────────────────────────────────────────────────────────────────
const $ = (id) => document.getElementById(id);
const esc = (v) =>
  String(v ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );
const num = (v, d = 3) => (v === null || v === undefined || Number.isNaN(v) ? "–" : Number(v).toFixed(d));
const pct = (v) => (v === null || v === undefined ? "–" : (100 * v).toFixed(1) + " %");
const cls = (s) => esc(String(s ?? "").toLowerCase());

function table(headers, rows, numeric = []) {
  const th = headers.map((h, i) => `<th class="${numeric.includes(i) ? "num" : ""}">${esc(h)}</th>`).join("");
  const body = rows
    .map(
      (r) =>
        "<tr>" +
        r.map((c, i) => `<td class="${numeric.includes(i) ? "num" : ""}">${c}</td>`).join("") +
        "</tr>",
    )
    .join("");
  return `<table><thead><tr>${th}</tr></thead><tbody>${body || `<tr><td colspan="${headers.length}" class="muted">none</td></tr>`}</tbody></table>`;
}

function cards(el, items) {
  $(el).innerHTML = items
    .map(
      ([label, value, klass]) =>
        `<div class="card"><div class="label">${esc(label)}</div><div class="value ${klass ? cls(klass) : ""}">${value}</div></div>`,
    )
    .join("");
}

function flash(message, kind = "info") {
  const f = $("flash");
  f.textContent = message;
  f.className = kind;
  f.hidden = false;
  setTimeout(() => {
    if (f.textContent === message) f.hidden = true;
  }, 8000);
}

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(path, opts = {}) {
  const headers = { accept: "application/json" };
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (opts.auth && !token)
    throw new ApiError(401, {
      error: { code: "NO_TOKEN", message: "this action needs a token: enter one above" },
    });
  // Reads carry the token too when there is one (a server run with --require-token-for-reads).
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, {
    method: opts.method ?? "GET",
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  const body = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

/** Runs an action; refusals (no token, 401/403, gate not met) are shown, never thrown. */
async function act(what, fn) {
  try {
    await fn();
    flash(`${what}: done`, "info");
    await refresh();
  } catch (err) {
    const gate = err.body?.gate;
    const missing = gate
      ? " — gate: " +
        gate.conditions
          .filter((c) => c.status === "fail")
          .map((c) => `${c.name} (${c.detail})`)
          .join(", ")
      : "";
    flash(`${what} refused: ${err.message}${missing}`, "error");
    if (gate) renderGate(gate, true);
  }
}

function chart(id, config) {
  const existing = charts[id];
  if (existing) {
    existing.data = config.data;
    if (config.options) existing.options = config.options;
    existing.update("none");
    return existing;
  }
  config.options = { animation: false, responsive: true, maintainAspectRatio: false, ...config.options };
  const canvas = $(id);
  // Chart.js sizes a responsive chart to its parent: give it a box of its own, so the panel's
  // heading and padding are not counted in (the axis labels spilled out of the panel before).
  const box = document.createElement("div");
  box.className = "chart-box";
  box.style.height = `${Number(canvas.getAttribute("height"))}px`;
  canvas.replaceWith(box);
  box.appendChild(canvas);
  charts[id] = new Chart(canvas, config);
  return charts[id];
}

/** A horizontal line across a chart (thresholds, SLAs) drawn as a line dataset. */
const hline = (label, value, n, color) => ({
  type: "line",
  label,
  data: Array(n).fill(value),
  borderColor: color,
  borderDash: [6, 4],
  pointRadius: 0,
  borderWidth: 1.5,
  fill: false,
});

// ── token ───────────────────────────────────────────────────────────────────
function showToken() {
  const has = Boolean(sessionStorage.getItem(TOKEN_KEY));
  $("token-state").textContent = has ? "token set for this session" : "no token: read only";
}

// ── pages ───────────────────────────────────────────────────────────────────
async function overview() {
  const m = await api("/api/v1/serving/monitoring");
  lastMonitoring = m;
  const model = (x) =>
    x
      ? `${esc(x.name)} v${esc(x.version)}<div class="muted" style="font-size:11px">loaded ${esc(x.loaded_at)}<br>${esc((x.artifact_digest ?? "").slice(0, 16))}</div>`
      : '<span class="muted">none</span>';
  const lat = m.latency_ms ?? {};
  const alerts = Array.isArray(m.alerts) ? m.alerts : [];
  cards("overview-cards", [
    ["Champion", model(m.model)],
    ["Challenger", model(m.challenger)],
    ["Mode", esc(m.mode), m.mode === "hybrid" ? "ok" : "warn"],
    ["ML switch", m.ml_enabled ? "on" : "OFF", m.ml_enabled ? "ok" : "bad"],
    ["Split", `${esc(m.routing?.champion_pct)} / ${esc(m.routing?.challenger_pct)}`],
    ["Predictions", esc(m.predictions?.total ?? 0)],
    ["p95 / SLA", `${num(lat.p95, 1)} / ${esc(lat.sla?.p95)} ms`, lat.within_sla === false ? "bad" : "ok"],
    ["Open alerts", String(alerts.length), alerts.length ? "bad" : "ok"],
  ]);
  $("model-name").textContent = m.model ? `model ${m.model.name}` : "";
  // Traffic over time: requests/s between two polls (the server counts since start).
  const total = m.requests
    ? Object.values(m.requests).reduce((s, v) => s + (typeof v === "number" ? v : 0), 0)
    : 0;
  const now = Date.now();
  if (lastRequests) {
    const dt = (now - lastRequests.at) / 1000;
    series.t.push(new Date(now).toLocaleTimeString());
    series.rps.push(dt > 0 ? Math.max(0, (total - lastRequests.total) / dt) : 0);
    series.p95.push(lat.p95 ?? null);
    series.p99.push(lat.p99 ?? null);
    series.slaP95.push(lat.sla?.p95 ?? null);
    series.slaP99.push(lat.sla?.p99 ?? null);
    for (const k of Object.keys(series)) if (series[k].length > 120) series[k].shift();
  }
  lastRequests = { at: now, total };
  if (current !== "overview") return;
  chart("chart-traffic", {
    type: "line",
    data: {
      labels: [...series.t],
      datasets: [
        { label: "requests/s", data: [...series.rps], borderColor: "#2563eb", pointRadius: 0, fill: false },
      ],
    },
    options: { scales: { y: { beginAtZero: true } } },
  });
  chart("chart-latency", {
    type: "line",
    data: {
      labels: [...series.t],
      datasets: [
        { label: "p95", data: [...series.p95], borderColor: "#2563eb", pointRadius: 0 },
        { label: "p99", data: [...series.p99], borderColor: "#7c3aed", pointRadius: 0 },
        {
          label: "SLA p95",
          data: [...series.slaP95],
          borderColor: "#b45309",
          borderDash: [6, 4],
          pointRadius: 0,
        },
        {
          label: "SLA p99",
          data: [...series.slaP99],
          borderColor: "#b91c1c",
          borderDash: [6, 4],
          pointRadius: 0,
        },
      ],
    },
    options: { scales: { y: { beginAtZero: true } } },
  });
  $("overview-alerts").innerHTML = table(
    ["severity", "kind", "feature", "value", "threshold", "message", "since"],
    alerts.map((a) => [
      `<span class="${cls(a.severity === "critical" || a.severity === "high" ? "bad" : "warn")}">${esc(a.severity)}</span>`,
      esc(a.kind),
      esc(a.feature ?? ""),
      num(a.value),
      num(a.threshold),
      esc(a.message),
      esc(a.first_seen),
    ]),
    [3, 4],
  );
  $("overview-latency").innerHTML = table(
    ["", "p50", "p95", "p99", "SLA p95", "SLA p99", "window"],
    [
      [
        "ms",
        num(lat.p50, 2),
        num(lat.p95, 2),
        num(lat.p99, 2),
        esc(lat.sla?.p95),
        esc(lat.sla?.p99),
        esc(lat.window),
      ],
    ],
    [1, 2, 3, 4, 5, 6],
  );
  $("ml-state").innerHTML =
    `ML scoring is <b class="${m.ml_enabled ? "ok" : "bad"}">${m.ml_enabled ? "on" : "off (rules only)"}</b>.`;
  $("ml-toggle").textContent = m.ml_enabled ? "Switch ML off" : "Switch ML on";
}

function renderGate(g, highlight = false) {
  const id = `gate-${g.model_version}`;
  let el = $(id);
  if (!el) {
    el = document.createElement("div");
    el.id = id;
    el.className = "panel gate";
    $("gates").appendChild(el);
  }
  const rows = (g.conditions ?? []).map((c) => [
    esc(c.name),
    `<span class="${cls(c.status)}">${esc(c.status)}</span>`,
    esc(c.detail ?? ""),
  ]);
  el.innerHTML =
    `<h2>Gate of version ${esc(g.model_version)} (${esc(g.stage)}): <span class="${g.passed ? "pass" : "fail"}">${g.passed ? "ready to promote" : "not ready"}</span>${highlight ? " — refused promotion" : ""}</h2>` +
    table(["condition", "status", "detail (what is missing)"], rows) +
    (g.warnings?.length ? `<p class="warning">${g.warnings.map(esc).join("<br>")}</p>` : "") +
    `<form class="action" data-version="${esc(g.model_version)}">
       <input name="note" placeholder="note (required to reject)" />
       <button type="button" data-act="approve">Approve as my role</button>
       <button type="button" data-act="reject">Reject</button>
       <button type="button" data-act="promote">Promote</button>
     </form>`;
}

async function models() {
  const m = await api("/api/v1/models");
  $("models-table").innerHTML = table(
    ["version", "stage", "aliases", "created", "key metrics"],
    m.versions.map((v) => [
      esc(v.version),
      esc(v.stage),
      esc(v.aliases.join(", ")),
      esc(v.created_at),
      esc(
        Object.entries(v.metrics)
          .slice(0, 6)
          .map(([k, x]) => `${k} ${num(x, 4)}`)
          .join(" · "),
      ),
    ]),
    [0],
  );
  const shown = [...m.versions].reverse();
  const keys = [...new Set(shown.flatMap((v) => Object.keys(v.metrics)))].slice(0, 6);
  const palette = ["#2563eb", "#f97316", "#16a34a", "#7c3aed", "#b91c1c", "#0891b2"];
  chart("chart-models", {
    type: "bar",
    data: {
      labels: shown.map((v) => `v${v.version} ${v.stage}`),
      datasets: keys.map((k, i) => ({
        label: k,
        data: shown.map((v) => v.metrics[k] ?? null),
        backgroundColor: palette[i % palette.length],
      })),
    },
    options: { scales: { y: { beginAtZero: true } } },
  });
  const candidates = m.versions.filter((v) => v.stage === "Staging");
  const keep = new Set(candidates.map((v) => `gate-${v.version}`));
  for (const el of [...$("gates").children]) if (!keep.has(el.id)) el.remove();
  for (const v of candidates) {
    try {
      renderGate(await api(`/api/v1/models/${v.version}/gate`));
    } catch (err) {
      flash(`gate of version ${v.version}: ${err.message}`, "error");
    }
  }
}

async function experiment() {
  const r = await api("/api/v1/serving/routing");
  let s = r.metrics_summary ?? {};
  // The A/B report reads the prediction log since the experiment began (it survives a restart).
  if (r.experiment) {
    const ab = await api("/api/v1/serving/ab").catch(() => null);
    if (ab)
      s = {
        ...s,
        operating_threshold: ab.operating_threshold,
        difference: ab.difference,
        champion: { ...s.champion, ...ab.champion },
        challenger: { ...s.challenger, ...ab.challenger },
      };
  }
  const sequential = r.experiment ? await api("/api/v1/experiment/sequential").catch(() => null) : null;
  const c = s.champion ?? {};
  const k = s.challenger ?? {};
  cards("experiment-cards", [
    ["Split champion / challenger", `${esc(r.champion_pct)} / ${esc(r.challenger_pct)}`],
    ["Champion", r.champion_version ? `v${esc(r.champion_version)}` : "–"],
    ["Challenger", r.challenger_version ? `v${esc(r.challenger_version)}` : "–"],
    [
      "Experiment",
      r.experiment ? `${esc(r.experiment.id).slice(0, 8)} since ${esc(r.experiment.started_at)}` : "none",
    ],
    ["Operating threshold", num(s.operating_threshold)],
    ["Sequential test (auto-promotion)", sequentialState(sequential)],
  ]);
  chart("chart-variants", {
    type: "bar",
    data: {
      labels: ["count", "mean score ×1000", "p95 latency (ms)"],
      datasets: [
        {
          label: "champion",
          data: [c.count ?? 0, (c.mean_score ?? 0) * 1000, c.p95_latency_ms ?? 0],
          backgroundColor: "#2563eb",
        },
        {
          label: "challenger",
          data: [k.count ?? 0, (k.mean_score ?? 0) * 1000, k.p95_latency_ms ?? 0],
          backgroundColor: "#f97316",
        },
      ],
    },
    options: { scales: { y: { type: "logarithmic" } } },
  });
  const metric = (v, name) => v[name]?.value ?? null;
  const lo = (v, name) => v[name]?.ci95?.lower ?? null;
  const hi = (v, name) => v[name]?.ci95?.upper ?? null;
  const names = ["precision", "recall", "false_positive_rate"];
  chart("chart-labels", {
    type: "bar",
    data: {
      labels: names,
      datasets: [
        { label: "champion", data: names.map((n) => metric(c, n)), backgroundColor: "#2563eb" },
        { label: "challenger", data: names.map((n) => metric(k, n)), backgroundColor: "#f97316" },
        {
          label: "champion 95 % interval",
          data: names.map((n) => (lo(c, n) === null ? null : [lo(c, n), hi(c, n)])),
          backgroundColor: "rgba(37, 99, 235, 0.3)",
        },
        {
          label: "challenger 95 % interval",
          data: names.map((n) => (lo(k, n) === null ? null : [lo(k, n), hi(k, n)])),
          backgroundColor: "rgba(249, 115, 22, 0.3)",
        },
      ],
    },
    options: { scales: { y: { beginAtZero: true, max: 1 } } },
  });
  const row = (name, v) => [
    name,
    esc(v.count ?? 0),
    num(v.mean_score, 4),
    num(v.mean_latency_ms, 2),
    num(v.p95_latency_ms, 2),
    esc(v.labeled ?? 0),
    ...names.map((n) =>
      v[n]?.value === null || v[n] === undefined
        ? "–"
        : `${pct(v[n].value)} [${pct(lo(v, n))}, ${pct(hi(v, n))}]`,
    ),
  ];
  $("experiment-table").innerHTML = table(
    [
      "variant",
      "count",
      "mean score",
      "mean latency",
      "p95 latency",
      "labeled",
      "precision",
      "recall",
      "FPR",
    ],
    [row("champion", c), row("challenger", k)],
    [1, 2, 3, 4, 5],
  );
  const d = s.difference;
  $("experiment-diff").innerHTML = d
    ? "<h2>Challenger − champion</h2>" +
      table(
        ["metric", "difference", "95 % interval"],
        Object.entries(d).map(([n, x]) => [
          esc(n),
          x?.value === null || x === undefined ? "–" : num(x.value, 4),
          x?.ci95 ? `[${num(x.ci95.lower, 4)}, ${num(x.ci95.upper, 4)}]` : "–",
        ]),
        [1],
      )
    : "";
  $("split-challenger").placeholder = String(r.challenger_pct);
}

function sequentialState(q) {
  if (!q) return '<span class="muted">no experiment</span>';
  const iv = q.improvement;
  const interval = iv ? ` Δ ${num(iv.difference, 4)} [${num(iv.lower, 4)}, ${num(iv.upper, 4)}]` : "";
  return `<span class="${q.promote ? "ok" : "muted"}">${q.promote ? "would promote" : "continue"}</span> <span style="font-size:11px">${esc(q.metric)}${esc(interval)}<br>${esc(q.reason)}</span>`;
}

async function drift() {
  let m = await api("/api/v1/serving/monitoring");
  lastMonitoring = m;
  let source = "live window";
  if (!(m.drift?.observations > 0)) {
    // Nothing scored since the server started: the last hour of the prediction log instead.
    const w = await api("/api/v1/serving/monitoring?window=1h").catch(() => null);
    if (w?.drift?.observations > 0) {
      m = w;
      source = "last hour of the prediction log";
    }
  }
  const d = m.drift ?? {};
  const features = Array.isArray(d.features) ? d.features : [];
  const shift = m.score_shift ?? {};
  cards("drift-cards", [
    ["Drift", esc(d.status ?? "unknown"), d.status],
    [
      "Observations",
      `${esc(d.observations ?? 0)} <span class="muted" style="font-size:11px">${esc(source)}</span>`,
    ],
    ["Critical features", esc((d.critical_features ?? []).join(", ") || "none")],
    [
      "Score shift",
      shift.shift_sigma === null || shift.shift_sigma === undefined ? "–" : `${num(shift.shift_sigma, 2)} σ`,
      shift.status,
    ],
    ["Live mean / baseline", `${num(shift.live_mean, 4)} / ${num(shift.baseline_mean, 4)}`],
  ]);
  const labels = features.map((f) => f.feature);
  const colors = features.map((f) =>
    f.status === "critical" ? "#b91c1c" : f.status === "warning" ? "#d97706" : "#16a34a",
  );
  chart("chart-psi", {
    type: "bar",
    data: {
      labels,
      datasets: [
        { label: "PSI", data: features.map((f) => f.psi), backgroundColor: colors },
        hline("warning 0.1", 0.1, labels.length, "#d97706"),
        hline("critical 0.25", 0.25, labels.length, "#b91c1c"),
      ],
    },
    options: { scales: { y: { beginAtZero: true, suggestedMax: 0.3 } } },
  });
  const dist = m.score_distribution?.champion ?? { bins: [], count: 0 };
  const bins = dist.bins ?? [];
  const n = bins.reduce((s, b) => s + b.count, 0);
  const binLabels = bins.map((b) => `${num(b.from, 2)}–${num(b.to, 2)}`);
  const datasets = [
    {
      label: "live share of scores",
      data: bins.map((b) => (n ? b.count / n : 0)),
      backgroundColor: "#2563eb",
    },
  ];
  if (shift.baseline_mean !== null && shift.baseline_mean !== undefined && shift.baseline_std) {
    // The reference keeps the training scores' mean and σ: drawn as the normal they describe, labelled so.
    const { baseline_mean: mu, baseline_std: sd } = shift;
    const cdf = (x) => 0.5 * (1 + erf((x - mu) / (sd * Math.SQRT2)));
    datasets.push({
      type: "line",
      label: "training baseline (normal from mean, σ)",
      data: bins.map((b) => cdf(b.to) - cdf(b.from)),
      borderColor: "#b45309",
      pointRadius: 0,
      fill: false,
    });
  }
  chart("chart-scores", {
    type: "bar",
    data: { labels: binLabels, datasets },
    options: { scales: { y: { beginAtZero: true } } },
  });
  $("drift-table").innerHTML = table(
    ["feature", "PSI", "status", "observations"],
    features.map((f) => [
      esc(f.feature),
      num(f.psi, 4),
      `<span class="${cls(f.status)}">${esc(f.status)}</span>`,
      esc(f.count ?? ""),
    ]),
    [1, 3],
  );
}

function erf(x) {
  // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): enough to draw a baseline curve.
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-a * a);
  return s * y;
}

async function audit() {
  const [v, h, a] = await Promise.all([
    api("/api/v1/audit/verify"),
    api("/api/v1/deployments?limit=50"),
    api("/api/v1/audit?" + auditQuery()),
  ]);
  $("audit-verify").innerHTML = v.ok
    ? `<span class="ok">intact</span>: ${esc(v.checked)} entries verified, head ${esc((v.headHash ?? "").slice(0, 16))}`
    : `<span class="bad">BROKEN</span> at entry ${esc(v.firstBroken?.seq)}: ${esc(v.firstBroken?.reason)} (${esc(v.checked)} verified before it)`;
  $("deployments-table").innerHTML = table(
    ["id", "when", "action", "version", "previous", "by", "success", "reason / error"],
    h.deployments.map((r) => [
      esc(r.id),
      esc(r.timestamp),
      esc(r.action),
      esc(r.model_version ?? "–"),
      esc(r.previous_version ?? "–"),
      esc(r.triggered_by),
      r.success ? '<span class="ok">yes</span>' : '<span class="bad">NO</span>',
      esc(r.error ?? r.reason ?? ""),
    ]),
  );
  lastAudit = a.entries;
  $("audit-table").innerHTML = table(
    ["seq", "when", "actor", "action", "model", "version", "details"],
    a.entries
      .slice(0, 200)
      .map((e) => [
        esc(e.seq),
        esc(e.timestamp),
        esc(e.actor),
        esc(e.action),
        esc(e.model ?? ""),
        esc(e.version ?? ""),
        `<code>${esc(JSON.stringify(e.details)).slice(0, 160)}</code>`,
      ]),
    [0],
  );
}

function auditQuery() {
  const q = new URLSearchParams();
  for (const k of ["model", "actor", "action"]) {
    const v = $(`audit-${k}`).value.trim();
    if (v) q.set(k, v);
  }
  return q.toString();
}

function download(name, text, type) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  a.click();
}

const loaders = { overview, models, experiment, drift, audit };

async function refresh() {
  try {
    if (current !== "overview") await overview().catch(() => undefined); // keeps the traffic series going
    await loaders[current]();
  } catch (err) {
    flash(`${current}: ${err.message}`, "error");
  }
}

function show(page) {
  current = PAGES.includes(page) ? page : "overview";
  for (const p of PAGES) $(`page-${p}`).hidden = p !== current;
  for (const a of document.querySelectorAll("nav a"))
    a.classList.toggle("active", a.dataset.page === current);
  clearTimeout(timer);
  const loop = async () => {
    await refresh();
    document.body.dataset.loaded = current;
    timer = setTimeout(loop, POLL_MS);
  };
  void loop();
}

// ── wiring ──────────────────────────────────────────────────────────────────
function wire() {
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const v = $("token-input").value.trim();
    if (v) sessionStorage.setItem(TOKEN_KEY, v);
    $("token-input").value = "";
    showToken();
  });
  $("token-clear").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showToken();
  });
  $("ml-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const enabled = !(lastMonitoring?.ml_enabled ?? true);
    const reason = $("ml-reason").value.trim();
    if (!reason) return flash("switching ML needs a reason", "error");
    void act(`ML ${enabled ? "on" : "off"}`, () =>
      api("/api/v1/serving/ml", { method: "POST", auth: true, body: { enabled, reason } }),
    );
  });
  $("split-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const challenger = Number($("split-challenger").value);
    const reason = $("split-reason").value.trim();
    const body = {
      champion_pct: 100 - challenger,
      challenger_pct: challenger,
      ...(reason ? { reason } : {}),
    };
    void act(`split ${100 - challenger}/${challenger}`, () =>
      api("/api/v1/serving/routing", { method: "POST", auth: true, body }),
    );
  });
  $("rollback-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const reason = $("rollback-reason").value.trim();
    if (!reason) return flash("a rollback needs a reason", "error");
    void act("rollback", () =>
      api("/api/v1/models/rollback", { method: "POST", auth: true, body: { reason } }),
    );
  });
  $("gates").addEventListener("click", (e) => {
    const btn = e.target.closest("button[data-act]");
    if (!btn) return;
    const form = btn.closest("form");
    const version = form.dataset.version;
    const note = form.elements.note.value.trim();
    const what = btn.dataset.act;
    if (what === "promote")
      return void act(`promote version ${version}`, () =>
        api(`/api/v1/models/${version}/promote`, {
          method: "POST",
          auth: true,
          body: note ? { reason: note } : {},
        }),
      );
    void act(`${what} version ${version}`, () =>
      api(`/api/v1/models/${version}/approvals`, {
        method: "POST",
        auth: true,
        body: { decision: what, ...(note ? { note } : {}) },
      }),
    );
  });
  $("audit-filter").addEventListener("submit", (e) => {
    e.preventDefault();
    void refresh();
  });
  $("audit-export-json").addEventListener("click", () =>
    download("lakay-audit.json", JSON.stringify(lastAudit, null, 2), "application/json"),
  );
  $("audit-export-csv").addEventListener("click", () => {
    const cols = ["seq", "timestamp", "actor", "action", "model", "version", "details", "prevHash", "hash"];
    const cell = (v) => {
      const s = v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
      return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    };
    download(
      "lakay-audit.csv",
      [cols.join(","), ...lastAudit.map((e) => cols.map((c) => cell(e[c])).join(","))].join("\n") + "\n",
      "text/csv",
    );
  });
  window.addEventListener("hashchange", () => show(window.location.hash.slice(1)));
  showToken();
  show(window.location.hash.slice(1));
}

wire();
