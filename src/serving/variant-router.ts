import { createHash } from "node:crypto";

/** Buckets per experiment: a split is expressed to 0.01 %. */
export const BUCKETS = 10_000;

export const VARIANTS = ["champion", "challenger"] as const;
export type Variant = (typeof VARIANTS)[number];

/**
 * The user's bucket in 0..9999: the first 4 bytes of SHA-256(salt + ":" + user_id), big-endian,
 * modulo 10,000. Deterministic (the same user keeps the same bucket for the life of an
 * experiment) and independent across experiments (a new salt reshuffles everyone).
 */
export function bucketOf(salt: string, userId: string): number {
  const digest = createHash("sha256").update(salt).update(":").update(userId).digest();
  return digest.readUInt32BE(0) % BUCKETS;
}

/**
 * The variant for a bucket: buckets below the challenger's share go to the challenger. Raising
 * the share (90/10 → 80/20) therefore only moves users into the challenger, never out of it.
 */
export function variantForBucket(bucket: number, challengerPct: number): Variant {
  return bucket < Math.round(challengerPct * 100) ? "challenger" : "champion";
}
