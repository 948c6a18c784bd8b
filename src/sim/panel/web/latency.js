// How quickly a device answers its buttons, as someone at the panel sees it: from a button edge
// leaving this page to that device's next changed frame drawn here. That spans the socket to the
// server, the device's reaction and redraw, the server's coalescing tick, the socket back, decoding
// and drawing (not the browser's paint after it).
//
// The latest edge restarts the clock, so a UI that acts on release (a short press) is measured
// from the release. An edge with no new frame within MAX_WAIT_MS is forgotten, so an unrelated later
// redraw (a call timer ticking) is not taken for its answer.

const MAX_WAIT_MS = 1000;
/** Samples kept; older ones are dropped so a long session does not grow without bound. */
const KEEP = 1000;

/** @typedef {{ device: string, button: string, pressed: boolean, ms: number }} Sample */

export class LatencyMeter {
  /** @type {Sample[]} oldest first; read by tests as window.kithPanel.latencies */
  samples = [];
  /** @type {Map<string, { at: number, button: string, pressed: boolean }>} */
  #pending = new Map();

  /**
   * @param {string} device
   * @param {string} button
   * @param {boolean} pressed
   * @param {number} at performance.now() when the edge was sent
   */
  edge(device, button, pressed, at) {
    this.#pending.set(device, { at, button, pressed });
  }

  /**
   * A new frame of `device` was drawn; returns the sample it completes, if any.
   * @param {string} device
   * @param {number} at performance.now() after drawing
   * @returns {Sample | null}
   */
  frame(device, at) {
    const edge = this.#pending.get(device);
    if (edge === undefined) return null;
    this.#pending.delete(device);
    const ms = at - edge.at;
    if (ms > MAX_WAIT_MS) return null;
    const sample = { device, button: edge.button, pressed: edge.pressed, ms };
    this.samples.push(sample);
    if (this.samples.length > KEEP) this.samples.shift();
    return sample;
  }

  /**
   * The median of a device's samples, or null before the first.
   * @param {string} device
   */
  median(device) {
    const ms = this.samples
      .filter((s) => s.device === device)
      .map((s) => s.ms)
      .sort((a, b) => a - b);
    return ms.length === 0 ? null : (ms[Math.floor(ms.length / 2)] ?? null);
  }

  /** @param {string} device */
  count(device) {
    return this.samples.filter((s) => s.device === device).length;
  }
}
