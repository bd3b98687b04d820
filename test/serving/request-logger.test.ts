import { Writable } from "node:stream";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { installErrorHandlers } from "../../src/api/error-reply.js";
import { requestLoggerFactory } from "../../src/api/request-logger.js";

/**
 * `request.log` as `lakay serve` builds it (src/api/request-logger.ts): pino's child is made only
 * when a line is written, and every line a request writes still carries its request id, at the
 * levels the server's logger lets through and no others.
 */
describe("the lazy request logger", () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function serve(level: string) {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split("\n"))
          if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const childCalls: unknown[] = [];
    // pino tells of every child made, children's children included.
    const logger = pino({ level, onChild: (child) => childCalls.push(child.bindings()) }, sink);
    app = Fastify({
      loggerInstance: logger as unknown as FastifyBaseLogger,
      logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: "request_id" }),
      childLoggerFactory: requestLoggerFactory,
      genReqId: (req) => String(req.headers["x-id"]),
    });
    installErrorHandlers(app);
    app.get("/quiet", async () => ({ ok: true }));
    app.get("/talk", async (request) => {
      request.log.debug("a debug line");
      request.log.info({ step: 1 }, "an info line");
      request.log.child({ part: "inner" }).warn("from a child");
      return { level: request.log.level };
    });
    app.get("/fail", async () => {
      throw new Error("boom");
    });
    await app.ready();
    childCalls.length = 0; // Fastify's own children of the server's logger, made once at start
    return { lines, childCalls };
  }

  it("makes no pino child for a request that writes nothing", async () => {
    const { lines, childCalls } = await serve("info");
    const r = await app!.inject({ url: "/quiet", headers: { "x-id": "q-1" } });
    expect(r.statusCode).toBe(200);
    expect(childCalls).toEqual([]);
    expect(lines).toEqual([]);
  });

  it("writes enabled lines with the request id, drops disabled ones, and keeps child bindings", async () => {
    const { lines, childCalls } = await serve("info");
    const r = await app!.inject({ url: "/talk", headers: { "x-id": "t-7" } });
    expect(r.json()).toEqual({ level: "info" });
    expect(childCalls).toEqual([{ request_id: "t-7" }, { request_id: "t-7", part: "inner" }]);
    expect(lines.map((l) => [l.msg, l.request_id, l.step, l.part])).toEqual([
      ["an info line", "t-7", 1, undefined],
      ["from a child", "t-7", undefined, "inner"],
    ]);
  });

  it("writes debug lines when the server's level allows them", async () => {
    const { lines } = await serve("debug");
    await app!.inject({ url: "/talk", headers: { "x-id": "d-2" } });
    expect(lines.map((l) => [l.msg, l.request_id])).toEqual([
      ["a debug line", "d-2"],
      ["an info line", "d-2"],
      ["from a child", "d-2"],
    ]);
  });

  it("carries the request id into the error handler's lines", async () => {
    const { lines } = await serve("info");
    const r = await app!.inject({ url: "/fail", headers: { "x-id": "f-3" } });
    expect(r.statusCode).toBe(500);
    expect(lines).toMatchObject([
      { level: 50, msg: "request failed", request_id: "f-3", err: { message: "boom" } },
    ]);
  });
});
