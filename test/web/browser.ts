import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

/** Debian's Chromium (scripts/test-services.sh installs it); never a downloaded browser. */
export const CHROMIUM = "/usr/bin/chromium";

export interface Browser {
  context: BrowserContext;
  /** A new page whose console errors and uncaught exceptions are collected in `errors`. */
  page(): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile, no network beyond what the page asks of loopback. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), "lakay-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    page: async () => {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(`${m.text()} (${m.location().url})`);
      });
      page.on("pageerror", (e) => errors.push(String(e)));
      return { page, errors };
    },
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Every chart on the visible page: `{id, drawn}` where drawn means Chart.js owns the canvas and
 * it has painted pixels (not an empty canvas).
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- runs in the page; the test project has no DOM types */
export async function chartsOnPage(
  page: Page,
  selector = "section:not([hidden]) canvas",
): Promise<{ id: string; drawn: boolean }[]> {
  return page.evaluate((sel) => {
    // Runs in the page: the test project is typed without the DOM library.
    const g = globalThis as unknown as { document: any; Chart: { getChart(c: unknown): unknown } };
    return [...g.document.querySelectorAll(sel)].map(
      (c: { id: string; width: number; height: number; getContext(k: string): any }) => {
        const ctx = c.getContext("2d");
        let painted = 0;
        if (ctx && c.width && c.height) {
          const px = ctx.getImageData(0, 0, c.width, c.height).data as Uint8ClampedArray;
          for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) painted++;
        }
        return { id: c.id, drawn: Boolean(g.Chart.getChart(c)) && painted > 100 };
      },
    );
  }, selector);
}
/* eslint-enable @typescript-eslint/no-explicit-any */
