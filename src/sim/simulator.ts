// The simulator (`kith sim`, what `npm start` runs; DESIGN §2): N virtual devices, each a whole
// Kith service (its own data directory, a real UDP socket on 127.0.0.1, sim buttons, LEDs and
// display, sim audio), already holding each other as contacts but with no addresses: they join
// the overlay through an entry peer the simulator also starts, and find each other by INVITE.
// The web front panel shows and presses them. Nothing needs a board, root or Bluetooth.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { KithError } from '../errors.js';
import { startService, type RunningService } from '../main.js';
import { endpointKey } from '../net/transport.js';
import { simHardware, type SimHardware } from '../service/hardware.js';
import { peerId } from '../service/channels.js';
import { decodeCard, encodeCard } from '../wire/card.js';
import type { PanelDevice } from './panel-device.js';
import { startPanel } from './panel/server.js';

export const DEFAULT_NAMES = ['Ada', 'Bo', 'Cy', 'Di', 'Ed', 'Flo', 'Gus', 'Hal'];
/** Status lines refresh this often during a call (duration, live metrics). */
const STATUS_INTERVAL_MS = 1000;
/** How long start-up waits for the devices to join the overlay through the entry peer. */
const JOIN_WAIT_MS = 10_000;

export interface SimulatorOptions {
  devices: number;
  /** Panel port; 0 lets the system choose. */
  port: number;
  /** Where the devices keep their data (identities survive restarts). */
  root: string;
  /** A WAV file every device speaks into calls; default: a tone (the sim audio's built-in source). */
  speech?: string | undefined;
  log?: Logger;
}

export interface Simulator {
  url: string;
  devices: { name: string; service: RunningService; hardware: SimHardware }[];
  /** The entry peer the devices join the overlay through. */
  entry: RunningService;
  stop(): Promise<void>;
}

export async function startSimulator(o: SimulatorOptions): Promise<Simulator> {
  const root = resolve(o.root);
  const log = o.log ?? pino({ level: 'warn' });
  const devices: Simulator['devices'] = [];
  let entry: RunningService | null = null;
  try {
    // The overlay's entry peer: a public node with no hardware, as `kith run --entry` runs one.
    const entryDir = join(root, 'entry');
    mkdirSync(entryDir, { recursive: true });
    const entryConfig = join(entryDir, 'kith.toml');
    writeFileSync(
      entryConfig,
      [
        '# Written by `kith sim` at every start.',
        '[device]',
        'name = "Entry"',
        '[network]',
        'listen_address = "127.0.0.1"',
        'port = 0',
        'entry = true',
        '',
      ].join('\n'),
    );
    entry = await startService({
      path: entryConfig,
      dataDir: join(entryDir, 'data'),
      runtimeDir: join(entryDir, 'run'),
      log: log.child({ device: 'Entry' }),
    });
    for (let i = 0; i < o.devices; i++) {
      const name = DEFAULT_NAMES[i] ?? `Device ${i + 1}`;
      const dir = join(root, name.toLowerCase().replace(/\s+/g, '-'));
      mkdirSync(dir, { recursive: true });
      const config = join(dir, 'kith.toml');
      writeFileSync(
        config,
        [
          '# Written by `kith sim` at every start.',
          '[device]',
          `name = ${JSON.stringify(name)}`,
          '[network]',
          'listen_address = "127.0.0.1"',
          'port = 0',
          `entry_peers = [${JSON.stringify(endpointKey(entry.udp))}]`,
          '[audio]',
          'driver = "sim"',
          `sim_input = ${JSON.stringify(o.speech ? resolve(o.speech) : '')}`,
          `sim_output = ${JSON.stringify(join(dir, 'received.wav'))}`,
          '',
        ].join('\n'),
      );
      const hardware = simHardware();
      const service = await startService({
        path: config,
        dataDir: join(dir, 'data'),
        runtimeDir: join(dir, 'run'),
        hardware,
        log: log.child({ device: name }),
      });
      devices.push({ name, service, hardware });
    }
    introduce(devices.map((d) => d.service));
    await joined(devices.map((d) => d.service));
    const panel = await startPanel({ devices: devices.map(panelDevice), port: o.port }).catch(
      (err: unknown) => {
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          throw new KithError(
            'SIM_PANEL_PORT_IN_USE',
            `port ${o.port} on 127.0.0.1 is in use (another \`kith sim\`?); pass --port with another port, or 0 for any`,
          );
        }
        throw err;
      },
    );
    return {
      url: panel.url,
      devices,
      entry,
      stop: async () => {
        await panel.close();
        await Promise.all(devices.map((d) => d.service.stop('simulator stopped')));
        await entry?.stop('simulator stopped');
      },
    };
  } catch (err) {
    await Promise.all(devices.map((d) => d.service.stop('simulator failed to start')));
    await entry?.stop('simulator failed to start');
    throw err;
  }
}

/** Waits (bounded) until every device has joined the overlay, so a first call finds its contact. */
async function joined(services: RunningService[]): Promise<void> {
  for (let i = 0; i < JOIN_WAIT_MS / 50 && !services.every((s) => s.overlay.node.joined); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every device holds every other as a contact (pairing stands in for this on real devices). */
function introduce(services: RunningService[]): void {
  for (const me of services) {
    for (const other of services) {
      if (me === other) continue;
      const { identity } = other.store;
      const card = decodeCard(
        encodeCard(
          {
            name: other.config.device.name,
            ed25519Public: identity.ed25519.publicKey,
            x25519Public: identity.x25519.publicKey,
          },
          identity.ed25519.secretKey,
        ),
      );
      const contact = me.store.contacts.findByKey(card.ed25519Public) ?? me.store.contacts.add(card);
      // No endpoint: devices find each other through the overlay (INVITE), as real ones do.
      if (contact.endpoint !== null) me.store.contacts.setEndpoint(contact.id, null);
    }
    me.directory.refresh();
  }
}

function panelDevice(d: Simulator['devices'][number]): PanelDevice {
  const { service, hardware, name } = d;
  return {
    id: peerId({ ed25519Public: service.store.identity.ed25519.publicKey }),
    name,
    frame: () => hardware.display.frame(),
    displayState: () => hardware.display.state(),
    leds: () => hardware.leds.state(),
    press: (button, pressed) => hardware.buttons.press(button, pressed),
    status: () => {
      const live = service.calls.live();
      return {
        udp: endpointKey(service.udp),
        call: live.state,
        contact: live.call
          ? (service.store.contacts.findByKey(Buffer.from(live.call.peerId, 'hex'))?.name ?? null)
          : null,
        screen: service.device?.ui.screen ?? null,
        metrics: live.metrics,
      };
    },
    onUpdate: (listener) => {
      const offs = [
        hardware.display.onChange(listener),
        hardware.leds.onChange(listener),
        service.calls.onChange(listener),
      ];
      // Durations and live metrics change without an event: refresh them while a call is on.
      let timer: NodeJS.Timeout | null = setInterval(() => {
        if (service.calls.live().state !== 'idle') listener();
      }, STATUS_INTERVAL_MS);
      timer.unref();
      return () => {
        for (const off of offs) off();
        if (timer) clearInterval(timer);
        timer = null;
      };
    },
  };
}
