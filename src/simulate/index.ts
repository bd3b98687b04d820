/** Traffic simulation against `lakay serve`: PaySim rows at a rate, delayed labels, optional drift. */
export {
  simulateTraffic,
  parseDrift,
  parseDuration,
  DRIFTABLE_FIELDS,
  type DriftSpec,
  type DriftableField,
  type SimulationOptions,
  type SimulationProgress,
  type SimulationSummary,
} from "./traffic-simulator.js";
