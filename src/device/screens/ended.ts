// The end of a call, shown for a few seconds (device/ui.ts): with whom, and why it ended in words a
// person would use. The reason is the call record's (store/call-record.ts END_REASONS), read from
// this device's side: a call the callee declined is "Declined" to the caller and "You declined"
// to the callee; an incoming call that stopped ringing unanswered is a missed call.
import type { Framebuffer } from '../../hal/framebuffer.js';
import { PHONE } from '../font.js';
import { drawTextCentered } from '../text.js';
import { drawLarge, drawTitleBar } from './layout.js';

export interface EndedModel {
  contactName: string;
  /** The end reason (an END_REASONS value), null when none was given. */
  reason: string | null;
  direction: 'outgoing' | 'incoming' | null;
  /** Whether the call was ever answered. */
  answered: boolean;
}

export function endReasonWords(model: Omit<EndedModel, 'contactName'>): string {
  const incoming = model.direction === 'incoming';
  switch (model.reason) {
    case 'hangup-remote':
      return incoming && !model.answered ? 'Missed call' : 'They hung up';
    case 'rejected':
      return incoming ? 'You declined' : 'Declined';
    case 'busy':
      return 'Busy';
    case 'no-answer':
      return incoming ? 'Missed call' : 'No answer';
    case 'unreachable':
      return 'Not reachable';
    case 'connection-lost':
      return 'Connection lost';
    case 'error':
      return 'Call failed';
    default:
      // hangup-local (this user ended it), or no reason known: nothing more to say.
      return 'Call ended';
  }
}

export function drawEnded(frame: Framebuffer, model: EndedModel): void {
  drawTitleBar(frame, `${PHONE} Call ended`);
  drawLarge(frame, 16, model.contactName);
  drawTextCentered(frame, 40, endReasonWords(model));
}
