import os from "node:os";

/** Who is acting when a caller does not say: `LAKAY_ACTOR`, else the OS user name. */
export function defaultActor(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LAKAY_ACTOR) return env.LAKAY_ACTOR;
  try {
    return os.userInfo().username || "unknown";
  } catch {
    return "unknown";
  }
}

/** The current instant as stored everywhere in the registry. */
export function nowIso(): string {
  return new Date().toISOString();
}
