// The whole simulator in headless Chromium, as a person uses it: open the front panel, click
// Ada's buttons to call Bo, see Bo's OLED show the incoming call (pixel for pixel), click answer,
// see both in the call, hang up. Screenshots go to test-artifacts/; the panel's own latency
// measurements (button press to the device's next frame on the canvas) are printed.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawIncoming } from '../../src/device/screens/incoming.js';
import { Framebuffer, OLED_HEIGHT, OLED_WIDTH } from '../../src/hal/framebuffer.js';
import { type Simulator, startSimulator } from '../../src/sim/simulator.js';
import { type Chromium, hasChromium, launchChromium } from '../helpers/browser.js';
import { needs } from '../helpers/needs.js';
import { tmpDir } from '../helpers/tmp.js';

const ARTIFACTS = 'test-artifacts';

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
  kithPanel: { latencies: { device: string; button: string; pressed: boolean; ms: number }[] };
}

function picture(frame: Framebuffer): string {
  const rows: string[] = [];
  for (let y = 0; y < OLED_HEIGHT; y++) {
    let row = '';
    for (let x = 0; x < OLED_WIDTH; x++) row += frame.get(x, y) ? '#' : '.';
    rows.push(row);
  }
  return rows.join('\n');
}

/** A device's canvas read back in the page at OLED resolution (one sample per OLED pixel). */
function canvasPicture(page: Page, device: string): Promise<string> {
  return page.evaluate(
    ({ id, w, h }) => {
      const canvas = (globalThis as unknown as PageGlobals).document.querySelector(
        `[data-device="${id}"] canvas`,
      );
      if (!canvas) return 'no canvas';
      const sx = canvas.width / w;
      const sy = canvas.height / h;
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      const rows: string[] = [];
      for (let y = 0; y < h; y++) {
        let row = '';
        for (let x = 0; x < w; x++) {
          const px = Math.floor(x * sx + sx / 2);
          const py = Math.floor(y * sy + sy / 2);
          row += (data[(py * canvas.width + px) * 4] ?? 0) > 0 ? '#' : '.';
        }
        rows.push(row);
      }
      return rows.join('\n');
    },
    { id: device, w: OLED_WIDTH, h: OLED_HEIGHT },
  );
}

describe.runIf(needs('chromium', hasChromium()))(
  'the simulator in a browser: a call by clicking buttons',
  () => {
    let sim: Simulator;
    let browser: Chromium;
    let page: Page;

    beforeAll(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      sim = await startSimulator({ devices: 2, port: 0, root: tmpDir() });
      browser = await launchChromium();
      page = await browser.context.newPage();
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(sim.url);
      await page.waitForSelector('body[data-connection="open"]');
    });
    afterAll(async () => {
      await browser?.close();
      await sim?.stop();
    });

    it('calls Bo from Ada, answers, talks and hangs up', async () => {
      const [ada, bo] = sim.devices;
      if (!ada || !bo) throw new Error('no devices');
      const id = (d: typeof ada) => Buffer.from(d.service.store.identity.ed25519.publicKey).toString('hex');
      const button = (d: typeof ada, b: string) => `[data-device="${id(d)}"] button[data-button="${b}"]`;
      const screen = (d: typeof ada) => d.service.device?.ui.screen;

      // The devices know each other's keys, not their addresses: the overlay must find Bo.
      expect(ada.service.store.contacts.list().contacts.map((c) => c.endpoint)).toEqual([null]);
      expect(ada.service.overlay.node.joined && bo.service.overlay.node.joined).toBe(true);

      await page.screenshot({ path: join(ARTIFACTS, 'sim-1-idle.png') });
      await page.click(button(ada, 'select'));
      await expect.poll(() => screen(ada), { timeout: 5000 }).toBe('contacts');
      await page.click(button(ada, 'select'));
      await expect.poll(() => screen(bo), { timeout: 10_000 }).toBe('incoming');

      // Bo's OLED on the page shows exactly the incoming-call screen for Ada.
      const expected = new Framebuffer();
      drawIncoming(expected, { contactName: 'Ada' });
      await expect.poll(() => canvasPicture(page, id(bo)), { timeout: 5000 }).toBe(picture(expected));
      await page.screenshot({ path: join(ARTIFACTS, 'sim-2-ringing.png') });

      await page.click(button(bo, 'select'));
      await expect.poll(() => [screen(ada), screen(bo)], { timeout: 10_000 }).toEqual(['in-call', 'in-call']);
      await expect
        .poll(() => page.locator(`[data-device="${id(ada)}"] .status`).textContent(), { timeout: 10_000 })
        .toMatch(/in call|MOS/i);
      await page.screenshot({ path: join(ARTIFACTS, 'sim-3-in-call.png') });
      // The path came from an INVITE through the entry peer's overlay, punched directly.
      expect(ada.service.overlay.status().recentSetups).toEqual([
        expect.objectContaining({ peer: id(bo).slice(0, 12), via: 'direct' }),
      ]);
      expect(bo.service.overlay.status().rendezvous.invitesReceived).toBe(1);

      await page.click(button(ada, 'back'));
      await expect
        .poll(() => [ada.service.calls.live().state, bo.service.calls.live().state], { timeout: 10_000 })
        .toEqual(['idle', 'idle']);
      await page.screenshot({ path: join(ARTIFACTS, 'sim-4-ended.png') });

      const { latencies } = await page.evaluate(() => {
        const p = (globalThis as unknown as PageGlobals).kithPanel;
        return { latencies: [...p.latencies] };
      });
      expect(latencies.length).toBeGreaterThan(2);
      const ms = latencies.map((l) => l.ms).sort((a, b) => a - b);
      // The figure the closing note quotes: click to the device's next frame on the canvas.
      console.log(
        JSON.stringify({
          panelLatencyMs: {
            samples: ms.length,
            min: ms[0],
            median: ms[Math.floor(ms.length / 2)],
            max: ms.at(-1),
          },
        }),
      );
    });
  },
);
