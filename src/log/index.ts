import pino, { type Logger } from "pino";

let logger: Logger | undefined;

/**
 * The process logger: JSON lines on stderr, human-readable when stderr is a TTY.
 * Level from `LAKAY_LOG_LEVEL` (default `info`; the CLI sets `debug` with --verbose).
 */
export function log(): Logger {
  if (!logger) {
    const level = process.env.LAKAY_LOG_LEVEL ?? "info";
    logger = process.stderr.isTTY
      ? pino({
          level,
          transport: { target: "pino-pretty", options: { destination: 2, ignore: "pid,hostname" } },
        })
      : pino({ level }, pino.destination(2));
  }
  return logger;
}

export function setLogLevel(level: string): void {
  log().level = level;
}
