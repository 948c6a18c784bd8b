// Board profiles (DESIGN §5): which pins carry the buttons and LEDs, what the kernel overlay calls
// them, where the display is, which ALSA devices reach the headset and how much Opus the CPU can
// afford, as data in hardware/boards/*.json. This module loads a profile and validates it: a bad one
// stops the service with one KithError naming the file, each bad key, the value found and what is
// allowed, as the config does (src/config/load.ts).
//
// Key codes are by name (KEY_UP ...) with their numbers from the kernel's
// include/uapi/linux/input-event-codes.h, because the overlays must use numbers (armbian-add-overlay
// runs dtc without the C preprocessor) and a name is what a person checks against the .dts.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { explainIssues } from '../config/explain.js';
import { KithError } from '../errors.js';
import type { ButtonId } from './buttons.js';
import { BUTTONS } from './buttons.js';
import { LEDS } from './leds.js';

/** The keys a profile may give a button (input-event-codes.h). */
export const KEY_CODES = {
  KEY_ESC: 1,
  KEY_ENTER: 28,
  KEY_HOME: 102,
  KEY_UP: 103,
  KEY_LEFT: 105,
  KEY_RIGHT: 106,
  KEY_DOWN: 108,
  KEY_POWER: 116,
  KEY_MENU: 139,
  KEY_PROG1: 148,
  KEY_BACK: 158,
  KEY_OK: 0x160,
  KEY_SELECT: 0x161,
} as const;

export type KeyName = keyof typeof KEY_CODES;

const keyNames = Object.keys(KEY_CODES) as [KeyName, ...KeyName[]];

/** A physical pin of the 40-pin (Raspberry Pi) or 24-pin (NanoPi NEO Air) header. */
const headerPin = z.int().min(1).max(40);

/** Where a signal is: the header pin, its SoC name, and the GPIO controller line behind it. */
const gpioLine = {
  header_pin: headerPin,
  /** The SoC's name for the pin, for people: "PG11", "GPIO17". */
  soc_gpio: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,16}$/, { message: 'must be a pin name like "PG11" or "GPIO17"' }),
  /** gpiochip labels (/sys/class/gpio/gpiochip*\/label), first present wins: one per SoC covered. */
  gpiochip: z.array(z.string().min(1).max(64)).min(1).max(4),
  /** Offset of the line in that controller (H3: bank * 32 + pin; Raspberry Pi: the BCM number). */
  line: z.int().min(0).max(1023),
};

const button = z.strictObject({ ...gpioLine, key: z.enum(keyNames) });

const sim = z.strictObject({ driver: z.literal('sim') });

const buttons = z.discriminatedUnion('driver', [
  sim,
  z.strictObject({
    /** evdev: the kernel's gpio-keys through our overlay; gpio: onoff, where no overlay is installed. */
    driver: z.enum(['evdev', 'gpio']),
    /** The input device name the overlay gives (its gpio-keys node's label). */
    input_name: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'must be 1-64 of A-Z a-z 0-9 _ . : -' }),
    /** The overlay's debounce-interval, in ms (the kernel's debounce, before the input broker's). */
    debounce_ms: z.int().min(0).max(100),
    /** Buttons connect the pin to ground when pressed. */
    active_low: z.boolean(),
    /** The bias the overlay sets (sysfs GPIO cannot set one; see gpio-buttons.ts). */
    pull: z.enum(['up', 'down', 'none']),
    up: button,
    select: button,
    back: button,
  }),
]);

const led = z.strictObject({
  ...gpioLine,
  /** The LED class name the overlay gives it: /sys/class/leds/<class_name>. */
  class_name: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'must be 1-64 of A-Z a-z 0-9 _ . : -' }),
  /** The LED lights when the pin is low. */
  active_low: z.boolean(),
});

const leds = z.discriminatedUnion('driver', [
  sim,
  z.strictObject({
    /** sysfs: the kernel's gpio-leds through our overlay; gpio: onoff, where no overlay is installed. */
    driver: z.enum(['sysfs', 'gpio']),
    green: led,
    red: led,
  }),
]);

const display = z.discriminatedUnion('driver', [
  sim,
  z.strictObject({
    driver: z.literal('ssd1306'),
    /** N of /dev/i2c-N for the header's I2C pins. */
    i2c_bus: z.int().min(0).max(255),
    /** 7-bit I2C address; 60 = 0x3C (0x3D = 61 with the module's address jumper moved). */
    address: z.int().min(0x03).max(0x77),
    sda_pin: headerPin,
    scl_pin: headerPin,
    /** The module is mounted upside down. */
    rotate_180: z.boolean(),
  }),
]);

const audio = z.strictObject({
  /** ALSA PCM names for the headset (bluez-alsa's SCO PCM on the device). */
  capture_device: z.string().min(1).max(200),
  playback_device: z.string().min(1).max(200),
  /** Opus encoder complexity 0-10 this CPU can afford in a call (FIELD-NOTES "Opus"). */
  opus_complexity: z.int().min(0).max(10),
});

export const boardSchema = z
  .strictObject({
    /** The profile's name; a shipped profile's file is hardware/boards/<name>.json. */
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'must be lowercase letters, digits and -' }),
    description: z.string().min(1).max(200),
    /** Free text for people: why a choice was made, what to check. */
    notes: z.array(z.string().max(500)).max(20).optional(),
    buttons,
    leds,
    display,
    audio,
  })
  .superRefine((board, ctx) => {
    // Two signals on one header pin is a wiring mistake the profile must not make.
    const pins = new Map<number, string>();
    const claim = (pin: number, what: string, path: (string | number)[]) => {
      const other = pins.get(pin);
      if (other !== undefined) {
        ctx.addIssue({ code: 'custom', path, message: `header pin ${pin} is already used by ${other}` });
      } else pins.set(pin, what);
    };
    if (board.display.driver === 'ssd1306') {
      claim(board.display.sda_pin, 'display.sda_pin', ['display', 'sda_pin']);
      claim(board.display.scl_pin, 'display.scl_pin', ['display', 'scl_pin']);
    }
    if (board.buttons.driver !== 'sim') {
      const keys = new Map<string, string>();
      for (const id of BUTTONS) {
        const b = board.buttons[id];
        claim(b.header_pin, `buttons.${id}`, ['buttons', id, 'header_pin']);
        const other = keys.get(b.key);
        if (other !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['buttons', id, 'key'],
            message: `${b.key} is already buttons.${other}'s key`,
          });
        } else keys.set(b.key, id);
      }
    }
    if (board.leds.driver !== 'sim') {
      const names = new Map<string, string>();
      for (const id of LEDS) {
        const l = board.leds[id];
        claim(l.header_pin, `leds.${id}`, ['leds', id, 'header_pin']);
        const other = names.get(l.class_name);
        if (other !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['leds', id, 'class_name'],
            message: `already leds.${other}'s class name`,
          });
        } else names.set(l.class_name, id);
      }
    }
  });

export type Board = z.output<typeof boardSchema>;

/** The hardware/boards directory of the package this module belongs to (from src/ or dist/src/). */
export function boardsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return join(dir, 'hardware', 'boards');
}

/**
 * Loads a profile by name ("nanopi-neo-air": hardware/boards/nanopi-neo-air.json) or by path (anything
 * with a "/" or ending in .json). Throws BOARD_NOT_FOUND, BOARD_UNREADABLE or BOARD_INVALID.
 */
export function loadBoard(nameOrPath: string, options: { dir?: string } = {}): Board {
  const byPath = nameOrPath.includes('/') || nameOrPath.endsWith('.json');
  const dir = options.dir ?? boardsDir();
  const path = byPath ? resolve(nameOrPath) : join(dir, `${nameOrPath}.json`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      const known = byPath ? '' : `; known boards: ${listBoards(dir).join(', ') || 'none'}`;
      throw new KithError('BOARD_NOT_FOUND', `board profile ${path} does not exist${known}`);
    }
    throw new KithError('BOARD_UNREADABLE', `board profile ${path} cannot be read: ${code ?? String(err)}`, {
      cause: err,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new KithError(
      'BOARD_INVALID',
      `board profile ${path} is not valid JSON: ${(err as Error).message}`,
    );
  }
  const board = validateBoard(raw, path);
  // A profile found by name must say that name, so `kith doctor` and the logs name the right file.
  if (!byPath && board.name !== nameOrPath) {
    throw new KithError(
      'BOARD_INVALID',
      `board profile ${path}:\n  name = "${board.name}": must be "${nameOrPath}", its file name`,
    );
  }
  return board;
}

/** The names of the profiles in `dir`. */
export function listBoards(dir = boardsDir()): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort();
  } catch {
    return [];
  }
}

/** `raw` as a Board, or BOARD_INVALID naming `source`, each bad key, its value and what is allowed. */
export function validateBoard(raw: unknown, source: string): Board {
  const result = boardSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = explainIssues(result.error.issues, raw, { objectNoun: 'object', listNoun: 'list' });
  throw new KithError('BOARD_INVALID', `board profile ${source}:\n  ${lines.join('\n  ')}`);
}

/** The KEY_* code of each button of a profile with real buttons. */
export function keyCodes(
  buttons: Extract<Board['buttons'], { driver: 'evdev' | 'gpio' }>,
): Record<ButtonId, number> {
  return {
    up: KEY_CODES[buttons.up.key],
    select: KEY_CODES[buttons.select.key],
    back: KEY_CODES[buttons.back.key],
  };
}
