// The SSD1306 driver against a fake I2C bus that records every write and completes them only when
// the test says so: the bytes on the wire, the choice between full and partial updates, errors,
// and the one-write-at-a-time rule.
import { describe, expect, it } from 'vitest';
import type { KithError } from '../../../src/errors.js';
import { Framebuffer } from '../../../src/hal/framebuffer.js';
import {
  busCost,
  DEFAULT_CONTRAST,
  type I2cBusLike,
  initCommands,
  planRuns,
  runsOf,
  Ssd1306,
  TRANSACTION_OVERHEAD,
} from '../../../src/hal/ssd1306.js';

type Callback = (err: Error | null, bytesWritten: number) => void;

class FakeBus implements I2cBusLike {
  readonly writes: { address: number; bytes: number[] }[] = [];
  private readonly queue: { length: number; callback: Callback }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  closed = false;
  /** Every write fails with this errno code, when set. */
  failWith: string | undefined;
  /** i2cWrite itself throws, when set. */
  throwOnWrite = false;

  i2cWrite(address: number, length: number, buffer: Buffer, callback: Callback): void {
    if (this.throwOnWrite) throw new Error('Invalid buffer');
    this.writes.push({ address, bytes: [...buffer.subarray(0, length)] });
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.queue.push({ length, callback });
  }

  close(callback: (err: Error | null) => void): void {
    this.closed = true;
    callback(null);
  }

  /** Completes the oldest write; false when none is in flight. */
  completeOne(): boolean {
    const w = this.queue.shift();
    if (w === undefined) return false;
    this.inFlight -= 1;
    if (this.failWith !== undefined) {
      const err = Object.assign(new Error(`${this.failWith}, write`), { code: this.failWith });
      w.callback(err, 0);
    } else w.callback(null, w.length);
    return true;
  }

  /** Completes writes until the driver stops sending; bounded. */
  drain(): void {
    for (let i = 0; i < 1000; i++) if (!this.completeOne()) return;
    throw new Error('the driver kept writing');
  }

  take(): number[][] {
    return this.writes.splice(0).map((w) => w.bytes);
  }
}

function setup(options: { contrast?: number; rotate180?: boolean } = {}) {
  const bus = new FakeBus();
  const errors: KithError[] = [];
  const display = new Ssd1306({ busNumber: 0, bus, ...options });
  display.onError((e) => errors.push(e));
  return { bus, display, errors };
}

/** A display past its init and first (blank) frame, with the bus log emptied. */
function running() {
  const t = setup();
  t.display.show(new Framebuffer());
  t.bus.drain();
  t.bus.take();
  return t;
}

const page = (fb: Framebuffer, p: number) => [...fb.bytes.subarray(p * 128, (p + 1) * 128)];

describe('Ssd1306', () => {
  it('sends the init sequence for a 128x64 panel as one command write, at 0x3C', () => {
    const t = setup();
    // prettier-ignore
    const expected = [
      0x00, // control byte: commands follow
      0xae, 0xd5, 0x80, 0xa8, 0x3f, 0xd3, 0x00, 0x40, 0x8d, 0x14, 0x20, 0x00, 0xa1, 0xc8, 0xda, 0x12,
      0x81, 0xcf, 0xd9, 0xf1, 0xdb, 0x20, 0xa4, 0xa6, 0x21, 0x00, 0x7f, 0x22, 0x00, 0x07,
    ];
    expect(t.bus.writes).toEqual([{ address: 0x3c, bytes: expected }]);
    expect([0x00, ...initCommands(DEFAULT_CONTRAST)]).toEqual(expected);
    t.bus.drain();
    expect(t.bus.writes).toHaveLength(1); // nothing more until there is a frame
  });

  it('mirrors segments and rows for a module mounted upside down, and starts at the given contrast', () => {
    const t = setup({ rotate180: true, contrast: 0x40 });
    const init = t.bus.writes[0]?.bytes ?? [];
    expect(init.slice(13, 15)).toEqual([0xa0, 0xc0]);
    expect(init.slice(17, 19)).toEqual([0x81, 0x40]);
  });

  it('sends the first frame as one 1025-byte write, then turns the display on', () => {
    const t = setup();
    t.bus.drain();
    t.bus.take();
    const fb = new Framebuffer();
    fb.set(0, 0, true);
    fb.set(127, 63, true);
    t.display.show(fb);
    t.bus.drain();
    const writes = t.bus.take();
    expect(writes).toHaveLength(2);
    expect(writes[0]).toHaveLength(1025);
    expect(writes[0]?.[0]).toBe(0x40);
    expect(writes[0]?.slice(1)).toEqual([...fb.bytes]);
    expect(writes[1]).toEqual([0x00, 0xaf]);
  });

  it('puts pixel (5, 13) in byte page 1 * 128 + 5, bit 5', () => {
    const fb = new Framebuffer();
    fb.set(5, 13, true);
    expect(fb.bytes[1 * 128 + 5]).toBe(1 << 5);
    expect(fb.bytes.reduce((n, b) => n + (b === 0 ? 0 : 1), 0)).toBe(1);
    const t = setup();
    t.display.show(fb);
    t.bus.drain();
    const frame = t.bus.writes.find((w) => w.bytes[0] === 0x40)?.bytes ?? [];
    expect(frame[1 + 133]).toBe(0x20);
  });

  it('sends only the changed page for a one-pixel change, with its page and column window', () => {
    const t = running();
    const fb = new Framebuffer();
    fb.set(5, 13, true);
    t.display.show(fb);
    t.bus.drain();
    const writes = t.bus.take();
    expect(writes).toEqual([
      [0x00, 0x21, 0x00, 0x7f, 0x22, 0x01, 0x01],
      [0x40, ...page(fb, 1)],
    ]);
    expect(writes[1]?.[1 + 5]).toBe(0x20);
    // The same page again needs no window: the pointer wrapped to its start.
    fb.set(6, 13, true);
    t.display.show(fb);
    t.bus.drain();
    expect(t.bus.take()).toEqual([[0x40, ...page(fb, 1)]]);
    // An unchanged frame sends nothing.
    t.display.show(fb);
    t.bus.drain();
    expect(t.bus.take()).toEqual([]);
  });

  it('sends one write per run of changed pages', () => {
    const t = running();
    const fb = new Framebuffer();
    for (const y of [0, 8, 40]) fb.set(1, y, true); // pages 0, 1 and 5
    t.display.show(fb);
    t.bus.drain();
    expect(t.bus.take()).toEqual([
      [0x00, 0x21, 0x00, 0x7f, 0x22, 0x00, 0x01],
      [0x40, ...page(fb, 0), ...page(fb, 1)],
      [0x00, 0x21, 0x00, 0x7f, 0x22, 0x05, 0x05],
      [0x40, ...page(fb, 5)],
    ]);
  });

  it('goes back to one full write, window reset first, when every page changed', () => {
    const t = running();
    const fb = new Framebuffer();
    fb.set(0, 8, true);
    t.display.show(fb);
    t.bus.drain();
    t.bus.take();
    fb.bytes.fill(0xff);
    t.display.show(fb);
    t.bus.drain();
    const writes = t.bus.take();
    expect(writes[0]).toEqual([0x00, 0x21, 0x00, 0x7f, 0x22, 0x00, 0x07]);
    expect(writes[1]).toHaveLength(1025);
    expect(writes).toHaveLength(2);
  });

  it('chooses partial or full by bus cost', () => {
    const full = { first: 0, last: 7 };
    expect(TRANSACTION_OVERHEAD).toBe(64);
    expect(runsOf([0, 1, 2, 4, 6, 7])).toEqual([
      { first: 0, last: 2 },
      { first: 4, last: 4 },
      { first: 6, last: 7 },
    ]);
    // One page: ~200 byte-times instead of ~1100.
    expect(busCost([{ first: 3, last: 3 }], full)).toBe(64 + 7 + 64 + 1 + 128);
    expect(busCost([full], full)).toBe(64 + 1025);
    const table: [number[], 'partial' | 'full'][] = [
      [[], 'partial'],
      [[3], 'partial'],
      [[0, 1, 2, 3, 4, 5, 6], 'partial'], // one run of 7 pages
      [[0, 2, 4, 6], 'partial'],
      [[0, 1, 2, 3, 4, 5, 6, 7], 'full'],
      [[0, 1, 2, 4, 5, 6, 7], 'full'], // 7 pages in two runs
      [[0, 2, 4, 6, 7], 'full'],
      [[0, 1, 3, 4, 6, 7], 'full'], // 6 pages in three runs
    ];
    for (const [changed, expected] of table) {
      const runs = planRuns(changed, full);
      const kind = runs.length === 1 && runs[0]?.first === 0 && runs[0]?.last === 7 ? 'full' : 'partial';
      expect({ changed, kind }).toEqual({ changed, kind: expected });
    }
  });

  it('sends contrast and power commands', () => {
    const t = running();
    t.display.setContrast(0x10);
    t.bus.drain();
    t.display.setPower(false);
    t.bus.drain();
    t.display.setPower(true);
    t.bus.drain();
    t.display.setContrast(300);
    t.bus.drain();
    t.display.setContrast(300); // unchanged: nothing sent
    t.bus.drain();
    expect(t.bus.take()).toEqual([
      [0x00, 0x81, 0x10],
      [0x00, 0xae],
      [0x00, 0xaf],
      [0x00, 0x81, 0xff],
    ]);
    expect(() => t.display.setContrast(Number.NaN)).toThrow(RangeError);
  });

  it('keeps the panel dark after the first frame when it was powered off before', () => {
    const t = setup();
    t.display.setPower(false);
    t.display.show(new Framebuffer());
    t.bus.drain();
    expect(t.bus.writes.some((w) => w.bytes[1] === 0xaf && w.bytes.length === 2)).toBe(false);
  });

  it('never has two writes in flight, and sends only the latest of frames that come faster than the bus', () => {
    const t = setup();
    // Init is on the bus; three frames arrive meanwhile.
    const frames = [1, 2, 3].map((v) => {
      const fb = new Framebuffer();
      fb.bytes.fill(v);
      return fb;
    });
    for (const fb of frames) t.display.show(fb);
    expect(t.bus.inFlight).toBe(1);
    t.bus.drain();
    const data = t.bus.writes.filter((w) => w.bytes[0] === 0x40);
    expect(data).toHaveLength(1);
    expect(data[0]?.bytes[1]).toBe(3);
    // A stream of frames, each changing one page, while every write is slow.
    t.bus.take();
    for (let i = 0; i < 200; i++) {
      const fb = new Framebuffer();
      fb.bytes.fill(3);
      fb.set(i % 128, 0, (i & 1) === 0);
      t.display.show(fb);
      if (i % 10 === 0) t.bus.completeOne();
    }
    t.bus.drain();
    expect(t.bus.maxInFlight).toBe(1);
    expect(t.bus.writes.length).toBeLessThan(60);
    // What the panel got last is the last frame.
    const last = new Framebuffer();
    last.bytes.fill(3);
    last.set(199 % 128, 0, false);
    expect(t.bus.writes.at(-1)?.bytes).toEqual([0x40, ...page(last, 0)]);
  });

  for (const [code, expected] of [
    ['ENOENT', 'DISPLAY_BUS_MISSING'],
    ['EREMOTEIO', 'DISPLAY_MISSING'],
    ['ENXIO', 'DISPLAY_MISSING'],
    ['EACCES', 'DISPLAY_ACCESS_DENIED'],
    ['ETIMEDOUT', 'DISPLAY_FAILED'],
  ] as const) {
    it(`reports ${code} once as ${expected}, then does nothing`, () => {
      const t = setup();
      t.bus.failWith = code;
      t.bus.drain();
      t.display.show(new Framebuffer());
      t.display.setContrast(1);
      t.display.setPower(false);
      t.bus.drain();
      expect(t.errors.map((e) => e.code)).toEqual([expected]);
      expect(t.bus.writes).toHaveLength(1);
      expect(t.bus.closed).toBe(true);
      // A listener that comes late still hears of it, once.
      const late: string[] = [];
      t.display.onError((e) => late.push(e.code));
      expect(late).toEqual([expected]);
    });
  }

  it('names the bus and the address in its errors', () => {
    const bus = new FakeBus();
    bus.failWith = 'EREMOTEIO';
    const display = new Ssd1306({ busNumber: 1, address: 0x3d, bus });
    const errors: KithError[] = [];
    display.onError((e) => errors.push(e));
    bus.drain();
    expect(errors[0]?.message).toContain('no display answers at 0x3d on I2C bus 1 (/dev/i2c-1)');
  });

  it('reports a write that throws instead of throwing', () => {
    const bus = new FakeBus();
    bus.throwOnWrite = true;
    const display = new Ssd1306({ busNumber: 0, bus });
    const errors: KithError[] = [];
    display.onError((e) => errors.push(e));
    display.show(new Framebuffer());
    expect(errors.map((e) => e.code)).toEqual(['DISPLAY_FAILED']);
  });

  it('closes the bus only after the write in flight, and sends nothing after close', () => {
    const t = setup();
    t.display.close();
    expect(t.bus.closed).toBe(false);
    t.bus.drain();
    expect(t.bus.closed).toBe(true);
    t.display.show(new Framebuffer());
    t.display.setPower(false);
    expect(t.bus.writes).toHaveLength(1);
    t.display.close();
  });

  it('refuses options and frames it cannot use', () => {
    const bus = new FakeBus();
    expect(() => new Ssd1306({ busNumber: -1, bus })).toThrow(
      expect.objectContaining({ code: 'HAL_BAD_OPTION' }),
    );
    expect(() => new Ssd1306({ busNumber: 0, address: 0x80, bus })).toThrow(
      expect.objectContaining({ code: 'HAL_BAD_OPTION' }),
    );
    const t = setup();
    expect(() => t.display.show(new Framebuffer(64, 32))).toThrow(RangeError);
  });

  it('reports a bus that does not exist through the real i2c-bus, not as a throw', async () => {
    // i2c-bus opens /dev/i2c-N on the first write; no machine running the tests has bus 250.
    const display = new Ssd1306({ busNumber: 250 });
    const error = await new Promise<KithError>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no error within 10 s')), 10_000);
      display.onError((e) => {
        clearTimeout(timer);
        resolve(e);
      });
    });
    expect(error.code).toBe('DISPLAY_BUS_MISSING');
    display.show(new Framebuffer());
    display.close();
  });
});
