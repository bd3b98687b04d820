import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openArtifactStore } from "../../src/registry/index.js";

describe("folder artifact store", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lakay-fstore-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const store = openArtifactStore(path.join(dir, "root"));

  it("never leaves a partial file behind when a put fails", async () => {
    await expect(store.put("a/model.json", path.join(dir, "does-not-exist"))).rejects.toThrow();
    expect(existsSync(path.join(dir, "root", "a", "model.json"))).toBe(false);
    expect(readdirSync(path.join(dir, "root", "a"))).toEqual([]);
  });

  it("puts, lists and gets by key, and refuses keys that escape the root", async () => {
    const src = path.join(dir, "src.txt");
    writeFileSync(src, "hello");
    await store.put("x/y/z.txt", src);
    expect(await store.list()).toEqual(["x/y/z.txt"]);
    expect(await store.list("x/y")).toEqual(["x/y/z.txt"]);
    await store.get("x/y/z.txt", path.join(dir, "back.txt"));
    expect(existsSync(path.join(dir, "back.txt"))).toBe(true);
    await expect(store.get("x/missing", path.join(dir, "m"))).rejects.toMatchObject({ code: "NOT_FOUND" });
    for (const bad of ["../evil", "/etc/passwd", "a/../../b", "a\\b", ""]) {
      await expect(store.put(bad, src)).rejects.toThrow(/unsafe artifact path/);
    }
    expect(store.rootUri).toBe(`file://${path.join(dir, "root")}`);
  });
});
