// Running arecord and aplay (alsa-utils) for the real drivers: the arguments that pin the raw format,
// and turning the ways they fail into one KithError each, reported once. A child process keeps ALSA
// out of Node: a broken device or plugin costs the child, never the service (see alsa-out.ts for what
// loading ALSA in-process does). stop() never waits: SIGTERM now, SIGKILL after a bound.
import { type ChildProcess, spawn, type StdioOptions } from 'node:child_process';
import { type ErrorCode, KithError } from '../errors.js';
import { FRAME_MS } from './audio.js';

export type AlsaTool = 'arecord' | 'aplay';

/** A PcmFormat, or the stereo 44.1 kHz that speaker opens the default PCM with (speaker-out.ts). */
export interface RawFormat {
  sampleRate: number;
  channels: number;
}

export interface AlsaRun {
  tool: AlsaTool;
  /** ALSA PCM name, e.g. "default", "plughw:1,0", "bluealsa:PROFILE=sco". */
  device: string;
  format: RawFormat;
  /** ALSA buffer; playback latency is about this once it has filled. */
  bufferMs: number;
  /** How long stop() lets the tool exit on SIGTERM before SIGKILL. */
  stopTimeoutMs: number;
  /**
   * The tool is expected to end by itself (a probe playing /dev/null), so exit code 0 is not a
   * failure; a capture or playback stream ending is always one.
   */
  finite?: boolean;
  /** Called at most once, when the tool could not start or ended without stop(). */
  onFailure: (err: KithError) => void;
}

/** Keep this much of the tool's stderr: its last lines say why it stopped. */
const STDERR_KEEP = 4096;

/**
 * Raw S16_LE at the format's rate, one 20 ms period, quiet, and non-blocking open (-N) so a device
 * held by another program fails at once with EBUSY instead of leaving the tool waiting for it.
 * Reads or writes stdin/stdout.
 */
export function alsaArgs(device: string, format: RawFormat, bufferMs: number): string[] {
  return [
    '-q',
    '-N',
    '-t',
    'raw',
    '-f',
    'S16_LE',
    '-c',
    String(format.channels),
    '-r',
    String(format.sampleRate),
    '-D',
    device,
    `--period-time=${FRAME_MS * 1000}`,
    `--buffer-time=${Math.round(bufferMs * 1000)}`,
    '-',
  ];
}

export class AlsaChild {
  readonly process: ChildProcess;
  private readonly run: AlsaRun;
  private stderr = '';
  private settled = false;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(run: AlsaRun, stdio: StdioOptions) {
    this.run = run;
    this.process = spawn(run.tool, alsaArgs(run.device, run.format, run.bufferMs), { stdio });
    this.process.stderr?.setEncoding('utf8');
    this.process.stderr?.on('data', (text: string) => {
      this.stderr = (this.stderr + text).slice(-STDERR_KEEP);
    });
    this.process.on('error', (err: NodeJS.ErrnoException) => {
      // After a successful spawn, 'error' only reports a failed kill(), which stop() covers with SIGKILL.
      if (this.process.pid !== undefined) return;
      const code = err.code ?? 'error';
      this.fail(
        new KithError(
          'AUDIO_TOOL_MISSING',
          code === 'ENOENT'
            ? `${run.tool} is not installed (not found on PATH): install alsa-utils`
            : `cannot run ${run.tool} (${code}: ${err.message}): check that alsa-utils is installed and executable`,
          { cause: err },
        ),
      );
    });
    this.process.on('close', (exitCode, signal) => {
      clearTimeout(this.killTimer);
      if (run.finite && exitCode === 0) this.settled = true;
      this.fail(classifyExit(run.tool, run.device, run.format, this.stderr, exitCode, signal));
    });
  }

  /** Ends the tool without reporting a failure; safe to call twice. */
  stop(): void {
    this.settled = true;
    const child = this.process;
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    if (this.killTimer !== undefined) return;
    child.kill('SIGTERM');
    this.killTimer = setTimeout(() => child.kill('SIGKILL'), this.run.stopTimeoutMs);
  }

  private fail(err: KithError): void {
    if (this.settled) return;
    this.settled = true;
    this.run.onFailure(err);
  }
}

/**
 * Opens `device` with aplay and plays nothing (stdin is /dev/null): resolves to why it cannot be
 * opened with `format`, or undefined when it can. A device that takes longer than `timeoutMs` to open
 * (a Bluetooth link that does not come up) counts as failed.
 */
export function probePlayback(
  device: string,
  format: RawFormat,
  timeoutMs: number,
): Promise<KithError | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.stop();
      settle(
        new KithError(
          'AUDIO_DEVICE_FAILED',
          `aplay did not open ALSA device "${device}" within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    const settle = (err: KithError | undefined) => {
      clearTimeout(timer);
      resolve(err);
    };
    const child = new AlsaChild(
      {
        tool: 'aplay',
        device,
        format,
        bufferMs: 4 * FRAME_MS,
        stopTimeoutMs: 1000,
        finite: true,
        onFailure: settle,
      },
      ['ignore', 'ignore', 'pipe'],
    );
    // Registered after AlsaChild's own 'close' listener, which has already settled on a failure.
    child.process.on('close', () => settle(undefined));
  });
}

export function checkMs(name: string, value: number, min: number): number {
  if (!Number.isFinite(value) || value < min || value > 60_000) {
    throw new KithError('AUDIO_BAD_OPTION', `${name} must be ${min}..60000 ms, got ${value}`);
  }
  return value;
}

/**
 * Why arecord/aplay ended, from its exit and its last stderr lines. The tool prints
 * "arecord: main:831: audio open error: No such file or directory" after alsa-lib's own
 * "ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM nosuch"; both go into the message.
 */
export function classifyExit(
  tool: AlsaTool,
  device: string,
  format: RawFormat,
  stderr: string,
  exitCode: number | null,
  signal: NodeJS.Signals | null,
): KithError {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const toolLine = lines
    .filter((l) => l.startsWith(`${tool}:`))
    .at(-1)
    ?.replace(/^[^:]+:\s*(?:\w+:\d+:\s*)?/, '');
  const alsaLine = lines
    .filter((l) => l.startsWith('ALSA lib'))
    .at(-1)
    ?.replace(/^ALSA lib [^ ]*\s*/, '');
  const said = [toolLine && `${tool}: ${toolLine}`, alsaLine && `ALSA: ${alsaLine}`]
    .filter(Boolean)
    .join('; ');
  const how = exitCode !== null ? `exit code ${exitCode}` : `signal ${signal ?? 'unknown'}`;
  const detail = said === '' ? how : said;
  const which = `ALSA device "${device}"`;
  const listCmd = tool === 'arecord' ? 'arecord -L' : 'aplay -L';
  const make = (code: ErrorCode, message: string) => new KithError(code, message);

  if (toolLine?.includes('audio open error')) {
    if (/busy/i.test(toolLine)) {
      return make(
        'AUDIO_DEVICE_BUSY',
        `${which} is in use by another program (${detail}): stop that program, or use a device ` +
          'that shares the card (dmix/dsnoop, PipeWire)',
      );
    }
    if (/No such (file or directory|device)/i.test(toolLine)) {
      return make(
        'AUDIO_DEVICE_MISSING',
        `${which} does not exist or is not connected (${detail}); list devices with "${listCmd}"`,
      );
    }
    return make('AUDIO_DEVICE_FAILED', `${tool} cannot open ${which} (${detail})`);
  }
  if (/(non|not) available|no configurations available|Unable to install hw params/i.test(said)) {
    return make(
      'AUDIO_FORMAT_UNSUPPORTED',
      `${which} cannot ${tool === 'arecord' ? 'capture' : 'play'} ${format.sampleRate} Hz ${format.channels === 1 ? 'mono' : `${format.channels}-channel`} S16_LE ` +
        `(${detail}); use a converting device such as "plughw:..." or "default"`,
    );
  }
  if (exitCode === 0 || exitCode === null) {
    return make(
      'AUDIO_DEVICE_FAILED',
      `${tool} on ${which} ended unexpectedly (${how}${said && `; ${said}`})`,
    );
  }
  return make('AUDIO_DEVICE_FAILED', `${tool} on ${which} failed (${detail})`);
}
