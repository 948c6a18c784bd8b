// What the control socket can be asked (the service side of every `kith` client command).
// Arguments are validated here, at the edge; results are plain JSON a script can rely on.
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { fromHex, toHex } from '../crypto/bytes.js';
import { KithError } from '../errors.js';
import type { Contact } from '../store/contacts.js';
import type { Store } from '../store/store.js';
import { cardFromText, cardToText, encodeCard, fingerprint } from '../wire/card.js';
import type { ChannelRouter } from '../channel/router.js';
import type { RunningOverlay } from './overlay.js';
import { endpointKey, parseEndpoint } from '../net/transport.js';
import type { CallService } from './calls.js';
import { type ChannelDirectory, peerId } from './channels.js';
import type { Handler } from './control-server.js';
import type { HealthReport } from './health.js';

export interface CommandContext {
  store: Store;
  config: Config;
  configSource: string | null;
  version: string;
  startedAt: number;
  now: () => number;
  health: () => HealthReport;
  /** Whether the previous run ended without a clean stop (crash, kill, power loss). */
  previousRunUnclean: boolean;
  router: ChannelRouter;
  directory: ChannelDirectory;
  calls: CallService;
  overlay: RunningOverlay;
}

/** How long `kith ping` may take for handshake and round trip together. */
const PING_BOUND_MS = 8_000;

const queryArgs = z.strictObject({ query: z.string().min(1).max(200) });
const cardArgs = z.strictObject({ text: z.string().min(1).max(4096) });
const endpointArgs = z.strictObject({
  query: z.string().min(1).max(200),
  endpoint: z.string().max(64).nullable(),
});
const pingArgs = z.strictObject({ query: z.string().min(1).max(200) });
const callsArgs = z.strictObject({ limit: z.int().min(1).max(1000).default(20) });
const importArgs = z.strictObject({
  text: z.string().min(1).max(4096),
  name: z.string().min(1).max(200).optional(),
});

function parseArgs<T>(schema: z.ZodType<T>, args: Record<string, unknown>): T {
  const r = schema.safeParse(args);
  if (!r.success) {
    const detail = r.error.issues.map((i) => `${i.path.join('.') || 'args'}: ${i.message}`).join('; ');
    throw new KithError('CONTROL_BAD_REQUEST', `bad arguments: ${detail}`);
  }
  return r.data;
}

export function contactJson(c: Contact) {
  return {
    id: c.id,
    name: c.name,
    cardName: c.cardName,
    fingerprint: c.fingerprint,
    ed25519Public: toHex(c.ed25519Public),
    x25519Public: toHex(c.x25519Public),
    verified: c.verified,
    paired: c.hasPsk,
    addedAt: new Date(c.addedAt).toISOString(),
    endpoint: c.endpoint,
  };
}

export function createCommands(ctx: CommandContext): Record<string, Handler> {
  const { store } = ctx;
  return {
    status: () => {
      const { contacts, corrupt } = store.contacts.list();
      return {
        version: ctx.version,
        pid: process.pid,
        startedAt: new Date(ctx.startedAt).toISOString(),
        uptimeSeconds: Math.floor((ctx.now() - ctx.startedAt) / 1000),
        identity: {
          name: ctx.config.device.name,
          fingerprint: store.identity.fingerprint,
          ed25519Public: toHex(store.identity.ed25519.publicKey),
          createdAt: new Date(store.identity.createdAt).toISOString(),
        },
        store: {
          dataDir: store.dataDir,
          schemaVersion: store.schemaVersion(),
          contacts: contacts.length,
          corruptContacts: corrupt.length,
        },
        health: ctx.health(),
        previousRunUnclean: ctx.previousRunUnclean,
        config: ctx.configSource ?? 'built-in defaults',
        network: { udp: endpointKey(ctx.router.local) },
        channels: channelsJson(ctx.router),
        overlay: ctx.overlay.status(),
        call: liveCallJson(),
      };
    },
    peers: () => ({ id: ctx.overlay.node.idHex, peers: ctx.overlay.peers() }),
    'call.start': (args) => {
      const contact = store.contacts.find(parseArgs(queryArgs, args).query);
      ctx.calls.call(peerId(contact));
      return liveCallJson();
    },
    'call.answer': () => {
      ctx.calls.answer();
      return liveCallJson();
    },
    'call.reject': () => {
      ctx.calls.reject();
      return liveCallJson();
    },
    'call.hangup': () => {
      ctx.calls.hangup();
      return liveCallJson();
    },
    'calls.list': (args) => {
      const { calls, corrupt } = store.calls.list({ limit: parseArgs(callsArgs, args).limit });
      return {
        calls: calls.map((c) => ({
          id: toHex(c.id),
          contact: nameOf(c.peerId),
          direction: c.direction,
          startedAt: new Date(c.startedAt).toISOString(),
          answeredAt: c.answeredAt === null ? null : new Date(c.answeredAt).toISOString(),
          endedAt: new Date(c.endedAt).toISOString(),
          durationSeconds: c.answeredAt === null ? 0 : Math.round((c.endedAt - c.answeredAt) / 1000),
          endReason: c.endReason,
          metrics: c.metrics,
        })),
        corruptIds: corrupt,
      };
    },
    'contacts.set-endpoint': (args) => {
      const { query, endpoint } = parseArgs(endpointArgs, args);
      const contact = store.contacts.find(query);
      const parsed = endpoint === null ? null : endpointKey(parseEndpoint(endpoint));
      store.contacts.setEndpoint(contact.id, parsed);
      ctx.directory.refresh();
      return contactJson(store.contacts.get(contact.id));
    },
    ping: async (args) => {
      const contact = store.contacts.find(parseArgs(pingArgs, args).query);
      const channel = ctx.directory.channelFor(contact);
      const started = ctx.now();
      const wasOpen = channel.info().state === 'open';
      return withBound(
        (async () => {
          await channel.connect();
          const handshakeMs = wasOpen ? null : ctx.now() - started;
          const rttMs = await channel.ping(PING_BOUND_MS);
          const info = channel.info();
          return {
            name: contact.name,
            endpoint: info.endpoint ? endpointKey(info.endpoint) : null,
            handshakeMs,
            rttMs,
          };
        })(),
        PING_BOUND_MS,
        () =>
          new KithError(
            'CHANNEL_HANDSHAKE_TIMEOUT',
            `no answer from ${contact.name} within ${PING_BOUND_MS / 1000} s`,
          ),
      );
    },
    'contacts.list': () => {
      const { contacts, corrupt } = store.contacts.list();
      return { contacts: contacts.map(contactJson), corruptIds: corrupt };
    },
    'contacts.show': (args) => contactJson(store.contacts.find(parseArgs(queryArgs, args).query)),
    'contacts.remove': (args) => {
      const contact = store.contacts.find(parseArgs(queryArgs, args).query);
      store.contacts.remove(contact.id);
      ctx.directory.refresh();
      return contactJson(contact);
    },
    'card.export': () => {
      const { identity } = store;
      const bytes = encodeCard(
        {
          name: ctx.config.device.name,
          ed25519Public: identity.ed25519.publicKey,
          x25519Public: identity.x25519.publicKey,
        },
        identity.ed25519.secretKey,
      );
      return { name: ctx.config.device.name, fingerprint: identity.fingerprint, text: cardToText(bytes) };
    },
    'card.inspect': (args) => {
      const card = cardFromText(parseArgs(cardArgs, args).text);
      const existing = store.contacts.findByKey(card.ed25519Public);
      return {
        name: card.name,
        fingerprint: fingerprint(card.ed25519Public),
        self: isSelf(card.ed25519Public),
        existingContact: existing?.name ?? null,
      };
    },
    'card.import': (args) => {
      const { text, name } = parseArgs(importArgs, args);
      const card = cardFromText(text);
      if (isSelf(card.ed25519Public)) {
        throw new KithError('CONTACT_IS_SELF', 'that card is this device’s own card');
      }
      const contact = store.contacts.add(card, { name });
      ctx.directory.refresh();
      return contactJson(contact);
    },
  };

  /** The contact's local name for a peer id, or the start of the key when it is not a contact. */
  function nameOf(peer: string): string {
    try {
      return store.contacts.findByKey(fromHex(peer))?.name ?? `${peer.slice(0, 8)}…`;
    } catch {
      return `${peer.slice(0, 8)}…`;
    }
  }

  function liveCallJson() {
    const live = ctx.calls.live();
    if (!live.call) return { state: live.state };
    const c = live.call;
    return {
      state: live.state,
      contact: nameOf(c.peerId),
      direction: c.direction,
      peerRinging: c.peerRinging,
      startedAt: new Date(c.startedAt).toISOString(),
      answeredAt: c.answeredAt === null ? null : new Date(c.answeredAt).toISOString(),
      durationSeconds: c.answeredAt === null ? 0 : Math.round((Date.now() - c.answeredAt) / 1000),
      endReason: c.endReason,
      sampleRate: c.params?.sampleRate ?? null,
      metrics: live.metrics,
    };
  }

  function isSelf(ed25519Public: Uint8Array): boolean {
    return toHex(ed25519Public) === toHex(store.identity.ed25519.publicKey);
  }
}

function channelsJson(router: ChannelRouter) {
  const stats = router.stats();
  return {
    open: stats.channels
      .filter((c) => c.state !== 'idle' || c.packetsReceived > 0)
      .map((c) => ({ ...c, endpoint: c.endpoint ? endpointKey(c.endpoint) : null })),
    drops: stats.drops,
    cookiesSent: stats.cookiesSent,
  };
}

function withBound<T>(work: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  return Promise.race([work, bound]).finally(() => clearTimeout(timer));
}
