// The outgoing call, until the callee answers: who is being called, and whether their device
// rings yet ("connecting…" until the callee's RING arrives, then "ringing…"), which tells the
// caller the other device was reached at all.
import type { Framebuffer } from '../../hal/framebuffer.js';
import { ELLIPSIS, PHONE } from '../font.js';
import { drawTextCentered } from '../text.js';
import { drawHints, drawLarge, drawTitleBar } from './layout.js';

export interface CallingModel {
  contactName: string;
  peerRinging: boolean;
}

export function drawCalling(frame: Framebuffer, model: CallingModel): void {
  drawTitleBar(frame, `${PHONE} Calling`);
  drawLarge(frame, 14, model.contactName);
  drawTextCentered(frame, 36, model.peerRinging ? `ringing${ELLIPSIS}` : `connecting${ELLIPSIS}`);
  drawHints(frame, 'BACK hangs up');
}
