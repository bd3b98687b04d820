import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { ArrayHistogram } from "../../src/serving/index.js";

describe("ArrayHistogram", () => {
  const buckets = [0.0005, 0.001, 0.01, 0.5, 1];
  const observations: [string, string, number][] = [
    ["/api/v1/fraud/score", "POST", 0.0004],
    ["/api/v1/fraud/score", "POST", 0.001], // on a bound: counted in that bucket
    ["/api/v1/fraud/score", "POST", 0.0093],
    ["/api/v1/fraud/score", "POST", 2.5], // above every bound: +Inf only
    ["/metrics", "GET", 0],
    ['/odd"route\\', "GET", 0.7],
    ["/api/v1/fraud/score", "POST", 0.3],
  ];

  it("writes prom-client's Histogram exposition and JSON for the same observations", async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const labelNames = ["route", "method", "status"] as const;
    const h = new Histogram({ name: "t_seconds", help: "help", labelNames, buckets, registers: [theirs] });
    const a = new ArrayHistogram({ name: "t_seconds", help: "help", labelNames, buckets, registers: [ours] });
    for (const [route, method, v] of observations) {
      h.observe({ route, method, status: "200" }, v);
      a.child(route, method, "200").observe(v);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
  });

  it("hands out one child per label set and refuses a non-finite value, as prom-client did", () => {
    const a = new ArrayHistogram({ name: "s", help: "h", labelNames: ["variant"], buckets, registers: [] });
    expect(a.child("champion")).toBe(a.child("champion"));
    expect(a.child("champion")).not.toBe(a.child("challenger"));
    expect(() => a.child("champion").observe(NaN)).toThrow(TypeError);
    expect(() => a.child("champion", "extra")).toThrow(/1 label values expected/);
  });
});
