// An incoming call: the caller's name as large as it fits, and the two answers the buttons give.
// The UI shows it over whatever was on screen (device/ui.ts), so the hints are spelt out in full.
import type { Framebuffer } from '../../hal/framebuffer.js';
import { PHONE } from '../font.js';
import { drawHints, drawLarge, drawTitleBar } from './layout.js';

export interface IncomingModel {
  contactName: string;
}

export function drawIncoming(frame: Framebuffer, model: IncomingModel): void {
  drawTitleBar(frame, `${PHONE} Incoming call`);
  drawLarge(frame, 18, model.contactName);
  drawHints(frame, 'SELECT answers', 'BACK declines');
}
