/** Buckets per experiment: a split is expressed to 0.01 %. */
export const BUCKETS = 10_000;

export const VARIANTS = ["champion", "challenger"] as const;
export type Variant = (typeof VARIANTS)[number];

/**
 * The user's bucket in 0..9999: a 32-bit FNV-1a hash of the UTF-16 code units of
 * salt + ":" + user_id, finished with MurmurHash3's fmix32 (so nearby ids spread over every
 * bucket), modulo 10,000. Deterministic (a user keeps its bucket for the life of an experiment)
 * and independent across experiments (a new 128-bit salt reshuffles everyone). Not a
 * cryptographic hash: the salt is not secret, it only makes experiments independent; SHA-256
 * per request cost more than the rest of routing.
 */
export function bucketOf(salt: string, userId: string): number {
  let h = 0x811c9dc5;
  h = fnv(h, salt);
  h = Math.imul(h ^ 0x3a, 0x01000193); // ":"
  h = fnv(h, userId);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % BUCKETS;
}

function fnv(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/**
 * The variant for a bucket: buckets below the challenger's share go to the challenger. Raising
 * the share (90/10 → 80/20) therefore only moves users into the challenger, never out of it.
 */
export function variantForBucket(bucket: number, challengerPct: number): Variant {
  return bucket < Math.round(challengerPct * 100) ? "challenger" : "champion";
}
