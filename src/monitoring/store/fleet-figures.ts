import type { Kysely } from "kysely";
import type { Registry } from "../../registry/index.js";
import type { MonitoringDatabase } from "./monitoring-tables.js";

/** One variant's traffic over a window of the shared prediction log. */
export interface FleetVariantFigures {
  variant: string;
  count: number;
  mean_score: number;
  mean_latency_ms: number;
}

/**
 * Every replica's traffic for `model` since `since`, per variant, from the prediction log they all
 * write (one query on the (model, ts) index). A replica's own figures are in memory; these are the
 * fleet's.
 */
export async function fleetVariantFigures(
  registry: Registry,
  model: string,
  since: string,
): Promise<FleetVariantFigures[]> {
  return registry.read(async (db: Kysely<MonitoringDatabase>) => {
    const rows = await db
      .selectFrom("prediction_log")
      .select((eb) => [
        "variant",
        eb.fn.countAll().as("n"),
        eb.fn.avg("score").as("mean_score"),
        eb.fn.avg("latency_ms").as("mean_latency"),
      ])
      .where("model", "=", model)
      .where("ts", ">=", since)
      .groupBy("variant")
      .orderBy("variant")
      .execute();
    return rows.map((r) => ({
      variant: r.variant,
      count: Number(r.n),
      mean_score: Number(r.mean_score),
      mean_latency_ms: Number(r.mean_latency),
    }));
  });
}
