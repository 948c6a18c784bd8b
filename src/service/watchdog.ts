// Feeds the systemd watchdog from the health check: WATCHDOG=1 only after a passing check, and a
// STATUS= line whenever the state a person would read changes (DESIGN §2).
import type { Health } from './health.js';
import type { Notifier } from './notify.js';

/** How often to check health when systemd set no watchdog (status and `kith status` still want it). */
export const HEALTH_INTERVAL_MS = 15_000;

export interface WatchdogOptions {
  health: Pick<Health, 'check'>;
  notifier: Pick<Notifier, 'watchdog' | 'status' | 'watchdogIntervalMs'>;
  /** The status line while healthy, e.g. "ready: 3 contacts". */
  readyStatus: () => string;
  onUnhealthy: (reason: string) => void;
}

export function startWatchdog(opts: WatchdogOptions): { stop(): void } {
  let lastStatus = '';
  const tick = () => {
    const report = opts.health.check();
    // Starving the watchdog is the point: systemd restarts a service that stops being healthy.
    if (report.ok) opts.notifier.watchdog();
    else opts.onUnhealthy(report.reason ?? 'unknown');
    const status = report.ok ? opts.readyStatus() : `unhealthy: ${report.reason}`;
    if (status !== lastStatus) opts.notifier.status(status);
    lastStatus = status;
  };
  tick();
  const timer = setInterval(tick, opts.notifier.watchdogIntervalMs ?? HEALTH_INTERVAL_MS);
  return { stop: () => clearInterval(timer) };
}
