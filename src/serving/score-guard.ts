import type { Logger } from "pino";
import type { Variant } from "./variant-router.js";

/** What the guard does when it trips; the scoring service supplies each through its ordinary paths. */
export interface GuardActions {
  /** Challenger → 0 % (routing change, audited, actor `guard`). */
  stopChallenger(reason: string): Promise<void>;
  /** Champion → rules-only (the ML switch, audited, actor `guard`). */
  rulesOnly(reason: string): Promise<void>;
  /** The ordinary rollback, triggered by `guard`; only with `guard.auto_rollback`. */
  rollback(reason: string): Promise<void>;
  /** A critical alert. */
  alert(variant: Variant, version: number, score: number): Promise<void>;
}

/**
 * Seed §6.1 "Model producing NaN/Inf scores — Critical — Immediate". The first non-finite score from
 * a served version marks it stopped synchronously, so the very next request no longer uses it; the
 * persisted changes (split, ML switch, optional rollback) and the alert follow off the request path.
 */
export class ScoreGuard {
  /** Stopped versions per variant (no key string built per transaction: this is asked for every one). */
  private readonly stopped = { champion: new Set<number>(), challenger: new Set<number>() };

  constructor(
    private readonly actions: GuardActions,
    private readonly logger: Logger,
    private readonly autoRollback: boolean,
  ) {}

  isStopped(variant: Variant, version: number): boolean {
    return this.stopped[variant].has(version);
  }

  /** Call with a non-finite score: stops the variant at once; true the first time for that version. */
  trip(variant: Variant, version: number, score: number): boolean {
    if (this.stopped[variant].has(version)) return false;
    this.stopped[variant].add(version);
    const reason = `guard: version ${version} (${variant}) produced a ${String(score)} score`;
    this.logger.error({ variant, version, score: String(score) }, `${reason}: stopped at once`);
    const steps = async () => {
      await this.actions.alert(variant, version, score);
      if (variant === "challenger") await this.actions.stopChallenger(reason);
      else {
        await this.actions.rulesOnly(reason);
        if (this.autoRollback) await this.actions.rollback(reason);
      }
    };
    steps().catch((err: unknown) =>
      this.logger.error({ err: (err as Error).message, variant, version }, "guard: a follow-up step failed"),
    );
    return true;
  }
}
