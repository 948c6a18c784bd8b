// Headless Chromium for the browser suites (test/e2e/): Debian's chromium package (installed by
// .ci/run) driven by playwright-core, never a browser build Playwright downloads (this machine and
// CI reach no such host). A suite asks `needs('chromium', hasChromium())` first.
//
// The flags: no sandbox (CI runs as root), no GPU, and no background networking, component
// updates, sync or QUIC, so Chromium makes no connection of its own; a closed network refuses
// those, and the page must only ever talk to 127.0.0.1. Each launch gets a fresh profile directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { chromium, type BrowserContext } from 'playwright-core';
import { hasCommand } from './needs.js';

export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function hasChromium(): boolean {
  return hasCommand(CHROMIUM);
}

export interface Chromium {
  context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Chromium> {
  const profile = mkdtempSync('/tmp/kith-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    timeout: 30_000,
  });
  context.setDefaultTimeout(10_000);
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
