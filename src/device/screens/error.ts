// An error from a call action (device/api.ts: startCall, answer, reject, hangup may throw a
// KithError): its message, word-wrapped, until BACK or a timeout (device/ui.ts). Messages are
// written for people (errors.ts), so they are shown as they are.
import type { Framebuffer } from '../../hal/framebuffer.js';
import { drawText, wrapText } from '../text.js';
import { drawHints, drawTitleBar, LINE_PITCH, MARGIN } from './layout.js';

export interface ErrorModel {
  message: string;
}

const MESSAGE_TOP = 13;
/** Lines between the title and the hint; a longer message ends in an ellipsis. */
const MESSAGE_LINES = 4;

export function drawError(frame: Framebuffer, model: ErrorModel): void {
  drawTitleBar(frame, '! Error');
  wrapText(model.message, frame.width - 2 * MARGIN, MESSAGE_LINES).forEach((line, i) => {
    drawText(frame, MARGIN, MESSAGE_TOP + i * LINE_PITCH, line);
  });
  drawHints(frame, 'BACK returns');
}
