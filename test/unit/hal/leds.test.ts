// The gpio-leds driver against a temporary directory laid out like /sys/class/leds.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KithError } from '../../../src/errors.js';
import { SysfsLeds } from '../../../src/hal/sysfs-leds.js';
import { tmpDir } from '../../helpers/tmp.js';

const names = { green: 'kith:green:status', red: 'kith:red:alert' };

/** A leds class directory with these LEDs (name -> max_brightness), each with a trigger set. */
function ledsDir(leds: Record<string, string>): string {
  const dir = tmpDir('kith-leds-');
  for (const [name, max] of Object.entries(leds)) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'max_brightness'), `${max}\n`);
    writeFileSync(join(dir, name, 'brightness'), '1\n');
    writeFileSync(join(dir, name, 'trigger'), '[heartbeat]\n');
  }
  return dir;
}

const read = (dir: string, name: string, file: string) => readFileSync(join(dir, name, file), 'utf8');

describe('SysfsLeds', () => {
  it('takes the LEDs over (trigger none, off), writes max_brightness for on, and leaves them off', () => {
    const dir = ledsDir({ 'kith:green:status': '1', 'kith:red:alert': '255' });
    const leds = new SysfsLeds({ names, ledsDir: dir });
    const errors: KithError[] = [];
    leds.onError((e) => errors.push(e));
    for (const name of Object.values(names)) {
      expect(read(dir, name, 'trigger')).toBe('none');
      expect(read(dir, name, 'brightness')).toBe('0');
    }
    leds.set('green', true);
    leds.set('red', true);
    expect(read(dir, names.green, 'brightness')).toBe('1');
    expect(read(dir, names.red, 'brightness')).toBe('255');
    leds.set('red', false);
    expect(read(dir, names.red, 'brightness')).toBe('0');
    leds.close();
    expect(read(dir, names.green, 'brightness')).toBe('0');
    leds.close();
    expect(errors).toEqual([]);
  });

  it('reports a missing LED once and keeps the other working', () => {
    const dir = ledsDir({ 'kith:green:status': '1' });
    const leds = new SysfsLeds({ names, ledsDir: dir });
    const errors: KithError[] = [];
    leds.onError((e) => errors.push(e));
    leds.set('red', true);
    leds.set('green', true);
    expect(errors.map((e) => e.code)).toEqual(['LEDS_MISSING']);
    expect(errors[0]?.message).toContain('the red LED "kith:red:alert" does not exist');
    expect(read(dir, names.green, 'brightness')).toBe('1');
  });

  it('reports a malformed max_brightness', () => {
    const dir = ledsDir({ 'kith:green:status': '0', 'kith:red:alert': '1' });
    const errors: string[] = [];
    new SysfsLeds({ names, ledsDir: dir }).onError((e) => errors.push(e.code));
    expect(errors).toEqual(['LEDS_FAILED']);
  });

  it('reports a write that fails once, then stops writing that LED', () => {
    const dir = ledsDir({ 'kith:green:status': '1', 'kith:red:alert': '1' });
    const leds = new SysfsLeds({ names, ledsDir: dir });
    const errors: string[] = [];
    leds.onError((e) => errors.push(e.code));
    // The LED went away under us: brightness is now a directory, so the write fails (EISDIR).
    const brightness = join(dir, names.green, 'brightness');
    rmSync(brightness);
    mkdirSync(brightness);
    leds.set('green', true);
    leds.set('green', false);
    leds.set('green', true);
    leds.set('red', true);
    expect(errors).toEqual(['LEDS_FAILED']);
    expect(read(dir, names.red, 'brightness')).toBe('1');
  });
});
