import type { FastifyBaseLogger } from "fastify";
import type { Bindings, ChildLoggerOptions } from "pino";

type Level = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

/**
 * A request's logger (`request.log`), whose pino child — the one that carries the request id —
 * is made the first time a line is written at an enabled level, not when the request arrives.
 * Fastify asks for a child per request, and pino's `child()` was ~4 µs of a scored request's
 * ~60 µs of CPU (it serialises the bindings and builds the child's level methods) while a scored
 * request writes no line unless something goes wrong. Lines written keep the same bindings.
 */
class LazyRequestLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger & { isLevelEnabled(level: string): boolean },
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get logger(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  /** A level method that writes only when the parent would (the child inherits its level). */
  private write(level: Level, args: unknown[]): void {
    if (this.made || this.parent.isLevelEnabled(level))
      (this.logger[level] as (...a: unknown[]) => void)(...args);
  }

  // Methods on the prototype, not closures per request: the point is to allocate little.
  fatal(...args: unknown[]): void {
    this.write("fatal", args);
  }
  error(...args: unknown[]): void {
    this.write("error", args);
  }
  warn(...args: unknown[]): void {
    this.write("warn", args);
  }
  info(...args: unknown[]): void {
    this.write("info", args);
  }
  debug(...args: unknown[]): void {
    this.write("debug", args);
  }
  trace(...args: unknown[]): void {
    this.write("trace", args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }
}

/**
 * Fastify's `childLoggerFactory`: a lazy child (above), or pino's own when the route sets a level
 * or serializers of its own (none of Lakay's does).
 */
export function requestLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  const parent = logger as FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean };
  if (options.level !== undefined || options.serializers !== undefined || !parent.isLevelEnabled)
    return logger.child(bindings, options);
  // pino's LogFn overloads (object or message first) are what the level methods forward as given.
  return new LazyRequestLogger(
    parent as FastifyBaseLogger & { isLevelEnabled(level: string): boolean },
    bindings,
    options,
  ) as unknown as FastifyBaseLogger;
}
