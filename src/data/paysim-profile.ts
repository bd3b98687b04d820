import { BadInputError } from "../errors/index.js";
import { TX_TYPES, txTypeCode, type TxType } from "./paysim-schema.js";

/** The public PaySim log's type mix (test/fixtures/README.md), in TX_TYPES order. */
export const PAYSIM_TYPE_MIX: Record<TxType, number> = {
  CASH_IN: 0.22,
  CASH_OUT: 0.352,
  DEBIT: 0.0065,
  PAYMENT: 0.338,
  TRANSFER: 0.084,
};

/** Log-normal amount per type: median and spread, near the public log's per-type medians. */
export const AMOUNT_PROFILE: Record<TxType, { median: number; sigma: number }> = {
  CASH_IN: { median: 143_000, sigma: 0.9 },
  CASH_OUT: { median: 147_000, sigma: 0.9 },
  DEBIT: { median: 3_000, sigma: 0.9 },
  PAYMENT: { median: 9_500, sigma: 0.9 },
  TRANSFER: { median: 486_000, sigma: 1.0 },
};

/** PaySim caps one transaction at 10 million; larger takeovers are drained in several. */
export const MAX_AMOUNT = 10_000_000;

/**
 * Relative activity per hour of day: quiet nights, a morning ramp, a long plateau, an evening
 * fall — the shape of the public log's transactions per step.
 */
export const HOUR_PROFILE = [
  0.3, 0.1, 0.05, 0.03, 0.03, 0.05, 0.15, 0.5, 1.5, 3.5, 5, 6, 6.5, 6.5, 6.2, 6, 6, 6, 6.2, 6, 4.5, 3, 1.5,
  0.8,
];

/**
 * Deliberate distribution shift, so a "shifted" file can be produced on purpose for drift
 * monitoring: amounts scaled, a different type mix, activity moved to other hours.
 */
export interface PaysimDrift {
  /** Multiplies every amount (and the 10M cap). Default 1. */
  amountScale?: number;
  /** Replaces the weight of the named types (others keep the PaySim mix); renormalised. */
  typeMix?: Partial<Record<TxType, number>>;
  /** Moves the hour-of-day profile later by this many hours (negative: earlier). */
  hourShift?: number;
}

/** Type probabilities (TX_TYPES order) after drift. */
export function typeWeights(drift: PaysimDrift = {}): number[] {
  const w = TX_TYPES.map((t) => drift.typeMix?.[t] ?? PAYSIM_TYPE_MIX[t]);
  if (w.some((x) => !(x >= 0)) || !(w.reduce((a, b) => a + b, 0) > 0))
    throw new BadInputError("type mix weights must be >= 0 and not all zero");
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

/** Hour weights after drift, index = hour of day. */
export function hourWeights(drift: PaysimDrift = {}): number[] {
  const shift = Math.round(drift.hourShift ?? 0);
  return HOUR_PROFILE.map((_, h) => HOUR_PROFILE[(((h - shift) % 24) + 24) % 24]);
}

/** Parses `TRANSFER=0.3,CASH_OUT=0.4` (the CLI's --type-mix) into weights. */
export function parseTypeMix(text: string): Partial<Record<TxType, number>> {
  const mix: Partial<Record<TxType, number>> = {};
  for (const part of text.split(",")) {
    const [name, value] = part.split("=");
    const code = txTypeCode(name ?? "");
    const v = Number(value);
    if (code < 0 || value === undefined || !(v >= 0))
      throw new BadInputError(`bad type mix entry "${part}" (expected TYPE=WEIGHT, e.g. TRANSFER=0.3)`, {
        field: "type-mix",
      });
    mix[TX_TYPES[code]] = v;
  }
  return mix;
}
