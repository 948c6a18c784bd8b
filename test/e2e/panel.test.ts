// The simulator panel in a real browser: headless Chromium opens the page served for two fake
// devices that redraw their screen on every button edge, and the test works it as a person would
// (clicks, a held button, a button left mid-press, keys), checking each canvas pixel for pixel
// against the device's framebuffer, the LEDs, the status line, the measured latency, and a
// reconnect after the server restarts. Screenshots go to test-artifacts/ for a person to look at.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OLED_HEIGHT, OLED_WIDTH } from '../../src/hal/framebuffer.js';
import { startPanel, type Panel } from '../../src/sim/panel/server.js';
import { hasChromium, launchChromium, type Chromium } from '../helpers/browser.js';
import { needs } from '../helpers/needs.js';
import { FakeDevice } from '../unit/panel/fake-device.js';

const ARTIFACTS = 'test-artifacts';

/** A device that answers every button edge with a new screen, and lights green while one is down. */
function answeringDevice(id: string, name: string, seed: number): FakeDevice {
  const device = new FakeDevice(id, name);
  let edges = 0;
  device.onPress = (_button, pressed) => {
    device.ledState = { green: pressed, red: false };
    device.drawPattern(seed + ++edges);
  };
  device.drawPattern(seed);
  return device;
}

/** The framebuffer as text, one line per row, '#' lit: a failed comparison shows where. */
function expectedPicture(device: FakeDevice): string {
  const rows: string[] = [];
  for (let y = 0; y < OLED_HEIGHT; y++) {
    let row = '';
    for (let x = 0; x < OLED_WIDTH; x++) row += device.fb.get(x, y) ? '#' : '.';
    rows.push(row);
  }
  return rows.join('\n');
}

/** The minimal DOM this test reads in the page (the test program has no DOM types). */
interface PageGlobals {
  document: {
    querySelector(selector: string): {
      width: number;
      height: number;
      getContext(kind: '2d'): {
        getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
      };
    } | null;
  };
  kithPanel: {
    latencies: { device: string; button: string; pressed: boolean; ms: number }[];
    dropped: number;
  };
}

/** The canvas of a device as text like expectedPicture, read back pixel by pixel in the page. */
async function canvasPicture(page: Page, device: string): Promise<string> {
  return page.evaluate((id) => {
    const canvas = (globalThis as unknown as PageGlobals).document.querySelector(
      `[data-device="${id}"] canvas`,
    );
    if (!canvas) return 'no canvas';
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    const rows: string[] = [];
    for (let y = 0; y < canvas.height; y++) {
      let row = '';
      for (let x = 0; x < canvas.width; x++) row += (data[(y * canvas.width + x) * 4] ?? 0) > 0 ? '#' : '.';
      rows.push(row);
    }
    return rows.join('\n');
  }, device);
}

async function panelState(page: Page): Promise<PageGlobals['kithPanel']> {
  return page.evaluate(() => {
    const p = (globalThis as unknown as PageGlobals).kithPanel;
    return { latencies: [...p.latencies], dropped: p.dropped };
  });
}

const button = (device: string, name: string) => `[data-device="${device}"] button[data-button="${name}"]`;

describe.runIf(needs('chromium', hasChromium()))('simulator panel in Chromium', () => {
  const alice = answeringDevice('alice', 'Alice', 100);
  const bob = answeringDevice('bob', 'Bob', 200);
  let panel: Panel;
  let browser: Chromium;
  let page: Page;
  /** Script errors and console errors (a failed load, a CSP refusal) while the server is up. */
  const pageErrors: string[] = [];

  /** Waits (boundedly) until the page shows exactly the device's framebuffer. */
  async function showsFrameOf(device: FakeDevice): Promise<void> {
    await expect.poll(() => canvasPicture(page, device.id), { timeout: 5000 }).toBe(expectedPicture(device));
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    panel = await startPanel({ devices: [alice, bob] });
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    await page.goto(panel.url);
    await page.waitForSelector('body[data-connection="open"]');
  });

  afterAll(async () => {
    await browser?.close();
    await panel?.close();
  });

  it('draws every device pixel for pixel, with its keys on its buttons', async () => {
    await showsFrameOf(alice);
    await showsFrameOf(bob);
    expect(await page.locator('[data-device="alice"] h2').textContent()).toBe('Alice');
    expect(await page.locator(`${button('alice', 'up')} kbd`).textContent()).toBe('1');
    expect(await page.locator(`${button('bob', 'back')} kbd`).textContent()).toBe('0');
    await page.screenshot({ path: `${ARTIFACTS}/panel.png`, fullPage: true });
  });

  it('a click presses and releases the button, and the new screen appears', async () => {
    alice.presses.length = 0;
    await page.click(button('alice', 'up'));
    await expect
      .poll(() => alice.presses, { timeout: 5000 })
      .toEqual([
        ['up', true],
        ['up', false],
      ]);
    await showsFrameOf(alice);
    expect(bob.presses).toEqual([]);
  });

  it('holding a button holds it on the device until the pointer comes up', async () => {
    alice.presses.length = 0;
    await page.hover(button('alice', 'select'));
    await page.mouse.down();
    await expect.poll(() => alice.presses, { timeout: 5000 }).toEqual([['select', true]]);
    await showsFrameOf(alice);
    await page.waitForSelector('[data-device="alice"] .led.green.on');
    await page.waitForSelector(`${button('alice', 'select')}.held`);
    await page.screenshot({ path: `${ARTIFACTS}/panel-held.png`, fullPage: true });
    await new Promise((r) => setTimeout(r, 400));
    expect(alice.presses).toEqual([['select', true]]);
    await page.mouse.up();
    await expect
      .poll(() => alice.presses, { timeout: 5000 })
      .toEqual([
        ['select', true],
        ['select', false],
      ]);
    await showsFrameOf(alice);
    await page.waitForSelector('[data-device="alice"] .led.green:not(.on)');
  });

  it('a pointer leaving a held button releases it', async () => {
    alice.presses.length = 0;
    await page.hover(button('alice', 'back'));
    await page.mouse.down();
    await expect.poll(() => alice.presses, { timeout: 5000 }).toEqual([['back', true]]);
    await page.hover('h1');
    await expect
      .poll(() => alice.presses, { timeout: 5000 })
      .toEqual([
        ['back', true],
        ['back', false],
      ]);
    await page.mouse.up();
    await new Promise((r) => setTimeout(r, 100));
    expect(alice.presses).toHaveLength(2);
  });

  it("keys press the second device's buttons, held while the key is; Enter clicks a focused one", async () => {
    bob.presses.length = 0;
    const alicePresses = alice.presses.length;
    await page.keyboard.press('8');
    await expect
      .poll(() => bob.presses, { timeout: 5000 })
      .toEqual([
        ['up', true],
        ['up', false],
      ]);
    await showsFrameOf(bob);
    await page.keyboard.down('9');
    await new Promise((r) => setTimeout(r, 300));
    await page.keyboard.up('9');
    await expect
      .poll(() => bob.presses, { timeout: 5000 })
      .toEqual([
        ['up', true],
        ['up', false],
        ['select', true],
        ['select', false],
      ]);
    await showsFrameOf(bob);
    expect(alice.presses).toHaveLength(alicePresses);
    await page.focus(button('bob', 'back'));
    await page.keyboard.press('Enter');
    await expect
      .poll(() => bob.presses.slice(4), { timeout: 5000 })
      .toEqual([
        ['back', true],
        ['back', false],
      ]);
    await showsFrameOf(bob);
  });

  it('measures the time from a button edge to the next frame', async () => {
    // Each edge waits for its answer, so every sample times one edge (a click's two edges a few ms
    // apart would time the release against the press's frame).
    await page.hover(button('bob', 'back'));
    for (let i = 0; i < 10; i++) {
      await page.mouse.down();
      await showsFrameOf(bob);
      await page.mouse.up();
      await showsFrameOf(bob);
    }
    const { latencies, dropped } = await panelState(page);
    const bobs = latencies.filter((l) => l.device === 'bob' && l.button === 'back');
    expect(bobs.length).toBeGreaterThanOrEqual(20);
    for (const l of latencies) expect(l.ms).toBeGreaterThan(0);
    for (const l of latencies) expect(l.ms).toBeLessThan(1000);
    expect(dropped).toBe(0);
    const ms = bobs.map((l) => l.ms).sort((a, b) => a - b);
    writeFileSync(
      `${ARTIFACTS}/panel-latency.json`,
      `${JSON.stringify({ samples: ms.length, minMs: ms[0], medianMs: ms[Math.floor(ms.length / 2)], maxMs: ms.at(-1) })}\n`,
    );
    expect(await page.locator('[data-device="bob"] .latency').textContent()).toMatch(
      /^latency: \d+\.\d ms, median/,
    );
  });

  it('shows the LEDs, the display state and the status line', async () => {
    bob.ledState = { green: false, red: true };
    bob.display = { on: false, contrast: 255 };
    alice.display = { on: true, contrast: 0 };
    alice.statusValue = {
      call: {
        state: 'active',
        durationSeconds: 65,
        metrics: { mos: 4.3, mouthToEarMs: 84.6, residualLossPercent: 0.5, networkLossPercent: 2 },
      },
      network: { label: 'online' },
    };
    alice.changed();
    bob.changed();
    await page.waitForSelector('[data-device="bob"] .led.red.on');
    await page.waitForSelector('[data-device="bob"].off');
    await expect
      .poll(() => page.locator('[data-device="alice"] .status').textContent(), { timeout: 5000 })
      .toBe('call active · 1:05 · MOS 4.30 · delay 85 ms · loss 0.5 % (net 2.0 %) · online');
    const filter = await page
      .locator('[data-device="alice"] canvas')
      .evaluate((c) => (c as unknown as { style: { filter: string } }).style.filter);
    expect(filter).toBe('brightness(0.3)');
    await page.screenshot({ path: `${ARTIFACTS}/panel-status.png`, fullPage: true });
    // The flat shape (call as its state, metrics beside it) reads the same.
    alice.statusValue = {
      call: 'active',
      contact: 'Bob',
      durationSeconds: 3600,
      metrics: { mos: 3.9, mouthToEarMs: 120, residualLossPercent: 1.25, networkLossPercent: 4 },
    };
    alice.changed();
    await expect
      .poll(() => page.locator('[data-device="alice"] .status').textContent(), { timeout: 5000 })
      .toBe('call active · with Bob · 60:00 · MOS 3.90 · delay 120 ms · loss 1.3 % (net 4.0 %)');
    bob.display = { on: true, contrast: 255 };
    alice.display = { on: true, contrast: 255 };
    alice.changed();
    bob.changed();
    await page.waitForSelector('[data-device="bob"]:not(.off)');
  });

  it('had no script error, failed load or refused resource', () => {
    expect(pageErrors).toEqual([]);
  });

  it('reconnects when the server comes back, and the buttons work again', async () => {
    const port = panel.port;
    await panel.close();
    await page.waitForSelector('body[data-connection="closed"]');
    panel = await startPanel({ devices: [alice, bob], port });
    await page.waitForSelector('body[data-connection="open"]');
    alice.drawPattern(999);
    await showsFrameOf(alice);
    alice.presses.length = 0;
    await page.keyboard.press('3');
    await expect
      .poll(() => alice.presses, { timeout: 5000 })
      .toEqual([
        ['back', true],
        ['back', false],
      ]);
    await showsFrameOf(alice);
    expect((await panelState(page)).dropped).toBe(0);
    expect(panel.stats().dropped).toEqual({
      binary: 0,
      notJson: 0,
      badShape: 0,
      badButton: 0,
      unknownDevice: 0,
      pressFailed: 0,
      socketError: 0,
      refusedUpgrade: 0,
    });
  });
});
