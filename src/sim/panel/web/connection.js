// The page's one WebSocket to the panel server, reopened by itself when it drops (the simulator
// restarted, the laptop slept): retries start fast and back off to a few seconds.

const FIRST_RETRY_MS = 250;
const LAST_RETRY_MS = 4000;

export class Connection {
  /** @type {WebSocket | null} */
  #socket = null;
  #retryMs = FIRST_RETRY_MS;
  #url;
  #onMessage;
  #onOpenChange;

  /**
   * @param {string} url
   * @param {(data: unknown) => void} onMessage every message, in order
   * @param {(open: boolean) => void} onOpenChange
   */
  constructor(url, onMessage, onOpenChange) {
    this.#url = url;
    this.#onMessage = onMessage;
    this.#onOpenChange = onOpenChange;
    this.#open();
  }

  /**
   * Sends when open; a message while the socket is down is dropped, as a press then reaches no one.
   * @param {string} text
   */
  send(text) {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(text);
  }

  #open() {
    const socket = new WebSocket(this.#url);
    this.#socket = socket;
    socket.addEventListener('open', () => {
      this.#retryMs = FIRST_RETRY_MS;
      this.#onOpenChange(true);
    });
    socket.addEventListener('message', (event) => {
      this.#onMessage(event.data);
    });
    socket.addEventListener('close', () => {
      this.#socket = null;
      this.#onOpenChange(false);
      setTimeout(() => this.#open(), this.#retryMs);
      this.#retryMs = Math.min(LAST_RETRY_MS, this.#retryMs * 2);
    });
  }
}
