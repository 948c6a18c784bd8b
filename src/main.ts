// The composition root (DESIGN §1): reads the config, builds every part, starts them in order
// and stops them in reverse. Nothing below this file knows about processes, signals or systemd.
//
// Timers of the service (every one is listed here):
//   health check + WATCHDOG=1   every WATCHDOG_USEC/2 under systemd, else every 15 s (service/watchdog.ts)
//   durable health write        every 10 min (service/health.ts ALIVE_WRITE_INTERVAL_MS)
//   stop bound                  config service.stop_timeout_ms, then the process exits anyway
//   control connection idle     60 s (service/control-server.ts); client request 10 s (cli/control-client.ts)
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Logger, pino } from 'pino';
import { ChannelRouter } from './channel/router.js';
import { type LoadOptions, loadConfig } from './config/load.js';
import { systemRng } from './crypto/random.js';
import { systemClock } from './net/clock.js';
import { type Endpoint, endpointKey } from './net/transport.js';
import { CHANNEL_LANE, mux, OVERLAY_LANE } from './net/mux.js';
import { openUdp } from './net/udp.js';
import { startOverlay, type RunningOverlay } from './service/overlay.js';
import { toHex } from './crypto/bytes.js';
import { startDevice, type RunningDevice } from './service/device.js';
import { deviceApi } from './service/device-api.js';
import { audioFor, type DeviceHardware, loadBoardFor, openBoardHardware } from './service/hardware.js';
import { CallService } from './service/calls.js';
import { ChannelDirectory } from './service/channels.js';
import type { Config } from './config/schema.js';
import { errorMessage, isKithError, KithError } from './errors.js';
import { createCommands } from './service/commands.js';
import { SOCKET_FILE } from './service/control-protocol.js';
import { ControlServer } from './service/control-server.js';
import { Health } from './service/health.js';
import { createNotifier } from './service/notify.js';
import { startWatchdog } from './service/watchdog.js';
import { openStore, type Store } from './store/store.js';
import { VERSION } from './version.js';

const PID_FILE = 'kith.pid';

export interface RunOptions extends LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** A logger to use instead of one on stdout (the simulator gives each device its own). */
  log?: Logger;
  /**
   * Device hardware given by the caller (the simulator's sim drivers); otherwise the board named
   * by the config (`device.board`, or `--board`) decides, and "none" runs without any.
   */
  hardware?: DeviceHardware;
}

export interface RunningService {
  config: Config;
  socketPath: string;
  log: Logger;
  /** The UDP endpoint channels use. */
  udp: Endpoint;
  store: Store;
  directory: ChannelDirectory;
  overlay: RunningOverlay;
  calls: CallService;
  /** The device UI, when there is hardware (or sim hardware) to show it on. */
  device: RunningDevice | null;
  /** Stops everything, once; later calls return the same promise. */
  stop(reason: string): Promise<void>;
}

export async function startService(opts: RunOptions = {}): Promise<RunningService> {
  const { config, source } = loadConfig(opts);
  // A bad board name is a config error: found before anything is opened or created.
  const board = opts.hardware ? null : loadBoardFor(config);
  const log =
    opts.log ??
    pino({ level: config.log.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
  // Everything started is undone in reverse order, whether start-up fails half-way or stop() runs.
  const undo: (() => void | Promise<void>)[] = [];
  const unwind = async () => {
    for (const step of undo.splice(0).reverse()) {
      try {
        await step();
      } catch (err) {
        log.error({ err: errorMessage(err) }, 'stop step failed');
      }
    }
  };
  try {
    const notifier = createNotifier({ env: opts.env ?? process.env, onError: (m) => log.warn(m) });
    undo.push(() => notifier.close());
    const startedAt = Date.now();
    const dataDir = config.paths.data_dir;
    let store: Store;
    try {
      store = openStore({ dataDir });
    } catch (err) {
      throw isKithError(err, 'STORE_LOCKED') ? lockedError(dataDir) : err;
    }
    undo.push(() => closeStore(store, dataDir));
    if (store.created) {
      log.info({ fingerprint: store.identity.fingerprint, ms: Date.now() - startedAt }, 'identity created');
    }
    writeFileSync(join(dataDir, PID_FILE), `${process.pid}\n`, { mode: 0o644 });
    const previousRunUnclean = readPreviousRun(store, log);
    store.settings.set('service.running', true);
    store.settings.set('service.starts', (safeGet(store, 'service.starts', log) ?? 0) + 1);
    store.settings.set('service.version', VERSION);

    const transport = await openUdp({ address: config.network.listen_address, port: config.network.port });
    // The socket is the mux's: closing the channel or overlay lane leaves it to this step.
    undo.push(() => transport.close());
    const lanes = mux(transport);
    const overlay = startOverlay({
      config,
      identity: store.identity,
      transport: lanes.lane(OVERLAY_LANE),
      clock: systemClock,
      rng: systemRng,
      log,
    });
    undo.push(() => overlay.close());
    const router = new ChannelRouter({
      transport: overlay.channelTransport(lanes.lane(CHANNEL_LANE)),
      // A contact without a manual endpoint is found through the overlay (INVITE, PUNCH, relay).
      locate: (peerId) => overlay.locate(peerId),
      clock: systemClock,
      rng: systemRng,
      identity: store.identity.x25519,
      events: {
        onMessage: (peer, message) => calls.handleMessage(peer, message),
        onDatagram: (peer, datagram) => calls.handleDatagram(peer, datagram),
        onStreamFailure: (peer, reason, lost) =>
          log.warn({ peer: peer.slice(0, 8), reason, lost }, 'reliable stream started over'),
      },
    });
    undo.push(() => router.close());
    const directory = new ChannelDirectory(store, router, (m) => log.warn(m));
    directory.onChange(() =>
      overlay.setContacts(
        store.contacts
          .list()
          .contacts.map((c) => ({ id: toHex(c.ed25519Public), x25519Public: c.x25519Public })),
      ),
    );
    directory.refresh();
    const calls = new CallService({
      clock: systemClock,
      rng: systemRng,
      selfId: toHex(store.identity.ed25519.publicKey),
      router,
      audio: audioFor(config, board),
      capabilities: {
        sampleRates: [...new Set(config.audio.sample_rates)].sort((a, b) => a - b),
        frameMs: 20,
        maxBitrate: config.audio.max_bitrate,
        redundancy: 2,
      },
      complexity: board?.opusComplexity ?? config.audio.complexity,
      record: (record) => store.calls.record(record),
      log,
    });
    undo.push(() => calls.close());

    const hardware = opts.hardware ?? (board ? openBoardHardware(board) : null);
    let device: RunningDevice | null = null;
    if (hardware) {
      undo.push(() => hardware.close());
      device = startDevice({
        clock: systemClock,
        hardware,
        api: deviceApi({ store, calls, directory, router, name: config.device.name }),
        log,
      });
      undo.push(() => device?.close());
    }

    const health = new Health(store, config.service.max_event_loop_delay_ms);
    undo.push(() => health.stop());
    const socketPath = join(config.paths.runtime_dir, SOCKET_FILE);
    const control = await ControlServer.start({
      path: socketPath,
      handlers: createCommands({
        store,
        config,
        configSource: source,
        version: VERSION,
        startedAt,
        now: Date.now,
        health: () => health.last,
        previousRunUnclean,
        router,
        directory,
        calls,
        overlay,
      }),
      onInternalError: (cmd, err) => log.error({ cmd, err: errorMessage(err) }, 'control command failed'),
    });
    undo.push(() => control.close());

    notifier.ready(readyStatus(store));
    const watchdog = startWatchdog({
      health,
      notifier,
      readyStatus: () => readyStatus(store),
      onUnhealthy: (reason) => log.error({ reason }, 'health check failed'),
    });
    undo.push(() => watchdog.stop());
    log.info(
      {
        version: VERSION,
        socket: socketPath,
        udp: endpointKey(transport.local),
        dataDir,
        config: source ?? 'defaults',
        board: opts.hardware ? 'given' : (board?.name ?? 'none'),
        watchdogMs: notifier.watchdogIntervalMs,
      },
      'kith ready',
    );

    let stopping: Promise<void> | null = null;
    const stop = (reason: string): Promise<void> => {
      stopping ??= (async () => {
        log.info({ reason }, 'stopping');
        notifier.stopping(`stopping: ${reason}`);
        await unwind();
        log.info('stopped');
      })();
      return stopping;
    };
    return { config, socketPath, log, udp: transport.local, store, directory, overlay, calls, device, stop };
  } catch (err) {
    await unwind();
    throw err;
  }
}

function readyStatus(store: Store): string {
  const n = store.contacts.count();
  return `ready: ${n} contact${n === 1 ? '' : 's'}, identity ${store.identity.fingerprint.slice(0, 9)}`;
}

function readPreviousRun(store: Store, log: Logger): boolean {
  const unclean = safeGet(store, 'service.running', log) === true;
  if (unclean) {
    const aliveAt = safeGet(store, 'service.alive_at', log);
    log.warn(
      { lastAliveAt: aliveAt ? new Date(aliveAt).toISOString() : null },
      'previous run did not stop cleanly (crash, kill or power loss)',
    );
  }
  return unclean;
}

function safeGet<K extends 'service.running' | 'service.starts' | 'service.alive_at'>(
  store: Store,
  key: K,
  log: Logger,
) {
  try {
    return store.settings.get(key);
  } catch (err) {
    // A corrupt bookkeeping value must not keep the device from starting; it is rewritten below.
    log.warn({ key, err: errorMessage(err) }, 'ignoring corrupt setting');
    return undefined;
  }
}

function closeStore(store: Store, dataDir: string): void {
  try {
    store.settings.set('service.running', false);
  } finally {
    store.close();
    rmSync(join(dataDir, PID_FILE), { force: true });
  }
}

function lockedError(dataDir: string): KithError {
  let pid = '';
  try {
    pid = ` (pid ${readFileSync(join(dataDir, PID_FILE), 'utf8').trim()})`;
  } catch {
    // the pid file is informational only
  }
  return new KithError(
    'STORE_LOCKED',
    `data directory ${dataDir} is in use by another Kith process${pid}; refusing to start a second one`,
  );
}

/** `kith run`: starts the service and stops it on SIGTERM/SIGINT within the configured bound. */
export async function runUntilSignal(opts: RunOptions = {}): Promise<number> {
  const service = await startService(opts);
  return new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      const bound = setTimeout(() => {
        service.log.error(
          { ms: service.config.service.stop_timeout_ms },
          'stop took too long; exiting anyway',
        );
        // Whatever still holds the event loop would keep the process alive past the bound.
        process.exit(1);
      }, service.config.service.stop_timeout_ms);
      bound.unref();
      service.stop(signal).then(
        () => {
          clearTimeout(bound);
          resolve(0);
        },
        (err) => {
          service.log.error({ err: errorMessage(err) }, 'stop failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}
