import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../registry/backends.js";

/** The registry CLI end to end (built dist/cli/main.js) on SQLite and on PostgreSQL. */
for (const backend of ["sqlite", "postgresql"] as const) {
  describe(`lakay models / runs / experiments / audit on ${backend}`, () => {
    let dir: string;
    let db: TestDatabase;
    let env: NodeJS.ProcessEnv;
    const lakay = (...args: string[]) => runCli(args, { cwd: dir, env });

    beforeAll(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), "lakay-cli-reg-"));
      db = await createTestDatabase(backend);
      env = { LAKAY_HOME: path.join(dir, ".lakay"), LAKAY_REGISTRY_URI: db.uri, LAKAY_ACTOR: "ci-bot" };
      writeFileSync(
        path.join(dir, "xgb.json"),
        JSON.stringify({ learner: { feature_names: ["amount"] }, version: [1, 7, 4] }),
      );
      writeFileSync(path.join(dir, "features.json"), JSON.stringify({ names: ["amount"] }));
    });
    afterAll(async () => {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("registers bring-your-own models, stages them, aliases, and lists versions as JSON", () => {
      const r1 = lakay(
        "models",
        "register",
        "fraud",
        "--model-file",
        "xgb.json",
        "--features",
        "features.json",
        "--json",
      );
      expect(r1.stderr).toBe("");
      expect(r1.status).toBe(0);
      expect(JSON.parse(r1.stdout)).toMatchObject({ name: "fraud", version: 1, stage: "None" });
      expect(lakay("models", "register", "fraud", "--model-file", "xgb.json").status).toBe(0);
      expect(
        lakay("models", "transition", "fraud", "1", "Staging", "--by", "alice", "--reason", "A/B candidate")
          .status,
      ).toBe(0);
      // Stage names are case-insensitive; the version in Staging is archived.
      expect(lakay("models", "transition", "fraud", "2", "staging").status).toBe(0);
      // Production only through the gate (lakay promote): see test/cli/promotion-gate.test.ts.
      expect(lakay("models", "transition", "fraud", "2", "Production").status).toBe(1);
      expect(lakay("models", "alias", "fraud", "challenger", "2").status).toBe(0);
      const versions = JSON.parse(lakay("models", "versions", "fraud", "--json").stdout);
      expect(versions.map((v: Record<string, unknown>) => [v.version, v.stage, v.aliases])).toEqual([
        [1, "Archived", []],
        [2, "Staging", ["challenger"]],
      ]);
      for (const v of versions) {
        expect(typeof v.run_id).toBe("string");
        expect(v.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
      }
      expect(JSON.parse(lakay("runs", "list", "--metric", "auc_pr>=0.5", "--json").stdout)).toEqual([]);
      expect(lakay("runs", "list", "--metric", "auc_pr is high").status).toBe(2);
      const runs = JSON.parse(lakay("runs", "list", "--json").stdout);
      expect(runs).toHaveLength(2);
      expect(runs[0].tags["lakay.source"]).toBe("external");
      expect(
        JSON.parse(lakay("runs", "show", versions[0].run_id, "--json").stdout).artifacts.map(
          (a: { path: string }) => a.path,
        ),
      ).toEqual(["features.json", "model.json"]);
      expect(
        JSON.parse(lakay("experiments", "list", "--json").stdout).map((e: { name: string }) => e.name),
      ).toEqual(["external-models"]);
      expect(JSON.parse(lakay("models", "list", "--json").stdout)[0]).toMatchObject({
        name: "fraud",
        production_version: null,
        aliases: { challenger: 2 },
      });
    });

    it("downloads a version after verifying checksums", () => {
      const r = lakay("models", "download", "fraud", "1", "--out", "dl");
      expect(r.status).toBe(0);
      expect(JSON.parse(readFileSync(path.join(dir, "dl", "model.json"), "utf8")).learner).toBeDefined();
      expect(existsSync(path.join(dir, "dl", "features.json"))).toBe(true);
      const again = lakay("models", "download", "fraud", "@challenger", "--out", "dl");
      expect(again.status).toBe(2);
      expect(again.stderr).toMatch(/not empty/);
    });

    it("shows the timeline and the state at an instant", () => {
      const events = JSON.parse(lakay("models", "history", "fraud", "--json").stdout);
      expect(events.map((e: Record<string, unknown>) => [e.kind, e.version, e.to, e.actor])).toEqual([
        ["stage", 1, "Staging", "alice"],
        ["stage", 1, "Archived", "ci-bot"],
        ["stage", 2, "Staging", "ci-bot"],
        ["alias", 2, "2", "ci-bot"],
      ]);
      const between = events[0].timestamp;
      const state = JSON.parse(lakay("models", "history", "fraud", "--at", between, "--json").stdout);
      expect(state.stages).toEqual([
        { version: 1, stage: "Staging" },
        { version: 2, stage: "None" },
      ]);
      expect(lakay("models", "history", "fraud", "--at", "yesterday-ish").status).toBe(2);
    });

    it("exits 2 with one clear sentence for unknown models, versions, stages and aliases", () => {
      const cases: [string[], RegExp][] = [
        [["models", "versions", "ghost"], /^lakay: model ghost not found\n$/],
        [["models", "transition", "fraud", "9", "Staging"], /^lakay: model fraud has no version 9\n$/],
        [
          ["models", "transition", "fraud", "1", "Prod"],
          /unknown stage "Prod" \(known: None, Staging, Production, Archived\)/,
        ],
        [["models", "alias", "fraud", "nobody", "--delete"], /model fraud has no alias nobody/],
        [["models", "register", "fraud", "--model-file", "features.json"], /not an XGBoost JSON model/],
      ];
      for (const [args, message] of cases) {
        const r = lakay(...args);
        expect(r.status, args.join(" ")).toBe(2);
        expect(r.stderr).toMatch(message);
      }
      const bad = runCli(["models", "list"], {
        cwd: dir,
        env: { ...env, LAKAY_REGISTRY_URI: "postgresql://u:pw@127.0.0.1:1/x" },
      });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(
        /^lakay: cannot open registry postgresql:\/\/u:\*\*\*\*@127\.0\.0\.1:1\/x: /,
      );
    });

    it("verifies and exports the audit log", () => {
      const verify = JSON.parse(lakay("audit", "verify", "--json").stdout);
      expect(verify).toMatchObject({ ok: true });
      expect(verify.checked).toBe(6);
      const json = JSON.parse(lakay("audit", "export", "--since", "2000-01-01", "--format", "json").stdout);
      expect(json.map((e: { action: string }) => e.action)).toContain("stage.transition");
      const out = path.join(dir, "audit.csv");
      expect(lakay("audit", "export", "--since", "2000-01-01", "--format", "csv", "--out", out).status).toBe(
        0,
      );
      const csv = readFileSync(out, "utf8").trim().split("\n");
      expect(csv[0]).toBe("seq,timestamp,actor,action,model,version,details,prev_hash,hash");
      expect(csv).toHaveLength(json.length + 1);
      expect(JSON.parse(lakay("audit", "export", "--since", "2999-01-01").stdout)).toEqual([]);
      expect(lakay("audit", "export", "--since", "2000-01-01", "--format", "xml").status).toBe(2);
    });

    it("fails verification (exit 1) and names the entry once a row is edited behind Lakay's back", async () => {
      const { openLakay } = await import("../../src/app/index.js");
      const { sql } = await import("kysely");
      const reg = await openLakay({
        registryUri: db.uri,
        artifactRoot: path.join(dir, ".lakay", "artifacts"),
      });
      await reg.read(async (raw) => {
        if (reg.dialect === "sqlite") await sql`DROP TRIGGER audit_log_no_update`.execute(raw);
        else await sql`ALTER TABLE audit_log DISABLE TRIGGER USER`.execute(raw);
        await sql`UPDATE audit_log SET actor = 'mallory' WHERE seq = 3`.execute(raw);
      });
      await reg.close();
      const r = lakay("audit", "verify");
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(
        /audit log BROKEN at entry 3: hash does not match the entry's contents: edited \(2 entries verified before it\)/,
      );
    });
  });
}
