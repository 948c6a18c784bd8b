// Turns device updates into `update` messages for every connected page (protocol.ts), so that a
// device redrawing a thousand times a second costs each page at most one message per device per
// tick, and a page that stalls catches up with the latest state instead of a backlog.
//
// How: onUpdate only marks a device dirty and arms one timer; the tick reads each dirty device once
// and, for every page, sends the fields that differ from what that page was last sent. A page whose
// socket still holds more than `maxBufferedBytes` is skipped that tick (and retried the next): what
// it missed is still a difference, so it gets only the newest state when it drains. Each field is
// kept as its JSON text, so comparing is a string compare and every page shares one serialisation.
import type { PanelDevice } from '../panel-device.js';
import type { DeviceInfo } from './protocol.js';

/** The part of a WebSocket the feed uses. */
export interface FeedClient {
  send(text: string): void;
  readonly bufferedAmount: number;
}

export interface FeedOptions {
  /** Shortest time between two ticks: one animation frame. */
  tickMs: number;
  /** A page with more than this waiting in its socket is skipped until it drains. */
  maxBufferedBytes: number;
}

/** One device's state, each field as the JSON text that goes into a message. */
interface Snapshot {
  frame: string;
  display: string;
  leds: string;
  status: string;
}

const FIELDS = ['frame', 'display', 'leds', 'status'] as const;

export class DeviceFeed {
  /** The device list a page receives first. */
  readonly info: readonly DeviceInfo[];
  readonly #devices: readonly PanelDevice[];
  readonly #o: FeedOptions;
  readonly #current = new Map<string, Snapshot>();
  readonly #dirty = new Set<PanelDevice>();
  /** Per page, what it was last sent for each device. */
  readonly #clients = new Map<FeedClient, Map<string, Snapshot>>();
  readonly #unsubscribe: (() => void)[];
  #timer: NodeJS.Timeout | null = null;
  #lastTick = Number.NEGATIVE_INFINITY;
  #messagesSent = 0;
  #deviceErrors = 0;

  constructor(devices: readonly PanelDevice[], o: FeedOptions) {
    this.#devices = devices;
    this.#o = o;
    this.info = devices.map((d) => {
      const frame = d.frame();
      return { id: d.id, name: d.name, width: frame.width, height: frame.height };
    });
    for (const d of devices) this.#read(d);
    this.#unsubscribe = devices.map((d) =>
      d.onUpdate(() => {
        this.#dirty.add(d);
        this.#schedule();
      }),
    );
  }

  /** Starts feeding a page: on the next tick it receives every device's full state. */
  add(client: FeedClient): void {
    this.#clients.set(client, new Map());
    this.#schedule();
  }

  remove(client: FeedClient): void {
    this.#clients.delete(client);
  }

  stats(): { messagesSent: number; deviceErrors: number } {
    return { messagesSent: this.#messagesSent, deviceErrors: this.#deviceErrors };
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#clients.clear();
  }

  #schedule(): void {
    if (this.#timer) return;
    const wait = Math.max(0, this.#lastTick + this.#o.tickMs - performance.now());
    this.#timer = setTimeout(() => this.#tick(), wait);
  }

  #tick(): void {
    this.#timer = null;
    this.#lastTick = performance.now();
    for (const d of this.#dirty) this.#read(d);
    this.#dirty.clear();
    let skipped = false;
    for (const [client, sent] of this.#clients) {
      if (client.bufferedAmount > this.#o.maxBufferedBytes) {
        skipped = true;
        continue;
      }
      for (const d of this.#devices) {
        const now = this.#current.get(d.id);
        if (!now) continue;
        const message = updateMessage(d.id, sent.get(d.id), now);
        if (message === null) continue;
        client.send(message);
        sent.set(d.id, now);
        this.#messagesSent++;
      }
    }
    if (skipped) this.#schedule();
  }

  /** Reads a device; one that throws (or whose status is no JSON object) keeps its last good state. */
  #read(d: PanelDevice): void {
    try {
      const display = d.displayState();
      const leds = d.leds();
      const status: unknown = d.status();
      if (typeof status !== 'object' || status === null || Array.isArray(status)) {
        throw new TypeError('a device status is a JSON object');
      }
      this.#current.set(d.id, {
        frame: JSON.stringify(Buffer.from(d.frame().bytes).toString('base64')),
        display: JSON.stringify({ on: display.on === true, contrast: Number(display.contrast) || 0 }),
        leds: JSON.stringify({ green: leds.green === true, red: leds.red === true }),
        status: JSON.stringify(status),
      });
    } catch {
      this.#deviceErrors++;
    }
  }
}

/** The `update` message taking a page from `before` to `now`, or null when nothing changed. */
function updateMessage(device: string, before: Snapshot | undefined, now: Snapshot): string | null {
  let fields = '';
  for (const f of FIELDS) if (before?.[f] !== now[f]) fields += `,"${f}":${now[f]}`;
  return fields === '' ? null : `{"type":"update","device":${JSON.stringify(device)}${fields}}`;
}
