import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ButtonId } from '../../src/hal/buttons.js';
import { type Simulator, startSimulator } from '../../src/sim/simulator.js';
import { tmpDir } from '../helpers/tmp.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A short press, as a finger makes it: down, held 80 ms (past the 30 ms debounce), up. */
async function tap(device: Simulator['devices'][number], button: ButtonId): Promise<void> {
  device.hardware.buttons.press(button, true);
  await sleep(80);
  device.hardware.buttons.press(button, false);
  await sleep(40);
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('two sim devices driven through their buttons', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ devices: 2, port: 0, root: tmpDir() });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('select a contact, call, the other rings, answer, hang up', async () => {
    const [ada, bo] = sim.devices;
    if (!ada?.service.device || !bo?.service.device) throw new Error('sim devices have no UI');
    const screen = (d: typeof ada) => d.service.device?.ui.screen;
    expect(screen(ada)).toBe('idle');
    await tap(ada, 'select');
    expect(screen(ada)).toBe('contacts');
    await tap(ada, 'select'); // the only contact: Bo
    await until('Bo ringing', () => screen(bo) === 'incoming');
    expect(screen(ada)).toBe('calling');
    await until('red LED blinking on Bo', () => bo.hardware.leds.state().red);
    await tap(bo, 'select'); // answer
    await until('both in the call', () => screen(ada) === 'in-call' && screen(bo) === 'in-call');
    await until('voice flowing', () => (bo.service.calls.live().metrics?.packetsReceived ?? 0) > 20);
    expect(bo.hardware.leds.state()).toEqual({ green: true, red: false });
    await tap(ada, 'back'); // hang up
    await until(
      'both ended',
      () => bo.service.calls.live().state === 'idle' && ada.service.calls.live().state === 'idle',
    );
    expect(['ended', 'idle']).toContain(screen(bo));
    const [record] = bo.service.store.calls.list({ limit: 1 }).calls;
    expect(record).toMatchObject({ direction: 'incoming', endReason: 'hangup-remote' });
    await until('back to idle', () => screen(ada) === 'idle' && screen(bo) === 'idle', 10_000);
  });

  it('BACK declines an incoming call, and the caller sees why', async () => {
    const [ada, bo] = sim.devices;
    if (!ada || !bo) throw new Error('no devices');
    const screen = (d: typeof ada) => d.service.device?.ui.screen;
    await tap(bo, 'select');
    await tap(bo, 'select'); // Bo calls Ada
    await until('Ada ringing', () => screen(ada) === 'incoming');
    await tap(ada, 'back'); // decline
    await until('Bo sees the call ended', () => screen(bo) === 'ended');
    expect(bo.service.calls.lastEnded()?.endReason).toBe('rejected');
  });
});
