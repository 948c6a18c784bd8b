// One device's card on the page, cloned from index.html's template: its OLED canvas, LED dots,
// buttons with their keys, status line and latency. It shows what `update` messages say and reports
// its buttons' pointer edges; it holds no connection and no button state of its own.
import { brightness, decodeFrame, drawFrame } from './oled.js';
import { BUTTONS, keyLabel } from './keys.js';
import { statusLine } from './status.js';

/** @typedef {import('../protocol.js').DeviceInfo} DeviceInfo */
/** @typedef {import('../protocol.js').UpdateMessage} UpdateMessage */
/** @typedef {import('./keys.js').ButtonId} ButtonId */

/**
 * @template {Element} T
 * @param {ParentNode} root
 * @param {string} selector
 * @param {new () => T} type
 * @returns {T}
 */
function find(root, selector, type) {
  const el = root.querySelector(selector);
  if (!(el instanceof type)) throw new Error(`the device card template lacks ${selector}`);
  return el;
}

export class Card {
  /** @type {HTMLElement} */
  element;
  #info;
  #ctx;
  #image;
  #green;
  #red;
  #status;
  #statusJson;
  #latency;
  /** @type {Map<ButtonId, HTMLButtonElement>} */
  #buttons = new Map();

  /**
   * @param {HTMLTemplateElement} template
   * @param {DeviceInfo} info
   * @param {number} index the device's position, which picks its keys
   * @param {(button: ButtonId, pressed: boolean) => void} onButton a pointer edge on a button
   */
  constructor(template, info, index, onButton) {
    this.#info = info;
    const fragment = /** @type {DocumentFragment} */ (template.content.cloneNode(true));
    this.element = find(fragment, '.device', HTMLElement);
    this.element.dataset.device = info.id;
    find(this.element, '.name', HTMLElement).textContent = info.name;
    const canvas = find(this.element, 'canvas', HTMLCanvasElement);
    canvas.width = info.width;
    canvas.height = info.height;
    const ctx = canvas.getContext('2d');
    if (ctx === null) throw new Error('this browser gives no 2D canvas');
    this.#ctx = ctx;
    this.#image = ctx.createImageData(info.width, info.height);
    drawFrame(ctx, this.#image, new Uint8Array((info.width * info.height) / 8));
    this.#green = find(this.element, '.led.green', HTMLElement);
    this.#red = find(this.element, '.led.red', HTMLElement);
    this.#status = find(this.element, '.status', HTMLElement);
    this.#statusJson = find(this.element, '.status-json', HTMLElement);
    this.#latency = find(this.element, '.latency', HTMLElement);
    for (const button of BUTTONS) {
      const el = find(this.element, `button[data-button="${button}"]`, HTMLButtonElement);
      find(el, 'kbd', HTMLElement).textContent = keyLabel(index, button);
      // Down on pointerdown and up on release or on leaving the button, so holding is a long press.
      el.addEventListener('pointerdown', (event) => {
        if (event.button === 0) onButton(button, true);
      });
      for (const up of ['pointerup', 'pointerleave', 'pointercancel']) {
        el.addEventListener(up, () => onButton(button, false));
      }
      // Enter or Space on a focused button clicks without a pointer: a short press.
      el.addEventListener('click', (event) => {
        if (event.detail !== 0) return;
        onButton(button, true);
        onButton(button, false);
      });
      el.addEventListener('contextmenu', (event) => event.preventDefault());
      this.#buttons.set(button, el);
    }
  }

  /**
   * Shows an update; returns whether it drew a new frame, or null when the frame was malformed.
   * @param {UpdateMessage} update
   * @returns {boolean | null}
   */
  update(update) {
    if (update.display !== undefined) {
      this.element.classList.toggle('off', !update.display.on);
      this.#ctx.canvas.style.filter = `brightness(${brightness(update.display.contrast)})`;
    }
    if (update.leds !== undefined) {
      this.#green.classList.toggle('on', update.leds.green);
      this.#red.classList.toggle('on', update.leds.red);
    }
    if (update.status !== undefined) {
      this.#status.textContent = statusLine(update.status);
      this.#statusJson.textContent = JSON.stringify(update.status, null, 2);
    }
    if (update.frame === undefined) return false;
    const bytes = decodeFrame(update.frame, (this.#info.width * this.#info.height) / 8);
    if (bytes === null) return null;
    drawFrame(this.#ctx, this.#image, bytes);
    return true;
  }

  /**
   * @param {ButtonId} button
   * @param {boolean} held
   */
  showHeld(button, held) {
    this.#buttons.get(button)?.classList.toggle('held', held);
  }

  /**
   * @param {number} lastMs
   * @param {number | null} medianMs
   * @param {number} count
   */
  showLatency(lastMs, medianMs, count) {
    const median = medianMs === null ? '' : `, median ${medianMs.toFixed(1)} ms of ${count}`;
    this.#latency.textContent = `latency: ${lastMs.toFixed(1)} ms${median}`;
  }
}
