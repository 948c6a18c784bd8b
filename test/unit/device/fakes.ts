// Test doubles for the device UI: a DeviceApi whose call the test moves through its states, a
// display that records what it was sent, and LEDs that record every change with its virtual time.
import type { DeviceApi, DeviceCall, DeviceContact } from '../../../src/device/api.js';
import { KithError } from '../../../src/errors.js';
import type { Display } from '../../../src/hal/display.js';
import type { Framebuffer } from '../../../src/hal/framebuffer.js';
import type { LedId, Leds } from '../../../src/hal/leds.js';
import type { VirtualClock } from '../../../src/sim/virtual-clock.js';

export const IDLE_CALL: DeviceCall = {
  state: 'idle',
  contactName: null,
  direction: null,
  peerRinging: false,
  answeredAt: null,
  endReason: null,
  mos: null,
};

export function contact(name: string, verified = false): DeviceContact {
  return { id: `${name.toLowerCase()}-id`, name, verified };
}

export class FakeApi implements DeviceApi {
  contactList: DeviceContact[];
  current: DeviceCall = IDLE_CALL;
  online = true;
  /** Every call action, e.g. "startCall bob-id", in order. */
  readonly actions: string[] = [];
  /** The next call action throws this, once. */
  failNext: Error | null = null;
  readonly #listeners = new Set<() => void>();
  readonly #clock: VirtualClock;

  constructor(clock: VirtualClock, contacts: DeviceContact[]) {
    this.#clock = clock;
    this.contactList = contacts;
  }

  get listeners(): number {
    return this.#listeners.size;
  }

  identity() {
    return { name: 'Kith-7F3A', fingerprint: 'ab12 cd34' };
  }

  contacts(): DeviceContact[] {
    return this.contactList;
  }

  call(): DeviceCall {
    return this.current;
  }

  network() {
    return this.online ? { online: true, label: 'online' } : { online: false, label: 'no network' };
  }

  /** Moves the call (as the service would) and tells the listeners. */
  setCall(patch: Partial<DeviceCall>): void {
    this.current = { ...this.current, ...patch };
    for (const listener of [...this.#listeners]) listener();
  }

  /** An incoming call from `name` starts ringing. */
  ring(name: string): void {
    this.setCall({ ...IDLE_CALL, state: 'ringing', contactName: name, direction: 'incoming' });
  }

  startCall(contactId: string): void {
    this.#action(`startCall ${contactId}`);
    const name = this.contactList.find((c) => c.id === contactId)?.name ?? null;
    this.setCall({ ...IDLE_CALL, state: 'calling', contactName: name, direction: 'outgoing' });
  }

  answer(): void {
    this.#action('answer');
    this.setCall({ state: 'active', answeredAt: this.#clock.wallTime() });
  }

  reject(): void {
    this.#action('reject');
    this.setCall({ state: 'ending', endReason: 'rejected' });
  }

  hangup(): void {
    this.#action('hangup');
    this.setCall({ state: 'ending', endReason: 'hangup-local' });
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #action(name: string): void {
    this.actions.push(name);
    const failure = this.failNext;
    this.failNext = null;
    if (failure) throw failure;
  }
}

export class FakeDisplay implements Display {
  /** A copy of every frame sent. */
  readonly shown: Uint8Array[] = [];
  contrast: number | null = null;
  power: boolean | null = null;
  /** setContrast/setPower calls, as "contrast 16" or "power off", with their virtual time. */
  readonly log: string[] = [];
  readonly #clock: VirtualClock;

  constructor(clock: VirtualClock) {
    this.#clock = clock;
  }

  show(frame: Framebuffer): void {
    this.shown.push(frame.bytes.slice());
  }

  setContrast(level: number): void {
    this.contrast = level;
    this.log.push(`${this.#clock.now()} contrast ${level}`);
  }

  setPower(on: boolean): void {
    this.power = on;
    this.log.push(`${this.#clock.now()} power ${on ? 'on' : 'off'}`);
  }

  onError(): void {}

  close(): void {}
}

export class FakeLeds implements Leds {
  readonly state: Record<LedId, boolean> = { green: false, red: false };
  /** Every set() call: virtual time, LED, state. */
  readonly writes: [number, LedId, boolean][] = [];
  readonly #clock: VirtualClock;

  constructor(clock: VirtualClock) {
    this.#clock = clock;
  }

  set(led: LedId, on: boolean): void {
    this.state[led] = on;
    this.writes.push([this.#clock.now(), led, on]);
  }

  onError(): void {}

  close(): void {}

  /** The LED's state sampled every `stepMs` for `forMs`, as a string of 1s and 0s (advances the clock). */
  sample(clock: VirtualClock, led: LedId, forMs: number, stepMs: number): string {
    let out = '';
    for (let t = 0; t < forMs; t += stepMs) {
      out += this.state[led] ? '1' : '0';
      clock.advance(stepMs);
    }
    return out;
  }
}

export function kithError(): KithError {
  return new KithError('CALL_NOT_IDLE', 'a call is already in progress');
}
