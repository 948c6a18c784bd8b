// RIFF/WAVE files of 16-bit PCM: what the simulator plays as a microphone and writes as a recording,
// and what tools around it (espeak-ng, arecord, audio editors) read and write. Only 16-bit PCM is
// accepted, plain (format 1) or WAVE_FORMAT_EXTENSIBLE with the PCM subtype; anything else, and any
// length that does not fit the file, is refused with AUDIO_BAD_WAV saying what is wrong, because a
// silently misread file would make a test or a demo sound wrong for reasons nobody can see.
import { KithError } from '../errors.js';
import { bytesFromSamples, samplesFromBytes } from './frame.js';

export interface DecodedWav {
  sampleRate: number;
  channels: number;
  /** Interleaved when channels > 1 (see toMono). */
  samples: Int16Array;
}

const FORMAT_PCM = 0x0001;
const FORMAT_EXTENSIBLE = 0xfffe;
/** The KSDATAFORMAT_SUBTYPE_PCM GUID after its first two bytes (which hold the format tag 1). */
const PCM_GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
const FORMAT_NAMES: Record<number, string> = {
  0x0003: 'IEEE float',
  0x0006: 'A-law',
  0x0007: 'mu-law',
  0x0011: 'IMA ADPCM',
  0x0055: 'MP3',
};
/**
 * Lengths at or above this are placeholders written by tools that stream a WAV to a pipe and cannot
 * seek back (espeak-ng --stdout writes 0x7ffff000); the file is fine apart from the header.
 */
const STREAMING_LENGTH = 0x7fff0000;

/** A mono (or interleaved, with `channels`) 16-bit PCM WAV file with a 44-byte header. */
export function encodeWav(samples: Int16Array, sampleRate: number, channels = 1): Uint8Array {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0 || sampleRate > 0xffffffff) {
    throw new KithError('AUDIO_BAD_OPTION', `WAV sample rate must be a positive integer, got ${sampleRate}`);
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > 0xffff || samples.length % channels !== 0) {
    throw new KithError(
      'AUDIO_BAD_OPTION',
      `WAV channel count ${channels} does not divide ${samples.length} samples into whole frames`,
    );
  }
  const dataBytes = samples.length * 2;
  const bytes = new Uint8Array(44 + dataBytes);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) bytes[offset + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, FORMAT_PCM, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels * 2, true);
  view.setUint16(32, channels * 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  bytesFromSamples(samples, bytes, 44);
  return bytes;
}

/** Parses a 16-bit PCM WAV file; throws AUDIO_BAD_WAV naming the first thing that is wrong. */
export function decodeWav(bytes: Uint8Array): DecodedWav {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (offset: number) => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  const bad = (why: string) => new KithError('AUDIO_BAD_WAV', `not a usable WAV file: ${why}`);

  if (bytes.length < 12) throw bad(`${bytes.length} bytes is shorter than the 12-byte RIFF header`);
  const magic = tag(0);
  if (magic === 'RIFX') throw bad('big-endian RIFX files are not supported, only RIFF');
  if (magic !== 'RIFF') throw bad(`starts with ${JSON.stringify(magic)}, not "RIFF"`);
  if (tag(8) !== 'WAVE') throw bad(`RIFF form type is ${JSON.stringify(tag(8))}, not "WAVE"`);
  const riffSize = view.getUint32(4, true);
  if (8 + riffSize > bytes.length) {
    throw bad(
      `RIFF header says ${8 + riffSize} bytes but the file has ${bytes.length} (truncated?)` +
        streamingHint(riffSize),
    );
  }
  // Bytes after the RIFF form (some tools append tags) are not part of the file's audio.
  const end = 8 + riffSize;

  let fmt: { channels: number; sampleRate: number } | undefined;
  let samples: Int16Array | undefined;
  let offset = 12;
  while (offset < end) {
    if (end - offset < 8)
      throw bad(`${end - offset} stray bytes at byte ${offset}, too few for a chunk header`);
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (size > end - body) {
      throw bad(
        `${JSON.stringify(id)} chunk at byte ${offset} claims ${size} bytes but only ${end - body} remain` +
          (id === 'data' ? streamingHint(size) : ''),
      );
    }
    if (id === 'fmt ') {
      if (fmt !== undefined) throw bad(`second "fmt " chunk at byte ${offset}`);
      fmt = parseFmt(view, body, size, bad);
    } else if (id === 'data') {
      if (fmt === undefined) throw bad(`"data" chunk at byte ${offset} comes before any "fmt " chunk`);
      if (samples !== undefined) throw bad(`second "data" chunk at byte ${offset}`);
      const blockAlign = fmt.channels * 2;
      if (size % blockAlign !== 0) {
        throw bad(`"data" chunk is ${size} bytes, not a whole number of ${blockAlign}-byte sample frames`);
      }
      samples = samplesFromBytes(bytes.subarray(body, body + size));
    }
    // Chunks are padded to an even length; the pad byte may be missing only at the very end.
    offset = body + size + (size % 2);
  }
  if (fmt === undefined) throw bad('no "fmt " chunk');
  if (samples === undefined) throw bad('no "data" chunk');
  return { sampleRate: fmt.sampleRate, channels: fmt.channels, samples };
}

function parseFmt(
  view: DataView,
  at: number,
  size: number,
  bad: (why: string) => KithError,
): { channels: number; sampleRate: number } {
  if (size < 16) throw bad(`"fmt " chunk is ${size} bytes, shorter than the 16 a PCM format needs`);
  let formatTag = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  // The byte rate (at + 8) is redundant and often wrong in the wild; block align is what framing uses.
  const blockAlign = view.getUint16(at + 12, true);
  const bits = view.getUint16(at + 14, true);
  if (formatTag === FORMAT_EXTENSIBLE) {
    if (size < 40) throw bad(`WAVE_FORMAT_EXTENSIBLE "fmt " chunk is ${size} bytes, needs 40`);
    const validBits = view.getUint16(at + 18, true);
    formatTag = view.getUint16(at + 24, true);
    const tailMatches = PCM_GUID_TAIL.every((b, i) => view.getUint8(at + 26 + i) === b);
    if (formatTag !== FORMAT_PCM || !tailMatches) {
      throw bad(`WAVE_FORMAT_EXTENSIBLE subformat is not PCM${tailMatches ? ` (tag ${formatTag})` : ''}`);
    }
    if (validBits === 0 || validBits > bits) {
      throw bad(`WAVE_FORMAT_EXTENSIBLE says ${validBits} valid bits in ${bits}-bit samples`);
    }
  } else if (formatTag !== FORMAT_PCM) {
    const name = FORMAT_NAMES[formatTag];
    throw bad(`format tag ${formatTag}${name ? ` (${name})` : ''} is not PCM (1)`);
  }
  if (bits !== 16) throw bad(`${bits}-bit samples; only 16-bit PCM is supported`);
  if (channels === 0) throw bad('"fmt " chunk says 0 channels');
  if (sampleRate === 0) throw bad('"fmt " chunk says a sample rate of 0 Hz');
  if (blockAlign !== channels * 2) {
    throw bad(`block align is ${blockAlign}, but ${channels} channel(s) of 16 bits need ${channels * 2}`);
  }
  return { channels, sampleRate };
}

function streamingHint(length: number): string {
  return length >= STREAMING_LENGTH
    ? '; the length is a placeholder written when a WAV is streamed to a pipe ' +
        '(espeak-ng --stdout does this): write to a file instead (espeak-ng -w FILE)'
    : '';
}

/** Averages interleaved channels into one; rounding to nearest keeps the mean of a constant exact. */
export function toMono(wav: DecodedWav): Int16Array {
  if (wav.channels === 1) return wav.samples;
  const frames = Math.floor(wav.samples.length / wav.channels);
  const out = new Int16Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < wav.channels; c++) sum += wav.samples[f * wav.channels + c] ?? 0;
    out[f] = Math.round(sum / wav.channels);
  }
  return out;
}
