import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.js";
import { loadServingConfig } from "../../src/serving/index.js";

/**
 * deploy/ cannot be run here (no Docker engine, no cluster), so this keeps it honest against the
 * code: every `lakay` command and flag the Dockerfile and the manifests use exists in the program,
 * every environment name they set is read by Lakay (or, for the S3 keys, by the AWS SDK), the
 * probes name routes the server has, the ports agree, and the ConfigMap's serving.yaml loads.
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DEPLOY = path.join(ROOT, "deploy");
const dockerfile = readFileSync(path.join(DEPLOY, "Dockerfile"), "utf8");

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;
const manifests: Doc[] = readdirSync(path.join(DEPLOY, "k8s"))
  .filter((f) => f.endsWith(".yaml"))
  .flatMap((f) =>
    parseAllDocuments(readFileSync(path.join(DEPLOY, "k8s", f), "utf8")).map((d) => {
      expect(d.errors, f).toEqual([]);
      return d.toJS();
    }),
  );
const byKind = (kind: string): Doc => {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0];
};
const deployment = byKind("Deployment");
const container = deployment.spec.template.spec.containers[0];

/** A Dockerfile instruction's JSON-array form (exec form), e.g. CMD ["serve", ...]. */
function execForm(instruction: string): string[] {
  const m = new RegExp(`^${instruction} (\\[.*\\])$`, "m").exec(dockerfile);
  expect(m, `${instruction} in exec form`).not.toBeNull();
  return JSON.parse(m![1]) as string[];
}

/** Checks `args` against the program: the command path exists, each --flag is one of its options. */
function checkLakayArgs(args: string[]): Map<string, string | true> {
  let cmd: Command = buildProgram();
  const globals = cmd.options.map((o) => o.long);
  const rest = [...args];
  while (rest.length && !rest[0].startsWith("-")) {
    const name = rest.shift()!;
    const sub = cmd.commands.find((c) => c.name() === name);
    expect(sub, `lakay ${args.join(" ")}: no command "${name}"`).toBeDefined();
    cmd = sub!;
  }
  expect(cmd.name(), "a command, not the bare program").not.toBe("lakay");
  const values = new Map<string, string | true>();
  while (rest.length) {
    const flag = rest.shift()!;
    const opt = cmd.options.find((o) => o.long === flag);
    expect(opt ?? globals.includes(flag), `lakay ${cmd.name()} has no option ${flag}`).toBeTruthy();
    if (opt && (opt.required || opt.optional)) {
      expect(rest[0], `${flag} needs a value`).toBeDefined();
      values.set(flag, rest.shift()!);
    } else values.set(flag, true);
  }
  return values;
}

/** Every environment name the Dockerfile and the manifests set. */
function envNames(): string[] {
  const names = new Set<string>();
  for (const block of dockerfile.matchAll(/^ENV ((?:.*\\\n)*.*)$/gm))
    for (const m of block[1].matchAll(/([A-Z_][A-Z0-9_]*)=/g)) names.add(m[1]);
  for (const e of container.env ?? []) names.add(e.name);
  for (const key of Object.keys(byKind("Secret").stringData)) names.add(key);
  return [...names];
}

function sourceText(dir: string): string {
  return readdirSync(dir)
    .map((f) => path.join(dir, f))
    .map((p) =>
      statSync(p).isDirectory() ? sourceText(p) : p.endsWith(".ts") ? readFileSync(p, "utf8") : "",
    )
    .join("\n");
}

describe("deploy/ agrees with the lakay CLI", () => {
  it("the Dockerfile's entrypoint runs the CLI and its CMD is a valid `lakay serve`", () => {
    expect(execForm("ENTRYPOINT")).toEqual(["node", "/app/dist/cli/main.js"]);
    const cmd = checkLakayArgs(execForm("CMD"));
    expect(cmd.get("--host")).toBe("0.0.0.0"); // reachable from outside the container
    expect(dockerfile).toMatch(/^EXPOSE (\d+)$/m);
    expect(dockerfile.match(/^EXPOSE (\d+)$/m)![1]).toBe(cmd.get("--port"));
    expect(dockerfile).toMatch(
      new RegExp(`HEALTHCHECK[\\s\\S]*127\\.0\\.0\\.1:${cmd.get("--port")}/healthz`),
    );
    // Multi-stage on Node 20 slim, and the runtime stage does not run as root.
    expect(dockerfile.match(/^FROM node:20-slim/gm)).toHaveLength(2);
    const user = /^USER (\S+)$/m.exec(dockerfile)?.[1];
    expect(user).toBeDefined();
    expect(user!.split(":")[0]).not.toMatch(/^(0|root)$/);
    // Everything it copies from the context exists.
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(?:--\S+ )*(.+) \S+$/gm))
      for (const src of m[1].split(" ")) expect(existsSync(path.join(ROOT, src)), `COPY ${src}`).toBe(true);
  });

  it("the Deployment's args are a valid `lakay serve` on its container port, probes on real routes", () => {
    const args = checkLakayArgs(container.args);
    const port = container.ports.find((p: Doc) => p.name === "http").containerPort;
    expect(args.get("--port")).toBe(String(port));
    expect(args.get("--host")).toBe("0.0.0.0");
    expect(container.readinessProbe.httpGet.path).toBe("/readyz");
    expect(container.livenessProbe.httpGet.path).toBe("/healthz");
    const routes = sourceText(path.join(ROOT, "src/api"));
    for (const p of ["/readyz", "/healthz"]) expect(routes).toContain(`"${p}"`);
    // The config it passes is where the ConfigMap is mounted; the Secret and ConfigMap it names exist.
    const mount = container.volumeMounts.find((v: Doc) => v.name === "config").mountPath;
    const configMap = byKind("ConfigMap");
    const volume = deployment.spec.template.spec.volumes.find((v: Doc) => v.name === "config");
    expect(volume.configMap.name).toBe(configMap.metadata.name);
    expect(args.get("--config")).toBe(`${mount}/serving.yaml`);
    expect(container.envFrom[0].secretRef.name).toBe(byKind("Secret").metadata.name);
    expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    // The Service selects the Deployment's pods and targets the named port.
    const service = byKind("Service");
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(service.spec.ports[0].targetPort).toBe("http");
  });

  it("the ConfigMap's serving.yaml is a valid serving configuration", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lakay-deploy-files-"));
    try {
      const file = path.join(dir, "serving.yaml");
      writeFileSync(file, byKind("ConfigMap").data["serving.yaml"]);
      const config = loadServingConfig(file);
      expect(config.model).toBe("fraud-detector");
      expect(config.reload.poll_seconds).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("every environment name they set is read by Lakay or by the AWS SDK's credential chain", () => {
    const src = sourceText(path.join(ROOT, "src"));
    const sdk = readFileSync(
      path.join(ROOT, "node_modules/@aws-sdk/credential-provider-env/dist-cjs/index.js"),
      "utf8",
    );
    const names = envNames();
    expect(names).toEqual(
      expect.arrayContaining(["LAKAY_REGISTRY_URI", "LAKAY_ARTIFACT_ROOT", "AWS_SECRET_ACCESS_KEY"]),
    );
    for (const name of names)
      expect(src.includes(name) || sdk.includes(`"${name}"`), `${name} is read by nothing`).toBe(true);
  });
});
