import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Every temporary file of a test run goes under one folder, removed when the run ends: tests and the
 * servers and CLIs they start call os.tmpdir(), which reads TMPDIR, and the forked test workers and
 * their children inherit it. (Per-test cleanup missed some: each run used to leave dozens of
 * lakay-* folders behind, several with registries and models.) Set LAKAY_KEEP_TEST_TMP=1 to keep it.
 */
export default function setup(): () => void {
  const root = mkdtempSync(path.join(os.tmpdir(), "lakay-test-run-"));
  process.env.TMPDIR = root;
  return () => {
    if (process.env.LAKAY_KEEP_TEST_TMP === "1") console.log(`test files kept in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  };
}
