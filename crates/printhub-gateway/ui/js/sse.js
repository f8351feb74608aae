// Live events from GET /api/events, read with fetch() and a streaming reader
// (EventSource cannot send the Authorization header). One stream serves every
// page. On a drop it reconnects with backoff and sends Last-Event-ID, so the
// server replays what was missed; a `stream.reset` (or a first connect) asks
// the pages to refetch. A server without /api/events (404) degrades to a slow
// refresh, shown as such in the header. A 401 (the key was revoked or has
// expired) is not retried: it raises `printhub:unauthorized`, as api.js does,
// and the stream waits for `restart()` after a new sign-in.

import { authHeaders } from './api.js';

const FALLBACK_REFRESH_MS = 3000;

export class Live extends EventTarget {
  constructor() {
    super();
    this.lastId = null;
    this.mode = 'connecting';
    this.stopped = false;
    this.controller = null;
    this.timer = null;
  }

  /** Starts the stream (idempotent). */
  start() {
    this.stopped = false;
    if (!this.running) this.run();
  }

  /** Stops the stream and any fallback refresh. */
  stop() {
    this.stopped = true;
    this.controller?.abort();
    clearInterval(this.timer);
    this.timer = null;
  }

  /** Restarts after the credentials changed. */
  restart() {
    this.stop();
    this.lastId = null;
    this.start();
  }

  setMode(mode) {
    this.mode = mode;
    this.dispatchEvent(new CustomEvent('mode', { detail: mode }));
  }

  /** Pages listen to `printhub-event` (every event) and `refresh` (refetch your state). */
  emit(type, data) {
    this.dispatchEvent(new CustomEvent('printhub-event', { detail: { type, data } }));
  }

  refresh() {
    this.dispatchEvent(new Event('refresh'));
  }

  async run() {
    this.running = true;
    let backoff = 1000;
    while (!this.stopped) {
      const outcome = await this.connect();
      if (outcome === 'unavailable') {
        this.setMode('polling');
        this.timer = this.timer || setInterval(() => this.refresh(), FALLBACK_REFRESH_MS);
        break;
      }
      if (outcome === 'unauthorized') {
        // Retrying with the same key cannot help: the shell asks for a new one.
        this.setMode('unauthorized');
        window.dispatchEvent(new CustomEvent('printhub:unauthorized'));
        break;
      }
      if (this.stopped) break;
      if (outcome === 'connected') backoff = 1000;
      this.setMode('reconnecting');
      await new Promise((r) => setTimeout(r, backoff + Math.random() * 500));
      backoff = Math.min(backoff * 2, 15000);
    }
    this.running = false;
  }

  /** One connection: resolves when it ends ('connected' if it was up, 'failed', 'unavailable', 'unauthorized'). */
  async connect() {
    this.controller = new AbortController();
    const headers = { Accept: 'text/event-stream', ...authHeaders() };
    if (this.lastId !== null) headers['Last-Event-ID'] = this.lastId;
    let res;
    try {
      res = await fetch('/api/events', { headers, signal: this.controller.signal, cache: 'no-store' });
    } catch {
      return 'failed';
    }
    if (res.status === 404) return 'unavailable';
    if (res.status === 401) return 'unauthorized';
    if (!res.ok || !res.body) return 'failed';
    const replaying = this.lastId !== null;
    this.setMode('live');
    // Without a Last-Event-ID nothing is replayed: whatever happened before is fetched anew.
    if (!replaying) this.refresh();
    try {
      await this.read(res.body);
    } catch {
      // A dropped connection or an abort; the caller reconnects unless stopped.
    }
    return 'connected';
  }

  async read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let event = { id: null, type: 'message', data: [] };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let nl;
      while ((nl = buffer.search(/\r\n|\n|\r/)) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(buffer[nl] === '\r' && buffer[nl + 1] === '\n' ? nl + 2 : nl + 1);
        if (line === '') {
          if (event.data.length) this.dispatch(event);
          event = { id: null, type: 'message', data: [] };
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const name = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (name === 'id') event.id = val;
        else if (name === 'event') event.type = val;
        else if (name === 'data') event.data.push(val);
      }
    }
  }

  dispatch(event) {
    if (event.id !== null) this.lastId = event.id;
    let data;
    try { data = JSON.parse(event.data.join('\n')); } catch { return; }
    if (event.type === 'stream.reset') {
      this.refresh();
      return;
    }
    this.emit(event.type, data);
  }
}

export const live = new Live();
