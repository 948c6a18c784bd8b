// 16-bit PCM samples to and from the little-endian bytes that WAV files, arecord and aplay carry,
// and the size check every AudioOut makes on a frame. Written byte by byte rather than through a
// typed-array view so the result does not depend on the host's byte order.
import { KithError } from '../errors.js';
import { type PcmFormat, samplesPerFrame } from './audio.js';

/** Decodes `bytes.length / 2` little-endian signed 16-bit samples (a trailing odd byte is the caller's bug). */
export function samplesFromBytes(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < out.length; i++) {
    out[i] = (((bytes[2 * i + 1] ?? 0) << 24) | ((bytes[2 * i] ?? 0) << 16)) >> 16;
  }
  return out;
}

/** Encodes samples as little-endian signed 16-bit bytes into `out` at `offset` (or a new array). */
export function bytesFromSamples(samples: Int16Array, out?: Uint8Array, offset = 0): Uint8Array {
  const bytes = out ?? new Uint8Array(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] ?? 0;
    bytes[offset + 2 * i] = s & 0xff;
    bytes[offset + 2 * i + 1] = (s >> 8) & 0xff;
  }
  return bytes;
}

/** Throws AUDIO_BAD_FRAME unless `frame` is one frame of `format`: a caller's bug, reported where it is. */
export function checkFrame(format: PcmFormat, frame: Int16Array): void {
  const want = samplesPerFrame(format);
  if (!(frame instanceof Int16Array) || frame.length !== want) {
    const got = frame instanceof Int16Array ? `${frame.length} samples` : typeof frame;
    throw new KithError(
      'AUDIO_BAD_FRAME',
      `audio frame has ${got}; ${format.sampleRate} Hz needs ${want} samples (20 ms) per frame`,
    );
  }
}
