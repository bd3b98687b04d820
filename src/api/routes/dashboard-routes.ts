import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";

/**
 * The dashboard's files: the page and its script from the package's `web/` folder (beside `src/`
 * and `dist/`, so `npm run build` has nothing to copy) and Chart.js from node_modules — never a CDN,
 * the machines have no internet. A fixed list: nothing else on disk is reachable.
 */
const WEB_DIR = fileURLToPath(new URL("../../../web/", import.meta.url));
const CHART_JS = join(dirname(createRequire(import.meta.url).resolve("chart.js")), "chart.umd.min.js");

const FILES: Record<string, { path: string; type: string }> = {
  "/": { path: join(WEB_DIR, "index.html"), type: "text/html; charset=utf-8" },
  "/dashboard/app.js": { path: join(WEB_DIR, "app.js"), type: "text/javascript; charset=utf-8" },
  "/dashboard/style.css": { path: join(WEB_DIR, "style.css"), type: "text/css; charset=utf-8" },
  "/dashboard/vendor/chart.umd.min.js": { path: CHART_JS, type: "text/javascript; charset=utf-8" },
};

export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  for (const [url, file] of Object.entries(FILES)) {
    app.get(url, { schema: { hide: true } }, async (_request, reply) => {
      const body = await readFile(file.path);
      return reply
        .type(file.type)
        .header("cache-control", "no-cache")
        .header(
          "content-security-policy",
          "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'",
        )
        .send(body);
    });
  }
}
