/**
 * Answers already given, by transaction id, least recently used forgotten first. Retries are
 * normal in payments: a retried transaction must get the same answer and must not be counted
 * twice in the customer's history or in the metrics. The value carries what tells a retry from a
 * different transaction reusing the id (see `AnsweredTransaction`): one object per answer.
 */
export class IdempotencyCache<V> {
  private readonly entries = new Map<string, V>();
  /** Walks the ids oldest first, evicting (see `set`). */
  private oldest: Iterator<string> | undefined;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(id: string): V | undefined {
    const e = this.entries.get(id);
    if (e !== undefined) {
      this.entries.delete(id);
      this.entries.set(id, e);
    }
    return e;
  }

  /** Like `get`, without refreshing the entry's recency. */
  peek(id: string): V | undefined {
    return this.entries.get(id);
  }

  set(id: string, value: V): void {
    this.entries.delete(id);
    this.add(id, value);
  }

  /** `set` for an id the caller has just seen missing (the batch path checks every id first). */
  add(id: string, value: V): void {
    this.entries.set(id, value);
    // One long-lived iterator, not `keys().next()` per eviction: a Map leaves a hole per deleted
    // entry until it compacts, and a new iterator skips every hole from the start, so evicting
    // one entry per insert with fresh iterators cost O(holes) each (a full 200,000-answer cache
    // spent most of the scoring time there). Everything before this iterator has been evicted;
    // ids inserted or refreshed since go after it, in order: it always stands at the oldest.
    if (this.entries.size > this.capacity) {
      this.oldest ??= this.entries.keys();
      this.entries.delete(this.oldest.next().value as string);
    }
  }
}
