// The idle (home) screen: what a glance at the device should tell, with nothing going on. The
// network and the time share the top line, the device's own name is large in the middle (the
// owner checks which device this is), the contact count below, and the one thing to do: SELECT
// opens the contacts.
//
// The time is wall-clock HH:MM at a fixed offset from UTC given by the UI's options (UTC unless
// set): the device has no time-zone database, and the offset is the owner's to configure.
import type { Framebuffer } from '../../hal/framebuffer.js';
import { hline } from '../draw.js';
import { ARROW, DOT_FILLED, DOT_HOLLOW } from '../font.js';
import { drawText, drawTextCentered, fitText, textWidth } from '../text.js';
import { drawHints, drawLarge, MARGIN } from './layout.js';

export interface IdleModel {
  deviceName: string;
  network: { online: boolean; label: string };
  contactCount: number;
  /** Milliseconds since the epoch. */
  wallTime: number;
  /** Minutes east of UTC, e.g. 60 for UTC+1. */
  utcOffsetMinutes: number;
}

const MINUTE_MS = 60_000;
const DAY_MINUTES = 24 * 60;

/** HH:MM, 24-hour, of a wall time at an offset from UTC. */
export function formatClock(wallTime: number, utcOffsetMinutes: number): string {
  const minutes =
    (((Math.floor(wallTime / MINUTE_MS) + utcOffsetMinutes) % DAY_MINUTES) + DAY_MINUTES) % DAY_MINUTES;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

function contactLine(count: number): string {
  if (count === 0) return 'No contacts yet';
  return count === 1 ? '1 contact' : `${count} contacts`;
}

export function drawIdle(frame: Framebuffer, model: IdleModel): void {
  const time = formatClock(model.wallTime, model.utcOffsetMinutes);
  const timeWidth = textWidth(time);
  drawText(frame, frame.width - MARGIN - timeWidth, 0, time);
  const network = `${model.network.online ? DOT_FILLED : DOT_HOLLOW} ${model.network.label}`;
  drawText(frame, MARGIN, 0, fitText(network, frame.width - 2 * MARGIN - timeWidth - 6));
  hline(frame, 0, 9, frame.width);

  drawLarge(frame, 16, model.deviceName);
  drawTextCentered(frame, 36, contactLine(model.contactCount));
  drawHints(frame, `SELECT ${ARROW} contacts`);
}
