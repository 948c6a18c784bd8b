// Which message ends a call for which reason, both ways: the reason a side records when it ends
// a call itself picks the message it sends, and the message a side receives picks the reason it
// records. A reason on the wire is the sender's own view, so the receiver records the same one,
// except that the sender's hangup is the receiver's hangup-remote.
import { type CallMessage, encodeCallMessage, type EndMessage } from './messages.js';
import type { EndReason } from '../store/call-record.js';

/** The reasons a side can end a call for by itself (hangup-remote is always learned). */
export type LocalEndReason = Exclude<EndReason, 'hangup-remote'>;

export function endMessageFor(callId: Uint8Array, reason: LocalEndReason): Uint8Array {
  return encodeCallMessage(endMessage(callId, reason));
}

function endMessage(callId: Uint8Array, reason: LocalEndReason): CallMessage {
  switch (reason) {
    case 'hangup-local':
      return { type: 'hangup', callId, reason: 'user' };
    case 'rejected':
      return { type: 'reject', callId, reason: 'declined' };
    case 'no-answer':
      return { type: 'reject', callId, reason: 'no-answer' };
    case 'busy':
      return { type: 'busy', callId };
    case 'unreachable':
    case 'connection-lost':
    case 'error':
      return { type: 'hangup', callId, reason };
  }
}

/** The refusal of an OFFER whose parameters this device cannot run: recorded as an error. */
export function incompatibleMessage(callId: Uint8Array): Uint8Array {
  return encodeCallMessage({ type: 'reject', callId, reason: 'incompatible' });
}

export function reasonOf(message: EndMessage): EndReason {
  switch (message.type) {
    case 'busy':
      return 'busy';
    case 'reject':
      return message.reason === 'declined'
        ? 'rejected'
        : message.reason === 'no-answer'
          ? 'no-answer'
          : 'error';
    case 'hangup':
      return message.reason === 'user' ? 'hangup-remote' : message.reason;
  }
}
