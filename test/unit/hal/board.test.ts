// Board profiles: the shipped ones validate and agree with their device-tree overlays and the udev
// rules; broken ones are refused with a message naming the key, the value and what is allowed.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isKithError } from '../../../src/errors.js';
import {
  type Board,
  boardsDir,
  KEY_CODES,
  keyCodes,
  listBoards,
  loadBoard,
  validateBoard,
} from '../../../src/hal/board.js';
import { BUTTONS } from '../../../src/hal/buttons.js';
import { LEDS } from '../../../src/hal/leds.js';
import { tmpDir } from '../../helpers/tmp.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const hardware = join(root, 'hardware');

function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (isKithError(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
  return '(no error)';
}

/** A profile as parsed JSON, for the tests to break in every way. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Profile = any;

const raw = (name: string): Profile =>
  JSON.parse(readFileSync(join(hardware, 'boards', `${name}.json`), 'utf8'));

describe('shipped board profiles', () => {
  it('are the NanoPi NEO Air, the Raspberry Pi and the simulator, and all validate', () => {
    expect(boardsDir()).toBe(join(hardware, 'boards'));
    expect(listBoards()).toEqual(['nanopi-neo-air', 'raspberry-pi', 'sim']);
    for (const name of listBoards()) expect(loadBoard(name).name).toBe(name);
    expect(loadBoard(join(hardware, 'boards', 'sim.json')).display.driver).toBe('sim');
  });

  it('put the display at 0x3C on the I2C bus of header pins 3 and 5', () => {
    const nanopi = loadBoard('nanopi-neo-air');
    const pi = loadBoard('raspberry-pi');
    for (const [board, bus] of [
      [nanopi, 0],
      [pi, 1],
    ] as const) {
      expect(board.display).toEqual({
        driver: 'ssd1306',
        i2c_bus: bus,
        address: 0x3c,
        sda_pin: 3,
        scl_pin: 5,
        rotate_180: false,
      });
    }
    // The H3 cannot afford what a Pi 4 can.
    expect(nanopi.audio.opus_complexity).toBeLessThan(pi.audio.opus_complexity);
  });

  it('use the H3 numbering bank * 32 + pin on the NanoPi', () => {
    const b = loadBoard('nanopi-neo-air');
    const { buttons, leds } = b;
    if (buttons.driver === 'sim' || leds.driver === 'sim') throw new Error('expected real hardware');
    const pins = [...BUTTONS.map((id) => buttons[id]), ...LEDS.map((id) => leds[id])];
    for (const p of pins) {
      const m = /^P([A-L])(\d+)$/.exec(p.soc_gpio);
      expect(m, p.soc_gpio).not.toBeNull();
      expect(p.line).toBe(((m?.[1]?.charCodeAt(0) ?? 0) - 65) * 32 + Number(m?.[2]));
    }
    expect(keyCodes(buttons)).toEqual({ up: 103, select: 28, back: 158 });
  });

  for (const name of ['nanopi-neo-air', 'raspberry-pi']) {
    it(`agree with the ${name} overlays`, () => {
      const b = loadBoard(name);
      if (b.buttons.driver === 'sim' || b.leds.driver === 'sim') throw new Error('expected real hardware');
      const dts = (file: string) => readFileSync(join(hardware, 'overlays', name, file), 'utf8');
      const node = (text: string, id: string) => {
        const m = new RegExp(`\\n\\t+${id} \\{([^}]*)\\}`).exec(text);
        if (!m?.[1]) throw new Error(`no node "${id}" in the ${name} overlay`);
        return m[1];
      };
      /** Line and flags of a node's gpios: <&pio bank pin flags> (H3) or <&gpio line flags> (Pi). */
      const gpios = (body: string) => {
        const cells = /gpios = <&\w+ ([\d ]+)>;/.exec(body)?.[1]?.split(' ').map(Number) ?? [];
        return cells.length === 3
          ? { line: (cells[0] ?? 0) * 32 + (cells[1] ?? 0), flags: cells[2] }
          : { line: cells[0], flags: cells[1] };
      };
      const keys = dts('kith-buttons.dts');
      expect(keys).toContain(`label = "${b.buttons.input_name}";`);
      expect(keys).toMatch(/\n\t+kith-buttons \{/);
      for (const id of BUTTONS) {
        const body = node(keys, id);
        const button = b.buttons[id];
        expect(gpios(body)).toEqual({ line: button.line, flags: b.buttons.active_low ? 1 : 0 });
        expect(body).toContain(`linux,code = <${KEY_CODES[button.key]}>; // ${button.key}`);
        expect(body).toContain(`debounce-interval = <${b.buttons.debounce_ms}>;`);
        expect(body).toContain(`header pin ${button.header_pin}`);
        // The pull-up fragment covers every button pin.
        expect(keys).toMatch(
          name === 'nanopi-neo-air'
            ? new RegExp(`"${button.soc_gpio}"`)
            : new RegExp(`brcm,pins = <[^>]*\\b${button.line}\\b`),
        );
      }
      const leds = dts('kith-leds.dts');
      expect(leds).toMatch(/\n\t+kith-leds \{/);
      for (const id of LEDS) {
        const body = node(leds, id);
        const led = b.leds[id];
        expect(gpios(body)).toEqual({ line: led.line, flags: led.active_low ? 1 : 0 });
        expect(body).toContain(`label = "${led.class_name}";`);
        expect(body).toContain(`header pin ${led.header_pin}`);
      }
    });
  }

  it('agree with the udev rules', () => {
    const rules = readFileSync(join(hardware, '99-kith.rules'), 'utf8');
    for (const name of ['nanopi-neo-air', 'raspberry-pi']) {
      const b = loadBoard(name);
      if (b.buttons.driver === 'sim' || b.leds.driver === 'sim') throw new Error('expected real hardware');
      expect(rules).toContain(`ATTRS{name}=="${b.buttons.input_name}"`);
      for (const id of LEDS) expect(b.leds[id].class_name.startsWith('kith:')).toBe(true);
    }
    expect(rules).toContain('KERNEL=="kith:*"');
    expect(rules).toContain('SUBSYSTEM=="i2c-dev"');
  });
});

describe('invalid board profiles', () => {
  const table: [string, (p: Profile) => void, string][] = [
    [
      'a line out of range',
      (p) => (p.buttons.up.line = 2000),
      'buttons.up.line = 2000: must be at most 1023',
    ],
    [
      'an unknown key name',
      (p) => (p.buttons.select.key = 'KEY_FOO'),
      'buttons.select.key = "KEY_FOO": must be one of "KEY_ESC"',
    ],
    [
      'an unknown driver',
      (p) => (p.buttons.driver = 'spi'),
      'buttons.driver = "spi": must be one of "sim", "evdev", "gpio"',
    ],
    [
      'an address beyond 7 bits',
      (p) => (p.display.address = 200),
      'display.address = 200: must be at most 119',
    ],
    ['a misspelt key', (p) => (p.leds.green.colour = 'green'), 'leds.green: unknown key "colour"'],
    [
      'a missing key',
      (p) => delete p.audio.opus_complexity,
      'audio.opus_complexity = (missing): must be a number',
    ],
    [
      'a fractional number',
      (p) => (p.display.i2c_bus = 0.5),
      'display.i2c_bus = 0.5: must be a whole number',
    ],
    [
      'a complexity above 10',
      (p) => (p.audio.opus_complexity = 11),
      'audio.opus_complexity = 11: must be at most 10',
    ],
    [
      'no gpiochip label',
      (p) => (p.leds.red.gpiochip = []),
      'leds.red.gpiochip = (a list): must be a list of at least 1',
    ],
    ['a bad name', (p) => (p.name = 'NanoPi'), 'name = "NanoPi": must be lowercase letters, digits and -'],
    [
      'a pin used twice',
      (p) => (p.leds.red.header_pin = 7),
      'leds.red.header_pin = 7: header pin 7 is already used by buttons.up',
    ],
    [
      'the display on a button pin',
      (p) => (p.buttons.back.header_pin = 3),
      'buttons.back.header_pin = 3: header pin 3 is already used by display.sda_pin',
    ],
    [
      'one key for two buttons',
      (p) => (p.buttons.back.key = 'KEY_UP'),
      'buttons.back.key = "KEY_UP": KEY_UP is already buttons.up\'s key',
    ],
    [
      'one LED name twice',
      (p) => (p.leds.red.class_name = 'kith:green:status'),
      'leds.red.class_name = "kith:green:status": already leds.green\'s class name',
    ],
    [
      'a slash in an LED name',
      (p) => (p.leds.red.class_name = '../brightness'),
      'leds.red.class_name = "../brightness": must be 1-64 of',
    ],
    [
      'a table where a list belongs',
      (p) => (p.buttons.up.gpiochip = { a: 1 }),
      'buttons.up.gpiochip = (an object): must be a list',
    ],
  ];

  for (const [what, mutate, expected] of table) {
    it(`refuses ${what}`, () => {
      const p = raw('nanopi-neo-air');
      mutate(p);
      const message = messageOf(() => validateBoard(p, 'test.json'));
      expect(message).toContain('BOARD_INVALID: board profile test.json:');
      expect(message).toContain(expected);
    });
  }

  it('lists every problem at once', () => {
    const p = raw('raspberry-pi');
    p.display.address = -1;
    p.audio.capture_device = '';
    const message = messageOf(() => validateBoard(p, 'x'));
    expect(message).toContain('display.address = -1: must be at least 3');
    expect(message).toContain('audio.capture_device = "": must be at least 1 characters');
  });

  it('refuses a sim part with pins', () => {
    const p = raw('sim');
    p.buttons.up = {};
    expect(messageOf(() => validateBoard(p, 'x'))).toContain('buttons: unknown key "up"');
  });

  it('names the file that is missing, unreadable, not JSON, or misnamed', () => {
    const dir = tmpDir('kith-boards-');
    expect(messageOf(() => loadBoard('orange-pi'))).toMatch(
      /^BOARD_NOT_FOUND: board profile .*hardware\/boards\/orange-pi\.json does not exist; known boards: nanopi-neo-air, raspberry-pi, sim$/,
    );
    writeFileSync(join(dir, 'broken.json'), '{ "name": ');
    expect(messageOf(() => loadBoard('broken', { dir }))).toContain(
      `BOARD_INVALID: board profile ${join(dir, 'broken.json')} is not valid JSON`,
    );
    writeFileSync(join(dir, 'copy.json'), JSON.stringify(raw('sim')));
    expect(messageOf(() => loadBoard('copy', { dir }))).toContain(
      'name = "sim": must be "copy", its file name',
    );
    // By path the name may differ: a site's own copy of a profile.
    expect(loadBoard(join(dir, 'copy.json')).name).toBe('sim');
    expect(messageOf(() => loadBoard(dir + '/'))).toMatch(/^BOARD_UNREADABLE: /);
  });

  it('types what it returns', () => {
    const b: Board = loadBoard('raspberry-pi');
    if (b.buttons.driver !== 'sim') expect(b.buttons.select.key).toBe('KEY_ENTER');
  });
});
