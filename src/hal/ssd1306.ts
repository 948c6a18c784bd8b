// The SSD1306 128x64 OLED on I2C behind the Display interface. Sections cited are from the Solomon
// Systech SSD1306 datasheet rev 1.1: §8.1.5 (I2C write: after the address, a control byte 0x00
// announces a command stream, 0x40 a data stream), §8.7 (GDDRAM: 8 pages of 128 columns, a byte is a
// column of 8 rows, bit 0 on top, the layout Framebuffer already uses), §9 (command table), §10.1
// (each command), and the charge pump application note in the same document (8Dh).
//
// Bus cost model, which decides between a full and a partial update. FIELD-NOTES: one write of the
// whole 1024-byte frame takes ~23 ms at 400 kHz, which is the bare bit time (1025 bytes x 9 bits),
// and the same bytes in small chunks take ~3x as long. Every write (one I2C transaction, one
// syscall) therefore costs a fixed overhead besides its bytes; taking "small" as 32-byte chunks,
// (33 + overhead) / 32 = 3 x 1025 / 1024 gives an overhead of about 64 byte-times (~1.4 ms). An
// update is a list of page runs; each costs one data write (1 + 128 bytes per page) plus, unless
// the controller's address window is already that run, one 7-byte command write to set it. The
// driver computes that cost for "only the changed runs" and for "the whole frame" and sends the
// cheaper. In practice: any single run of changed pages up to 7 pages goes partial (one changed
// pixel costs ~200 byte-times instead of ~1100); all 8 pages, 7 pages split in two runs, or 6 in
// three go as one full write. A run written again needs no address command: after the last byte of
// the window the controller's pointer wraps to its start (§10.1.3, horizontal addressing).
//
// Writes are asynchronous and strictly one at a time. Nothing queues without bound: the driver
// keeps only the latest frame not yet sent and the wanted contrast and power, and sends the newest
// state when the bus is free, so frames that come faster than the bus are skipped, not stacked up.
//
// i2c-bus is loaded with createRequire when the display is made, never at import. Its openSync()
// opens nothing: the first write opens /dev/i2c-N and fails there (ENOENT) when the bus does not
// exist (FIELD-NOTES), so every failure arrives as a failed write and is reported once, after which
// the display does nothing and the device goes on without it. No timers.
import { createRequire } from 'node:module';
import { errorMessage, KithError } from '../errors.js';
import type { Display } from './display.js';
import { Framebuffer, OLED_HEIGHT, OLED_WIDTH } from './framebuffer.js';

/** The usual address; modules with the address jumper moved answer at 0x3D. */
export const SSD1306_ADDRESS = 0x3c;
/** Bright but not the maximum, as the charge pump application note suggests for the internal pump. */
export const DEFAULT_CONTRAST = 0xcf;
/** Per-transaction cost in byte-times at the bus rate (see the header). */
export const TRANSACTION_OVERHEAD = 64;

const CONTROL_COMMANDS = 0x00;
const CONTROL_DATA = 0x40;
const PAGES = OLED_HEIGHT / 8;
const DISPLAY_OFF = 0xae;
const DISPLAY_ON = 0xaf;
/** The command write that sets a window: control byte + 0x21 a b + 0x22 c d. */
const WINDOW_BYTES = 7;

/** The part of an i2c-bus Bus (its callback API) the driver uses; tests pass a recording fake. */
export interface I2cBusLike {
  i2cWrite(
    address: number,
    length: number,
    buffer: Buffer,
    callback: (err: Error | null, bytesWritten: number) => void,
  ): void;
  close?(callback: (err: Error | null) => void): void;
}

export interface Ssd1306Options {
  /** N of /dev/i2c-N, from the board profile. */
  busNumber: number;
  /** Default 0x3C. */
  address?: number;
  /** Default: i2c-bus's openSync(busNumber). */
  bus?: I2cBusLike;
  /** 0-255 at start; default 0xCF. */
  contrast?: number;
  /** The module is mounted upside down: scan segments and rows the other way round. */
  rotate180?: boolean;
}

/** Pages first..last inclusive; the controller's address window is always one of these. */
export interface PageRun {
  first: number;
  last: number;
}

const FULL: PageRun = { first: 0, last: PAGES - 1 };

/**
 * Set-up for a 128x64 panel with the internal charge pump, in the order of the datasheet's software
 * initialization flow. Display-on is not here: it is sent after the first frame, so the panel never
 * shows what its RAM held before.
 */
export function initCommands(contrast: number, rotate180 = false): number[] {
  // One command per line, with its parameters, as in the datasheet's command table.
  // prettier-ignore
  return [
    DISPLAY_OFF, // §10.1.12: configure while dark
    0xd5, 0x80, // §10.1.16: clock divide ratio 1, oscillator at its reset setting
    0xa8, 0x3f, // §10.1.11: multiplex ratio 64 (63 + 1): every COM row
    0xd3, 0x00, // §10.1.15: no vertical offset
    0x40, // §10.1.6: RAM row 0 is the top line
    0x8d, 0x14, // charge pump application note: enable the pump (modules have no external VCC)
    0x20, 0x00, // §10.1.3: horizontal addressing, so one write fills page after page
    rotate180 ? 0xa0 : 0xa1, // §10.1.8: column 127 drives SEG0 (how modules mount the glass)
    rotate180 ? 0xc0 : 0xc8, // §10.1.14: scan COM63 to COM0, so page 0 is at the top
    0xda, 0x12, // §10.1.18: alternative COM pin layout, as 128x64 glass is wired
    0x81, contrast, // §10.1.7
    0xd9, 0xf1, // §10.1.17: pre-charge 1 DCLK, discharge 15 DCLK, for the internal pump
    0xdb, 0x20, // §10.1.19: VCOMH deselect level 0.77 x VCC (the reset value)
    0xa4, // §10.1.9: show the RAM (not all pixels on)
    0xa6, // §10.1.10: normal, not inverted
    0x21, 0x00, OLED_WIDTH - 1, // §10.1.4: column window 0-127; a previous run may have left another
    0x22, 0x00, PAGES - 1, // §10.1.5: page window 0-7
  ];
}

/** Consecutive pages grouped into runs; `pages` ascending. */
export function runsOf(pages: readonly number[]): PageRun[] {
  const runs: PageRun[] = [];
  for (const page of pages) {
    const last = runs.at(-1);
    if (last !== undefined && last.last === page - 1) last.last = page;
    else runs.push({ first: page, last: page });
  }
  return runs;
}

/** What writing `runs` in order costs on the bus, in byte-times, starting from `window`. */
export function busCost(runs: readonly PageRun[], window: PageRun): number {
  let cost = 0;
  let w = window;
  for (const run of runs) {
    if (!sameRun(run, w)) cost += TRANSACTION_OVERHEAD + WINDOW_BYTES;
    cost += TRANSACTION_OVERHEAD + 1 + (run.last - run.first + 1) * OLED_WIDTH;
    w = run;
  }
  return cost;
}

/** The runs to write for `changed` pages: only those, or the whole frame when that is cheaper. */
export function planRuns(changed: readonly number[], window: PageRun): PageRun[] {
  if (changed.length === 0) return [];
  const partial = runsOf(changed);
  return busCost(partial, window) < busCost([FULL], window) ? partial : [FULL];
}

function sameRun(a: PageRun, b: PageRun): boolean {
  return a.first === b.first && a.last === b.last;
}

function commands(...bytes: number[]): Buffer {
  return Buffer.from([CONTROL_COMMANDS, ...bytes]);
}

interface Write {
  bytes: Buffer;
  /** What the controller holds once this write has gone through. */
  done: () => void;
}

interface I2cBusModule {
  openSync(busNumber: number): I2cBusLike;
}

export class Ssd1306 implements Display {
  private readonly busNumber: number;
  private readonly address: number;
  private readonly init: number[];
  private readonly listeners: ((err: KithError) => void)[] = [];
  private bus: I2cBusLike | undefined;
  private state: 'running' | 'failed' | 'closed' = 'running';
  private error: KithError | undefined;
  /** A write is on the bus. */
  private busy = false;
  private initialized = false;
  /** What the panel's RAM holds; undefined until the first whole frame went through. */
  private shown: Framebuffer | undefined;
  /** The address window; the controller's pointer is at its start between writes. */
  private window: PageRun = FULL;
  /** The latest frame not yet sent. */
  private pending: Framebuffer | undefined;
  private contrastWanted: number;
  /** The contrast the panel has (the init sequence sets the starting one). */
  private contrastSent: number;
  private powerWanted = true;
  private panelOn = false;

  /** Starts initializing the panel at once; failures arrive on onError. */
  constructor(options: Ssd1306Options) {
    this.busNumber = options.busNumber;
    this.address = options.address ?? SSD1306_ADDRESS;
    if (!Number.isInteger(this.busNumber) || this.busNumber < 0) {
      throw new KithError(
        'HAL_BAD_OPTION',
        `I2C bus number must be a whole number >= 0, got ${this.busNumber}`,
      );
    }
    if (!Number.isInteger(this.address) || this.address < 0x03 || this.address > 0x77) {
      throw new KithError('HAL_BAD_OPTION', `I2C address must be 0x03..0x77, got ${this.address}`);
    }
    this.contrastWanted = clampContrast(options.contrast ?? DEFAULT_CONTRAST);
    this.contrastSent = this.contrastWanted;
    this.init = initCommands(this.contrastWanted, options.rotate180);
    try {
      this.bus = options.bus ?? openBus(this.busNumber);
    } catch (err) {
      this.fail(err as KithError);
      return;
    }
    this.pump();
  }

  show(frame: Framebuffer): void {
    if (frame.width !== OLED_WIDTH || frame.height !== OLED_HEIGHT) {
      throw new RangeError(
        `the SSD1306 shows ${OLED_WIDTH}x${OLED_HEIGHT} frames, got ${frame.width}x${frame.height}`,
      );
    }
    if (this.state !== 'running') return;
    this.pending ??= new Framebuffer();
    this.pending.copyFrom(frame);
    this.pump();
  }

  setContrast(level: number): void {
    if (this.state !== 'running') return;
    this.contrastWanted = clampContrast(level);
    this.pump();
  }

  setPower(on: boolean): void {
    if (this.state !== 'running') return;
    this.powerWanted = on;
    this.pump();
  }

  /** The first failure, once; a listener added after it still hears of it. */
  onError(listener: (err: KithError) => void): void {
    this.listeners.push(listener);
    if (this.error !== undefined) listener(this.error);
  }

  /**
   * Stops sending (the panel keeps showing its last frame) and releases the bus once no write is
   * in flight; safe to call twice.
   */
  close(): void {
    if (this.state === 'running') this.state = 'closed';
    this.pending = undefined;
    this.listeners.length = 0;
    this.release();
  }

  /** Sends the next thing the panel lacks, if the bus is free. */
  private pump(): void {
    if (this.busy || this.state !== 'running') return;
    const job = this.nextJob();
    if (job.length > 0) this.send(job, 0);
  }

  private nextJob(): Write[] {
    if (!this.initialized) {
      return [{ bytes: commands(...this.init), done: () => (this.initialized = true) }];
    }
    if (this.contrastSent !== this.contrastWanted) {
      const contrast = this.contrastWanted;
      return [{ bytes: commands(0x81, contrast), done: () => (this.contrastSent = contrast) }];
    }
    const frame = this.pending;
    this.pending = undefined;
    if (frame !== undefined) {
      const job = this.frameJob(frame);
      if (job.length > 0) return job;
    }
    if (this.shown !== undefined && this.panelOn !== this.powerWanted) {
      const on = this.powerWanted;
      return [{ bytes: commands(on ? DISPLAY_ON : DISPLAY_OFF), done: () => (this.panelOn = on) }];
    }
    return [];
  }

  private frameJob(frame: Framebuffer): Write[] {
    // The first frame goes whole: the RAM's content is unknown until then.
    const runs = this.shown === undefined ? [FULL] : planRuns(frame.changedPages(this.shown), this.window);
    const job: Write[] = [];
    let window = this.window;
    for (const run of runs) {
      if (!sameRun(run, window)) {
        job.push({
          bytes: commands(0x21, 0, OLED_WIDTH - 1, 0x22, run.first, run.last),
          done: () => (this.window = run),
        });
        window = run;
      }
      const start = run.first * OLED_WIDTH;
      const end = (run.last + 1) * OLED_WIDTH;
      const bytes = Buffer.alloc(1 + end - start);
      bytes[0] = CONTROL_DATA;
      bytes.set(frame.bytes.subarray(start, end), 1);
      job.push({
        bytes,
        done: () => (this.shown ??= new Framebuffer()).bytes.set(frame.bytes.subarray(start, end), start),
      });
    }
    return job;
  }

  private send(job: Write[], index: number): void {
    const write = job[index];
    const bus = this.bus;
    if (write === undefined || bus === undefined) return;
    this.busy = true;
    const finished = (err: Error | null, written: number) => {
      this.busy = false;
      if (this.state !== 'running') return this.release();
      if (err) return this.fail(busError(this.busNumber, this.address, err));
      if (written !== write.bytes.length) {
        return this.fail(
          new KithError('DISPLAY_FAILED', `short I2C write: ${written} of ${write.bytes.length} bytes`),
        );
      }
      write.done();
      if (index + 1 < job.length) this.send(job, index + 1);
      else this.pump();
    };
    try {
      bus.i2cWrite(this.address, write.bytes.length, write.bytes, finished);
    } catch (err) {
      this.busy = false;
      this.fail(busError(this.busNumber, this.address, err));
    }
  }

  private fail(err: KithError): void {
    if (this.state !== 'running') return;
    this.state = 'failed';
    this.error = err;
    this.pending = undefined;
    for (const listener of this.listeners) listener(err);
    this.release();
  }

  /** Closes the bus once nothing is in flight; i2c-bus would otherwise close a file under a write. */
  private release(): void {
    const bus = this.bus;
    if (this.busy || bus === undefined) return;
    this.bus = undefined;
    bus.close?.(() => {
      // The device is being let go; a failure to close its file changes nothing.
    });
  }
}

function clampContrast(level: number): number {
  if (!Number.isFinite(level)) throw new RangeError(`contrast must be a number 0-255, got ${level}`);
  return Math.min(255, Math.max(0, Math.round(level)));
}

function openBus(busNumber: number): I2cBusLike {
  try {
    return (createRequire(import.meta.url)('i2c-bus') as I2cBusModule).openSync(busNumber);
  } catch (err) {
    throw new KithError(
      'DISPLAY_DRIVER_MISSING',
      `the package "i2c-bus" cannot be loaded (${errorMessage(err)}): reinstall Kith's dependencies on the device`,
      { cause: err },
    );
  }
}

function busError(busNumber: number, address: number, err: unknown): KithError {
  const where = `I2C bus ${busNumber} (/dev/i2c-${busNumber})`;
  const at = `0x${address.toString(16).padStart(2, '0')}`;
  const why = errorMessage(err);
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return new KithError(
        'DISPLAY_BUS_MISSING',
        `${where} does not exist (${why}): enable I2C (Armbian: the kith-i2c overlay or overlays=i2c0; ` +
          'Raspberry Pi OS: dtparam=i2c_arm=on) and load the i2c-dev module',
        { cause: err },
      );
    case 'EACCES':
    case 'EPERM':
      return new KithError(
        'DISPLAY_ACCESS_DENIED',
        `${where} cannot be opened (${why}): install the udev rules in hardware/99-kith.rules`,
        { cause: err },
      );
    // No acknowledge for the address: EREMOTEIO from most adapters (the Pi's), ENXIO from the H3's.
    case 'EREMOTEIO':
    case 'ENXIO':
      return new KithError(
        'DISPLAY_MISSING',
        `no display answers at ${at} on ${where} (${why}): check its wiring (SDA, SCL, 3.3 V, GND) ` +
          'and its address (0x3C, or 0x3D with the address jumper moved)',
        { cause: err },
      );
    default:
      return new KithError('DISPLAY_FAILED', `writing to the display at ${at} on ${where} failed (${why})`, {
        cause: err,
      });
  }
}
