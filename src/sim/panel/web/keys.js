// The keyboard's stand-ins for the devices' buttons. Keys are physical positions
// (KeyboardEvent.code), so the mapping holds on any layout: the first two devices take the two ends
// of the number row (1 2 3 and 8 9 0), so two people can share one keyboard; later devices take
// letter-row triples; past the eighth, a device has only its on-screen buttons.

/** @typedef {import('../protocol.js').PressMessage['button']} ButtonId */

/** @type {readonly ButtonId[]} UP, SELECT, BACK: the order of each triple below. */
export const BUTTONS = ['up', 'select', 'back'];

const ROWS = [
  ['Digit1', 'Digit2', 'Digit3'],
  ['Digit8', 'Digit9', 'Digit0'],
  ['KeyQ', 'KeyW', 'KeyE'],
  ['KeyI', 'KeyO', 'KeyP'],
  ['KeyA', 'KeyS', 'KeyD'],
  ['KeyJ', 'KeyK', 'KeyL'],
  ['KeyZ', 'KeyX', 'KeyC'],
  ['KeyB', 'KeyN', 'KeyM'],
];

/**
 * The key label of a device's button ("1", "Q"), or "" when it has no key.
 * @param {number} index the device's position on the page
 * @param {ButtonId} button
 */
export function keyLabel(index, button) {
  const code = ROWS[index]?.[BUTTONS.indexOf(button)];
  return code === undefined ? '' : code.replace(/^(Digit|Key)/, '');
}

/**
 * The device position and button a key stands for, or null.
 * @param {string} code KeyboardEvent.code
 * @returns {{ index: number, button: ButtonId } | null}
 */
export function buttonForKey(code) {
  for (let index = 0; index < ROWS.length; index++) {
    const i = ROWS[index]?.indexOf(code) ?? -1;
    const button = BUTTONS[i];
    if (button !== undefined) return { index, button };
  }
  return null;
}
