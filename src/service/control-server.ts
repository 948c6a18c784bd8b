// The control socket server: a Unix stream socket under the runtime directory, mode 0660 so the
// service user and members of its group (the owner's SSH login) can use `kith`, nobody else.
// Each connection may send any number of requests; each gets exactly one reply line.
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { errorMessage, isKithError, KithError } from '../errors.js';
import { type ControlReply, LineSplitter, requestSchema } from './control-protocol.js';

export type Handler = (args: Record<string, unknown>) => unknown;

export interface ControlServerOptions {
  path: string;
  handlers: Record<string, Handler>;
  /** Failures that are not the client's fault (a handler bug) are reported here. */
  onInternalError?: (cmd: string, err: unknown) => void;
}

/** Linux's sockaddr_un.sun_path holds 108 bytes including the terminating NUL. */
const SUN_PATH_MAX = 107;
const MAX_CONNECTIONS = 32;
const IDLE_TIMEOUT_MS = 60_000;

export class ControlServer {
  readonly path: string;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(path: string, server: Server) {
    this.path = path;
    this.#server = server;
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(opts: ControlServerOptions): Promise<ControlServer> {
    if (Buffer.byteLength(opts.path) > SUN_PATH_MAX) {
      throw new KithError(
        'SERVICE_SOCKET_PATH',
        `control socket path ${opts.path} is longer than ${SUN_PATH_MAX} bytes; choose a shorter runtime directory`,
      );
    }
    // 0750: group members can reach the socket, others cannot even see it.
    mkdirSync(dirname(opts.path), { recursive: true, mode: 0o750 });
    await clearStaleSocket(opts.path);
    const server = createServer((socket) => serve(socket, opts));
    server.maxConnections = MAX_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(opts.path, 0o660);
    return new ControlServer(opts.path, server);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
    try {
      unlinkSync(this.path);
    } catch {
      // Already gone: net.Server removes its socket file on close.
    }
  }
}

async function clearStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) {
    throw new KithError('SERVICE_SOCKET_PATH', `${path} exists and is not a socket; not replacing it`);
  }
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) {
    throw new KithError(
      'SERVICE_SOCKET_IN_USE',
      `another process is serving ${path}; is a second Kith running?`,
    );
  }
  unlinkSync(path);
}

function serve(socket: Socket, opts: ControlServerOptions): void {
  const splitter = new LineSplitter();
  let queue = Promise.resolve();
  socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    let lines: string[];
    try {
      lines = splitter.push(chunk);
    } catch (err) {
      reply(socket, { id: null, ok: false, error: toWire(err) });
      socket.end();
      return;
    }
    // Replies keep request order even when a handler is async.
    for (const line of lines) queue = queue.then(() => handleLine(socket, line, opts));
  });
}

async function handleLine(socket: Socket, line: string, opts: ControlServerOptions): Promise<void> {
  if (line.trim() === '') return;
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    reply(socket, {
      id: null,
      ok: false,
      error: { code: 'CONTROL_BAD_REQUEST', message: 'request is not JSON' },
    });
    return;
  }
  const parsed = requestSchema.safeParse(json);
  if (!parsed.success) {
    const id = typeof (json as { id?: unknown })?.id === 'number' ? (json as { id: number }).id : null;
    const message = `malformed request: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ')}`;
    reply(socket, { id, ok: false, error: { code: 'CONTROL_BAD_REQUEST', message } });
    return;
  }
  const { id, cmd, args } = parsed.data;
  const handler = Object.hasOwn(opts.handlers, cmd) ? opts.handlers[cmd] : undefined;
  if (!handler) {
    reply(socket, {
      id,
      ok: false,
      error: { code: 'CONTROL_UNKNOWN_COMMAND', message: `unknown command "${cmd}"` },
    });
    return;
  }
  try {
    reply(socket, { id, ok: true, result: await handler(args ?? {}) });
  } catch (err) {
    if (!isKithError(err)) opts.onInternalError?.(cmd, err);
    reply(socket, { id, ok: false, error: toWire(err) });
  }
}

function toWire(err: unknown): { code: string; message: string } {
  if (isKithError(err)) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: `internal error: ${errorMessage(err)}` };
}

function reply(socket: Socket, message: ControlReply): void {
  if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify(message)}\n`);
}
