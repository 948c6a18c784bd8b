// The feed's promise to a page that falls behind: while its socket is backed up it is sent nothing,
// and once it drains it gets one message per device with the newest state, not the backlog.
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceFeed, type FeedClient } from '../../../src/sim/panel/feed.js';
import type { UpdateMessage } from '../../../src/sim/panel/protocol.js';
import { FakeDevice } from './fake-device.js';
import { until } from './panel-client.js';

class SlowClient implements FeedClient {
  bufferedAmount = 0;
  readonly sent: UpdateMessage[] = [];
  send(text: string): void {
    this.sent.push(JSON.parse(text) as UpdateMessage);
  }
}

let feed: DeviceFeed | null = null;
afterEach(() => feed?.close());

describe('DeviceFeed', () => {
  it('skips a backed-up page and then sends it only the latest state', async () => {
    const a = new FakeDevice('a');
    const b = new FakeDevice('b');
    feed = new DeviceFeed([a, b], { tickMs: 5, maxBufferedBytes: 1000 });
    const slow = new SlowClient();
    const fast = new SlowClient();
    feed.add(slow);
    feed.add(fast);
    await until(() => slow.sent.length === 2 && fast.sent.length === 2);
    slow.bufferedAmount = 5000;
    for (let i = 0; i < 20; i++) {
      a.drawPattern(i);
      b.ledState = { green: i % 2 === 1, red: false };
      b.changed();
      await new Promise((r) => setTimeout(r, 6));
    }
    expect(slow.sent).toHaveLength(2);
    expect(fast.sent.length).toBeGreaterThan(10);
    slow.bufferedAmount = 0;
    await until(() => slow.sent.length === 4, 1000, 'the catch-up');
    await new Promise((r) => setTimeout(r, 30));
    expect(slow.sent.slice(2)).toEqual([
      { type: 'update', device: 'a', frame: Buffer.from(a.fb.bytes).toString('base64') },
      { type: 'update', device: 'b', leds: { green: true, red: false } },
    ]);
  });

  it('reads a device once per tick however often it updates', async () => {
    const a = new FakeDevice('a');
    let reads = 0;
    const status = a.status.bind(a);
    a.status = () => {
      reads++;
      return status();
    };
    feed = new DeviceFeed([a], { tickMs: 10, maxBufferedBytes: 1000 });
    const client = new SlowClient();
    feed.add(client);
    await until(() => client.sent.length === 1);
    reads = 0;
    for (let i = 0; i < 500; i++) a.drawPattern(i);
    await until(() => client.sent.length === 2);
    await new Promise((r) => setTimeout(r, 30));
    expect(reads).toBe(1);
    expect(client.sent).toHaveLength(2);
  });
});
