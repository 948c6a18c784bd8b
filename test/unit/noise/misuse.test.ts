// Every way the Noise layer refuses, as one table: each case names the call, the state it is made
// in, and the KithError code it must throw.
import { describe, expect, it } from 'vitest';
import { concatBytes, utf8 } from '../../../src/crypto/bytes.js';
import { CipherState, MAX_NONCE } from '../../../src/crypto/noise/cipher-state.js';
import { type HandshakeOptions, HandshakeState } from '../../../src/crypto/noise/handshake-state.js';
import { seededRng } from '../../../src/crypto/random.js';
import type { ErrorCode } from '../../../src/errors.js';
import { handshake, keyPair, thrownCode } from './helpers.js';

interface Case {
  call: string;
  state: string;
  code: ErrorCode;
  run: () => unknown;
}

const rng = seededRng(utf8('noise misuse test'));
const initiatorStatic = keyPair(rng(32));
const responderStatic = keyPair(rng(32));
const psk = rng(32);
const bytes = (length: number, fill = 0) => new Uint8Array(length).fill(fill);
const name = (pattern: string) => `Noise_${pattern}_25519_ChaChaPoly_BLAKE2s`;
const KKPSK0 = name('KKpsk0');

function kk(initiator: boolean, options: Partial<HandshakeOptions> = {}): HandshakeState {
  return new HandshakeState({
    protocolName: KKPSK0,
    initiator,
    s: initiator ? initiatorStatic : responderStatic,
    rs: initiator ? responderStatic.publicKey : initiatorStatic.publicKey,
    psks: [psk],
    rng,
    ...options,
  });
}

function nn(initiator: boolean): HandshakeState {
  return new HandshakeState({ protocolName: name('NN'), initiator, rng });
}

/** A KKpsk0 pair after the initiator wrote message 1. */
function afterMessage1() {
  const initiator = kk(true);
  const responder = kk(false);
  return { initiator, responder, message1: initiator.writeMessage(utf8('hello')) };
}

function completed() {
  const initiator = kk(true);
  const responder = kk(false);
  handshake(initiator, responder);
  return { initiator, responder };
}

/** A responder whose read of a tampered message 1 failed, and the genuine message 1. */
function failedResponder() {
  const { responder, message1 } = afterMessage1();
  const tampered = message1.slice();
  tampered[40] = (tampered[40] ?? 0) ^ 1;
  expect(thrownCode(() => responder.readMessage(tampered))).toBe('CRYPTO_AUTH_FAILED');
  return { responder, message1 };
}

const cases: Case[] = [];
const add = (call: string, state: string, code: ErrorCode, run: () => unknown) =>
  cases.push({ call, state, code, run });

// Protocol names (§8) and patterns (§7, §9.4).
for (const [protocol, why] of [
  ['Noise_KK_448_ChaChaPoly_BLAKE2s', 'DH 448'],
  ['Noise_KK_25519_AESGCM_BLAKE2s', 'cipher AESGCM'],
  ['Noise_KK_25519_ChaChaPoly_SHA256', 'hash SHA256'],
  ['Noise_KK_25519_ChaChaPoly_BLAKE2b', 'hash BLAKE2b'],
  ['Noise_KK_25519_ChaChaPoly', 'a missing hash'],
  ['Noise_KK_25519_ChaChaPoly_BLAKE2s_extra', 'a trailing part'],
  ['noise_KK_25519_ChaChaPoly_BLAKE2s', 'a lower-case prefix'],
  ['', 'an empty name'],
  [name('ZZ'), 'an unknown pattern'],
  [name('kk'), 'a lower-case pattern'],
  [name('psk0'), 'a modifier without a pattern'],
  [name('XXfallback'), 'the unsupported fallback modifier'],
  [name('XXhfs'), 'the unsupported hfs modifier'],
  [name('NNpsk3'), 'psk3 on a two-message pattern'],
  [name('Npsk2'), 'psk2 on a one-way pattern'],
  [name('NNpsk0+psk0'), 'a repeated modifier'],
  [name('NNpsk01'), 'a psk number with a leading zero'],
  [name('NNpsk'), 'psk without a number'],
  [name('NNpsk0+'), 'a trailing +'],
] as const) {
  add('new HandshakeState', `protocol name with ${why}`, 'NOISE_BAD_PROTOCOL', () =>
    kk(true, { protocolName: protocol }),
  );
}

// Keys that Initialize (§5.3) needs, or must not be given.
const initCases: [string, Partial<HandshakeOptions> & { initiator?: boolean }][] = [
  ['KKpsk0 initiator without s', { s: undefined }],
  ['KKpsk0 initiator without rs', { rs: undefined }],
  ['KKpsk0 responder without rs', { initiator: false, s: responderStatic, rs: undefined }],
  ['KKpsk0 responder without s', { initiator: false, s: undefined, rs: initiatorStatic.publicKey }],
  ['KKpsk0 without psks', { psks: undefined }],
  ['KKpsk0 with two psks', { psks: [psk, psk] }],
  ['KKpsk0 with a 31-byte psk', { psks: [bytes(31)] }],
  ['KKpsk0 with a 33-byte psk', { psks: [bytes(33)] }],
  [
    'KKpsk0 with a 31-byte s secret key',
    { s: { publicKey: initiatorStatic.publicKey, secretKey: bytes(31) } },
  ],
  [
    'KKpsk0 with a 33-byte s public key',
    { s: { publicKey: bytes(33), secretKey: initiatorStatic.secretKey } },
  ],
  ['KKpsk0 with a 31-byte rs', { rs: bytes(31) }],
  ['KKpsk0 with a 16-byte fixed e', { e: { publicKey: bytes(16), secretKey: bytes(32) } }],
  ['NN with s', { protocolName: name('NN'), s: initiatorStatic, rs: undefined, psks: undefined }],
  ['NN with a psk', { protocolName: name('NN'), s: undefined, rs: undefined }],
  ['XX with rs (XX sends it)', { protocolName: name('XX'), psks: undefined }],
  [
    'IK responder with rs (IK sends it)',
    { protocolName: name('IK'), initiator: false, s: responderStatic, psks: undefined },
  ],
  [
    'N responder with a fixed e (it sends none)',
    {
      protocolName: name('N'),
      initiator: false,
      s: responderStatic,
      rs: undefined,
      psks: undefined,
      e: keyPair(bytes(32, 5)),
    },
  ],
  ['NKpsk2 initiator without rs', { protocolName: name('NKpsk2'), s: undefined, rs: undefined }],
];
for (const [state, options] of initCases) {
  add('new HandshakeState', state, 'NOISE_MISUSE', () => kk(options.initiator ?? true, options));
}

// Turn order, completion and failure.
add('writeMessage', 'KKpsk0 responder before message 1', 'NOISE_MISUSE', () => kk(false).writeMessage());
add('readMessage', 'KKpsk0 initiator before writing message 1', 'NOISE_MISUSE', () =>
  kk(true).readMessage(afterMessage1().message1),
);
add('writeMessage', 'KKpsk0 initiator again after message 1', 'NOISE_MISUSE', () =>
  afterMessage1().initiator.writeMessage(),
);
add('readMessage', 'KKpsk0 responder after reading message 1', 'NOISE_MISUSE', () => {
  const { responder, message1 } = afterMessage1();
  responder.readMessage(message1);
  return responder.readMessage(message1);
});
add('writeMessage', 'completed KKpsk0 initiator', 'NOISE_MISUSE', () => completed().initiator.writeMessage());
add('writeMessage', 'completed KKpsk0 responder', 'NOISE_MISUSE', () => completed().responder.writeMessage());
add('readMessage', 'completed KKpsk0 initiator', 'NOISE_MISUSE', () =>
  completed().initiator.readMessage(bytes(48)),
);
add('readMessage', 'completed KKpsk0 responder', 'NOISE_MISUSE', () =>
  completed().responder.readMessage(afterMessage1().message1),
);
add('split', 'KKpsk0 initiator after message 1', 'NOISE_MISUSE', () => afterMessage1().initiator.split());
add('handshakeHash', 'KKpsk0 initiator after message 1', 'NOISE_MISUSE', () =>
  afterMessage1().initiator.handshakeHash(),
);
add('readMessage', 'responder whose read failed, now given the genuine message', 'NOISE_MISUSE', () => {
  const { responder, message1 } = failedResponder();
  return responder.readMessage(message1);
});
add('writeMessage', 'responder whose read failed', 'NOISE_MISUSE', () =>
  failedResponder().responder.writeMessage(),
);
add('split', 'responder whose read failed', 'NOISE_MISUSE', () => failedResponder().responder.split());
add('writeMessage', 'initiator whose write failed on an all-zero DH', 'NOISE_MISUSE', () => {
  const initiator = kk(true, { rs: bytes(32) });
  expect(thrownCode(() => initiator.writeMessage())).toBe('CRYPTO_WEAK_SHARED_SECRET');
  return initiator.writeMessage();
});

// §3: 65535 bytes at most. KKpsk0 message 1 is e (32) || payload || tag (16); NN's is e || payload.
add('writeMessage', 'KKpsk0 initiator, payload of 65488 bytes', 'NOISE_MISUSE', () =>
  kk(true).writeMessage(bytes(65535 - 48 + 1)),
);
add('writeMessage', 'NN initiator, payload of 65504 bytes', 'NOISE_MISUSE', () =>
  nn(true).writeMessage(bytes(65535 - 32 + 1)),
);
add('readMessage', 'KKpsk0 responder, message of 65536 bytes', 'NOISE_BAD_MESSAGE', () =>
  kk(false).readMessage(bytes(65536)),
);

// Messages too short for their tokens.
add('readMessage', 'KKpsk0 responder, 31-byte message 1', 'NOISE_BAD_MESSAGE', () =>
  kk(false).readMessage(bytes(31, 9)),
);
add('readMessage', 'KKpsk0 responder, 47-byte message 1 (tag cut short)', 'NOISE_BAD_MESSAGE', () =>
  kk(false).readMessage(afterMessage1().message1.subarray(0, 47)),
);
add('readMessage', 'KKpsk0 responder, empty message', 'NOISE_BAD_MESSAGE', () =>
  kk(false).readMessage(bytes(0)),
);
add('readMessage', 'NN responder, 31-byte message 1', 'NOISE_BAD_MESSAGE', () =>
  nn(false).readMessage(bytes(31, 9)),
);
add('readMessage', 'XX initiator, message 2 cut inside the encrypted static key', 'NOISE_BAD_MESSAGE', () => {
  const initiator = new HandshakeState({
    protocolName: name('XX'),
    initiator: true,
    s: initiatorStatic,
    rng,
  });
  const responder = new HandshakeState({
    protocolName: name('XX'),
    initiator: false,
    s: responderStatic,
    rng,
  });
  responder.readMessage(initiator.writeMessage());
  return initiator.readMessage(responder.writeMessage().subarray(0, 32 + 47));
});

// Authentication and all-zero DH results.
add('readMessage', 'KKpsk0 responder, message 1 with its last byte flipped', 'CRYPTO_AUTH_FAILED', () => {
  const { responder, message1 } = afterMessage1();
  return responder.readMessage(
    concatBytes(message1.subarray(0, -1), Uint8Array.of((message1.at(-1) ?? 0) ^ 0x80)),
  );
});
add('readMessage', 'KKpsk0 responder, message 1 with a byte appended', 'CRYPTO_AUTH_FAILED', () => {
  const { responder, message1 } = afterMessage1();
  return responder.readMessage(concatBytes(message1, bytes(1)));
});
add('readMessage', 'KKpsk0 responder, message 1 with an all-zero e', 'CRYPTO_WEAK_SHARED_SECRET', () => {
  const { responder, message1 } = afterMessage1();
  return responder.readMessage(concatBytes(bytes(32), message1.subarray(32)));
});
add('readMessage', 'NN initiator, message 2 with an all-zero e', 'CRYPTO_WEAK_SHARED_SECRET', () => {
  const initiator = nn(true);
  initiator.writeMessage();
  return initiator.readMessage(bytes(48));
});
add('writeMessage', 'KKpsk0 initiator whose rs is all zeros', 'CRYPTO_WEAK_SHARED_SECRET', () =>
  kk(true, { rs: bytes(32) }).writeMessage(),
);

// CipherState (§5.1): nonces are safe integers; 2^64-1 is reserved and, as a number, out of range.
const key = rng(32);
for (const n of [-1, 1.5, Number.NaN, MAX_NONCE + 1, 2 ** 64 - 1]) {
  add('CipherState.setNonce', `nonce ${n}`, 'NOISE_BAD_NONCE', () => new CipherState(key).setNonce(n));
  add('CipherState.encryptWithNonce', `nonce ${n}`, 'NOISE_BAD_NONCE', () =>
    new CipherState(key).encryptWithNonce(n, bytes(0), bytes(1)),
  );
  add('CipherState.decryptWithNonce', `nonce ${n}`, 'NOISE_BAD_NONCE', () =>
    new CipherState(key).decryptWithNonce(n, bytes(0), bytes(17)),
  );
}
add('CipherState.encryptWithAd', 'counter past 2^53-1', 'NOISE_BAD_NONCE', () => {
  const state = new CipherState(key);
  state.setNonce(MAX_NONCE);
  state.encryptWithAd(bytes(0), bytes(1));
  return state.encryptWithAd(bytes(0), bytes(1));
});
add('new CipherState', '31-byte key', 'NOISE_MISUSE', () => new CipherState(bytes(31)));
add('CipherState.key', 'no key', 'NOISE_MISUSE', () => new CipherState().key());
add('CipherState.rekey', 'no key', 'NOISE_MISUSE', () => new CipherState().rekey());
add('CipherState.encryptWithNonce', 'no key', 'NOISE_MISUSE', () =>
  new CipherState().encryptWithNonce(0, bytes(0), bytes(1)),
);
add('CipherState.decryptWithNonce', 'no key', 'NOISE_MISUSE', () =>
  new CipherState().decryptWithNonce(0, bytes(0), bytes(17)),
);
add('CipherState.encryptWithAd', 'plaintext of 65520 bytes', 'NOISE_MISUSE', () =>
  new CipherState(key).encryptWithAd(bytes(0), bytes(65520)),
);
add('CipherState.decryptWithAd', '15-byte ciphertext', 'NOISE_BAD_MESSAGE', () =>
  new CipherState(key).decryptWithAd(bytes(0), bytes(15)),
);
add('CipherState.decryptWithNonce', '65536-byte ciphertext', 'NOISE_BAD_MESSAGE', () =>
  new CipherState(key).decryptWithNonce(0, bytes(0), bytes(65536)),
);
add('CipherState.decryptWithAd', 'ciphertext under another key', 'CRYPTO_AUTH_FAILED', () =>
  new CipherState(key).decryptWithAd(bytes(0), new CipherState(rng(32)).encryptWithAd(bytes(0), bytes(3))),
);

describe('Noise misuse', () => {
  it.each(cases)('$call on $state throws $code', ({ run, code }) => {
    expect(thrownCode(run)).toBe(code);
  });
});
