// The panel server against fake devices: it serves the page's files and nothing else, feeds every
// page each device's exact state over the WebSocket (coalesced, never a backlog), delivers button
// presses, drops and counts anything malformed, and leaves nothing running after close().
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startPanel, type Panel } from '../../../src/sim/panel/server.js';
import { FakeDevice } from './fake-device.js';
import { frameBytes, PanelClient, until, within } from './panel-client.js';

let panel: Panel | null = null;
const clients: PanelClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await panel?.close();
  panel = null;
});

async function start(...devices: FakeDevice[]): Promise<Panel> {
  panel = await startPanel({ devices });
  return panel;
}

async function client(p: Panel): Promise<PanelClient> {
  const c = await PanelClient.connect(p.port);
  clients.push(c);
  return c;
}

/** Sends one raw HTTP request line, so the path reaches the server exactly as written. */
async function rawGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    });
    let text = '';
    socket.on('data', (d) => (text += String(d)));
    socket.on('end', () => resolve(text.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
  });
}

/** The first line of the server's answer to a WebSocket upgrade with these headers. */
async function rawUpgrade(port: number, path: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      const lines = Object.entries({
        Host: `127.0.0.1:${port}`,
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      }).map(([k, v]) => `${k}: ${v}\r\n`);
      socket.write(`GET ${path} HTTP/1.1\r\n${lines.join('')}\r\n`);
    });
    socket.once('data', (d) => {
      resolve(String(d).split('\r\n')[0] ?? '');
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

describe('panel HTTP', () => {
  it('serves the page and its scripts', async () => {
    const p = await start(new FakeDevice('a'));
    expect(p.url).toBe(`http://127.0.0.1:${p.port}/`);
    for (const [path, type, text] of [
      ['/', 'text/html', 'id="device-card"'],
      ['/index.html', 'text/html', '<canvas'],
      ['/panel.js', 'text/javascript', 'kithPanel'],
      ['/oled.js', 'text/javascript', 'drawFrame'],
      ['/panel.css', 'text/css', '.oled'],
      ['/favicon.svg', 'image/svg+xml', '<svg'],
    ] as const) {
      const res = await fetch(new URL(path, p.url));
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toContain(type);
      expect(await res.text(), path).toContain(text);
    }
  });

  it('refuses every other path, traversal included, and every other method', async () => {
    const p = await start(new FakeDevice('a'));
    for (const path of ['/nope.js', '/tsconfig.json', '/web/index.html', '/server.ts', '/ws']) {
      expect((await fetch(new URL(path, p.url))).status, path).toBe(404);
    }
    for (const path of [
      '/../package.json',
      '/../server.ts',
      '/%2e%2e/server.ts',
      '//etc/passwd',
      '/..%2fserver.ts',
    ]) {
      expect(await rawGet(p.port, path), path).toBe('HTTP/1.1 404 Not Found');
    }
    expect((await fetch(p.url, { method: 'POST', body: 'x' })).status).toBe(405);
    const head = await fetch(p.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('refuses WebSocket upgrades on other paths, from other origins or for other hosts', async () => {
    const p = await start(new FakeDevice('a'));
    const origin = `http://127.0.0.1:${p.port}`;
    expect(await rawUpgrade(p.port, '/ws', { Origin: origin })).toBe('HTTP/1.1 101 Switching Protocols');
    expect(await rawUpgrade(p.port, '/socket', {})).toBe('HTTP/1.1 403 Forbidden');
    expect(await rawUpgrade(p.port, '/ws', { Origin: 'http://evil.example' })).toBe('HTTP/1.1 403 Forbidden');
    expect(await rawUpgrade(p.port, '/ws', { Host: `evil.example:${p.port}` })).toBe(
      'HTTP/1.1 403 Forbidden',
    );
    expect(p.stats().dropped.refusedUpgrade).toBe(3);
  });
});

describe('panel WebSocket', () => {
  it('sends the device list, then each device in full', async () => {
    const a = new FakeDevice('a', 'Alice');
    const b = new FakeDevice('b', 'Bob');
    a.drawPattern(1);
    b.ledState = { green: true, red: false };
    b.display = { on: false, contrast: 40 };
    b.statusValue = { call: { state: 'active', metrics: { mos: 4.2 } } };
    const c = await client(await start(a, b));
    await until(() => c.messages.length >= 3, 2000, 'three messages');
    expect(c.messages[0]).toEqual({
      type: 'devices',
      devices: [
        { id: 'a', name: 'Alice', width: 128, height: 64 },
        { id: 'b', name: 'Bob', width: 128, height: 64 },
      ],
    });
    expect(frameBytes(c.updates('a')[0])).toEqual(a.fb.bytes);
    expect(c.updates('b')[0]).toEqual({
      type: 'update',
      device: 'b',
      frame: Buffer.alloc(1024).toString('base64'),
      display: { on: false, contrast: 40 },
      leds: { green: true, red: false },
      status: { call: { state: 'active', metrics: { mos: 4.2 } } },
    });
  });

  it('sends a frame change as one message with the exact bytes, and nothing else', async () => {
    const a = new FakeDevice('a');
    const b = new FakeDevice('b');
    const c = await client(await start(a, b));
    await until(() => c.updates('b').length === 1);
    a.fb.set(5, 9, true);
    a.fb.set(127, 63, true);
    a.changed();
    await until(() => c.updates('a').length === 2, 2000, 'the frame update');
    await new Promise((r) => setTimeout(r, 50));
    expect(c.updates('a')).toHaveLength(2);
    expect(c.updates('b')).toHaveLength(1);
    const update = c.updates('a')[1];
    expect(Object.keys(update ?? {}).sort()).toEqual(['device', 'frame', 'type']);
    const bytes = frameBytes(update);
    expect(bytes).toEqual(a.fb.bytes);
    expect(bytes[1 * 128 + 5]).toBe(0b10);
    expect(bytes[7 * 128 + 127]).toBe(0b1000_0000);
  });

  it('sends only the fields that changed', async () => {
    const a = new FakeDevice('a');
    const c = await client(await start(a));
    await until(() => c.updates('a').length === 1);
    a.ledState = { green: false, red: true };
    a.changed();
    await until(() => c.updates('a').length === 2);
    a.display = { on: true, contrast: 10 };
    a.statusValue = { call: { state: 'ringing' } };
    a.changed();
    await until(() => c.updates('a').length === 3);
    a.changed();
    await new Promise((r) => setTimeout(r, 50));
    expect(c.updates('a').slice(1)).toEqual([
      { type: 'update', device: 'a', leds: { green: false, red: true } },
      {
        type: 'update',
        device: 'a',
        display: { on: true, contrast: 10 },
        status: { call: { state: 'ringing' } },
      },
    ]);
  });

  it('coalesces rapid changes into a bounded number of messages ending on the latest frame', async () => {
    const a = new FakeDevice('a');
    const p = await startPanel({ devices: [a], tickMs: 16 });
    panel = p;
    const c = await client(p);
    await until(() => c.updates('a').length === 1);
    for (let i = 0; i < 1000; i++) a.drawPattern(i);
    const started = performance.now();
    for (let i = 1000; i < 1300; i++) {
      a.drawPattern(i);
      await new Promise((r) => setImmediate(r));
    }
    const elapsed = performance.now() - started;
    await until(
      () => frameBytes(c.updates('a').at(-1)).every((v, i) => v === a.fb.bytes[i]),
      2000,
      'the last',
    );
    const frames = c.updates('a').length - 1;
    expect(frames).toBeGreaterThanOrEqual(1);
    // One per 16 ms tick while the changes lasted, plus the burst's own and the final one.
    expect(frames).toBeLessThanOrEqual(Math.ceil(elapsed / 16) + 2);
    expect(p.stats().messagesSent).toBe(frames + 1);
  });

  it('feeds every connected page', async () => {
    const a = new FakeDevice('a');
    const p = await start(a);
    const [c1, c2] = [await client(p), await client(p)];
    await until(() => c1.updates('a').length === 1 && c2.updates('a').length === 1);
    a.drawPattern(7);
    await until(() => c1.updates('a').length === 2 && c2.updates('a').length === 2);
    expect(frameBytes(c1.updates('a')[1])).toEqual(a.fb.bytes);
    expect(frameBytes(c2.updates('a')[1])).toEqual(a.fb.bytes);
    expect(p.stats().clients).toBe(2);
  });

  it('delivers button presses to the named device', async () => {
    const a = new FakeDevice('a');
    const b = new FakeDevice('b');
    const c = await client(await start(a, b));
    c.send({ type: 'press', device: 'b', button: 'select', pressed: true });
    c.send({ type: 'press', device: 'b', button: 'select', pressed: false });
    c.send({ type: 'press', device: 'a', button: 'back', pressed: true });
    await until(() => a.presses.length === 1 && b.presses.length === 2);
    expect(b.presses).toEqual([
      ['select', true],
      ['select', false],
    ]);
    expect(a.presses).toEqual([['back', true]]);
  });

  it('releases what a page held when it goes away', async () => {
    const a = new FakeDevice('a');
    const c = await client(await start(a));
    c.send({ type: 'press', device: 'a', button: 'up', pressed: true });
    c.send({ type: 'press', device: 'a', button: 'back', pressed: true });
    c.send({ type: 'press', device: 'a', button: 'back', pressed: false });
    await until(() => a.presses.length === 3);
    c.ws.terminate();
    await until(() => a.presses.length === 4, 2000, 'the release');
    expect(a.presses.at(-1)).toEqual(['up', false]);
  });

  it('drops and counts malformed messages, unknown devices and bogus buttons, and carries on', async () => {
    const a = new FakeDevice('a');
    const p = await start(a);
    const c = await client(p);
    c.send('not json');
    c.send('[1,2]');
    c.send('null');
    c.send({ type: 'press', device: 'a', button: 'up' });
    c.send({ type: 'press', device: 'a', button: 'up', pressed: 'yes' });
    c.send({ type: 'hover', device: 'a', button: 'up', pressed: true });
    c.send({ type: 'press', device: 'a', button: 'power', pressed: true });
    c.send({ type: 'press', device: 'a', button: { toString: 'up' }, pressed: true });
    c.send({ type: 'press', device: 'zed', button: 'up', pressed: true });
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    c.send({ type: 'press', device: 'a', button: 'up', pressed: true });
    await until(() => a.presses.length === 1);
    expect(a.presses).toEqual([['up', true]]);
    expect(p.stats().dropped).toMatchObject({
      notJson: 1,
      badShape: 5,
      badButton: 2,
      unknownDevice: 1,
      binary: 1,
    });
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('closes a page that sends an oversized message, counted, and keeps serving the others', async () => {
    const a = new FakeDevice('a');
    const p = await start(a);
    const big = await client(p);
    const other = await client(p);
    big.send('x'.repeat(4096));
    await until(() => big.ws.readyState === WebSocket.CLOSED, 2000, 'the close');
    expect(p.stats().dropped.socketError).toBe(1);
    other.send({ type: 'press', device: 'a', button: 'back', pressed: true });
    await until(() => a.presses.length === 1);
  });

  it('survives a device that throws', async () => {
    const a = new FakeDevice('a');
    const p = await start(a);
    const c = await client(p);
    await until(() => c.updates('a').length === 1);
    a.onPress = () => {
      throw new Error('broken button');
    };
    a.status = () => {
      throw new Error('broken status');
    };
    c.send({ type: 'press', device: 'a', button: 'up', pressed: true });
    a.changed();
    await until(() => p.stats().deviceErrors === 1 && p.stats().dropped.pressFailed === 1, 2000, 'counts');
    a.status = () => ({ n: 1n });
    a.changed();
    await until(() => p.stats().deviceErrors === 2, 2000, 'the second count');
    a.status = () => [1, 2] as unknown as Record<string, unknown>;
    a.changed();
    await until(() => p.stats().deviceErrors === 3, 2000, 'the third count');
    a.status = () => ({ ok: true });
    a.changed();
    await until(() => c.updates('a').length === 2);
    expect(c.updates('a')[1]).toEqual({ type: 'update', device: 'a', status: { ok: true } });
  });

  it('refuses devices that share an id', async () => {
    await expect(startPanel({ devices: [new FakeDevice('a'), new FakeDevice('a')] })).rejects.toThrow(
      /distinct ids/,
    );
  });

  it('close() ends pages, timers, listeners and the server', async () => {
    // Earlier tests' handles finish closing on the loop's next turns; start from a settled state.
    await new Promise((r) => setTimeout(r, 50));
    const before = resources();
    const a = new FakeDevice('a');
    const p = await startPanel({ devices: [a] });
    const c = await PanelClient.connect(p.port);
    const closed = new Promise((r) => c.ws.once('close', r));
    a.drawPattern(3);
    await within(p.close(), 2000, 'close()');
    await within(closed, 2000, "the page's close");
    await p.close();
    expect(a.listeners).toBe(0);
    // Handles close on the loop's next turn; anything the panel left (a 30 s WebSocket close timer, a
    // socket) would outlast this bound.
    await until(() => JSON.stringify(resources()) === JSON.stringify(before), 500, 'no handles left');
    await expect(fetch(p.url)).rejects.toThrow();
  });
});

/** The open handles of this process that a panel could leave: servers, sockets, timers. */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) {
    if (/TCP|Timeout|Immediate/.test(r)) counts[r] = (counts[r] ?? 0) + 1;
  }
  return counts;
}
