// The pairing check (DESIGN §3 "Pairing"): the 6-digit short authentication string in large
// digits, grouped "123 456" so two people can read it to each other, the name the other device
// gave, and the question. Both owners must see the same code; a different one means someone is in
// the middle, so BACK is the safe answer and the hint says so plainly.
import type { Framebuffer } from '../../hal/framebuffer.js';
import { drawTextCentered } from '../text.js';
import { drawHints, drawTitleBar, MARGIN } from './layout.js';

export interface PairingModel {
  /** Six digits. */
  code: string;
  peerName: string;
}

export function formatPairingCode(code: string): string {
  return `${code.slice(0, 3)} ${code.slice(3)}`;
}

export function drawPairing(frame: Framebuffer, model: PairingModel): void {
  drawTitleBar(frame, 'Pair with');
  drawTextCentered(frame, 12, model.peerName, { left: MARGIN, width: frame.width - 2 * MARGIN });
  drawTextCentered(frame, 25, formatPairingCode(model.code), { scale: 2 });
  drawHints(frame, 'SELECT if it matches', 'BACK if not');
}
