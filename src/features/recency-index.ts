/**
 * Strings to dense slot numbers (0 ... capacity − 1), the least recently used key forgotten first
 * once `capacity` keys are held: the index of an LRU memory whose values the caller keeps in
 * columns by slot (the online feature state's customers, the idempotency memory's answers).
 *
 * Why not a `Map`: at the serving sizes (200,000 to 1,000,000 keys) every Map lookup of a key it
 * does not hold walks a bucket chain whose entries each point to a key string elsewhere in the heap
 * (read to compare hashes), and an LRU refresh is a delete plus an insert: a batch transaction spent
 * ~1.5 µs in three such maps (docs/BENCHMARKS.md). Here the table holds each key's hash beside its
 * slot (open addressing, linear probing, at most half full), so a miss reads one cache line, and
 * the recency order is a doubly linked list in two Int32Arrays.
 *
 * Columns grow by doubling up to `capacity`, so a large cap costs memory only once reached.
 */
export class RecencyIndex {
  readonly capacity: number;
  private keys: string[] = [];
  private hashes = new Int32Array(0);
  /** The recency list: slot → the next more / less recently used slot (−1: none). */
  private newer = new Int32Array(0);
  private older = new Int32Array(0);
  private newest = -1;
  private oldest = -1;
  private count = 0;
  /** Pairs (hash, slot + 1), 0 for an empty place; a power of two of pairs. */
  private table = new Int32Array(0);
  private mask = -1;

  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be at least 1 (got ${capacity})`);
    this.capacity = capacity;
    this.grow(Math.min(capacity, 1024));
  }

  /** Keys held. */
  get size(): number {
    return this.count;
  }

  /** Slots handed out so far: every slot `add` returns is below it (callers size their columns by it). */
  get slots(): number {
    return this.hashes.length;
  }

  /** The key held in `slot` (one `get`, `peek` or `add` returned). */
  keyOf(slot: number): string {
    return this.keys[slot];
  }

  /** The key's slot, made the most recently used; −1 when not held. */
  get(key: string): number {
    const slot = this.peek(key);
    if (slot >= 0) this.makeNewest(slot);
    return slot;
  }

  /** The key's slot without changing its recency; −1 when not held. */
  peek(key: string): number {
    const h = hashOf(key);
    const table = this.table;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = table[2 * i + 1];
      if (s === 0) return -1;
      if (table[2 * i] === h && this.keys[s - 1] === key) return s - 1;
    }
  }

  /** The key's slot, made the most recently used: its own when held, else as `add`. */
  set(key: string): number {
    const slot = this.get(key);
    return slot >= 0 ? slot : this.add(key);
  }

  /**
   * A slot for a key the caller has just seen missing, as the most recently used. Past the
   * capacity it is the least recently used key's slot, that key forgotten: the caller overwrites
   * whatever it kept for the slot.
   */
  add(key: string): number {
    let slot: number;
    if (this.count < this.capacity) {
      if (this.count === this.hashes.length) this.grow(Math.min(this.capacity, this.count * 2));
      slot = this.count++;
    } else {
      slot = this.oldest;
      this.unlink(slot);
      this.removeFromTable(slot);
    }
    const h = hashOf(key);
    this.keys[slot] = key;
    this.hashes[slot] = h;
    this.insertInTable(h, slot);
    this.pushNewest(slot);
    return slot;
  }

  private makeNewest(slot: number): void {
    if (slot === this.newest) return;
    this.unlink(slot);
    this.pushNewest(slot);
  }

  private pushNewest(slot: number): void {
    this.older[slot] = this.newest;
    this.newer[slot] = -1;
    if (this.newest >= 0) this.newer[this.newest] = slot;
    else this.oldest = slot;
    this.newest = slot;
  }

  private unlink(slot: number): void {
    const n = this.newer[slot];
    const o = this.older[slot];
    if (n >= 0) this.older[n] = o;
    else this.newest = o;
    if (o >= 0) this.newer[o] = n;
    else this.oldest = n;
  }

  private insertInTable(h: number, slot: number): void {
    const table = this.table;
    const mask = this.mask;
    let i = h & mask;
    while (table[2 * i + 1] !== 0) i = (i + 1) & mask;
    table[2 * i] = h;
    table[2 * i + 1] = slot + 1;
  }

  /** Takes the slot's key out of the table, shifting back the entries after it (no tombstones). */
  private removeFromTable(slot: number): void {
    const table = this.table;
    const mask = this.mask;
    let i = this.hashes[slot] & mask;
    while (table[2 * i + 1] !== slot + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; table[2 * j + 1] !== 0; j = (j + 1) & mask) {
      const home = table[2 * j] & mask;
      // The entry at j stays unless its home is outside (i, j] (cyclically): then it moves to i.
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      table[2 * i] = table[2 * j];
      table[2 * i + 1] = table[2 * j + 1];
      i = j;
    }
    table[2 * i + 1] = 0;
  }

  private grow(slots: number): void {
    const grownInt32 = (a: Int32Array) => {
      const b = new Int32Array(slots);
      b.set(a);
      return b;
    };
    this.hashes = grownInt32(this.hashes);
    this.newer = grownInt32(this.newer);
    this.older = grownInt32(this.older);
    let places = 2;
    while (places < 2 * slots) places *= 2;
    this.table = new Int32Array(2 * places);
    this.mask = places - 1;
    for (let s = 0; s < this.count; s++) this.insertInTable(this.hashes[s], s);
  }
}

/** FNV-1a over the UTF-16 code units, then murmur3's finalizer (sequential ids spread over the table). */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
