import type { NameLookup } from "./paysim-schema.js";

const LETTER_SCALE = 1e13; // 13 digits after the letter keeps every key below 2^53
const EMPTY = 0;

/**
 * Interns account names (`C1231006815`, `M1979787155`) to dense ids, straight from bytes.
 *
 * Why not a `Map<string, number>`: a 6.3-million-row file has ~9 million distinct names, and a
 * string per name costs both the string's creation and ~50 bytes of heap each. PaySim names are
 * one letter and up to 13 digits, so they pack exactly into a double: an open-addressing table of
 * doubles interns them without creating a string, and `get` rebuilds the name only when asked.
 * Anything else (lower case, leading zeros, longer names) goes through a plain Map, sharing ids.
 */
export class NameTable implements NameLookup {
  // Key and id side by side (key at 2h, id at 2h+1): one cache miss per lookup, not two.
  private slots = new Float64Array(2 << 16);
  private used = 0;
  private keysById = new Float64Array(1 << 16);
  private readonly others = new Map<string, number>();
  private readonly otherNames = new Map<number, string>();
  private count = 0;

  /** Number of distinct names seen. */
  get size(): number {
    return this.count;
  }

  /** The name of id `id` as it appeared in the input. */
  get(id: number): string {
    if (id < 0 || id >= this.count) throw new RangeError(`no name with id ${id}`);
    const key = this.keysById[id];
    if (key === EMPTY) return this.otherNames.get(id)!;
    const letter = Math.floor(key / LETTER_SCALE);
    return String.fromCharCode(64 + letter) + String(key - letter * LETTER_SCALE);
  }

  /** The id of `buf[start, end)`, adding it if new. */
  intern(buf: Uint8Array, start: number, end: number): number {
    const key = packName(buf, start, end);
    if (key === EMPTY)
      return this.internOther(Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("utf8"));
    return this.internPacked(key);
  }

  /** The id of a name given as a string, adding it if new. */
  internString(name: string): number {
    const b = Buffer.from(name, "utf8");
    return this.intern(b, 0, b.length);
  }

  /** The id of a name already packed by `packName` (the reader packs while scanning). */
  internPacked(key: number): number {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let h = hash(key) & mask;
    for (;;) {
      const k = slots[2 * h];
      if (k === key) return slots[2 * h + 1];
      if (k === EMPTY) break;
      h = (h + 1) & mask;
    }
    const id = this.newId(key);
    slots[2 * h] = key;
    slots[2 * h + 1] = id;
    if (++this.used * 4 > slots.length) this.rehash();
    return id;
  }

  private internOther(name: string): number {
    let id = this.others.get(name);
    if (id === undefined) {
      id = this.newId(EMPTY);
      this.others.set(name, id);
      this.otherNames.set(id, name);
    }
    return id;
  }

  private newId(key: number): number {
    const id = this.count++;
    if (id === this.keysById.length) {
      const next = new Float64Array(this.keysById.length * 2);
      next.set(this.keysById);
      this.keysById = next;
    }
    this.keysById[id] = key;
    return id;
  }

  private rehash(): void {
    const old = this.slots;
    const slots = new Float64Array(old.length * 2);
    const mask = (slots.length >> 1) - 1;
    for (let i = 0; i < old.length; i += 2) {
      const key = old[i];
      if (key === EMPTY) continue;
      let h = hash(key) & mask;
      while (slots[2 * h] !== EMPTY) h = (h + 1) & mask;
      slots[2 * h] = key;
      slots[2 * h + 1] = old[i + 1];
    }
    this.slots = slots;
  }
}

/** `C123` → 3·1e13 + 123; 0 when the name does not have the one-letter-then-digits shape. */
function packName(buf: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len < 2 || len > 14) return EMPTY;
  const letter = buf[start];
  if (letter < 65 || letter > 90) return EMPTY;
  if (buf[start + 1] === 48 && len > 2) return EMPTY; // leading zero would be lost
  let v = 0;
  for (let i = start + 1; i < end; i++) {
    const c = buf[i] - 48;
    if (c < 0 || c > 9) return EMPTY;
    v = v * 10 + c;
  }
  return (letter - 64) * LETTER_SCALE + v;
}

function hash(key: number): number {
  const lo = key >>> 0;
  const hi = (key / 4294967296) >>> 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
