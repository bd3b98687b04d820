import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

describe("lakay program", () => {
  it("prints help and version with exit code 0", () => {
    const help = runCli(["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("Usage: lakay");
    const version = runCli(["--version"]);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("exits 2 on an unknown option", () => {
    const r = runCli(["--no-such-flag"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown option");
  });
});
