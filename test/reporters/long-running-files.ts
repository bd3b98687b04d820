import path from "node:path";
import type { Reporter, TestModule } from "vitest/node";

/** Every this often, the files still running past it are named on stderr. */
const REPORT_EVERY_MS = 5 * 60_000;

/**
 * Names the test files that have run for more than five minutes, every five minutes. A file
 * that hangs (a child process that never exits blocks its worker, and vitest's own timeouts
 * cannot fire) then shows in the last lines of a CI log instead of leaving only a time-out.
 */
export default class LongRunningFiles implements Reporter {
  private readonly running = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  onTestRunStart(): void {
    this.timer = setInterval(() => this.report(), REPORT_EVERY_MS);
    this.timer.unref();
  }

  onTestModuleStart(testModule: TestModule): void {
    this.running.set(path.relative(process.cwd(), testModule.moduleId), Date.now());
  }

  onTestModuleEnd(testModule: TestModule): void {
    this.running.delete(path.relative(process.cwd(), testModule.moduleId));
  }

  onTestRunEnd(): void {
    clearInterval(this.timer);
  }

  private report(): void {
    const now = Date.now();
    for (const [file, started] of this.running) {
      const minutes = (now - started) / 60_000;
      if (minutes >= REPORT_EVERY_MS / 60_000)
        process.stderr.write(`[still running] ${file}: ${minutes.toFixed(0)} min\n`);
    }
  }
}
