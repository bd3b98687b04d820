/**
 * The one seeded generator of the project: sfc32 (Chris Doty-Humphrey's Small Fast Counting
 * generator, 32-bit), its state filled by four SplitMix32 outputs. `Math.random` cannot be seeded
 * and differs across engines; this gives the same draws for a seed on every machine and Node
 * version, which is what makes a generated file, a split and a model file reproducible byte for
 * byte. Not for cryptography.
 *
 * The seeding is the one the GBDT engine has always used (a changed seeding would change every
 * model file trained so far). The engine's row-subsample kernel (`gbdt/kernels.ts`, `boostBlock`)
 * runs the same generator inlined, because it is shipped to workers as source and must not import.
 */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = NaN;

  /**
   * `stream` picks an independent sequence for the same seed (the engine draws its column
   * samples from stream 1). Seeds are integers; those at or above 2^32 fold their high bits in,
   * so they do not collide with their low 32 bits.
   */
  constructor(seed: number, stream = 0) {
    const high = seed >= 4294967296 ? Math.floor(seed / 4294967296) >>> 0 : 0;
    let s =
      (Math.imul(seed >>> 0, 0x9e3779b1) ^
        Math.imul(stream >>> 0, 0x85ebca6b) ^
        Math.imul(high, 0xc2b2ae35)) >>>
      0;
    const splitmix32 = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix32();
    this.b = splitmix32();
    this.c = splitmix32();
    this.d = splitmix32() | 1;
  }

  /** Uniform 32-bit unsigned integer (one sfc32 step). */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1), 32 bits of randomness. */
  float(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Standard normal (Box-Muller; the second value is kept for the next call). */
  normal(): number {
    if (this.spare === this.spare) {
      const v = this.spare;
      this.spare = NaN;
      return v;
    }
    const u = 1 - this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle of `a` in place. */
  shuffle(a: { length: number; [i: number]: number }): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /** `k` distinct indices out of `n` (a partial Fisher-Yates), returned sorted. */
  sampleIndices(n: number, k: number): number[] {
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(this.float() * (n - i));
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    return idx.slice(0, k).sort((x, y) => x - y);
  }
}
