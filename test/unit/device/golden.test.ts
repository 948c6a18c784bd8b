// Every device screen, drawn from a fixed model, against its reviewed PNG in test/golden/
// (UPDATE_GOLDEN=1 rewrites them: look at the new images before keeping them).
import { describe, it } from 'vitest';
import { Framebuffer } from '../../../src/hal/framebuffer.js';
import { drawCalling } from '../../../src/device/screens/calling.js';
import { drawContacts } from '../../../src/device/screens/contacts.js';
import { drawEnded, type EndedModel } from '../../../src/device/screens/ended.js';
import { drawError } from '../../../src/device/screens/error.js';
import { drawIdle } from '../../../src/device/screens/idle.js';
import { drawInCall } from '../../../src/device/screens/in-call.js';
import { drawIncoming } from '../../../src/device/screens/incoming.js';
import { drawPairing } from '../../../src/device/screens/pairing.js';
import { expectGolden } from '../../helpers/golden.js';

/** 2025-06-14 09:41:27 UTC. */
const WALL = Date.UTC(2025, 5, 14, 9, 41, 27);

const FIVE_CONTACTS = [
  { name: 'Alice', verified: true },
  { name: 'Bartholomew Featherstonehaugh-Smythe', verified: true },
  { name: 'Zoë Ångström 李', verified: false },
  { name: 'Dmitri', verified: false },
  { name: 'Eve', verified: true },
];

function render<M>(draw: (frame: Framebuffer, model: M) => void, model: M): Framebuffer {
  const frame = new Framebuffer();
  draw(frame, model);
  return frame;
}

describe('golden screens', () => {
  it('idle, with contacts and online', () => {
    const model = {
      deviceName: 'Kith-7F3A',
      network: { online: true, label: 'online' },
      contactCount: 5,
      wallTime: WALL,
      utcOffsetMinutes: 0,
    };
    expectGolden('idle', render(drawIdle, model));
  });

  it('idle, with no contacts and no network, at UTC+2', () => {
    const model = {
      deviceName: 'Kith-7F3A',
      network: { online: false, label: 'no network' },
      contactCount: 0,
      wallTime: WALL,
      utcOffsetMinutes: 120,
    };
    expectGolden('idle-no-contacts', render(drawIdle, model));
  });

  it('contacts, the cursor on the second of five', () => {
    expectGolden('contacts', render(drawContacts, { contacts: FIVE_CONTACTS, cursor: 1 }));
  });

  it('contacts, scrolled to the eighth of nine', () => {
    const nine = [
      ...FIVE_CONTACTS,
      ...['Frank', 'Grace', 'Heidi', 'Ivan'].map((name) => ({ name, verified: false })),
    ];
    expectGolden('contacts-scrolled', render(drawContacts, { contacts: nine, cursor: 7 }));
  });

  it('contacts, none yet', () => {
    expectGolden('contacts-empty', render(drawContacts, { contacts: [], cursor: 0 }));
  });

  it('calling, before and after the callee rings', () => {
    expectGolden('calling', render(drawCalling, { contactName: 'Alice', peerRinging: false }));
    expectGolden('calling-ringing', render(drawCalling, { contactName: 'Alice', peerRinging: true }));
  });

  it('incoming', () => {
    expectGolden('incoming', render(drawIncoming, { contactName: 'Alice' }));
    expectGolden(
      'incoming-long-name',
      render(drawIncoming, { contactName: 'Bartholomew Featherstonehaugh-Smythe' }),
    );
  });

  it('in call at 01:23 with 3 bars', () => {
    expectGolden('in-call', render(drawInCall, { contactName: 'Alice', durationMs: 83_400, mos: 3.8 }));
  });

  const ended: [string, Omit<EndedModel, 'contactName'>][] = [
    ['hangup-local', { reason: 'hangup-local', direction: 'outgoing', answered: true }],
    ['hangup-remote', { reason: 'hangup-remote', direction: 'outgoing', answered: true }],
    ['missed', { reason: 'hangup-remote', direction: 'incoming', answered: false }],
    ['rejected', { reason: 'rejected', direction: 'outgoing', answered: false }],
    ['declined', { reason: 'rejected', direction: 'incoming', answered: false }],
    ['busy', { reason: 'busy', direction: 'outgoing', answered: false }],
    ['no-answer', { reason: 'no-answer', direction: 'outgoing', answered: false }],
    ['unreachable', { reason: 'unreachable', direction: 'outgoing', answered: false }],
    ['connection-lost', { reason: 'connection-lost', direction: 'outgoing', answered: true }],
    ['error', { reason: 'error', direction: 'incoming', answered: true }],
  ];
  it.each(ended)('call ended: %s', (name, model) => {
    expectGolden(`ended-${name}`, render(drawEnded, { contactName: 'Alice', ...model }));
  });

  it('error, with a message that wraps', () => {
    const message = 'a call is already ringing; hang up first before calling another contact';
    expectGolden('error', render(drawError, { message }));
  });

  it('pairing check', () => {
    expectGolden('pairing', render(drawPairing, { code: '123456', peerName: 'Kith-B2C9' }));
  });
});
