// Buttons from a gpio-keys input device: struct input_event records in both layouts, from byte
// streams cut anywhere and from a file standing in for /dev/input/eventN found by name in a fake
// sysfs tree.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KithError } from '../../../src/errors.js';
import type { ButtonId } from '../../../src/hal/buttons.js';
import {
  EV_KEY,
  EV_SYN,
  EvdevButtons,
  findInputDevice,
  type InputEventRecord,
  type InputEventSize,
  InputEventParser,
  inputEventSize,
  SYN_DROPPED,
  SYN_REPORT,
} from '../../../src/hal/evdev-buttons.js';
import { withTimeout } from '../../helpers/kith.js';
import { tmpDir } from '../../helpers/tmp.js';

const EV_MSC = 4;
const KEY_UP = 103;
const KEY_ENTER = 28;
const KEY_BACK = 158;
const codes = { up: KEY_UP, select: KEY_ENTER, back: KEY_BACK };

/** One struct input_event as the kernel writes it: timeval (two longs), type, code, value. */
function record(size: InputEventSize, type: number, code: number, value: number, sec = 1700000000): Buffer {
  const b = Buffer.alloc(size);
  if (size === 24) {
    b.writeBigUInt64LE(BigInt(sec), 0);
    b.writeBigUInt64LE(123456n, 8);
  } else {
    b.writeUInt32LE(sec, 0);
    b.writeUInt32LE(123456, 4);
  }
  b.writeUInt16LE(type, size - 8);
  b.writeUInt16LE(code, size - 6);
  b.writeInt32LE(value, size - 4);
  return b;
}

const key = (size: InputEventSize, code: number, value: number) =>
  Buffer.concat([record(size, EV_KEY, code, value), record(size, EV_SYN, SYN_REPORT, 0)]);

describe('input_event layout', () => {
  it('is 16 bytes for a 32-bit process and 24 for a 64-bit one', () => {
    expect(inputEventSize('arm')).toBe(16);
    expect(inputEventSize('ia32')).toBe(16);
    expect(inputEventSize('arm64')).toBe(24);
    expect(inputEventSize('x64')).toBe(24);
  });

  for (const size of [16, 24] as const) {
    it(`parses ${size}-byte records cut anywhere`, () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              type: fc.integer({ min: 0, max: 0xffff }),
              code: fc.integer({ min: 0, max: 0xffff }),
              value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
            }),
            { maxLength: 20 },
          ),
          fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
          (records, cuts) => {
            const bytes = Buffer.concat(records.map((r) => record(size, r.type, r.code, r.value)));
            const parser = new InputEventParser(size);
            const got: InputEventRecord[] = [];
            let off = 0;
            for (let i = 0; off < bytes.length; i++) {
              const n = cuts[i % cuts.length] ?? 1;
              got.push(...parser.push(bytes.subarray(off, off + n)));
              off += n;
            }
            expect(got).toEqual(records);
          },
        ),
        { numRuns: 300, seed: size },
      );
    });
  }
});

/** Runs EvdevButtons on `bytes` in a file until the file ends (reported as the device ending). */
async function readAll(bytes: Buffer, options: { recordSize: InputEventSize }) {
  const dir = tmpDir('kith-evdev-');
  const device = join(dir, 'event0');
  writeFileSync(device, bytes);
  const buttons = new EvdevButtons({ codes, device, ...options });
  const edges: [ButtonId, boolean][] = [];
  const error = await withTimeout(
    new Promise<KithError>((resolve) => buttons.start((b, p) => edges.push([b, p]), resolve)),
    10_000,
    'the driver neither read to the end nor failed',
  );
  buttons.close();
  return { edges, error };
}

describe('EvdevButtons', () => {
  for (const size of [16, 24] as const) {
    it(`maps key codes to buttons from ${size}-byte records, ignoring autorepeat and other events`, async () => {
      const bytes = Buffer.concat([
        key(size, KEY_UP, 1),
        key(size, KEY_UP, 2), // autorepeat
        key(size, KEY_UP, 2),
        record(size, EV_MSC, 4, 0x90001), // MSC_SCAN, as some drivers send
        key(size, KEY_UP, 0),
        key(size, KEY_ENTER, 1),
        key(size, 30, 1), // KEY_A: not one of ours
        key(size, KEY_ENTER, 0),
        key(size, KEY_BACK, 1),
        // The kernel's buffer overflowed: what follows up to the next report is stale.
        record(size, EV_SYN, SYN_DROPPED, 0),
        record(size, EV_KEY, KEY_UP, 1),
        record(size, EV_SYN, SYN_REPORT, 0),
        key(size, KEY_BACK, 0),
      ]);
      const { edges, error } = await readAll(bytes, { recordSize: size });
      expect(edges).toEqual([
        ['up', true],
        ['up', false],
        ['select', true],
        ['select', false],
        ['back', true],
        ['back', false],
      ]);
      expect(error.code).toBe('BUTTONS_DEVICE_FAILED');
      expect(error.message).toContain('ended');
    });
  }

  it('finds its device by name in sysfs', async () => {
    const root = tmpDir('kith-sysfs-');
    const classDir = join(root, 'class', 'input');
    const devDir = join(root, 'dev');
    mkdirSync(devDir);
    for (const [event, name] of [
      ['event0', 'sunxi-ir'],
      ['event2', 'kith-buttons'],
      ['event10', 'gpio-keys'],
    ] as const) {
      mkdirSync(join(classDir, event, 'device'), { recursive: true });
      writeFileSync(join(classDir, event, 'device', 'name'), `${name}\n`);
    }
    mkdirSync(join(classDir, 'input3')); // not an event node
    expect(findInputDevice('kith-buttons', { classDir, devDir })).toBe(join(devDir, 'event2'));
    expect(findInputDevice('gpio-keys', { classDir, devDir })).toBe(join(devDir, 'event10'));
    expect(findInputDevice('nothing', { classDir, devDir })).toBeUndefined();
    expect(findInputDevice('kith-buttons', { classDir: join(root, 'nope'), devDir })).toBeUndefined();

    const size = inputEventSize();
    writeFileSync(join(devDir, 'event2'), key(size, KEY_ENTER, 1));
    const buttons = new EvdevButtons({ codes, classDir, devDir });
    const edges: [ButtonId, boolean][] = [];
    await withTimeout(
      new Promise<KithError>((resolve) => buttons.start((b, p) => edges.push([b, p]), resolve)),
      10_000,
      'no end of the device file',
    );
    expect(edges).toEqual([['select', true]]);
  });

  it('reports a device that is not there, after start() returns and once', async () => {
    const root = tmpDir('kith-sysfs-');
    for (const options of [
      { classDir: join(root, 'class', 'input'), devDir: join(root, 'dev') },
      { device: join(root, 'dev', 'event7') },
    ]) {
      const buttons = new EvdevButtons({ codes, ...options });
      const errors: KithError[] = [];
      const failed = new Promise<void>((resolve) =>
        buttons.start(
          () => {},
          (e) => {
            errors.push(e);
            resolve();
          },
        ),
      );
      expect(errors).toEqual([]);
      await withTimeout(failed, 10_000, 'no error for a missing device');
      expect(errors.map((e) => e.code)).toEqual(['BUTTONS_DEVICE_MISSING']);
      buttons.close();
    }
  });

  it('refuses two buttons on one code, and a second start', () => {
    expect(() => new EvdevButtons({ codes: { up: 1, select: 1, back: 2 } })).toThrow(
      expect.objectContaining({ code: 'HAL_BAD_OPTION' }),
    );
    const buttons = new EvdevButtons({ codes, device: '/nonexistent/event0' });
    buttons.start(
      () => {},
      () => {},
    );
    expect(() =>
      buttons.start(
        () => {},
        () => {},
      ),
    ).toThrow(expect.objectContaining({ code: 'HAL_MISUSE' }));
    buttons.close();
  });
});
