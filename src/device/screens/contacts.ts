// The contact list: one contact per row, the one under the cursor drawn as a lit bar; UP moves the
// cursor, SELECT calls (device/ui.ts). A check mark follows a verified contact. The title shows
// the position ("2/5"), and a scroll bar on the right edge appears when the list is longer than
// the screen. The list scrolls only as far as it must to keep the cursor in view, computed from
// the cursor alone, so the screen needs no state of its own.
import type { Framebuffer } from '../../hal/framebuffer.js';
import { fillRect } from '../draw.js';
import { CHECK, ARROW } from '../font.js';
import { drawText, drawTextCentered, fitText, textWidth } from '../text.js';
import { drawHints, drawTitleBar, MARGIN } from './layout.js';

export interface ContactsModel {
  contacts: readonly { name: string; verified: boolean }[];
  /** Index of the contact under the cursor; ignored when there are none. */
  cursor: number;
}

const LIST_TOP = 12;
const ROW_HEIGHT = 10;
const VISIBLE_ROWS = 5;
const SCROLLBAR_WIDTH = 3;

export function drawContacts(frame: Framebuffer, model: ContactsModel): void {
  const count = model.contacts.length;
  if (count === 0) {
    drawTitleBar(frame, 'Contacts');
    drawTextCentered(frame, 20, 'No contacts yet');
    drawTextCentered(frame, 32, 'Pair in person first');
    drawHints(frame, `BACK ${ARROW} home`);
    return;
  }
  const cursor = Math.min(Math.max(model.cursor, 0), count - 1);
  drawTitleBar(frame, 'Contacts', `${cursor + 1}/${count}`);
  const scrolls = count > VISIBLE_ROWS;
  const rowWidth = frame.width - (scrolls ? SCROLLBAR_WIDTH + 1 : 0);
  const top = Math.max(0, cursor - (VISIBLE_ROWS - 1));
  model.contacts.slice(top, top + VISIBLE_ROWS).forEach((contact, i) => {
    const y = LIST_TOP + i * ROW_HEIGHT;
    const selected = top + i === cursor;
    if (selected) fillRect(frame, 0, y, rowWidth, ROW_HEIGHT);
    const mark = contact.verified ? CHECK : '';
    const markWidth = textWidth(mark);
    if (mark !== '') drawText(frame, rowWidth - MARGIN - markWidth, y + 1, mark, { invert: selected });
    const room = rowWidth - 2 * MARGIN - (mark === '' ? 0 : markWidth + 3);
    drawText(frame, MARGIN, y + 1, fitText(contact.name, room), { invert: selected });
  });
  if (scrolls) drawScrollBar(frame, top, count);
}

/** A dotted track with a solid thumb as tall as the visible share of the list. */
function drawScrollBar(frame: Framebuffer, top: number, count: number): void {
  const x = frame.width - SCROLLBAR_WIDTH;
  const track = frame.height - LIST_TOP;
  for (let y = LIST_TOP; y < frame.height; y += 2) frame.set(x + 1, y, true);
  const thumb = Math.max(4, Math.round((track * VISIBLE_ROWS) / count));
  const thumbTop = LIST_TOP + Math.round(((track - thumb) * top) / (count - VISIBLE_ROWS));
  fillRect(frame, x, thumbTop, SCROLLBAR_WIDTH, thumb);
}
