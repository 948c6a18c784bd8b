// The simulator's web front panel (DESIGN §2): one HTTP server on 127.0.0.1 that serves the static
// page (static-files.ts) and one WebSocket endpoint (protocol.ts) through which every open tab sees
// each device's OLED, LEDs and status live (feed.ts) and presses its buttons.
//
// Anything a page sends is input from outside: a malformed message, an unknown device or a bogus
// button is dropped and counted, never thrown. Upgrades must name this server as their Host and
// come from its own page (or from no page at all, like a test client), so a web site open in the
// same browser cannot press buttons through a cross-site or DNS-rebound WebSocket.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { ButtonId } from '../../hal/buttons.js';
import type { PanelDevice } from '../panel-device.js';
import { DeviceFeed } from './feed.js';
import { MAX_CLIENT_MESSAGE_BYTES, PANEL_WS_PATH, parsePress, type DevicesMessage } from './protocol.js';
import { loadStaticFiles } from './static-files.js';

export interface PanelOptions {
  devices: readonly PanelDevice[];
  /** 0 (the default) takes any free port. */
  port?: number;
  host?: string;
  /** Shortest time between two updates of a device: one animation frame by default. */
  tickMs?: number;
}

export type DropReason =
  | 'binary'
  | 'notJson'
  | 'badShape'
  | 'badButton'
  | 'unknownDevice'
  | 'pressFailed'
  | 'socketError'
  | 'refusedUpgrade';

export interface PanelStats {
  clients: number;
  messagesSent: number;
  /** Device reads that threw; the device keeps its last good state on the page. */
  deviceErrors: number;
  dropped: Record<DropReason, number>;
}

export interface Panel {
  url: string;
  port: number;
  stats(): PanelStats;
  /** Closes every page's socket and the server; resolves when nothing of the panel is left. */
  close(): Promise<void>;
}

/** The buttons one page holds down, by device id and button. */
type Held = Map<string, [PanelDevice, ButtonId]>;

/** A page stalled this far behind is sent nothing until it drains (about 45 frame messages). */
const MAX_BUFFERED_BYTES = 64 * 1024;

export async function startPanel(o: PanelOptions): Promise<Panel> {
  const host = o.host ?? '127.0.0.1';
  const ids = new Set(o.devices.map((d) => d.id));
  if (ids.size !== o.devices.length) throw new RangeError('panel devices must have distinct ids');
  const files = loadStaticFiles();
  const devices = new Map(o.devices.map((d) => [d.id, d]));
  const dropped: Record<DropReason, number> = {
    binary: 0,
    notJson: 0,
    badShape: 0,
    badButton: 0,
    unknownDevice: 0,
    pressFailed: 0,
    socketError: 0,
    refusedUpgrade: 0,
  };

  const feed = new DeviceFeed(o.devices, { tickMs: o.tickMs ?? 16, maxBufferedBytes: MAX_BUFFERED_BYTES });
  const devicesMessage = JSON.stringify({ type: 'devices', devices: feed.info } satisfies DevicesMessage);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });
  const server = createServer(serveFile);
  let closed = false;

  function serveFile(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const file = files.get((req.url ?? '/').split('?')[0] as string);
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': file.type,
      'content-length': file.body.length,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'self'",
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  function press(device: PanelDevice, button: ButtonId, pressed: boolean): void {
    try {
      device.press(button, pressed);
    } catch {
      dropped.pressFailed++;
    }
  }

  function onMessage(held: Held, data: RawData, isBinary: boolean): void {
    if (isBinary) {
      dropped.binary++;
      return;
    }
    const message = parsePress(data.toString());
    if (typeof message === 'string') {
      dropped[message]++;
      return;
    }
    const device = devices.get(message.device);
    if (!device) {
      dropped.unknownDevice++;
      return;
    }
    const key = JSON.stringify([device.id, message.button]);
    if (message.pressed) held.set(key, [device, message.button]);
    else held.delete(key);
    press(device, message.button, message.pressed);
  }

  function onConnection(ws: WebSocket): void {
    // What this page holds down, released for it when it goes away mid-press (a reload, a lost
    // connection): a device must not keep a button pressed that nobody holds.
    const held: Held = new Map();
    ws.on('message', (data, isBinary) => onMessage(held, data, isBinary));
    ws.on('error', () => dropped.socketError++);
    ws.on('close', () => {
      feed.remove(ws);
      for (const [device, button] of held.values()) press(device, button, false);
    });
    ws.send(devicesMessage);
    feed.add(ws);
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const port = (server.address() as AddressInfo).port;
    const hosts = [`${host}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`];
    const origin = req.headers.origin;
    const allowed =
      !closed &&
      (req.url ?? '').split('?')[0] === PANEL_WS_PATH &&
      hosts.includes(req.headers.host ?? '') &&
      (origin === undefined || origin === `http://${req.headers.host}`);
    if (!allowed) {
      dropped.refusedUpgrade++;
      socket.on('error', () => dropped.socketError++);
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, onConnection);
  }

  server.on('upgrade', onUpgrade);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: unknown) => {
    feed.close();
    throw err;
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host}:${port}/`,
    port,
    stats: () => ({ clients: wss.clients.size, ...feed.stats(), dropped: { ...dropped } }),
    close: async () => {
      if (closed) return;
      closed = true;
      feed.close();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
