// Buttons from the kernel's gpio-keys driver, the normal case on our image: the kith-buttons overlay
// (hardware/overlays/) declares the three buttons, the kernel debounces them and reports them as an
// input device, and this driver reads its /dev/input/event* node. No native module.
//
// Kernel docs relied on:
// - Documentation/input/input.rst §"Event interface": a read() returns whole `struct input_event`
//   records { struct timeval time; __u16 type; __u16 code; __s32 value; }.
// - Documentation/input/event-codes.rst: EV_KEY value 1 = press, 0 = release, 2 = autorepeat (ignored
//   here: the input broker times long presses itself); EV_SYN/SYN_DROPPED means the kernel's buffer
//   overflowed and events up to the next SYN_REPORT must be discarded.
//
// Record size: the timeval is two C longs as the *reading process* sees them, so 24 bytes for a
// 64-bit Node (arm64, x64) and 16 bytes for a 32-bit one (armhf on the NanoPi's H3, and a 32-bit
// Raspberry Pi OS even on a 64-bit kernel, whose compat layer converts). A 32-bit process built with
// 64-bit time_t still gets 16 bytes: uapi/linux/input.h then spells the fields __kernel_ulong_t.
// So the size follows process.arch. Fields are little-endian on every board Kith runs on.
//
// Reading: a stream on the device node. Each pending read holds one libuv thread-pool thread until a
// button is pressed (a character device cannot be polled from Node without a native module); that
// is one of four threads, idle otherwise, and costs nothing while waiting. After close() that read
// returns at the next event and is discarded.
import { createReadStream, readdirSync, readFileSync, type ReadStream } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, KithError } from '../errors.js';
import { BUTTONS, type ButtonId, type ButtonInput } from './buttons.js';

export const EV_SYN = 0;
export const EV_KEY = 1;
export const SYN_REPORT = 0;
export const SYN_DROPPED = 3;

/** The input device name our overlay gives the gpio-keys node (its `label`). */
export const DEFAULT_INPUT_NAME = 'kith-buttons';

export type InputEventSize = 16 | 24;

export interface InputEventRecord {
  type: number;
  code: number;
  value: number;
}

/** sizeof(struct input_event) for a process of this architecture (see the header). */
export function inputEventSize(arch: string = process.arch): InputEventSize {
  return ['arm', 'ia32', 'mips', 'mipsel', 'ppc', 's390'].includes(arch) ? 16 : 24;
}

/** Cuts a byte stream into input_event records; a record split across chunks is kept until whole. */
export class InputEventParser {
  private readonly size: InputEventSize;
  private carry: Buffer = Buffer.alloc(0);

  constructor(size: InputEventSize) {
    this.size = size;
  }

  push(chunk: Buffer): InputEventRecord[] {
    const bytes = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    const whole = bytes.length - (bytes.length % this.size);
    // Less than one record stays behind, so the carry is bounded by the record size.
    this.carry = Buffer.from(bytes.subarray(whole));
    const at = this.size - 8; // type, code and value are the last 8 bytes after the timeval
    const records: InputEventRecord[] = [];
    for (let off = 0; off < whole; off += this.size) {
      records.push({
        type: bytes.readUInt16LE(off + at),
        code: bytes.readUInt16LE(off + at + 2),
        value: bytes.readInt32LE(off + at + 4),
      });
    }
    return records;
  }
}

export interface InputLookup {
  /** Default "/sys/class/input". */
  classDir?: string;
  /** Default "/dev/input". */
  devDir?: string;
}

/**
 * The event node of the input device called `name`: /sys/class/input/eventN/device/name is the
 * name of the input device behind /dev/input/eventN. Undefined when none has that name.
 */
export function findInputDevice(name: string, lookup: InputLookup = {}): string | undefined {
  const classDir = lookup.classDir ?? '/sys/class/input';
  let events: string[];
  try {
    events = readdirSync(classDir).filter((n) => /^event\d+$/.test(n));
  } catch {
    return undefined;
  }
  events.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  for (const event of events) {
    try {
      if (readFileSync(join(classDir, event, 'device', 'name'), 'utf8').trim() === name) {
        return join(lookup.devDir ?? '/dev/input', event);
      }
    } catch {
      // A device unplugged while we looked; not ours.
    }
  }
  return undefined;
}

export interface EvdevButtonsOptions extends InputLookup {
  /** The KEY_* code each button sends (the board profile's, as in the overlay's linux,code). */
  codes: Record<ButtonId, number>;
  /** The event node to read; default: the device named `name`. */
  device?: string;
  /** Input device name to look for; default "kith-buttons". */
  name?: string;
  /** Default: inputEventSize() for this process. */
  recordSize?: InputEventSize;
}

export class EvdevButtons implements ButtonInput {
  private readonly options: EvdevButtonsOptions;
  private readonly buttonOf = new Map<number, ButtonId>();
  private stream: ReadStream | undefined;
  private state: 'new' | 'running' | 'closed' = 'new';

  constructor(options: EvdevButtonsOptions) {
    this.options = options;
    for (const button of BUTTONS) this.buttonOf.set(options.codes[button], button);
    if (this.buttonOf.size !== BUTTONS.length) {
      throw new KithError('HAL_BAD_OPTION', 'each button needs its own key code');
    }
  }

  /** Opens the device and reports edges; a missing or failing device is reported once on onError. */
  start(onEdge: (button: ButtonId, pressed: boolean) => void, onError: (err: KithError) => void): void {
    if (this.state !== 'new') {
      throw new KithError('HAL_MISUSE', 'EvdevButtons was already started; make a new one');
    }
    this.state = 'running';
    const fail = (err: KithError) => {
      if (this.state !== 'running') return;
      this.close();
      onError(err);
    };
    const name = this.options.name ?? DEFAULT_INPUT_NAME;
    const path = this.options.device ?? findInputDevice(name, this.options);
    if (path === undefined) {
      queueMicrotask(() =>
        fail(
          new KithError(
            'BUTTONS_DEVICE_MISSING',
            `no input device is named "${name}": install the kith-buttons overlay (hardware/README.md), ` +
              'or set the board profile\'s buttons.driver to "gpio"',
          ),
        ),
      );
      return;
    }
    const size = this.options.recordSize ?? inputEventSize();
    const parser = new InputEventParser(size);
    let dropping = false;
    const stream = createReadStream(path, { highWaterMark: size * 64 });
    this.stream = stream;
    stream.on('data', (chunk: Buffer | string) => {
      for (const ev of parser.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) {
        if (this.state !== 'running') return;
        if (ev.type === EV_SYN) {
          if (ev.code === SYN_DROPPED) dropping = true;
          else if (ev.code === SYN_REPORT) dropping = false;
          continue;
        }
        // After an overflow the button states are unknown until the next report; the broker
        // ignores a repeated level, so the next real edge puts it right again.
        if (dropping || ev.type !== EV_KEY || (ev.value !== 0 && ev.value !== 1)) continue;
        const button = this.buttonOf.get(ev.code);
        if (button !== undefined) onEdge(button, ev.value === 1);
      }
    });
    stream.on('error', (err: NodeJS.ErrnoException) => fail(openError(path, err)));
    stream.on('end', () =>
      fail(new KithError('BUTTONS_DEVICE_FAILED', `input device ${path} ended: the device went away`)),
    );
  }

  /** Stops reading; safe to call twice. */
  close(): void {
    this.state = 'closed';
    this.stream?.destroy();
    this.stream = undefined;
  }
}

function openError(path: string, err: NodeJS.ErrnoException): KithError {
  const why = errorMessage(err);
  switch (err.code) {
    case 'ENOENT':
      return new KithError('BUTTONS_DEVICE_MISSING', `input device ${path} does not exist (${why})`, {
        cause: err,
      });
    case 'EACCES':
    case 'EPERM':
      return new KithError(
        'BUTTONS_ACCESS_DENIED',
        `input device ${path} cannot be opened (${why}): the service user needs group input or the ` +
          'udev rules in hardware/99-kith.rules',
        { cause: err },
      );
    default:
      return new KithError('BUTTONS_DEVICE_FAILED', `input device ${path} failed (${why})`, { cause: err });
  }
}
