// The client side of the control socket: one request, one reply, with a bound on how long the
// service may take. Connection failures become errors a person can act on.
import { createConnection } from 'node:net';
import { KithError } from '../errors.js';
import { type ControlReply, LineSplitter } from '../service/control-protocol.js';

const REQUEST_TIMEOUT_MS = 10_000;

export async function request(
  socketPath: string,
  cmd: string,
  args: Record<string, unknown> = {},
): Promise<unknown> {
  const reply = await new Promise<ControlReply>((resolve, reject) => {
    const socket = createConnection(socketPath);
    const splitter = new LineSplitter();
    const fail = (err: unknown) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(REQUEST_TIMEOUT_MS, () =>
      fail(
        new KithError('CONTROL_TIMEOUT', `no reply from the service within ${REQUEST_TIMEOUT_MS / 1000} s`),
      ),
    );
    socket.on('connect', () => socket.write(`${JSON.stringify({ id: 1, cmd, args })}\n`));
    socket.on('error', (err: NodeJS.ErrnoException) => fail(connectError(socketPath, err)));
    socket.on('data', (chunk: Buffer) => {
      try {
        const line = splitter.push(chunk)[0];
        if (line === undefined) return;
        socket.end();
        resolve(JSON.parse(line) as ControlReply);
      } catch (err) {
        fail(
          new KithError(
            'CONTROL_BAD_REQUEST',
            `unreadable reply from the service: ${(err as Error).message}`,
          ),
        );
      }
    });
    socket.on('end', () =>
      fail(new KithError('SERVICE_NOT_RUNNING', 'the service closed the connection without a reply')),
    );
  });
  if (reply.ok) return reply.result;
  throw new KithError(knownCode(reply.error.code), reply.error.message);
}

function knownCode(code: string): KithError['code'] {
  // Codes come from our own service; an unknown one (a newer service) still surfaces as an error.
  return /^[A-Z_]+$/.test(code) ? (code as KithError['code']) : 'CONTROL_BAD_REQUEST';
}

function connectError(path: string, err: NodeJS.ErrnoException): KithError {
  switch (err.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return new KithError(
        'SERVICE_NOT_RUNNING',
        `no Kith service is running (nothing answers on ${path}); start it with \`kith run\` or \`sudo systemctl start kith\``,
      );
    case 'EACCES':
      return new KithError(
        'SERVICE_NOT_RUNNING',
        `permission denied on ${path}; add your user to group kith (sudo usermod -aG kith $USER) and log in again`,
      );
    default:
      return new KithError('SERVICE_NOT_RUNNING', `cannot reach the service at ${path}: ${err.message}`);
  }
}
