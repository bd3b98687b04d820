import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The fleet tests' own infrastructure, started by the tests (never the machine's services):
 * Debian's `redis-server` and `nginx` on free loopback ports, their files in a temp folder.
 * scripts/test-services.sh installs both.
 */

/** A free loopback port (the OS picks it; closed again before it is handed out). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on `port`. */
async function waitForPort(
  port: number,
  what: string,
  child: ChildProcess,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited ${child.exitCode}: ${log()}`);
    const up = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, "127.0.0.1");
      c.once("connect", () => (c.destroy(), resolve(true)));
      c.once("error", () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on ${port}: ${log()}`);
}

export interface Service {
  port: number;
  /** Stops it (SIGKILL after 5 s) and waits for the exit; safe to call twice. */
  stop(): Promise<void>;
}

function supervise(child: ChildProcess): { log: () => string; stop: () => Promise<void> } {
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  return {
    log: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const hard = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(hard);
      }
    },
  };
}

/** Debian's redis-server, in memory only (no dump file), on `port` (default: a free one). */
export async function startRedis(dir: string, port?: number): Promise<Service> {
  const p = port ?? (await freePort());
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    "/usr/bin/redis-server",
    ["--port", String(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const s = supervise(child);
  await waitForPort(p, "redis-server", child, s.log);
  return { port: p, stop: s.stop };
}

/**
 * Debian's nginx in front of `upstreams` (host:port), config generated here: a score request that
 * fails on one replica (connection refused or reset, 502/503/504) is retried on the next, which is
 * safe because scoring is idempotent by transaction id (`proxy_next_upstream ... non_idempotent`).
 */
export async function startNginx(dir: string, upstreams: string[]): Promise<Service & { url: string }> {
  const port = await freePort();
  mkdirSync(path.join(dir, "logs"), { recursive: true });
  const conf = path.join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream lakay {
${upstreams.map((u) => `    server ${u} max_fails=1 fail_timeout=2s;`).join("\n")}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://lakay;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_connect_timeout 1s;
      proxy_read_timeout 10s;
      proxy_next_upstream error timeout http_502 http_503 http_504 non_idempotent;
      proxy_next_upstream_tries ${upstreams.length};
    }
  }
}
`,
  );
  const child = spawn("/usr/sbin/nginx", ["-c", conf, "-p", dir, "-e", path.join(dir, "logs/error.log")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const s = supervise(child);
  await waitForPort(port, "nginx", child, s.log);
  return { port, url: `http://127.0.0.1:${port}`, stop: s.stop };
}

/**
 * The S3-compatible server the registry tests use (s3rver), in a process of its own: the fleet
 * test runs `lakay` commands synchronously, which would block an s3rver in the test's own process
 * while the command waits for it.
 */
export async function startS3(dir: string): Promise<Service & { uri: string; env: NodeJS.ProcessEnv }> {
  mkdirSync(dir, { recursive: true });
  const code = `
    import S3rver from "s3rver";
    const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: process.argv[1],
      configureBuckets: [{ name: "lakay" }] });
    const { port } = await server.run();
    console.log("s3rver port " + port);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", code, dir], {
    cwd: fileURLToPath(new URL("../..", import.meta.url)), // where node_modules/s3rver is
    stdio: ["ignore", "pipe", "pipe"],
  });
  const s = supervise(child);
  const deadline = Date.now() + 15_000;
  const portOf = () => /s3rver port (\d+)/.exec(s.log());
  while (!portOf() && child.exitCode === null && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  const m = portOf();
  if (!m) {
    await s.stop();
    throw new Error(`s3rver did not start: ${s.log()}`);
  }
  const port = Number(m[1]);
  return {
    port,
    uri: "s3://lakay/fleet",
    env: {
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
    },
    stop: s.stop,
  };
}
