// The config file's schema: every key, its default and what is allowed. One TOML file
// (/etc/kith/config.toml on the device, DESIGN §2); unknown keys are errors so a typo never
// silently falls back to a default.
import { isIP } from 'node:net';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { parseEndpoint } from '../net/transport.js';
import { displayNameProblem } from '../wire/card.js';

const absolutePath = z
  .string()
  .min(1)
  .refine((p) => isAbsolute(p), { message: 'must be an absolute path' })
  .refine((p) => !p.includes('\0'), { message: 'must not contain a NUL byte' });

const endpoint = z.string().superRefine((text, ctx) => {
  try {
    parseEndpoint(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be IPV4:PORT or [IPV6]:PORT (addresses, not names)' });
  }
});

const displayName = z.string().superRefine((name, ctx) => {
  const problem = displayNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const configSchema = z.strictObject({
  device: z
    .strictObject({
      /** The name on this device's contact card. */
      name: displayName.default('Kith'),
      /**
       * The board profile (hardware/boards/NAME.json: buttons, LEDs, display, headset) or a path
       * to one; "none" runs without device hardware (an entry node, a laptop).
       */
      board: z.string().min(1).max(4096).default('none'),
    })
    .prefault({}),
  paths: z
    .strictObject({
      /** Database and storage key; systemd's StateDirectory. */
      data_dir: absolutePath.default('/var/lib/kith'),
      /** Control socket; systemd's RuntimeDirectory. */
      runtime_dir: absolutePath.default('/run/kith'),
    })
    .prefault({}),
  network: z
    .strictObject({
      /** Address the UDP socket binds (channels now, the overlay later); 0.0.0.0 = every IPv4 interface. */
      listen_address: z
        .string()
        .refine((a) => isIP(a) !== 0, { message: 'must be an IPv4 or IPv6 address' })
        .default('0.0.0.0'),
      /** UDP port; 0 lets the system choose one (tests, several devices on one machine). */
      port: z.int().min(0).max(65_535).default(4801),
      /** Overlay entry peers to join through (docs/overlay-protocol.md "Join"); none: wait to be joined. */
      entry_peers: z.array(endpoint).max(32).default([]),
      /** Be an entry peer: others join through this node (a public node; `kith run --entry`). */
      entry: z.boolean().default(false),
      /** Relay channel packets between nodes that cannot reach each other (default: when an entry peer). */
      relay: z.boolean().optional(),
      /** Proof of work (leading zero bits) asked of nodes that link to us while calm; it rises under load. */
      pow_difficulty: z.int().min(8).max(24).default(14),
    })
    .prefault({}),
  audio: z
    .strictObject({
      /** "alsa" on a device (the headset); "sim" plays WAV files (laptops, the simulator). */
      driver: z.enum(['alsa', 'sim']).default('alsa'),
      /** ALSA PCM names (a bluez-alsa or PipeWire PCM for the headset; the board profile's). */
      capture_device: z.string().min(1).max(200).default('default'),
      playback_device: z.string().min(1).max(200).default('default'),
      /** Sim: a WAV file as the microphone (empty: a 440 Hz tone). */
      sim_input: z.string().max(4096).default(''),
      /** Sim: where what the peer said is written as WAV when a call ends (empty: nowhere). */
      sim_output: z.string().max(4096).default(''),
      /** Rates this device offers (16000 = HFP wideband; 48000 where the audio path allows). */
      sample_rates: z
        .array(z.literal([16_000, 48_000]))
        .min(1)
        .default([16_000]),
      /** Opus complexity, 0-10: the H3 board cannot afford the top of the range (FIELD-NOTES). */
      complexity: z.int().min(0).max(10).default(5),
      /** Most bits per second a call may use each way (Opus plus redundancy). */
      max_bitrate: z.int().min(6_000).max(510_000).default(32_000),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(logLevels).default('info'),
    })
    .prefault({}),
  service: z
    .strictObject({
      /** How long a clean stop may take before the process exits anyway. */
      stop_timeout_ms: z.int().min(500).max(60_000).default(5_000),
      /** Event-loop delay above which the health check fails and the watchdog is starved. */
      max_event_loop_delay_ms: z.int().min(50).max(60_000).default(2_000),
    })
    .prefault({}),
});

export type Config = z.output<typeof configSchema>;
