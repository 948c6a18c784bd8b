// The device UI (DESIGN §5): turns button events into call actions on the DeviceApi, and the api's
// state into screens on the display and patterns on the LEDs; dims and sleeps the display when
// nobody uses it. It holds only what the api does not: which screen the user navigated to, the
// cursor, and the short-lived screens (call ended, error, pairing check).
//
// Navigation (a long press acts as its short press unless listed):
//   screen     UP             UP_LONG         SELECT            BACK
//   idle       -              -               contacts          -
//   contacts   next (wraps)   previous        call the contact  idle
//   calling    -              -               -                 hang up
//   incoming   -              -               answer            reject
//   in call    -              -               -                 hang up
//   ended      -              -               idle now          idle now
//   error      -              -               dismiss           dismiss
//   pairing    -              -               resolves true     resolves false
// Hanging up is BACK, short or long, and only BACK: SELECT in a call does nothing, so a press
// meant for "answer" that lands late cannot end the call it just answered.
//
// What is on screen, first match wins: an incoming call (over anything, the error included); an
// error from a call action; the calling or in-call screen; the call-ended screen; the pairing
// check; else idle or contacts as navigated. A call starting returns navigation to idle, so the
// call-ended screen gives way to idle. A pairing check hidden by a call keeps its timeout running.
//
// The display: full contrast on any input; dimmed after dimAfterMs without input and powered off
// after sleepAfterMs. An incoming call or a pairing check wakes it and keeps it awake while it
// waits for an answer; the inactivity time counts again from when it ends. A press while the
// display is off only wakes it (it is consumed, not acted on: the user could not see what it would
// do); a press while it is merely dimmed is acted on, since the screen was readable.
//
// Timers (all on the injected Clock):
//   dim       dimAfterMs (15 s)         after the last input          -> contrast DIM_CONTRAST
//   sleep     sleepAfterMs (60 s)       after the last input          -> display power off
//   ended     endedScreenMs (3 s)       from the end of a call         -> ended screen gives way
//   error     errorScreenMs (5 s)       from the error                 -> error screen gives way
//   pairing   pairingTimeoutMs (60 s)   from showPairing()             -> resolves false
//   tick      to the next second        while idle or in call          -> redraw (clock, duration)
//   LEDs      each pattern step         (device/led-patterns.ts)
//
// The frame is redrawn on every api change, every input and every tick, and sent to the display
// only when its bytes changed.
import { errorMessage, KithError } from '../errors.js';
import type { InputEvent } from '../hal/buttons.js';
import type { Display } from '../hal/display.js';
import { Framebuffer } from '../hal/framebuffer.js';
import type { Leds } from '../hal/leds.js';
import type { Cancel, Clock } from '../net/clock.js';
import type { DeviceApi, DeviceCall } from './api.js';
import { LED_PATTERNS, LedPlayer, type LedPattern } from './led-patterns.js';
import { drawCalling } from './screens/calling.js';
import { drawContacts } from './screens/contacts.js';
import { drawEnded, type EndedModel } from './screens/ended.js';
import { drawError } from './screens/error.js';
import { drawIdle } from './screens/idle.js';
import { drawInCall } from './screens/in-call.js';
import { drawIncoming } from './screens/incoming.js';
import { drawPairing, type PairingModel } from './screens/pairing.js';

export interface DeviceUiOptions {
  clock: Clock;
  display: Display;
  leds: Leds;
  api: DeviceApi;
  dimAfterMs?: number;
  sleepAfterMs?: number;
  endedScreenMs?: number;
  errorScreenMs?: number;
  pairingTimeoutMs?: number;
  /** The idle clock's offset from UTC in minutes (60 for UTC+1); 0, UTC, unless given. */
  utcOffsetMinutes?: number;
}

const DEFAULT_DIM_AFTER_MS = 15_000;
const DEFAULT_SLEEP_AFTER_MS = 60_000;
const DEFAULT_ENDED_SCREEN_MS = 3_000;
const DEFAULT_ERROR_SCREEN_MS = 5_000;
const DEFAULT_PAIRING_TIMEOUT_MS = 60_000;
/** The SSD1306's usual contrast (0xCF, as its drivers set at reset): bright, without the glare of 0xFF. */
export const BRIGHT_CONTRAST = 0xcf;
/** Readable up close in a dark room, barely lit in daylight: "the device is idle". */
export const DIM_CONTRAST = 0x10;

/** Shown when the api has no name for the other side of a call. */
const UNKNOWN_NAME = 'Unknown';
/** The states in which a call is on screen and its buttons work. */
const LIVE_STATES: ReadonlySet<DeviceCall['state']> = new Set(['calling', 'ringing', 'active']);

type Home = 'idle' | 'contacts';
interface Overlay {
  cancel: Cancel;
}
interface ErrorOverlay extends Overlay {
  message: string;
}
interface EndedOverlay extends Overlay {
  model: EndedModel;
}
interface PairingCheck extends Overlay {
  model: PairingModel;
  resolve: (confirmed: boolean) => void;
}

type View =
  | { kind: Home | 'calling' | 'incoming' | 'in-call' }
  | { kind: 'ended'; ended: EndedOverlay }
  | { kind: 'error'; error: ErrorOverlay }
  | { kind: 'pairing'; pairing: PairingCheck };

const LEDS_FOR_VIEW: Record<View['kind'], LedPattern> = {
  idle: LED_PATTERNS.idle,
  contacts: LED_PATTERNS.idle,
  ended: LED_PATTERNS.idle,
  calling: LED_PATTERNS.calling,
  pairing: LED_PATTERNS.calling,
  incoming: LED_PATTERNS.ringing,
  'in-call': LED_PATTERNS.inCall,
  error: LED_PATTERNS.error,
};

export class DeviceUi {
  readonly #o: Required<DeviceUiOptions>;
  readonly #leds: LedPlayer;
  #phase: 'new' | 'running' | 'closed' = 'new';
  #screen = 'idle';
  #unsubscribe: (() => void) | null = null;
  #call: DeviceCall | null = null;

  #home: Home = 'idle';
  #cursor = 0;
  #error: ErrorOverlay | null = null;
  #ended: EndedOverlay | null = null;
  #pairing: PairingCheck | null = null;

  #power: 'bright' | 'dim' | 'off' = 'bright';
  /** An incoming call or a pairing check holds the display awake. */
  #held = false;
  #dim: Cancel | null = null;
  #sleep: Cancel | null = null;
  #tick: Cancel | null = null;

  /** What the display shows; `#draft` is drawn first and copied here only when it differs. */
  readonly #frame = new Framebuffer();
  readonly #draft = new Framebuffer();
  #shown = false;

  constructor(options: DeviceUiOptions) {
    this.#o = {
      clock: options.clock,
      display: options.display,
      leds: options.leds,
      api: options.api,
      dimAfterMs: options.dimAfterMs ?? DEFAULT_DIM_AFTER_MS,
      sleepAfterMs: options.sleepAfterMs ?? DEFAULT_SLEEP_AFTER_MS,
      endedScreenMs: options.endedScreenMs ?? DEFAULT_ENDED_SCREEN_MS,
      errorScreenMs: options.errorScreenMs ?? DEFAULT_ERROR_SCREEN_MS,
      pairingTimeoutMs: options.pairingTimeoutMs ?? DEFAULT_PAIRING_TIMEOUT_MS,
      utcOffsetMinutes: options.utcOffsetMinutes ?? 0,
    };
    for (const key of [
      'dimAfterMs',
      'sleepAfterMs',
      'endedScreenMs',
      'errorScreenMs',
      'pairingTimeoutMs',
    ] as const) {
      const ms = this.#o[key];
      if (!Number.isFinite(ms) || ms <= 0) {
        throw new KithError('DEVICE_BAD_OPTION', `${key} must be a positive number of ms, got ${ms}`);
      }
    }
    if (this.#o.sleepAfterMs < this.#o.dimAfterMs) {
      throw new KithError('DEVICE_BAD_OPTION', 'sleepAfterMs must not be shorter than dimAfterMs');
    }
    const offset = this.#o.utcOffsetMinutes;
    if (!Number.isInteger(offset) || Math.abs(offset) > 14 * 60) {
      throw new KithError(
        'DEVICE_BAD_OPTION',
        `utcOffsetMinutes must be a whole number within ±840, got ${offset}`,
      );
    }
    this.#leds = new LedPlayer(this.#o.clock, this.#o.leds);
  }

  /** The frame the display was last sent (do not draw on it). */
  /** The kind of screen shown now ('idle', 'contacts', 'incoming', ...), for the simulator and tests. */
  get screen(): string {
    return this.#screen;
  }

  get frame(): Framebuffer {
    return this.#frame;
  }

  /** Subscribes to the api, lights the display at full contrast and draws the first screen. */
  start(): void {
    if (this.#phase !== 'new')
      throw new KithError('DEVICE_UI_MISUSE', `device UI cannot start: it is ${this.#phase}`);
    this.#phase = 'running';
    this.#call = this.#o.api.call();
    this.#unsubscribe = this.#o.api.onChange(() => this.#sync());
    this.#o.display.setPower(true);
    this.#o.display.setContrast(BRIGHT_CONTRAST);
    this.#held = this.#holdsAwake();
    this.#armInactivity();
    this.#render();
  }

  /** One button event from the input broker; dropped unless the UI is running. */
  handle(event: InputEvent): void {
    if (this.#phase !== 'running') return;
    const wasOff = this.#power === 'off';
    this.#wake();
    if (!wasOff) this.#act(event);
    this.#render();
  }

  /**
   * Shows the pairing check (6-digit code and the other device's name) until SELECT (true), BACK
   * (false) or pairingTimeoutMs (false). A newer check, or close(), answers an open one false.
   * Rejects with DEVICE_BAD_PAIRING_CODE unless the code is six digits.
   */
  showPairing(model: PairingModel): Promise<boolean> {
    if (!/^[0-9]{6}$/.test(model.code)) {
      return Promise.reject(
        new KithError('DEVICE_BAD_PAIRING_CODE', `pairing code "${model.code}" is not six digits`),
      );
    }
    if (this.#phase !== 'running') return Promise.resolve(false);
    this.#answerPairing(false);
    return new Promise((resolve) => {
      const cancel = this.#o.clock.schedule(this.#o.pairingTimeoutMs, () => this.#answerPairing(false));
      this.#pairing = { model: { ...model }, resolve, cancel };
      this.#updateHold();
      this.#render();
    });
  }

  /** Stops listening and every timer, answers an open pairing check false, turns the LEDs off. */
  close(): void {
    if (this.#phase === 'closed') return;
    const wasRunning = this.#phase === 'running';
    this.#phase = 'closed';
    this.#unsubscribe?.();
    for (const cancel of [this.#dim, this.#sleep, this.#tick, this.#error?.cancel, this.#ended?.cancel])
      cancel?.();
    const pairing = this.#pairing;
    this.#pairing = null;
    pairing?.cancel();
    pairing?.resolve(false);
    if (wasRunning) this.#leds.stop();
  }

  // --- input ----------------------------------------------------------------------------------

  #act(event: InputEvent): void {
    const long = event.endsWith('_LONG');
    const key = long ? event.slice(0, -'_LONG'.length) : event;
    const view = this.#view();
    const api = this.#o.api;
    switch (view.kind) {
      case 'idle':
        if (key === 'SELECT') this.#home = 'contacts';
        return;
      case 'contacts': {
        if (key === 'BACK') {
          this.#home = 'idle';
          return;
        }
        const contacts = api.contacts();
        if (contacts.length === 0) return;
        const cursor = Math.min(this.#cursor, contacts.length - 1);
        if (key === 'UP') this.#cursor = (cursor + (long ? contacts.length - 1 : 1)) % contacts.length;
        const contact = contacts[cursor];
        if (key === 'SELECT' && contact) this.#try(() => api.startCall(contact.id));
        return;
      }
      case 'calling':
      case 'in-call':
        if (key === 'BACK') this.#try(() => api.hangup());
        return;
      case 'incoming':
        if (key === 'SELECT') this.#try(() => api.answer());
        if (key === 'BACK') this.#try(() => api.reject());
        return;
      case 'ended':
        if (key === 'SELECT' || key === 'BACK') this.#dismissEnded();
        return;
      case 'error':
        if (key === 'SELECT' || key === 'BACK') this.#dismissError();
        return;
      case 'pairing':
        if (key === 'SELECT') this.#answerPairing(true);
        if (key === 'BACK') this.#answerPairing(false);
        return;
    }
  }

  /** Runs a call action; what it throws is shown on the error screen. */
  #try(action: () => void): void {
    try {
      action();
    } catch (err) {
      this.#error?.cancel();
      const error: ErrorOverlay = {
        message: errorMessage(err),
        cancel: this.#o.clock.schedule(this.#o.errorScreenMs, () => {
          if (this.#error === error) this.#dismissError();
        }),
      };
      this.#error = error;
    }
  }

  #dismissError(): void {
    this.#error?.cancel();
    this.#error = null;
    this.#render();
  }

  #dismissEnded(): void {
    this.#ended?.cancel();
    this.#ended = null;
    this.#render();
  }

  #answerPairing(confirmed: boolean): void {
    const pairing = this.#pairing;
    if (!pairing) return;
    this.#pairing = null;
    pairing.cancel();
    pairing.resolve(confirmed);
    this.#updateHold();
    this.#render();
  }

  // --- the api --------------------------------------------------------------------------------

  /** After every api change: notices a call starting, ringing or ending, then redraws. */
  #sync(): void {
    if (this.#phase !== 'running') return;
    const before = this.#call;
    const now = this.#o.api.call();
    this.#call = now;
    const wasLive = before !== null && LIVE_STATES.has(before.state);
    const isLive = LIVE_STATES.has(now.state);
    if (isLive && !wasLive) {
      this.#home = 'idle';
      this.#ended?.cancel();
      this.#ended = null;
    }
    if (now.state === 'ringing' && before?.state !== 'ringing') {
      this.#error?.cancel();
      this.#error = null;
    }
    if (before && wasLive && !isLive) this.#showEnded(before, now);
    this.#updateHold();
    this.#render();
  }

  #showEnded(live: DeviceCall, after: DeviceCall): void {
    this.#ended?.cancel();
    const ended: EndedOverlay = {
      model: {
        contactName: live.contactName ?? after.contactName ?? UNKNOWN_NAME,
        reason: after.endReason ?? live.endReason,
        direction: live.direction ?? after.direction,
        answered: live.answeredAt !== null,
      },
      cancel: this.#o.clock.schedule(this.#o.endedScreenMs, () => {
        if (this.#ended === ended) this.#dismissEnded();
      }),
    };
    this.#ended = ended;
  }

  // --- display power ----------------------------------------------------------------------------

  #holdsAwake(): boolean {
    return this.#call?.state === 'ringing' || this.#pairing !== null;
  }

  /** Wakes the display when something starts waiting for an answer; counts idle time once none does. */
  #updateHold(): void {
    const hold = this.#holdsAwake();
    if (hold === this.#held) return;
    this.#held = hold;
    if (hold) this.#wake();
    else this.#armInactivity();
  }

  #wake(): void {
    if (this.#power === 'off') this.#o.display.setPower(true);
    if (this.#power !== 'bright') this.#o.display.setContrast(BRIGHT_CONTRAST);
    this.#power = 'bright';
    this.#armInactivity();
  }

  #armInactivity(): void {
    this.#dim?.();
    this.#sleep?.();
    this.#dim = this.#sleep = null;
    if (this.#held) return;
    this.#dim = this.#o.clock.schedule(this.#o.dimAfterMs, () => {
      this.#dim = null;
      this.#power = 'dim';
      this.#o.display.setContrast(DIM_CONTRAST);
    });
    this.#sleep = this.#o.clock.schedule(this.#o.sleepAfterMs, () => {
      this.#sleep = null;
      this.#power = 'off';
      this.#o.display.setPower(false);
    });
  }

  // --- drawing --------------------------------------------------------------------------------

  #view(): View {
    const state = this.#call?.state ?? 'idle';
    if (state === 'ringing') return { kind: 'incoming' };
    if (this.#error) return { kind: 'error', error: this.#error };
    if (state === 'calling') return { kind: 'calling' };
    if (state === 'active') return { kind: 'in-call' };
    if (this.#ended) return { kind: 'ended', ended: this.#ended };
    if (this.#pairing) return { kind: 'pairing', pairing: this.#pairing };
    return { kind: this.#home };
  }

  #render(): void {
    if (this.#phase !== 'running') return;
    const view = this.#view();
    this.#screen = view.kind;
    this.#draft.clear();
    this.#draw(view, this.#draft);
    if (!this.#shown || this.#draft.changedPages(this.#frame).length > 0) {
      this.#frame.copyFrom(this.#draft);
      this.#shown = true;
      this.#o.display.show(this.#frame);
    }
    this.#leds.play(LEDS_FOR_VIEW[view.kind], view.kind === 'error' ? view.error : null);
    this.#scheduleTick(view);
  }

  #draw(view: View, frame: Framebuffer): void {
    const api = this.#o.api;
    const call = this.#call;
    const contactName = call?.contactName ?? UNKNOWN_NAME;
    switch (view.kind) {
      case 'idle':
        return drawIdle(frame, {
          deviceName: api.identity().name,
          network: api.network(),
          contactCount: api.contacts().length,
          wallTime: this.#o.clock.wallTime(),
          utcOffsetMinutes: this.#o.utcOffsetMinutes,
        });
      case 'contacts':
        return drawContacts(frame, { contacts: api.contacts(), cursor: this.#cursor });
      case 'calling':
        return drawCalling(frame, { contactName, peerRinging: call?.peerRinging ?? false });
      case 'incoming':
        return drawIncoming(frame, { contactName });
      case 'in-call':
        return drawInCall(frame, {
          contactName,
          durationMs: this.#o.clock.wallTime() - (call?.answeredAt ?? this.#o.clock.wallTime()),
          mos: call?.mos ?? null,
        });
      case 'ended':
        return drawEnded(frame, view.ended.model);
      case 'error':
        return drawError(frame, { message: view.error.message });
      case 'pairing':
        return drawPairing(frame, view.pairing.model);
    }
  }

  /** Idle shows the time and in call the duration: redraw when the shown second turns. */
  #scheduleTick(view: View): void {
    const ticking = view.kind === 'idle' || view.kind === 'in-call';
    if (!ticking) {
      this.#tick?.();
      this.#tick = null;
      return;
    }
    if (this.#tick) return;
    const origin = view.kind === 'in-call' ? (this.#call?.answeredAt ?? 0) : 0;
    const intoSecond = (((this.#o.clock.wallTime() - origin) % 1000) + 1000) % 1000;
    this.#tick = this.#o.clock.schedule(1000 - intoSecond, () => {
      this.#tick = null;
      this.#render();
    });
  }
}
