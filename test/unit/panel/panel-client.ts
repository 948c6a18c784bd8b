// A WebSocket client standing in for a panel page: it keeps every message the server sends, parsed,
// and waits (boundedly) for the ones a test expects.
import { WebSocket } from 'ws';
import type { ServerMessage, UpdateMessage } from '../../../src/sim/panel/protocol.js';

export class PanelClient {
  readonly ws: WebSocket;
  readonly messages: ServerMessage[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => this.messages.push(JSON.parse(String(data)) as ServerMessage));
  }

  static async connect(port: number, headers: Record<string, string> = {}): Promise<PanelClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers });
    const client = new PanelClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  updates(device: string): UpdateMessage[] {
    return this.messages.filter((m): m is UpdateMessage => m.type === 'update' && m.device === device);
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  close(): void {
    this.ws.close();
  }
}

/** Polls `check` until it holds, failing after `ms`. */
export async function until(check: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Waits for `promise`, failing after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function frameBytes(update: UpdateMessage | undefined): Uint8Array {
  if (update?.frame === undefined) throw new Error('the update carries no frame');
  return new Uint8Array(Buffer.from(update.frame, 'base64'));
}
