// Handshake patterns (Noise §7.4-§7.6), psk modifiers (§9.4) and protocol names (§8).
import { describe, expect, it } from 'vitest';
import { handshakePattern, parseProtocolName } from '../../../src/crypto/noise/patterns.js';

const ONE_WAY = ['N', 'K', 'X'];
const FUNDAMENTAL = ['NN', 'KN', 'NK', 'KK', 'NX', 'KX', 'XN', 'IN', 'XK', 'IK', 'XX', 'IX'];
const DEFERRED = [
  ...['NK1', 'NX1', 'X1N', 'X1K', 'XK1', 'X1K1', 'X1X', 'XX1', 'X1X1', 'K1N', 'K1K', 'KK1'],
  ...['K1K1', 'K1X', 'KX1', 'K1X1', 'I1N', 'I1K', 'IK1', 'I1K1', 'I1X', 'IX1', 'I1X1'],
];

const show = (name: string) => handshakePattern(name).messages.map((m) => m.join(', '));

describe('handshakePattern', () => {
  it.each([...ONE_WAY, ...FUNDAMENTAL, ...DEFERRED])('knows %s, a valid pattern (§7.3)', (name) => {
    const pattern = handshakePattern(name);
    expect(pattern.name).toBe(name);
    expect(pattern.messages.length === 1).toBe(ONE_WAY.includes(name));
    // Which keys each side has sent (or had known through a pre-message) so far.
    const known = {
      initiator: { e: false, s: pattern.preMessage.initiatorStatic },
      responder: { e: false, s: pattern.preMessage.responderStatic },
    };
    const dhs = new Set<string>();
    for (const [i, tokens] of pattern.messages.entries()) {
      const sender = i % 2 === 0 ? known.initiator : known.responder;
      for (const token of tokens) {
        if (token === 'e' || token === 's') {
          expect(sender[token], `${name} sends ${token} twice`).toBe(false);
          sender[token] = true;
        } else {
          const [a, b] = [token[0] as 'e' | 's', token[1] as 'e' | 's'];
          expect(known.initiator[a] && known.responder[b], `${name} uses ${token} early`).toBe(true);
          expect(dhs.has(token), `${name} repeats ${token}`).toBe(false);
          dhs.add(token);
        }
      }
    }
    expect(pattern.messages[0]?.[0]).toBe('e');
    expect(dhs.has('ee') || ONE_WAY.includes(name)).toBe(true);
  });

  it('transcribes the spec, e.g. KK, XX, X1K1 and I1X1', () => {
    expect(handshakePattern('KK')).toEqual({
      name: 'KK',
      preMessage: { initiatorStatic: true, responderStatic: true },
      messages: [
        ['e', 'es', 'ss'],
        ['e', 'ee', 'se'],
      ],
    });
    expect(show('XX')).toEqual(['e', 'e, ee, s, es', 's, se']);
    expect(handshakePattern('X1K1').preMessage).toEqual({ initiatorStatic: false, responderStatic: true });
    expect(show('X1K1')).toEqual(['e', 'e, ee, es', 's', 'se']);
    expect(show('I1X1')).toEqual(['e, s', 'e, ee, s', 'se, es']);
  });

  it('puts psk0 first in message 1 and pskN last in message N (§9.4)', () => {
    expect(show('KKpsk0')).toEqual(['psk, e, es, ss', 'e, ee, se']);
    expect(show('XXpsk3')).toEqual(['e', 'e, ee, s, es', 's, se, psk']);
    expect(show('IKpsk2')).toEqual(['e, es, s, ss', 'e, ee, se, psk']);
    expect(show('KKpsk0+psk2')).toEqual(['psk, e, es, ss', 'e, ee, se, psk']);
    expect(show('NNpsk0+psk1+psk2')).toEqual(['psk, e, psk', 'e, ee, psk']);
    expect(show('Npsk0')).toEqual(['psk, e, es']);
    expect(show('Xpsk1')).toEqual(['e, es, s, ss, psk']);
    expect(handshakePattern('KKpsk0+psk2').name).toBe('KKpsk0+psk2');
  });

  it('does not let a modifier change the shared base pattern', () => {
    handshakePattern('NNpsk2');
    expect(show('NN')).toEqual(['e', 'e, ee']);
  });
});

describe('parseProtocolName', () => {
  it('splits a full name into its pattern', () => {
    const protocol = parseProtocolName('Noise_XXpsk3_25519_ChaChaPoly_BLAKE2s');
    expect(protocol.name).toBe('Noise_XXpsk3_25519_ChaChaPoly_BLAKE2s');
    expect(protocol.pattern).toEqual(handshakePattern('XXpsk3'));
  });
});
