// A suite that needs something a laptop may lack (root, a system tool) asks here first. On a laptop
// it is skipped with the reason printed; under CI=true a missing need fails the run, because
// `.ci/run` installs everything the suites need and a silent skip would hide a broken suite.
import { spawnSync } from 'node:child_process';

export const inCI = process.env.CI === 'true';

/** True when `cmd` can be executed (found on PATH and runs `cmd --version` or the given probe). */
export function hasCommand(cmd: string, probeArgs: string[] = ['--version']): boolean {
  const r = spawnSync(cmd, probeArgs, { stdio: 'ignore', timeout: 10_000 });
  return r.error === undefined && r.status === 0;
}

/**
 * Returns `available`; when it is false, prints why the suite is skipped, or throws under CI=true.
 * Use as `describe.runIf(needs('systemd-analyze', hasCommand('systemd-analyze')))(...)`.
 */
export function needs(what: string, available: boolean): boolean {
  if (available) return true;
  if (inCI)
    throw new Error(`suite needs ${what}, which is missing; under CI=true a skipped suite is a failure`);
  console.warn(`[skipped] suite needs ${what}, which is missing on this machine`);
  return false;
}
