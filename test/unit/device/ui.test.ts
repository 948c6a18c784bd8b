// The device UI driven like a device: button events in, a fake DeviceApi moving the call, a
// VirtualClock for every timer; the screen is checked against the pure screen functions, the
// display's power and contrast and the LEDs against virtual time.
import { describe, expect, it } from 'vitest';
import type { DeviceContact } from '../../../src/device/api.js';
import { drawCalling, type CallingModel } from '../../../src/device/screens/calling.js';
import { drawContacts } from '../../../src/device/screens/contacts.js';
import { drawEnded, type EndedModel } from '../../../src/device/screens/ended.js';
import { drawError } from '../../../src/device/screens/error.js';
import { drawIdle } from '../../../src/device/screens/idle.js';
import { drawInCall, type InCallModel } from '../../../src/device/screens/in-call.js';
import { drawIncoming } from '../../../src/device/screens/incoming.js';
import { drawPairing, type PairingModel } from '../../../src/device/screens/pairing.js';
import { BRIGHT_CONTRAST, DeviceUi, DIM_CONTRAST, type DeviceUiOptions } from '../../../src/device/ui.js';
import { Framebuffer } from '../../../src/hal/framebuffer.js';
import { VirtualClock } from '../../../src/sim/virtual-clock.js';
import { contact, FakeApi, FakeDisplay, FakeLeds, IDLE_CALL, kithError } from './fakes.js';

const FIVE = ['Alice', 'Bob', 'Carol', 'Dmitri', 'Eve'].map((name) => contact(name, name !== 'Carol'));
/** 09:41:00 UTC. */
const EPOCH = Date.UTC(2025, 5, 14, 9, 41, 0);

function setup(options: Partial<DeviceUiOptions> = {}, contacts: DeviceContact[] = FIVE) {
  const clock = new VirtualClock({ epochMs: EPOCH });
  const api = new FakeApi(clock, contacts);
  const display = new FakeDisplay(clock);
  const leds = new FakeLeds(clock);
  const ui = new DeviceUi({ clock, display, leds, api, ...options });
  ui.start();
  const render = <M>(draw: (frame: Framebuffer, model: M) => void, model: M): Uint8Array => {
    const frame = new Framebuffer();
    draw(frame, model);
    return frame.bytes;
  };
  const screens = {
    idle: (utcOffsetMinutes = 0) =>
      render(drawIdle, {
        deviceName: 'Kith-7F3A',
        network: api.network(),
        contactCount: api.contactList.length,
        wallTime: clock.wallTime(),
        utcOffsetMinutes,
      }),
    contacts: (cursor: number) => render(drawContacts, { contacts: api.contactList, cursor }),
    calling: (model: CallingModel) => render(drawCalling, model),
    incoming: (contactName: string) => render(drawIncoming, { contactName }),
    inCall: (model: InCallModel) => render(drawInCall, model),
    ended: (model: EndedModel) => render(drawEnded, model),
    error: (message: string) => render(drawError, { message }),
    pairing: (model: PairingModel) => render(drawPairing, model),
  };
  return { clock, api, display, leds, ui, screens };
}

describe('DeviceUi navigation', () => {
  it('goes idle -> contacts -> UP -> SELECT, which calls the contact under the cursor', () => {
    const { api, ui, screens } = setup();
    expect(ui.frame.bytes).toEqual(screens.idle());
    ui.handle('SELECT');
    expect(ui.frame.bytes).toEqual(screens.contacts(0));
    ui.handle('UP');
    expect(ui.frame.bytes).toEqual(screens.contacts(1));
    ui.handle('SELECT');
    expect(api.actions).toEqual(['startCall bob-id']);
    expect(ui.frame.bytes).toEqual(screens.calling({ contactName: 'Bob', peerRinging: false }));
    api.setCall({ peerRinging: true });
    expect(ui.frame.bytes).toEqual(screens.calling({ contactName: 'Bob', peerRinging: true }));
  });

  it('wraps UP from the last contact to the first, goes back with UP_LONG, and BACK returns to idle', () => {
    const { ui, screens } = setup();
    ui.handle('SELECT');
    for (let i = 0; i < 4; i++) ui.handle('UP');
    expect(ui.frame.bytes).toEqual(screens.contacts(4));
    ui.handle('UP');
    expect(ui.frame.bytes).toEqual(screens.contacts(0));
    ui.handle('UP_LONG');
    expect(ui.frame.bytes).toEqual(screens.contacts(4));
    ui.handle('BACK');
    expect(ui.frame.bytes).toEqual(screens.idle());
    // The cursor is kept for the next visit.
    ui.handle('SELECT_LONG');
    expect(ui.frame.bytes).toEqual(screens.contacts(4));
  });

  it('does nothing on SELECT with no contacts yet', () => {
    const { api, ui, screens } = setup({}, []);
    ui.handle('SELECT');
    ui.handle('UP');
    ui.handle('SELECT');
    expect(api.actions).toEqual([]);
    expect(ui.frame.bytes).toEqual(screens.contacts(0));
  });

  it('shows an incoming call over the contacts; SELECT answers, the duration runs, BACK hangs up', () => {
    const { api, clock, ui, screens } = setup({ endedScreenMs: 3000 });
    ui.handle('SELECT');
    ui.handle('UP');
    api.ring('Alice');
    expect(ui.frame.bytes).toEqual(screens.incoming('Alice'));
    ui.handle('SELECT');
    expect(api.actions).toEqual(['answer']);
    expect(ui.frame.bytes).toEqual(screens.inCall({ contactName: 'Alice', durationMs: 0, mos: null }));
    clock.advance(83_000);
    api.setCall({ mos: 3.8 });
    expect(ui.frame.bytes).toEqual(screens.inCall({ contactName: 'Alice', durationMs: 83_000, mos: 3.8 }));
    // SELECT in a call does nothing: only BACK hangs up.
    ui.handle('SELECT');
    ui.handle('SELECT_LONG');
    expect(api.actions).toEqual(['answer']);
    ui.handle('BACK');
    expect(api.actions).toEqual(['answer', 'hangup']);
    const ended = {
      contactName: 'Alice',
      reason: 'hangup-local',
      direction: 'incoming',
      answered: true,
    } as const;
    expect(ui.frame.bytes).toEqual(screens.ended(ended));
    clock.advance(2999);
    expect(ui.frame.bytes).toEqual(screens.ended(ended));
    clock.advance(1);
    // The call ended from the contacts screen, but a call returns navigation to idle.
    expect(ui.frame.bytes).toEqual(screens.idle());
    api.setCall(IDLE_CALL);
    expect(ui.frame.bytes).toEqual(screens.idle());
  });

  it('rejects an incoming call with BACK and says so', () => {
    const { api, ui, screens } = setup();
    api.ring('Eve');
    ui.handle('BACK');
    expect(api.actions).toEqual(['reject']);
    expect(ui.frame.bytes).toEqual(
      screens.ended({ contactName: 'Eve', reason: 'rejected', direction: 'incoming', answered: false }),
    );
  });

  it('shows why an outgoing call ended when it goes straight back to idle, and SELECT leaves early', () => {
    const { api, ui, screens } = setup();
    ui.handle('SELECT');
    ui.handle('SELECT');
    api.setCall({ ...IDLE_CALL, endReason: 'busy' });
    expect(ui.frame.bytes).toEqual(
      screens.ended({ contactName: 'Alice', reason: 'busy', direction: 'outgoing', answered: false }),
    );
    ui.handle('SELECT');
    expect(ui.frame.bytes).toEqual(screens.idle());
  });

  it('hangs up a call that is still calling with BACK_LONG too', () => {
    const { api, ui } = setup();
    ui.handle('SELECT');
    ui.handle('SELECT');
    ui.handle('UP');
    ui.handle('BACK_LONG');
    expect(api.actions).toEqual(['startCall alice-id', 'hangup']);
  });

  it('shows an api error until BACK, or until errorScreenMs passes', () => {
    const { api, clock, ui, screens } = setup({ errorScreenMs: 5000 });
    ui.handle('SELECT');
    api.failNext = kithError();
    ui.handle('SELECT');
    expect(ui.frame.bytes).toEqual(screens.error('a call is already in progress'));
    ui.handle('BACK');
    expect(ui.frame.bytes).toEqual(screens.contacts(0));
    api.failNext = new Error('socket closed');
    ui.handle('SELECT');
    expect(ui.frame.bytes).toEqual(screens.error('socket closed'));
    clock.advance(4999);
    expect(ui.frame.bytes).toEqual(screens.error('socket closed'));
    clock.advance(1);
    expect(ui.frame.bytes).toEqual(screens.contacts(0));
  });

  it('shows an error from hanging up over the call, and the call again after it', () => {
    const { api, ui, screens } = setup();
    ui.handle('SELECT');
    ui.handle('SELECT');
    api.failNext = kithError();
    ui.handle('BACK');
    expect(ui.frame.bytes).toEqual(screens.error('a call is already in progress'));
    ui.handle('BACK');
    expect(ui.frame.bytes).toEqual(screens.calling({ contactName: 'Alice', peerRinging: false }));
  });

  it('lets an incoming call replace the error screen', () => {
    const { api, ui, screens } = setup();
    ui.handle('SELECT');
    api.failNext = kithError();
    ui.handle('SELECT');
    api.ring('Bob');
    expect(ui.frame.bytes).toEqual(screens.incoming('Bob'));
  });

  it('shows the idle time at the configured offset from UTC', () => {
    const { ui, screens } = setup({ utcOffsetMinutes: -300 });
    expect(ui.frame.bytes).toEqual(screens.idle(-300));
    expect(ui.frame.bytes).not.toEqual(screens.idle(0));
  });
});

describe('DeviceUi redraws', () => {
  it('sends a frame to the display only when it changed', () => {
    // Long dim and sleep times: a press that only wakes the display would hide what this checks.
    const { clock, display, ui } = setup({ dimAfterMs: 600_000, sleepAfterMs: 600_000 }, [contact('Solo')]);
    expect(display.shown).toHaveLength(1);
    ui.handle('BACK');
    ui.handle('UP');
    expect(display.shown).toHaveLength(1);
    // Idle ticks every second, but HH:MM changes at 09:42:00 only.
    clock.advance(59_999);
    expect(display.shown).toHaveLength(1);
    clock.advance(1);
    expect(display.shown).toHaveLength(2);
    expect(display.shown[1]).toEqual(ui.frame.bytes);
    ui.handle('SELECT');
    expect(display.shown).toHaveLength(3);
    // One contact: UP wraps onto itself, nothing changes.
    ui.handle('UP');
    expect(display.shown).toHaveLength(3);
  });

  it('redraws the call duration each second and nothing in between', () => {
    const { api, clock, display, ui } = setup();
    api.ring('Alice');
    clock.advance(250);
    ui.handle('SELECT');
    const before = display.shown.length;
    clock.advance(999);
    expect(display.shown).toHaveLength(before);
    clock.advance(1);
    expect(display.shown).toHaveLength(before + 1);
    clock.advance(10_000);
    expect(display.shown).toHaveLength(before + 11);
  });
});

describe('DeviceUi display power', () => {
  it('dims, then sleeps without input; a press while dimmed acts, a press while off only wakes', () => {
    const { clock, display, ui, screens } = setup({ dimAfterMs: 10_000, sleepAfterMs: 30_000 });
    expect(display.log).toEqual(['0 power on', `0 contrast ${BRIGHT_CONTRAST}`]);
    clock.advance(9_999);
    expect(display.contrast).toBe(BRIGHT_CONTRAST);
    clock.advance(1);
    expect(display.log.at(-1)).toBe(`10000 contrast ${DIM_CONTRAST}`);
    clock.advance(5_000);
    ui.handle('SELECT');
    expect(display.log.at(-1)).toBe(`15000 contrast ${BRIGHT_CONTRAST}`);
    expect(ui.frame.bytes).toEqual(screens.contacts(0));
    clock.advance(30_000);
    expect(display.log.slice(-2)).toEqual([`25000 contrast ${DIM_CONTRAST}`, '45000 power off']);
    ui.handle('UP');
    expect(display.log.slice(-2)).toEqual(['45000 power on', `45000 contrast ${BRIGHT_CONTRAST}`]);
    expect(ui.frame.bytes).toEqual(screens.contacts(0));
    ui.handle('UP');
    expect(ui.frame.bytes).toEqual(screens.contacts(1));
  });

  it('wakes for an incoming call, stays awake while it rings, then counts idle time from its end', () => {
    const { api, clock, display, ui } = setup({ dimAfterMs: 10_000, sleepAfterMs: 30_000 });
    clock.advance(30_000);
    expect(display.power).toBe(false);
    api.ring('Alice');
    expect([display.power, display.contrast]).toEqual([true, BRIGHT_CONTRAST]);
    clock.advance(120_000);
    expect([display.power, display.contrast]).toEqual([true, BRIGHT_CONTRAST]);
    // The display was on, so this press answers.
    ui.handle('SELECT');
    expect(api.actions).toEqual(['answer']);
    clock.advance(9_999);
    expect(display.contrast).toBe(BRIGHT_CONTRAST);
    clock.advance(1);
    expect(display.contrast).toBe(DIM_CONTRAST);
  });
});

describe('DeviceUi LEDs', () => {
  const blinks = (on: number, off: number, times: number) => ('1'.repeat(on) + '0'.repeat(off)).repeat(times);

  it('blinks green briefly every 5 s when idle', () => {
    const { clock, leds } = setup();
    // 10 ms samples: 80 ms on, 4920 ms off.
    expect(leds.sample(clock, 'green', 15_000, 10)).toBe(blinks(8, 492, 3));
    // Red was set off once, at the start, and never touched again.
    expect(leds.writes.filter(([, led]) => led === 'red')).toEqual([[0, 'red', false]]);
  });

  it('blinks green 500/500 while calling, red 125/125 while ringing, green steady in a call', () => {
    const { api, clock, leds, ui } = setup();
    ui.handle('SELECT');
    ui.handle('SELECT');
    expect(leds.sample(clock, 'green', 3000, 50)).toBe(blinks(10, 10, 3));
    expect(leds.state.red).toBe(false);
    ui.handle('BACK');
    api.setCall(IDLE_CALL);
    clock.advance(10_000);
    api.ring('Bob');
    expect(leds.state.green).toBe(false);
    expect(leds.sample(clock, 'red', 1000, 25)).toBe(blinks(5, 5, 4));
    ui.handle('SELECT');
    expect(leds.sample(clock, 'green', 20_000, 100)).toBe('1'.repeat(200));
    expect(leds.state.red).toBe(false);
  });

  it('holds red for 3 s on an error, and restarts it for a second error', () => {
    const { api, clock, leds, ui } = setup({ errorScreenMs: 10_000 });
    ui.handle('SELECT');
    api.failNext = kithError();
    ui.handle('SELECT');
    expect(leds.sample(clock, 'red', 4000, 100)).toBe('1'.repeat(30) + '0'.repeat(10));
    ui.handle('BACK');
    api.failNext = kithError();
    ui.handle('SELECT');
    expect(leds.state.red).toBe(true);
    api.failNext = kithError();
    clock.advance(2000);
    ui.handle('BACK');
    ui.handle('SELECT');
    expect(leds.sample(clock, 'red', 4000, 100)).toBe('1'.repeat(30) + '0'.repeat(10));
  });
});

describe('DeviceUi showPairing', () => {
  const check = { code: '123456', peerName: 'Kith-B2C9' };

  it('shows the code and resolves true on SELECT, then returns to the screen before', async () => {
    const { ui, screens } = setup();
    const answer = ui.showPairing(check);
    expect(ui.frame.bytes).toEqual(screens.pairing(check));
    ui.handle('UP');
    ui.handle('SELECT');
    await expect(answer).resolves.toBe(true);
    expect(ui.frame.bytes).toEqual(screens.idle());
  });

  it('resolves false on BACK and on the timeout', async () => {
    const { clock, ui } = setup({ pairingTimeoutMs: 60_000 });
    const back = ui.showPairing(check);
    ui.handle('BACK');
    await expect(back).resolves.toBe(false);
    let settled: boolean | null = null;
    void ui.showPairing(check).then((v) => (settled = v));
    clock.advance(59_999);
    await Promise.resolve();
    expect(settled).toBeNull();
    clock.advance(1);
    await Promise.resolve();
    expect(settled).toBe(false);
  });

  it('answers an open check false when a newer one comes or the UI closes', async () => {
    const { clock, ui, screens } = setup();
    const first = ui.showPairing(check);
    const second = ui.showPairing({ code: '654321', peerName: 'Other' });
    await expect(first).resolves.toBe(false);
    expect(ui.frame.bytes).toEqual(screens.pairing({ code: '654321', peerName: 'Other' }));
    ui.close();
    await expect(second).resolves.toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('wakes a sleeping display and keeps it awake', () => {
    const { clock, display, ui } = setup({ dimAfterMs: 1000, sleepAfterMs: 2000, pairingTimeoutMs: 60_000 });
    clock.advance(2000);
    expect(display.power).toBe(false);
    void ui.showPairing(check);
    expect([display.power, display.contrast]).toEqual([true, BRIGHT_CONTRAST]);
    clock.advance(50_000);
    expect([display.power, display.contrast]).toEqual([true, BRIGHT_CONTRAST]);
  });

  it('gives way to an incoming call and comes back after it', () => {
    const { api, clock, ui, screens } = setup({ endedScreenMs: 1000 });
    void ui.showPairing(check);
    api.ring('Alice');
    expect(ui.frame.bytes).toEqual(screens.incoming('Alice'));
    ui.handle('BACK');
    clock.advance(1000);
    expect(ui.frame.bytes).toEqual(screens.pairing(check));
  });

  it('refuses a code that is not six digits, and answers false when not running', async () => {
    const { ui } = setup();
    await expect(ui.showPairing({ code: '12345', peerName: 'x' })).rejects.toMatchObject({
      code: 'DEVICE_BAD_PAIRING_CODE',
    });
    await expect(ui.showPairing({ code: '12a456', peerName: 'x' })).rejects.toMatchObject({
      code: 'DEVICE_BAD_PAIRING_CODE',
    });
    ui.close();
    await expect(ui.showPairing(check)).resolves.toBe(false);
  });
});

describe('DeviceUi lifecycle', () => {
  it('close unsubscribes, turns the LEDs off, leaves no timer, and ignores later input', () => {
    const { api, clock, display, leds, ui } = setup();
    ui.handle('SELECT');
    ui.handle('SELECT');
    api.setCall({ state: 'active', answeredAt: clock.wallTime() });
    expect(leds.state.green).toBe(true);
    ui.close();
    expect(api.listeners).toBe(0);
    expect(clock.pending).toBe(0);
    expect(leds.state).toEqual({ green: false, red: false });
    const shown = display.shown.length;
    ui.handle('BACK');
    expect(api.actions).toEqual(['startCall alice-id']);
    expect(display.shown).toHaveLength(shown);
    ui.close();
  });

  it('starts once', () => {
    const { ui } = setup();
    expect(() => ui.start()).toThrow(expect.objectContaining({ code: 'DEVICE_UI_MISUSE' }));
    ui.close();
    expect(() => ui.start()).toThrow(expect.objectContaining({ code: 'DEVICE_UI_MISUSE' }));
  });

  it('drops input before start', () => {
    const clock = new VirtualClock();
    const api = new FakeApi(clock, FIVE);
    const display = new FakeDisplay(clock);
    const ui = new DeviceUi({ clock, display, leds: new FakeLeds(clock), api });
    ui.handle('SELECT');
    expect(display.shown).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it.each([
    [{ dimAfterMs: 0 }],
    [{ sleepAfterMs: Number.NaN }],
    [{ endedScreenMs: -1 }],
    [{ errorScreenMs: Infinity }],
    [{ pairingTimeoutMs: 0 }],
    [{ dimAfterMs: 20_000, sleepAfterMs: 10_000 }],
    [{ utcOffsetMinutes: 90.5 }],
    [{ utcOffsetMinutes: 15 * 60 }],
  ])('refuses options %j', (options) => {
    const clock = new VirtualClock();
    const make = () =>
      new DeviceUi({
        clock,
        display: new FakeDisplay(clock),
        leds: new FakeLeds(clock),
        api: new FakeApi(clock, []),
        ...options,
      });
    expect(make).toThrow(expect.objectContaining({ code: 'DEVICE_BAD_OPTION' }));
  });
});
