import type { Logger } from "pino";
import { CHANGE_CHANNEL } from "../registry/index.js";

/** What a replica does when the registry announces a change (or may have missed some). */
export type OnRegistryChange = (why: "notify" | "reconnected") => void;

export interface ChangeListenerOptions {
  /** The registry's `postgresql://` connection string (the listener opens its own client). */
  connectionString: string;
  onChange: OnRegistryChange;
  logger: Logger;
  /** First reconnect delay; doubles up to `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

type PgClient = import("pg").Client;

/**
 * LISTENs on the registry's change channel over one dedicated PostgreSQL connection, so a replica
 * refreshes as soon as any process commits a change instead of at its next poll. A pooled
 * connection cannot do this: LISTEN belongs to one session. When the connection drops (server
 * restart, network) it reconnects with exponential backoff, and after every (re)connection asks for
 * a refresh, since notifications sent while it was away are lost. Polling stays on as the fallback.
 */
export class ChangeListener {
  private client: PgClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private backoffMs: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  /** True while LISTEN is in force; monitoring can show it. */
  connected = false;

  constructor(private readonly opts: ChangeListenerOptions) {
    this.minBackoffMs = opts.minBackoffMs ?? 250;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    this.backoffMs = this.minBackoffMs;
  }

  /** Connects and listens; resolves after the first attempt, whether or not it succeeded. */
  async start(): Promise<void> {
    await this.connect(false);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    await client?.end().catch(() => undefined);
  }

  private async connect(reconnecting: boolean): Promise<void> {
    if (this.stopped) return;
    const pg = await import("pg");
    const Client = pg.default?.Client ?? pg.Client;
    const client = new Client({
      connectionString: this.opts.connectionString,
      connectionTimeoutMillis: 10_000,
    });
    // Without an error listener a dropped connection would crash the process.
    client.on("error", (err) => this.lost(client, err));
    client.on("end", () => this.lost(client, new Error("connection ended")));
    client.on("notification", (msg) => {
      if (msg.channel === CHANGE_CHANNEL) this.opts.onChange("notify");
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      this.scheduleReconnect(err as Error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.connected = true;
    this.backoffMs = this.minBackoffMs;
    this.opts.logger.info({ channel: CHANGE_CHANNEL }, "listening for registry changes");
    if (reconnecting) this.opts.onChange("reconnected");
  }

  private lost(client: PgClient, err: Error): void {
    if (this.client !== client || this.stopped) return;
    this.client = undefined;
    this.connected = false;
    client.end().catch(() => undefined);
    this.scheduleReconnect(err);
  }

  private scheduleReconnect(err: Error): void {
    if (this.stopped || this.timer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.maxBackoffMs);
    this.opts.logger.warn(
      { err: err.message, retry_ms: delay },
      "registry change listener disconnected: polling only until it reconnects",
    );
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect(true);
    }, delay);
    this.timer.unref();
  }
}
