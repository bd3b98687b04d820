/* eslint-disable @typescript-eslint/no-explicit-any -- page functions run in the browser; the test project has no DOM types */
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestRegistryHome, type TestRegistryHome } from "../deploy/helpers.js";
import { PAYSIM_SAMPLE, runCli } from "../helpers/cli.js";
import {
  buildServingRegistry,
  call,
  createToken,
  lakay,
  registryEnv,
  startServer,
  type RunningServer,
} from "../serving/serving-fixture.js";
import { chartsOnPage, launchBrowser, type Browser } from "./browser.js";

/**
 * The dashboard in Debian's Chromium against a real `lakay serve` (built dist/, SQLite registry,
 * XGBoost-compatible models trained by `lakay train`): every page loads without console errors with
 * its charts drawn; an action without a token is refused in the page and changes nothing; split,
 * ML switch, approvals, promote (refused with the checklist, then through the gate) and rollback
 * work through the UI, and the registry and the audit log show them with the token's name.
 */
const PAGES = ["overview", "models", "experiment", "drift", "audit"] as const;
export const SCREENSHOT_DIR = mkdtempSync(path.join(os.tmpdir(), "lakay-dashboard-"));

describe("dashboard in Chromium", () => {
  let home: TestRegistryHome;
  let env: NodeJS.ProcessEnv;
  let server: RunningServer;
  let browser: Browser;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    home = await createTestRegistryHome("sqlite");
    env = registryEnv(home);
    buildServingRegistry(home, PAYSIM_SAMPLE, 3);
    lakay(env, "models", "alias", "fraud-detector", "challenger", "3", "--by", "alice");
    lakay(env, "validate", "--model", "fraud-detector", "--version", "2");
    lakay(env, "backtest", "--model", "fraud-detector", "--candidate", "2", "--dataset", PAYSIM_SAMPLE);
    for (const [name, role] of [
      ["alice", "ml_engineer"],
      ["bob", "team_lead"],
      ["dave", "bsa_officer"],
      ["sim", "operator"],
    ])
      tokens[name] = createToken(env, name, role);
    server = await startServer(env);
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await home?.drop();
  });

  it("lakay simulate sends traffic, labels after a delay and drift; bad specs are refused", async () => {
    const simulate = (...args: string[]) =>
      runCli(["simulate", "--dataset", PAYSIM_SAMPLE, "--url", server.url, ...args], {
        env: { ...env, LAKAY_TOKEN: tokens.sim },
      });
    const bad = simulate("--drift", "colour*5@50%");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--drift");
    const run = simulate(
      ...["--rate", "150", "--duration", "3s", "--labels-after", "1s", "--drift", "amount*5@50%", "--json"],
    );
    expect(run.status, run.stderr).toBe(0);
    const s = JSON.parse(run.stdout);
    expect(s.sent).toBeGreaterThan(100);
    expect(s).toMatchObject({ ok_2xx: s.sent, errors: 0, first_error: null });
    expect(s.labels).toMatchObject({ sent: s.sent, accepted: s.sent, errors: 0 });
    expect(s.drift.started_at_request).toBeGreaterThan(0);
    expect(s.latency_ms.p50).toBeGreaterThan(0);
    expect(s.latency_ms.p99).toBeGreaterThanOrEqual(s.latency_ms.p50);
    const mon = await call(`${server.url}/api/v1/serving/monitoring`, "GET");
    expect(mon.body.predictions.total).toBe(s.sent);
  }, 60_000);

  it("loads every page with no console errors, its tables filled and its charts drawn", async () => {
    const { page, errors } = await browser.page();
    for (const p of PAGES) {
      await page.goto(`${server.url}/#${p}`);
      await page.waitForSelector(`body[data-loaded=${p}]`, { state: "attached" });
      if (p === "overview") await page.waitForTimeout(2500); // a second poll: one traffic point
      await page.waitForTimeout(300);
      const charts = await chartsOnPage(page);
      if (p !== "audit") expect(charts.length, p).toBeGreaterThan(0);
      for (const c of charts) expect(c, `${p}: ${c.id}`).toMatchObject({ drawn: true });
      const file = path.join(SCREENSHOT_DIR, `${p}.png`);
      await page.screenshot({ path: file, fullPage: true });
      expect(statSync(file).size).toBeGreaterThan(10_000);
    }
    await page.goto(`${server.url}/#overview`);
    await page.waitForSelector("body[data-loaded=overview]", { state: "attached" });
    expect(await page.textContent("#overview-cards")).toContain("fraud-detector v1");
    await page.goto(`${server.url}/#models`);
    await page.waitForSelector("#gate-2 h2");
    expect(await page.textContent("#gate-2")).toContain("approval:");
    await page.goto(`${server.url}/#audit`);
    await page.waitForSelector("body[data-loaded=audit]", { state: "attached" });
    expect(await page.textContent("#audit-verify")).toContain("intact");
    expect(await page.textContent("#deployments-table")).toContain("carol");
    await page.fill("#audit-actor", "carol");
    await page.click("#audit-filter button[type=submit]");
    await page.waitForFunction(() =>
      [...(globalThis as any).document.querySelectorAll("#audit-table tbody tr td:nth-child(3)")].every(
        (td: any) => td.textContent === "carol",
      ),
    );
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it("lakay monitor drift --html writes one self-contained page whose chart draws offline", async () => {
    const file = path.join(SCREENSHOT_DIR, "drift-report.html");
    const r = runCli(
      [
        "monitor",
        "drift",
        "--model",
        "models:/fraud-detector/Production",
        "--dataset",
        PAYSIM_SAMPLE,
        "--html",
        file,
      ],
      { env },
    );
    expect(r.status, r.stderr).toBe(0);
    const html = readFileSync(file, "utf8");
    expect(html).toContain("Chart.js v4");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // nothing fetched
    expect(html.match(/<tr><td>/g)).toHaveLength(11);
    const { page, errors } = await browser.page();
    const outside: string[] = [];
    page.on("request", (req) => {
      if (!req.url().startsWith("file:")) outside.push(req.url());
    });
    await page.goto(`file://${file}`);
    await page.waitForTimeout(300);
    const charts = await chartsOnPage(page, "canvas");
    expect(charts).toEqual([{ id: "psi", drawn: true }]);
    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, "drift-report.png"), fullPage: true });
    await page.close();
  }, 60_000);

  it("refuses an action without a token in the page, and the registry is unchanged", async () => {
    const { page, errors } = await browser.page();
    await page.goto(`${server.url}/#models`);
    await page.waitForSelector("#gate-2 button[data-act=promote]");
    await page.click("#gate-2 button[data-act=promote]");
    await page.waitForSelector("#flash.error");
    expect(await page.textContent("#flash")).toMatch(/refused: this action needs a token/);
    const models = await call(`${server.url}/api/v1/models`, "GET");
    expect(models.body.versions.find((v: { version: number }) => v.version === 1).stage).toBe("Production");
    expect(models.body.versions.find((v: { version: number }) => v.version === 2).stage).toBe("Staging");
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("sets the split, switches ML off and on, approves, promotes through the gate and rolls back", async () => {
    const { page } = await browser.page();
    const useToken = async (name: string) => {
      await page.fill("#token-input", tokens[name]);
      await page.click("#token-form button[type=submit]");
      await page.waitForFunction(() =>
        (globalThis as any).document.getElementById("token-state").textContent.includes("token set"),
      );
    };
    const done = async (what: string) => {
      await page.waitForFunction(
        (w) => (globalThis as any).document.getElementById("flash").textContent.startsWith(w),
        what,
      );
      return page.textContent("#flash");
    };
    await page.goto(`${server.url}/#experiment`);
    await useToken("alice");
    // The token is kept for the session, never in the URL.
    expect(page.url()).not.toContain(tokens.alice);

    await page.fill("#split-challenger", "10");
    await page.fill("#split-reason", "web test experiment");
    await page.click("#split-button");
    expect(await done("split 90/10")).toContain("done");
    const routing = await call(`${server.url}/api/v1/serving/routing`, "GET");
    expect(routing.body).toMatchObject({ champion_pct: 90, challenger_pct: 10, challenger_version: "3" });
    // The experiment page shows the auto-promotion test's state for the new experiment.
    const sequential = await call(`${server.url}/api/v1/experiment/sequential`, "GET");
    expect(sequential.body).toMatchObject({
      experiment_id: routing.body.experiment.id,
      promote: false,
      test: "mSPRT (normal mixture), always valid",
    });
    await page.waitForFunction(() =>
      (globalThis as any).document.getElementById("experiment-cards").textContent.includes("continue"),
    );

    await page.goto(`${server.url}/#overview`);
    await page.waitForSelector("body[data-loaded=overview]", { state: "attached" });
    await page.fill("#ml-reason", "web test: rules only");
    await page.click("#ml-toggle");
    expect(await done("ML off")).toContain("done");
    expect((await call(`${server.url}/api/v1/serving/monitoring`, "GET")).body.ml_enabled).toBe(false);
    await page.waitForFunction(
      () => (globalThis as any).document.getElementById("ml-toggle").textContent === "Switch ML on",
    );
    await page.fill("#ml-reason", "web test: back on");
    await page.click("#ml-toggle");
    expect(await done("ML on")).toContain("done");
    expect((await call(`${server.url}/api/v1/serving/monitoring`, "GET")).body.ml_enabled).toBe(true);

    // Promote before the sign-offs: refused with the checklist.
    await page.goto(`${server.url}/#models`);
    await page.waitForSelector("#gate-2 button[data-act=approve]");
    await page.click("#gate-2 button[data-act=approve]");
    expect(await done("approve version 2")).toContain("done");
    await page.click("#gate-2 button[data-act=promote]");
    const refused = await done("promote version 2 refused");
    expect(refused).toContain("approval:team_lead");
    expect(await page.textContent("#gate-2 h2")).toContain("refused promotion");
    for (const name of ["bob", "dave"]) {
      await useToken(name);
      await page.fill("#gate-2 input[name=note]", `reviewed by ${name}`);
      await page.click("#gate-2 button[data-act=approve]");
      expect(await done("approve version 2")).toContain("done");
    }
    await useToken("alice");
    await page.waitForSelector("#gate-2 button[data-act=promote]");
    await page.click("#gate-2 button[data-act=promote]");
    expect(await done("promote version 2")).toContain("done");
    let models = await call(`${server.url}/api/v1/models`, "GET");
    const stage = (v: number) =>
      models.body.versions.find((x: { version: number }) => x.version === v).stage as string;
    expect([stage(1), stage(2)]).toEqual(["Archived", "Production"]);
    expect((await call(`${server.url}/api/v1/serving/monitoring`, "GET")).body.model.version).toBe(2);

    await page.fill("#rollback-reason", "web test drill");
    await page.click("#rollback-button");
    expect(await done("rollback")).toContain("done");
    models = await call(`${server.url}/api/v1/models`, "GET");
    expect([stage(1), stage(2)]).toEqual(["Production", "Archived"]);
    expect((await call(`${server.url}/api/v1/serving/monitoring`, "GET")).body.model.version).toBe(1);

    // Audited with the tokens' names.
    const audit = await call(`${server.url}/api/v1/audit?actor=alice`, "GET");
    const actions = audit.body.entries.map((e: { action: string }) => e.action).join(" ");
    expect(actions).toMatch(/promote/);
    expect(actions).toMatch(/rollback/);
    const bob = await call(`${server.url}/api/v1/audit?actor=bob`, "GET");
    expect(bob.body.entries.length).toBeGreaterThan(0);
    await page.close();
  }, 180_000);
});
