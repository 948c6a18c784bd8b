import { writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { request } from '../../../src/cli/control-client.js';
import { KithError } from '../../../src/errors.js';
import { MAX_LINE_BYTES } from '../../../src/service/control-protocol.js';
import { ControlServer } from '../../../src/service/control-server.js';
import { withTimeout } from '../../helpers/kith.js';
import { tmpDir } from '../../helpers/tmp.js';

const handlers = {
  echo: (args: Record<string, unknown>) => args,
  slow: async () => {
    await new Promise((r) => setTimeout(r, 50));
    return 'slow';
  },
  fails: () => {
    throw new KithError('CONTACT_NOT_FOUND', 'no such friend');
  },
  bug: () => {
    throw new TypeError('undefined is not a function');
  },
};

/** Sends raw text on a fresh connection and collects reply lines until the server ends or `n` arrive. */
function raw(path: string, text: string, n: number): Promise<unknown[]> {
  return withTimeout(
    new Promise((resolve) => {
      const socket = createConnection(path);
      const replies: unknown[] = [];
      socket.on('connect', () => socket.write(text));
      createInterface({ input: socket }).on('line', (line) => {
        replies.push(JSON.parse(line));
        if (replies.length === n) {
          socket.end();
          resolve(replies);
        }
      });
      socket.on('close', () => resolve(replies));
      socket.on('error', () => resolve(replies));
    }),
    10_000,
    'no reply',
  );
}

describe('control server', () => {
  it('answers requests in order with results and stable error codes', async () => {
    const internal: string[] = [];
    const path = join(tmpDir(), 'c.sock');
    const server = await ControlServer.start({
      path,
      handlers,
      onInternalError: (cmd) => internal.push(cmd),
    });
    const lines = [
      { id: 1, cmd: 'slow' },
      { id: 2, cmd: 'echo', args: { a: 1 } },
      { id: 3, cmd: 'fails' },
      { id: 4, cmd: 'nope' },
      { id: 5, cmd: 'bug' },
      { id: 6, cmd: 'toString' },
    ];
    const replies = await raw(path, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`, lines.length);
    expect(replies).toEqual([
      { id: 1, ok: true, result: 'slow' },
      { id: 2, ok: true, result: { a: 1 } },
      { id: 3, ok: false, error: { code: 'CONTACT_NOT_FOUND', message: 'no such friend' } },
      { id: 4, ok: false, error: { code: 'CONTROL_UNKNOWN_COMMAND', message: 'unknown command "nope"' } },
      {
        id: 5,
        ok: false,
        error: { code: 'INTERNAL', message: 'internal error: undefined is not a function' },
      },
      { id: 6, ok: false, error: { code: 'CONTROL_UNKNOWN_COMMAND', message: 'unknown command "toString"' } },
    ]);
    expect(internal).toEqual(['bug']);
    await server.close();
  });

  it('rejects malformed requests with CONTROL_BAD_REQUEST and keeps serving', async () => {
    const path = join(tmpDir(), 'c.sock');
    const server = await ControlServer.start({ path, handlers });
    const bad = [
      'not json',
      '[1,2]',
      '{"cmd":"echo"}',
      '{"id":-1,"cmd":"echo"}',
      '{"id":1,"cmd":"echo","extra":1}',
      '{"id":7,"cmd":""}',
    ];
    const replies = (await raw(path, `${bad.join('\n')}\n{"id":9,"cmd":"echo"}\n`, bad.length + 1)) as {
      ok: boolean;
      id: number | null;
      error?: { code: string };
    }[];
    expect(replies.slice(0, bad.length).map((r) => r.error?.code)).toEqual(
      bad.map(() => 'CONTROL_BAD_REQUEST'),
    );
    expect(replies[5]?.id).toBe(7);
    expect(replies.at(-1)).toEqual({ id: 9, ok: true, result: {} });
    await server.close();
  });

  it('refuses an over-long line and closes that connection', async () => {
    const path = join(tmpDir(), 'c.sock');
    const server = await ControlServer.start({ path, handlers });
    const replies = await raw(path, 'x'.repeat(MAX_LINE_BYTES + 10), 1);
    expect(replies).toEqual([
      {
        id: null,
        ok: false,
        error: { code: 'CONTROL_BAD_REQUEST', message: `control line longer than ${MAX_LINE_BYTES} bytes` },
      },
    ]);
    expect(await request(path, 'echo', { still: 'up' })).toEqual({ still: 'up' });
    await server.close();
  });

  it('never replaces a live socket or a plain file', async () => {
    const dir = tmpDir();
    const path = join(dir, 'c.sock');
    const first = await ControlServer.start({ path, handlers });
    await expect(ControlServer.start({ path, handlers })).rejects.toMatchObject({
      code: 'SERVICE_SOCKET_IN_USE',
    });
    await first.close();

    // A stale socket (left by SIGKILL) is replaced: see test/integration/service.test.ts.
    const filePath = join(dir, 'plain');
    writeFileSync(filePath, 'important');
    await expect(ControlServer.start({ path: filePath, handlers })).rejects.toMatchObject({
      code: 'SERVICE_SOCKET_PATH',
    });
  });

  it('refuses a socket path too long for sockaddr_un', async () => {
    const path = join(tmpDir(), 'x'.repeat(120), 'c.sock');
    await expect(ControlServer.start({ path, handlers })).rejects.toMatchObject({
      code: 'SERVICE_SOCKET_PATH',
      message: expect.stringContaining('longer than 107 bytes'),
    });
  });

  it('reports a missing service in words a person can act on', async () => {
    await expect(request(join(tmpDir(), 'none.sock'), 'status')).rejects.toMatchObject({
      code: 'SERVICE_NOT_RUNNING',
      message: expect.stringContaining('no Kith service is running'),
    });
  });
});
