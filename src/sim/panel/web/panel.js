// The page's entry point: keeps one WebSocket to the panel server (connection.js), builds a card per
// device from its `devices` message (card.js), applies `update`s, and turns pointer and keyboard
// edges on the buttons into `press` messages, timing each device's answer (latency.js).
//
// Button state lives here, one set for pointer and keys alike, so a button goes down once and up
// once however it is held; it is forgotten when the socket drops (the server then releases whatever
// this page held) and released when the window loses focus (its keyup would never come).
//
// window.kithPanel is for tests and for a curious person at the console: the latency samples, how
// many server messages were dropped, and whether the socket is open.
import { Card } from './card.js';
import { Connection } from './connection.js';
import { buttonForKey } from './keys.js';
import { LatencyMeter } from './latency.js';
import { parseServerMessage } from './messages.js';

/** @typedef {import('./keys.js').ButtonId} ButtonId */

const meter = new LatencyMeter();
const kithPanel = { latencies: meter.samples, dropped: 0, connected: false };
Object.defineProperty(window, 'kithPanel', { value: kithPanel });

const main = /** @type {HTMLElement} */ (document.getElementById('devices'));
const template = /** @type {HTMLTemplateElement} */ (document.getElementById('device-card'));
const connectionLabel = /** @type {HTMLElement} */ (document.getElementById('connection'));

/** @type {Map<string, Card>} */
const cards = new Map();
/** @type {string[]} device ids in page order, which picks their keys */
let order = [];
/** @type {Map<string, Set<ButtonId>>} */
const held = new Map();

// The path is protocol.ts's PANEL_WS_PATH.
const connection = new Connection(`ws://${location.host}/ws`, onMessage, (open) => {
  kithPanel.connected = open;
  document.body.dataset.connection = open ? 'open' : 'closed';
  connectionLabel.textContent = open ? 'connected' : 'disconnected, reconnecting…';
  if (!open) forgetHeld();
});

/**
 * @param {string} device
 * @param {ButtonId} button
 * @param {boolean} pressed
 */
function setButton(device, button, pressed) {
  const buttons = held.get(device) ?? new Set();
  if (buttons.has(button) === pressed) return;
  if (pressed) buttons.add(button);
  else buttons.delete(button);
  held.set(device, buttons);
  cards.get(device)?.showHeld(button, pressed);
  meter.edge(device, button, pressed, performance.now());
  connection.send(JSON.stringify({ type: 'press', device, button, pressed }));
}

function releaseAll() {
  for (const [device, buttons] of held) for (const button of buttons) setButton(device, button, false);
}

function forgetHeld() {
  for (const [device, buttons] of held)
    for (const button of buttons) cards.get(device)?.showHeld(button, false);
  held.clear();
}

/** @param {unknown} data */
function onMessage(data) {
  const message = parseServerMessage(data);
  if (message === null) {
    kithPanel.dropped++;
    return;
  }
  if (message.type === 'devices') {
    forgetHeld();
    cards.clear();
    order = message.devices.map((d) => d.id);
    main.replaceChildren();
    message.devices.forEach((info, index) => {
      const card = new Card(template, info, index, (button, pressed) => setButton(info.id, button, pressed));
      cards.set(info.id, card);
      main.append(card.element);
    });
    return;
  }
  const card = cards.get(message.device);
  const drew = card?.update(message);
  if (card === undefined || drew === null) {
    kithPanel.dropped++;
    return;
  }
  if (!drew) return;
  const sample = meter.frame(message.device, performance.now());
  if (sample !== null) card.showLatency(sample.ms, meter.median(sample.device), meter.count(sample.device));
}

window.addEventListener('keydown', (event) => {
  if (event.ctrlKey || event.altKey || event.metaKey) return;
  const hit = buttonForKey(event.code);
  const device = hit === null ? undefined : order[hit.index];
  if (hit === null || device === undefined) return;
  event.preventDefault();
  if (!event.repeat) setButton(device, hit.button, true);
});

window.addEventListener('keyup', (event) => {
  const hit = buttonForKey(event.code);
  const device = hit === null ? undefined : order[hit.index];
  if (hit === null || device === undefined) return;
  event.preventDefault();
  setButton(device, hit.button, false);
});

window.addEventListener('blur', releaseAll);
