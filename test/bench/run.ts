// Runs every benchmark module in sequence (`npm run bench`); each prints JSON lines on stdout.
// A new bench module exports `run()` and is appended to `benches`.
import { run as channel } from './channel.js';
import { run as crypto } from './crypto.js';
import { run as noise } from './noise.js';
import { run as overlayCrypto } from './overlay-crypto.js';
import { run as overlayNat } from './overlay-nat.js';
import { run as overlayScale } from './overlay-scale.js';
import { run as overlaySetup } from './overlay-setup.js';
import { run as store } from './store.js';
import { run as voice } from './voice.js';

const benches: (() => Promise<void>)[] = [
  crypto,
  store,
  noise,
  channel,
  voice,
  overlayCrypto,
  overlayScale,
  overlaySetup,
  overlayNat,
];

for (const bench of benches) await bench();
