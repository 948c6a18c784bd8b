// Checks what the server sends before the page uses it (protocol.ts has the formats): the page
// trusts its own server no more than the server trusts the page, so a malformed message is dropped
// and counted rather than half applied.

/** @typedef {import('../protocol.js').ServerMessage} ServerMessage */
/** @typedef {import('../protocol.js').DeviceInfo} DeviceInfo */
/** @typedef {import('../protocol.js').DevicesMessage} DevicesMessage */
/** @typedef {import('../protocol.js').UpdateMessage} UpdateMessage */

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
function isRecord(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * @param {unknown} value
 * @returns {value is DeviceInfo}
 */
function isDeviceInfo(value) {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.name === 'string' &&
    Number.isInteger(value.width) &&
    Number.isInteger(value.height) &&
    /** @type {number} */ (value.width) > 0 &&
    /** @type {number} */ (value.height) > 0 &&
    /** @type {number} */ (value.height) % 8 === 0
  );
}

/**
 * @param {Record<string, unknown>} m
 * @returns {m is DevicesMessage}
 */
function isDevices(m) {
  return m.type === 'devices' && Array.isArray(m.devices) && m.devices.every(isDeviceInfo);
}

/**
 * @param {Record<string, unknown>} m
 * @returns {m is UpdateMessage}
 */
function isUpdate(m) {
  const { frame, display, leds, status } = m;
  return (
    m.type === 'update' &&
    typeof m.device === 'string' &&
    (frame === undefined || typeof frame === 'string') &&
    (display === undefined ||
      (isRecord(display) && typeof display.on === 'boolean' && typeof display.contrast === 'number')) &&
    (leds === undefined ||
      (isRecord(leds) && typeof leds.green === 'boolean' && typeof leds.red === 'boolean')) &&
    (status === undefined || isRecord(status))
  );
}

/**
 * The message in a WebSocket message's data, or null when it is not one the page knows.
 * @param {unknown} data
 * @returns {ServerMessage | null}
 */
export function parseServerMessage(data) {
  if (typeof data !== 'string') return null;
  let m;
  try {
    m = JSON.parse(data);
  } catch {
    return null;
  }
  return isRecord(m) && (isDevices(m) || isUpdate(m)) ? m : null;
}
