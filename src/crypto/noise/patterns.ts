// Noise handshake patterns as data (Noise spec rev 34, https://noiseprotocol.org/noise.html): the
// one-way (§7.4), fundamental interactive (§7.5) and deferred (§7.6) patterns, the "psk" modifiers
// of §9.4, and the protocol names of §8 for the one suite Kith implements, 25519_ChaChaPoly_BLAKE2s.
import { KithError } from '../../errors.js';

export type Token = 'e' | 's' | 'ee' | 'es' | 'se' | 'ss' | 'psk';

export interface HandshakePattern {
  /** The pattern name with its modifiers, as it appears in a protocol name: "XX", "KKpsk0+psk2". */
  readonly name: string;
  /**
   * §7.1 pre-messages: whose static public key the other side knows before the handshake. No
   * pattern here has an "e" pre-message (only §10's compound protocols do), so "s" is the only one.
   */
  readonly preMessage: { readonly initiatorStatic: boolean; readonly responderStatic: boolean };
  /** Message token lists in order, alternating between the sides (see initiatorWrites). */
  readonly messages: readonly (readonly Token[])[];
}

export interface NoiseProtocol {
  /** The full protocol name, "Noise_<pattern>_25519_ChaChaPoly_BLAKE2s", that §5.2 hashes into h. */
  readonly name: string;
  readonly pattern: HandshakePattern;
}

const SUITE = { dh: '25519', cipher: 'ChaChaPoly', hash: 'BLAKE2s' } as const;

// Transcribed line by line from the spec: pre-messages, "...", then the messages.
const SPEC_PATTERNS: Record<string, readonly string[]> = {
  // §7.4 one-way patterns.
  N: ['<- s', '...', '-> e, es'],
  K: ['-> s', '<- s', '...', '-> e, es, ss'],
  X: ['<- s', '...', '-> e, es, s, ss'],
  // §7.5 fundamental interactive patterns.
  NN: ['-> e', '<- e, ee'],
  NK: ['<- s', '...', '-> e, es', '<- e, ee'],
  NX: ['-> e', '<- e, ee, s, es'],
  XN: ['-> e', '<- e, ee', '-> s, se'],
  XK: ['<- s', '...', '-> e, es', '<- e, ee', '-> s, se'],
  XX: ['-> e', '<- e, ee, s, es', '-> s, se'],
  KN: ['-> s', '...', '-> e', '<- e, ee, se'],
  KK: ['-> s', '<- s', '...', '-> e, es, ss', '<- e, ee, se'],
  KX: ['-> s', '...', '-> e', '<- e, ee, se, s, es'],
  IN: ['-> e, s', '<- e, ee, se'],
  IK: ['<- s', '...', '-> e, es, s, ss', '<- e, ee, se'],
  IX: ['-> e, s', '<- e, ee, se, s, es'],
  // §7.6 deferred interactive patterns.
  NK1: ['<- s', '...', '-> e', '<- e, ee, es'],
  NX1: ['-> e', '<- e, ee, s', '-> es'],
  X1N: ['-> e', '<- e, ee', '-> s', '<- se'],
  X1K: ['<- s', '...', '-> e, es', '<- e, ee', '-> s', '<- se'],
  XK1: ['<- s', '...', '-> e', '<- e, ee, es', '-> s, se'],
  X1K1: ['<- s', '...', '-> e', '<- e, ee, es', '-> s', '<- se'],
  X1X: ['-> e', '<- e, ee, s, es', '-> s', '<- se'],
  XX1: ['-> e', '<- e, ee, s', '-> es, s, se'],
  X1X1: ['-> e', '<- e, ee, s', '-> es, s', '<- se'],
  K1N: ['-> s', '...', '-> e', '<- e, ee', '-> se'],
  K1K: ['-> s', '<- s', '...', '-> e, es', '<- e, ee', '-> se'],
  KK1: ['-> s', '<- s', '...', '-> e', '<- e, ee, se, es'],
  K1K1: ['-> s', '<- s', '...', '-> e', '<- e, ee, es', '-> se'],
  K1X: ['-> s', '...', '-> e', '<- e, ee, s, es', '-> se'],
  KX1: ['-> s', '...', '-> e', '<- e, ee, se, s', '-> es'],
  K1X1: ['-> s', '...', '-> e', '<- e, ee, s', '-> se, es'],
  I1N: ['-> e, s', '<- e, ee', '-> se'],
  I1K: ['<- s', '...', '-> e, es, s', '<- e, ee', '-> se'],
  IK1: ['<- s', '...', '-> e, s', '<- e, ee, se, es'],
  I1K1: ['<- s', '...', '-> e, s', '<- e, ee, es', '-> se'],
  I1X: ['-> e, s', '<- e, ee, s, es', '-> se'],
  IX1: ['-> e, s', '<- e, ee, se, s', '-> es'],
  I1X1: ['-> e, s', '<- e, ee, s', '-> se, es'],
};

/** §7.1: the initiator writes the first message, and the two sides then take turns. */
export function initiatorWrites(messageIndex: number): boolean {
  return messageIndex % 2 === 0;
}

const TOKENS: ReadonlySet<string> = new Set<Token>(['e', 's', 'ee', 'es', 'se', 'ss']);

function parseLine(line: string): { initiator: boolean; tokens: Token[] } {
  const [arrow, ...rest] = line.split(' ');
  const tokens = rest.join('').split(',');
  if ((arrow !== '->' && arrow !== '<-') || !tokens.every((t) => TOKENS.has(t))) {
    throw new Error(`bad pattern line ${JSON.stringify(line)}`);
  }
  return { initiator: arrow === '->', tokens: tokens as Token[] };
}

function parseSpecPattern(name: string, lines: readonly string[]): HandshakePattern {
  const split = lines.indexOf('...');
  const pre = lines.slice(0, Math.max(split, 0)).map(parseLine);
  const messages = lines.slice(split + 1).map(parseLine);
  if (
    pre.some((line) => line.tokens.join() !== 's') ||
    messages.some((m, i) => m.initiator !== initiatorWrites(i))
  ) {
    throw new Error(`pattern ${name} has an unsupported pre-message or does not alternate`);
  }
  return {
    name,
    preMessage: {
      initiatorStatic: pre.some((line) => line.initiator),
      responderStatic: pre.some((line) => !line.initiator),
    },
    messages: messages.map((m) => m.tokens),
  };
}

const BASE_PATTERNS = new Map(
  Object.entries(SPEC_PATTERNS).map(([name, lines]) => [name, parseSpecPattern(name, lines)]),
);

function unsupported(message: string): KithError {
  return new KithError('NOISE_BAD_PROTOCOL', message);
}

/**
 * The pattern for a name such as "XX", "IKpsk2" or "KKpsk0+psk2". §8: the first modifier follows
 * the base name directly, later ones are joined with "+"; only pskN modifiers are supported.
 */
export function handshakePattern(name: string): HandshakePattern {
  const baseName = /^[A-Z0-9]*/.exec(name)?.[0] ?? '';
  const base = BASE_PATTERNS.get(baseName);
  if (base === undefined) {
    throw unsupported(`Noise handshake pattern ${JSON.stringify(name)} is not supported`);
  }
  const modifiers = name.slice(baseName.length);
  if (modifiers === '') return base;
  const messages = base.messages.map((tokens) => [...tokens]);
  const seen = new Set<string>();
  for (const modifier of modifiers.split('+')) {
    const psk = /^psk(0|[1-9][0-9]*)$/.exec(modifier)?.[1];
    if (psk === undefined || seen.has(modifier)) {
      throw unsupported(`Noise pattern modifier ${JSON.stringify(modifier)} in ${name} is not supported`);
    }
    seen.add(modifier);
    // §9.4: psk0 puts a "psk" token at the start of the first message, pskN at the end of the Nth.
    const n = Number(psk);
    const target = messages[Math.max(n - 1, 0)];
    if (target === undefined) {
      throw unsupported(`${name}: ${modifier} names a message the pattern does not have`);
    }
    if (n === 0) target.unshift('psk');
    else target.push('psk');
  }
  return { name, preMessage: base.preMessage, messages };
}

/** §8: "Noise_" pattern "_" DH "_" cipher "_" hash; refuses any suite but 25519_ChaChaPoly_BLAKE2s. */
export function parseProtocolName(name: string): NoiseProtocol {
  const parts = name.split('_');
  const [noise, pattern, dh, cipher, hash] = parts;
  if (parts.length !== 5 || noise !== 'Noise' || pattern === undefined) {
    throw unsupported(
      `${JSON.stringify(name)} is not a Noise protocol name (Noise_<pattern>_<dh>_<cipher>_<hash>)`,
    );
  }
  for (const [what, got, want] of [
    ['DH function', dh, SUITE.dh],
    ['cipher', cipher, SUITE.cipher],
    ['hash', hash, SUITE.hash],
  ] as const) {
    if (got !== want)
      throw unsupported(`Noise ${what} ${JSON.stringify(got)} is not supported, only ${want}`);
  }
  return { name, pattern: handshakePattern(pattern) };
}
