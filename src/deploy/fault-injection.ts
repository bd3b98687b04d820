/**
 * Test-only: `LAKAY_DEPLOY_PAUSE_MS` makes a promotion or rollback stop inside its transaction,
 * after the stage change and before the deployment record is written, and print
 * `lakay-deploy-paused` on stderr. The crash test kills the process there (kill -9) to prove the
 * transaction leaves nothing half-done. Never set in production.
 */
export async function pauseForFaultTest(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const ms = Number(env.LAKAY_DEPLOY_PAUSE_MS ?? 0);
  if (!(ms > 0)) return;
  process.stderr.write("lakay-deploy-paused\n");
  await new Promise((resolve) => setTimeout(resolve, ms));
}
