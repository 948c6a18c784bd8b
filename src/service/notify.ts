// The sd_notify protocol (systemd.io/NOTIFY, sd_notify(3)), sent from this process's own PID so
// the unit can keep NotifyAccess=main. Node's dgram has no AF_UNIX datagrams, so the socket
// comes from unix-dgram (FIELD-NOTES "systemd notify"); it is loaded only when NOTIFY_SOCKET is
// set, so a laptop run never needs it.
//
// Messages: READY=1 once the service is up, STATUS=<text> for `systemctl status`, WATCHDOG=1 at
// half of WATCHDOG_USEC while the health check passes, STOPPING=1 when shutting down.
import { createRequire } from 'node:module';

export interface Notifier {
  /** False when not started by systemd (no NOTIFY_SOCKET): every call is then a no-op. */
  readonly enabled: boolean;
  /** How often to send WATCHDOG=1, or null when systemd asked for no watchdog. */
  readonly watchdogIntervalMs: number | null;
  ready(status: string): void;
  status(status: string): void;
  watchdog(): void;
  stopping(status: string): void;
  close(): void;
}

interface UnixDgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb: (err?: Error) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  close(): void;
}

export interface NotifierOptions {
  env?: NodeJS.ProcessEnv;
  pid?: number;
  /** Where send failures are reported; they never throw (a lost STATUS= must not stop the service). */
  onError?: (message: string) => void;
}

export function createNotifier(opts: NotifierOptions = {}): Notifier {
  const env = opts.env ?? process.env;
  const pid = opts.pid ?? process.pid;
  const onError = opts.onError ?? (() => {});
  const address = env.NOTIFY_SOCKET;
  const watchdogIntervalMs = watchdogInterval(env, pid);
  if (!address) return disabled(null);
  if (!address.startsWith('/')) {
    // unix-dgram copies the path with strncpy, so an abstract address ("@...", leading NUL) cannot
    // be expressed, and vsock addresses are not AF_UNIX at all. PID 1 always uses a path.
    onError(`NOTIFY_SOCKET=${address} is not a filesystem path; systemd notifications are off`);
    return disabled(null);
  }
  const require = createRequire(import.meta.url);
  const unix = require('unix-dgram') as { createSocket(type: 'unix_dgram'): UnixDgramSocket };
  const socket = unix.createSocket('unix_dgram');
  socket.on('error', (err) => onError(`notify socket error: ${err.message}`));
  let closed = false;
  const send = (text: string) => {
    if (closed) return;
    const buf = Buffer.from(text);
    socket.send(buf, 0, buf.length, address, (err) => {
      if (err) onError(`sd_notify "${text.split('\n')[0]}" failed: ${err.message}`);
    });
  };
  return {
    enabled: true,
    watchdogIntervalMs,
    ready: (status) => send(`READY=1\nSTATUS=${oneLine(status)}`),
    status: (status) => send(`STATUS=${oneLine(status)}`),
    // Only when systemd asked this PID for a watchdog: pings it did not ask for are noise.
    watchdog: () => {
      if (watchdogIntervalMs !== null) send('WATCHDOG=1');
    },
    stopping: (status) => send(`STOPPING=1\nSTATUS=${oneLine(status)}`),
    close: () => {
      if (closed) return;
      closed = true;
      socket.close();
    },
  };
}

/** Half of WATCHDOG_USEC, as sd_watchdog_enabled(3) advises, when the watchdog is meant for us. */
export function watchdogInterval(env: NodeJS.ProcessEnv, pid: number): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isSafeInteger(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== pid) return null;
  return Math.max(1, Math.floor(usec / 2000));
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

function disabled(watchdogIntervalMs: null): Notifier {
  const noop = () => {};
  return {
    enabled: false,
    watchdogIntervalMs,
    ready: noop,
    status: noop,
    watchdog: noop,
    stopping: noop,
    close: noop,
  };
}
