/**
 * Answers already given, by transaction id, least recently used forgotten first. Retries are
 * normal in payments: a retried transaction must get the same answer and must not be counted
 * twice in the customer's history or in the metrics.
 */
export class IdempotencyCache<V> {
  private readonly entries = new Map<string, { fingerprint: string; value: V }>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(id: string): { fingerprint: string; value: V } | undefined {
    const e = this.entries.get(id);
    if (e) {
      this.entries.delete(id);
      this.entries.set(id, e);
    }
    return e;
  }

  /** Like `get`, without refreshing the entry's recency. */
  peek(id: string): { fingerprint: string; value: V } | undefined {
    return this.entries.get(id);
  }

  set(id: string, fingerprint: string, value: V): void {
    this.entries.delete(id);
    this.entries.set(id, { fingerprint, value });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }
}
