// The control socket's protocol (DESIGN §2): one JSON object per line each way. A request names a
// command and its arguments; the reply carries the same id and either a result or an error with
// a stable KithError code. Shared by the server (service/) and the client (cli/).
import { z } from 'zod';
import { KithError } from '../errors.js';

/** Longest line either side accepts; a contact card or a status report is a few KiB at most. */
export const MAX_LINE_BYTES = 64 * 1024;
export const SOCKET_FILE = 'control.sock';

export const requestSchema = z.strictObject({
  id: z.int().nonnegative(),
  cmd: z.string().min(1).max(64),
  args: z.record(z.string(), z.unknown()).optional(),
});

export type ControlRequest = z.output<typeof requestSchema>;

export type ControlReply =
  | { id: number; ok: true; result: unknown }
  | { id: number | null; ok: false; error: { code: string; message: string } };

/** Splits a byte stream into lines, refusing a line longer than MAX_LINE_BYTES. */
export class LineSplitter {
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.#add(chunk.subarray(start, nl));
      lines.push(Buffer.concat(this.#pending).toString('utf8'));
      this.#pending = [];
      this.#pendingBytes = 0;
      start = nl + 1;
    }
    if (start < chunk.length) this.#add(chunk.subarray(start));
    return lines;
  }

  #add(part: Buffer): void {
    this.#pendingBytes += part.length;
    if (this.#pendingBytes > MAX_LINE_BYTES) {
      throw new KithError('CONTROL_BAD_REQUEST', `control line longer than ${MAX_LINE_BYTES} bytes`);
    }
    this.#pending.push(part);
  }
}
