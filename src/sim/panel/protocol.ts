// The simulator panel's WebSocket messages (DESIGN §2), one JSON text message each. The server
// (server.ts, feed.ts) builds and parses them here; the page (web/*.js) imports these types through
// JSDoc, so web/tsconfig.json checks both ends against one definition. Kept free of Node APIs for
// that reason.
//
// Server to page: `devices` once per connection, then `update` messages carrying only what changed
// for one device since that page last heard of it (its first `update` per device carries all four).
// Page to server: `press`, one button edge.
import { BUTTONS, type ButtonId } from '../../hal/buttons.js';
import type { LedId } from '../../hal/leds.js';

/** The one WebSocket endpoint; every other upgrade is refused. */
export const PANEL_WS_PATH = '/ws';

/** The largest page-to-server message: a press is under 200 bytes, so 1 KiB leaves room and no more. */
export const MAX_CLIENT_MESSAGE_BYTES = 1024;

export interface DeviceInfo {
  id: string;
  name: string;
  /** The framebuffer's size in pixels (128x64 for the SSD1306). */
  width: number;
  height: number;
}

export interface DisplayState {
  on: boolean;
  /** SSD1306 contrast, 0..255. */
  contrast: number;
}

export interface DevicesMessage {
  type: 'devices';
  devices: readonly DeviceInfo[];
}

export interface UpdateMessage {
  type: 'update';
  device: string;
  /** The framebuffer bytes (SSD1306 page layout, hal/framebuffer.ts), base64. */
  frame?: string;
  display?: DisplayState;
  leds?: Record<LedId, boolean>;
  status?: Record<string, unknown>;
}

export type ServerMessage = DevicesMessage | UpdateMessage;

export interface PressMessage {
  type: 'press';
  device: string;
  button: ButtonId;
  pressed: boolean;
}

/** Why a page's message was dropped; the server counts each. */
export type Malformed = 'notJson' | 'badShape' | 'badButton';

/** A press, or why the text is not one. Never throws: the text comes from any page on the socket. */
export function parsePress(text: string): PressMessage | Malformed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'notJson';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'badShape';
  const m = value as Record<string, unknown>;
  if (m.type !== 'press' || typeof m.device !== 'string' || typeof m.pressed !== 'boolean') return 'badShape';
  if (!(BUTTONS as readonly unknown[]).includes(m.button)) return 'badButton';
  return { type: 'press', device: m.device, button: m.button as ButtonId, pressed: m.pressed };
}
