// The bridge between the store's contacts and the channel router: every contact becomes a peer
// the router may open a channel with, keyed by its pairing PSK (or, for a contact imported from
// a card, the PSK both sides derive; channel/psk.ts). Refreshed whenever contacts change.
import { toHex } from '../crypto/bytes.js';
import { errorMessage, KithError } from '../errors.js';
import type { Peer } from '../channel/channel.js';
import { cardPsk } from '../channel/psk.js';
import type { ChannelRouter } from '../channel/router.js';
import { parseEndpoint } from '../net/transport.js';
import type { Contact } from '../store/contacts.js';
import type { Store } from '../store/store.js';

export function peerId(contact: Pick<Contact, 'ed25519Public'>): string {
  return toHex(contact.ed25519Public);
}

export class ChannelDirectory {
  readonly #store: Store;
  readonly #router: ChannelRouter;
  readonly #onProblem: (message: string) => void;
  readonly #listeners = new Set<() => void>();

  constructor(store: Store, router: ChannelRouter, onProblem: (message: string) => void) {
    this.#store = store;
    this.#router = router;
    this.#onProblem = onProblem;
  }

  refresh(): void {
    const { identity } = this.#store;
    const peers: Peer[] = [];
    for (const contact of this.#store.contacts.list().contacts) {
      try {
        const psk =
          this.#store.contacts.psk(contact.id) ??
          cardPsk(
            { x25519Secret: identity.x25519.secretKey, ed25519Public: identity.ed25519.publicKey },
            { x25519Public: contact.x25519Public, ed25519Public: contact.ed25519Public },
          );
        peers.push({
          id: peerId(contact),
          name: contact.name,
          x25519Public: contact.x25519Public,
          psk,
          endpoint: contact.endpoint ? parseEndpoint(contact.endpoint) : null,
        });
      } catch (err) {
        // One unusable contact (a corrupt PSK row) must not cut the device off from the others.
        this.#onProblem(`contact ${contact.name} cannot have a channel: ${errorMessage(err)}`);
      }
    }
    this.#router.setPeers(peers);
    for (const listener of [...this.#listeners]) listener();
  }

  /** Called after every refresh (contacts added, removed or changed). */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  channelFor(contact: Contact) {
    try {
      return this.#router.channel(peerId(contact));
    } catch {
      throw new KithError('CHANNEL_UNKNOWN_PEER', `${contact.name} has no channel (see the service log)`);
    }
  }
}
