import type { Command } from "commander";
import { buildApp } from "../api/index.js";
import { checkFeatureStoreUri, defaultRegistryUri, featureStoreUri } from "../config/index.js";
import { BadInputError } from "../errors/index.js";
import { log } from "../log/index.js";
import { openLakay } from "../app/index.js";
import { addRegistryOptions } from "./registry-options.js";
import {
  ChangeListener,
  FraudScoringService,
  loadServingConfig,
  RedisFeatureStore,
} from "../serving/index.js";
import { action } from "./run-command.js";

interface ServeOptions {
  registryUri?: string;
  artifactRoot?: string;
  model?: string;
  host: string;
  port: number;
  config?: string;
  requireTokenForReads?: boolean;
  featureStore?: string;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new BadInputError("expected a port number 0-65535 (0 picks a free port)");
  return n;
}

/** `lakay serve`: the scoring API over the same registry as every other command. */
export function registerServeCommand(program: Command): void {
  addRegistryOptions(
    program
      .command("serve")
      .description("serve fraud scores over HTTP: champion/challenger routing, hybrid rules+ML, hot reload")
      .option(
        "--model <name>",
        "registered model to serve (default: serving.yaml's model, else fraud-detector)",
      )
      .option("--host <host>", "address to listen on", "127.0.0.1")
      .option("--port <port>", "port to listen on (0 picks a free one)", parsePort, 8000)
      .option(
        "--config <serving.yaml>",
        "serving configuration (weights, tiers, limits); defaults when left out",
      )
      .option("--require-token-for-reads", "scoring and reads need a bearer token too (any role)")
      .option(
        "--feature-store <url>",
        "online features shared by every replica: redis://HOST:PORT/DB (env LAKAY_FEATURE_STORE; default in-process)",
        checkFeatureStoreUri,
      ),
  )
    .addHelpText(
      "after",
      `
Logs one line "listening on http://HOST:PORT", then serves until SIGTERM or SIGINT (finishes the
requests in flight, exits 0). SIGHUP reloads the models. On PostgreSQL every replica LISTENs for
changes and serves them at once; serving.yaml's reload.poll_seconds is the fallback (see docs/scaling.md). State-changing endpoints need a token:
lakay tokens create --name alice --role ml_engineer. See docs/serving.md.

Example:
  lakay serve --port 8000 --config serving.yaml
  curl -s localhost:8000/api/v1/serving/monitoring
`,
    )
    .action(
      action(async (opts: ServeOptions) => {
        const config = loadServingConfig(opts.config);
        if (opts.model) config.model = opts.model;
        const logger = log();
        const registry = await openLakay({
          registryUri: opts.registryUri,
          artifactRoot: opts.artifactRoot,
        });
        const storeUri = featureStoreUri(opts.featureStore, config.feature_store.url);
        const fs = config.feature_store;
        const featureStore = storeUri
          ? new RedisFeatureStore({
              url: storeUri,
              keyPrefix: fs.key_prefix,
              customerTtlSeconds: fs.customer_ttl_seconds,
              answerTtlSeconds: fs.answer_ttl_seconds,
              timeoutMs: fs.timeout_ms,
              logger,
            })
          : undefined;
        const service = new FraudScoringService({ registry, config, logger, featureStore });
        await service.start();
        // PostgreSQL announces every committed change: refresh at once (polling stays the fallback).
        const changes =
          registry.dialect === "postgresql"
            ? new ChangeListener({
                connectionString: opts.registryUri || defaultRegistryUri(),
                onChange: () => void service.pollOnce(),
                logger,
              })
            : undefined;
        service.changeFeed = changes ?? null;
        await changes?.start();
        const app = await buildApp({
          service,
          registry,
          logger,
          requireTokenForReads: opts.requireTokenForReads,
        });
        let closing = false;
        const shutdown = (signal: string) => {
          if (closing) return;
          closing = true;
          logger.info({ signal }, "shutting down: no new requests, finishing those in flight");
          service.stop();
          void changes?.stop();
          // In-flight requests finish, then every queued prediction record is written (or spilled).
          void app
            .close()
            .then(() => service.close())
            .then(() => registry.close())
            .then(
              () => process.exit(0),
              (err: unknown) => {
                logger.error({ err }, "shutdown failed");
                process.exit(1);
              },
            );
        };
        process.on("SIGTERM", () => shutdown("SIGTERM"));
        process.on("SIGINT", () => shutdown("SIGINT"));
        process.on("SIGHUP", () => {
          service.reload("SIGHUP").catch(() => undefined); // logged, and kept in monitoring's last_reload
        });
        await app.listen({
          host: opts.host,
          port: opts.port,
          listenTextResolver: (address) => `listening on ${address}`,
        });
      }),
    );
}
