/**
 * A progress line for long work, drawn on stderr only when stderr is a TTY (pipes and CI stay quiet).
 * `update` is cheap to call often: it redraws at most every 100 ms.
 */
export class Progress {
  private readonly enabled: boolean;
  private readonly start = Date.now();
  private lastDraw = 0;

  constructor(
    private readonly label: string,
    private readonly total?: number,
    private readonly unit = "",
    enabled = process.stderr.isTTY === true,
  ) {
    this.enabled = enabled;
  }

  update(done: number, extra = ""): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && done !== this.total) return;
    this.lastDraw = now;
    const elapsed = (now - this.start) / 1000;
    let text = `${this.label}: ${done.toLocaleString("en-US")}${this.unit}`;
    if (this.total) {
      const frac = Math.min(1, done / this.total);
      const width = 24;
      const filled = Math.round(frac * width);
      const eta = frac > 0 ? (elapsed / frac - elapsed).toFixed(0) : "?";
      text = `${this.label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(frac * 100).toFixed(0)}% ${done.toLocaleString("en-US")}/${this.total.toLocaleString("en-US")}${this.unit} ETA ${eta}s`;
    }
    process.stderr.write(`\r${text} ${extra}\x1b[K`);
  }

  done(): void {
    if (this.enabled) process.stderr.write("\r\x1b[K");
  }
}
