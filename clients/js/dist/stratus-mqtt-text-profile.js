// GENERATED from src/index.js by scripts/build.mjs: edit the source, then run `npm run build`.
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else if (typeof define === 'function' && define.amd) define([], factory);
  else root.StratusTextProfile = factory();
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  // The Stratus text profile (docs/text-profile.md) as an MQTT.js `createWebsocket` option.
  //
  // Rules this file implements:
  // - The WebSocket offers only the subprotocol `mqtt-base64.stratus.dev`; a server that does not
  //   select it is an error (its framing would differ from ours).
  // - Bytes written by MQTT.js are framed into whole MQTT packets by their fixed header (packet type
  //   byte + Remaining Length, a variable byte integer of at most four bytes [MQTT-1.5.5]). Complete
  //   packets written in the same turn of the event loop go out together as one text message
  //   `<seq>:<base64>`; a packet is never split across messages; `<seq>` is 1 for the first message
  //   of a connection and grows by one per message.
  // - A packet larger than 95,985 bytes (the profile's limit: its base64 and the sequence prefix fit 128,000 characters) is refused
  //   with an error and the connection is closed: dropping it silently would leave MQTT.js waiting
  //   for an acknowledgement that never comes.
  // - From the server, a text message (base64, no prefix) or a binary frame holds one or more whole
  //   packets; anything else (not base64, empty, ending inside a packet) is an error that closes the
  //   connection, so MQTT.js never parses a corrupted stream.
  // - The returned object behaves like a browser WebSocket (readyState, binaryType, onopen/onmessage/
  //   onclose/onerror, addEventListener, send, close) for MQTT.js's browser path, and like a `ws`
  //   WebSocket (on/once/removeListener with ws's event arguments, send(data, cb), terminate, pause/
  //   resume) for MQTT.js's Node path, which wraps it with `ws.createWebSocketStream`.
  //
  // Source of truth: dist/stratus-mqtt-text-profile.js is generated from this file by
  // scripts/build.mjs (a test checks they agree).

  /** The WebSocket subprotocol of the text profile. */
  const SUBPROTOCOL = 'mqtt-base64.stratus.dev';

  /** API Gateway's message limit read conservatively as characters (docs/text-profile.md). */
  const MAX_MESSAGE_CHARS = 128000;

  /** Characters kept for the `<seq>:` prefix (at most 16 digits and the colon), rounded up. */
  const SEQUENCE_PREFIX_RESERVE = 20;

  /** The largest packet whose base64 fits a message beside its prefix: floor((128,000 - 20) / 4) x 3 = 95,985. */
  const MAX_PACKET_BYTES = ((MAX_MESSAGE_CHARS - SEQUENCE_PREFIX_RESERVE) / 4) * 3;

  const CONNECTING = 0;
  const OPEN = 1;
  const CLOSING = 2;
  const CLOSED = 3;

  const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

  function stratusError(code, message, cause) {
    const err = new Error(message);
    // MQTT.js re-emits a stream error on the client only when it carries a code (client.ts
    // streamErrorHandler), so every error of this adapter has one.
    err.code = code;
    if (cause !== undefined) err.cause = cause;
    return err;
  }

  function toBytes(data) {
    if (data instanceof Uint8Array) return data;
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (typeof data === 'string') return new TextEncoder().encode(data);
    throw stratusError('ERR_STRATUS_INVALID_DATA', 'cannot send ' + Object.prototype.toString.call(data));
  }

  function bytesToBase64(bytes) {
    if (typeof globalThis.Buffer === 'function') {
      return globalThis.Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    }
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary);
  }

  function base64ToBytes(text) {
    // atob accepts what the profile does not (whitespace, missing padding): check the strict
    // RFC 4648 form first.
    if (text.length === 0 || text.length % 4 !== 0 || !BASE64.test(text)) return null;
    if (typeof globalThis.Buffer === 'function') {
      const buf = globalThis.Buffer.from(text, 'base64');
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  /**
   * Finds whole MQTT packets in a byte stream written in arbitrary pieces. Frame first, then cut:
   * the fixed header alone says how long a packet is, so the size limit is enforced before its body
   * is buffered.
   */
  class PacketFramer {
    constructor(maxPacketBytes) {
      this.maxPacketBytes = maxPacketBytes;
      this.chunks = [];
      this.length = 0;
    }

    push(bytes) {
      if (bytes.length === 0) return;
      this.chunks.push(bytes);
      this.length += bytes.length;
    }

    byteAt(index) {
      for (const chunk of this.chunks) {
        if (index < chunk.length) return chunk[index];
        index -= chunk.length;
      }
      return -1;
    }

    /**
     * Length of the packet at the head of the buffer when it is complete, 0 when more bytes are
     * needed; throws when the header is malformed or announces a packet over the limit.
     */
    nextPacketLength() {
      if (this.length < 2) return 0;
      let remaining = 0;
      let multiplier = 1;
      for (let i = 1; ; i++) {
        if (i > 4) {
          // [MQTT-1.5.5]: a variable byte integer has at most four bytes.
          throw stratusError('ERR_STRATUS_MALFORMED_PACKET', 'malformed Remaining Length in an MQTT fixed header');
        }
        const b = this.byteAt(i);
        if (b < 0) return 0;
        remaining += (b & 0x7f) * multiplier;
        multiplier *= 128;
        if ((b & 0x80) === 0) {
          const total = 1 + i + remaining;
          if (total > this.maxPacketBytes) {
            throw stratusError(
              'ERR_STRATUS_PACKET_TOO_LARGE',
              'MQTT packet of ' + total + ' bytes exceeds the text profile limit of ' + this.maxPacketBytes +
                ' bytes (docs/text-profile.md): not sent, connection closed',
            );
          }
          return this.length >= total ? total : 0;
        }
      }
    }

    take(n) {
      const out = new Uint8Array(n);
      let filled = 0;
      while (filled < n) {
        const chunk = this.chunks[0];
        const want = n - filled;
        if (chunk.length <= want) {
          out.set(chunk, filled);
          filled += chunk.length;
          this.chunks.shift();
        } else {
          out.set(chunk.subarray(0, want), filled);
          this.chunks[0] = chunk.subarray(want);
          filled += want;
        }
      }
      this.length -= n;
      return out;
    }

    /** Every complete packet at the head of the buffer, in order. */
    drain() {
      const packets = [];
      let n;
      while ((n = this.nextPacketLength()) > 0) packets.push(this.take(n));
      return packets;
    }
  }

  /**
   * Checks that bytes received in one server message are one or more whole packets. Returns an
   * error message, or null when they are.
   */
  function checkWholePackets(bytes) {
    const framer = new PacketFramer(Infinity);
    framer.push(bytes);
    try {
      framer.drain();
    } catch (err) {
      return err.message;
    }
    return framer.length === 0 ? null : 'message ends inside an MQTT packet';
  }

  function seal(listener) {
    return typeof listener === 'function' ? listener : (e) => listener.handleEvent(e);
  }

  /**
   * A WebSocket-like object speaking the text profile over a real WebSocket. Create it through
   * {@link textProfile} or {@link createWebsocket}; MQTT.js calls it as
   * `createWebsocket(url, protocols, options)`.
   */
  class TextProfileSocket {
    /**
     * @param {string} url ws:// or wss:// URL of the API Gateway stage.
     * @param {object} [options]
     * @param {Function} [options.WebSocket] a WebSocket constructor (browser WebSocket, `ws`, undici);
     *   defaults to globalThis.WebSocket.
     * @param {object} [options.wsOptions] third constructor argument for Node implementations (`ws`
     *   TLS options, headers).
     * @param {number} [options.maxPacketBytes] lower the packet limit (never above 95,985).
     * @param {Function} [options.onError] called with every error this socket reports; MQTT.js's
     *   browser path drops error details, this hook keeps them.
     */
    constructor(url, options = {}) {
      const Impl = options.WebSocket || globalThis.WebSocket;
      if (typeof Impl !== 'function') {
        throw stratusError(
          'ERR_STRATUS_NO_WEBSOCKET',
          'no WebSocket implementation: this runtime has no globalThis.WebSocket; pass one, e.g. ' +
            "textProfile({ WebSocket: (await import('ws')).WebSocket })",
        );
      }
      const limit = options.maxPacketBytes === undefined ? MAX_PACKET_BYTES : options.maxPacketBytes;
      if (!(limit > 0 && limit <= MAX_PACKET_BYTES)) {
        throw stratusError('ERR_STRATUS_INVALID_OPTION', 'maxPacketBytes must be in 1..' + MAX_PACKET_BYTES);
      }
      this.url = url;
      this.protocol = '';
      this.extensions = '';
      this.binaryType = 'arraybuffer';
      this.onopen = null;
      this.onmessage = null;
      this.onclose = null;
      this.onerror = null;
      /** Sequence number of the last message sent; the first message is 1 (docs/text-profile.md). */
      this.sequence = 0;
      /** Messages sent and received, for inspection (tests, diagnostics). */
      this.messagesSent = 0;
      this.messagesReceived = 0;
      this.isPaused = false;
      this._state = CONNECTING;
      this._onErrorHook = options.onError;
      this._framer = new PacketFramer(limit);
      this._outbox = [];
      this._flushScheduled = false;
      this._inbox = [];
      this._listeners = { open: [], message: [], close: [], error: [] };
      this._emitters = { open: [], message: [], close: [], error: [] };
      this._closeEmitted = false;
      this._failed = null;
      // ws.createWebSocketStream's _final reads ws._socket: it waits for the transport's 'finish'
      // (all writes flushed) before closing. This stands for our transport: finished once close()
      // has flushed the last whole packets.
      const finishWaiters = [];
      this._socket = {
        _writableState: { finished: false },
        once: (event, fn) => {
          if (event === 'finish') finishWaiters.push(fn);
          return this._socket;
        },
      };
      this._finish = () => {
        if (this._socket._writableState.finished) return;
        this._socket._writableState.finished = true;
        for (const fn of finishWaiters.splice(0)) fn();
      };

      const ws =
        options.wsOptions && Object.keys(options.wsOptions).length > 0
          ? new Impl(url, [SUBPROTOCOL], options.wsOptions)
          : new Impl(url, [SUBPROTOCOL]);
      this._ws = ws;
      ws.binaryType = 'arraybuffer';
      const listen = (type, fn) => {
        if (typeof ws.addEventListener === 'function') ws.addEventListener(type, fn);
        else ws['on' + type] = fn;
      };
      listen('open', () => this._handleOpen());
      listen('message', (event) => this._handleMessage(event.data));
      listen('error', (event) => this._handleError(event));
      listen('close', (event) => this._handleClose(event));
    }

    get readyState() {
      return this._state;
    }

    get bufferedAmount() {
      return this._framer.length + (this._ws.bufferedAmount || 0);
    }

    // ---- events: DOM style (browser path) and ws style (Node path) ----

    addEventListener(type, listener, options) {
      if (!listener || !this._listeners[type]) return;
      const once = typeof options === 'object' && options !== null && options.once === true;
      if (this._listeners[type].some((l) => l.listener === listener)) return;
      this._listeners[type].push({ listener, fn: seal(listener), once });
    }

    removeEventListener(type, listener) {
      const list = this._listeners[type];
      if (!list) return;
      const i = list.findIndex((l) => l.listener === listener);
      if (i >= 0) list.splice(i, 1);
    }

    on(type, fn) {
      if (this._emitters[type]) this._emitters[type].push({ fn, once: false });
      return this;
    }

    once(type, fn) {
      if (this._emitters[type]) this._emitters[type].push({ fn, once: true });
      return this;
    }

    off(type, fn) {
      const list = this._emitters[type];
      if (list) {
        const i = list.findIndex((l) => l.fn === fn);
        if (i >= 0) list.splice(i, 1);
      }
      return this;
    }

    removeListener(type, fn) {
      return this.off(type, fn);
    }

    addListener(type, fn) {
      return this.on(type, fn);
    }

    listenerCount(type) {
      return (this._emitters[type] || []).length + (this._listeners[type] || []).length;
    }

    /** Dispatches a DOM event object to onX and addEventListener listeners, and ws-style args to on(). */
    _dispatch(type, event, args) {
      const prop = this['on' + type];
      if (typeof prop === 'function') prop.call(this, event);
      for (const l of this._listeners[type].slice()) {
        if (l.once) this.removeEventListener(type, l.listener);
        l.fn.call(this, event);
      }
      for (const l of this._emitters[type].slice()) {
        if (l.once) this.off(type, l.fn);
        l.fn.apply(this, args);
      }
    }

    // ---- the underlying WebSocket ----

    _handleOpen() {
      if (this._state !== CONNECTING) return;
      this.protocol = this._ws.protocol || '';
      if (this.protocol !== SUBPROTOCOL) {
        this._fail(
          stratusError(
            'ERR_STRATUS_SUBPROTOCOL',
            'the server did not select the WebSocket subprotocol ' + SUBPROTOCOL + ' (selected: ' +
              (this.protocol === '' ? 'none' : this.protocol) + '): it does not speak the Stratus text profile',
          ),
        );
        return;
      }
      this._state = OPEN;
      this._dispatch('open', { type: 'open', target: this }, []);
      if (this._framer.length > 0 || this._outbox.length > 0) this._scheduleFlush();
    }

    _handleMessage(data) {
      if (this._failed || this._state === CLOSED) return;
      this._inbox.push(data);
      if (this._inbox.length === 1) this._drainInbox();
    }

    /** Delivers received messages in order; a Blob (from an implementation ignoring binaryType) is read first. */
    _drainInbox() {
      while (this._inbox.length > 0 && !this.isPaused && !this._failed) {
        const data = this._inbox[0];
        if (typeof Blob !== 'undefined' && data instanceof Blob) {
          data.arrayBuffer().then(
            (buffer) => {
              this._inbox[0] = buffer;
              this._drainInbox();
            },
            (err) => this._fail(stratusError('ERR_STRATUS_MALFORMED_MESSAGE', 'unreadable binary message', err)),
          );
          return;
        }
        this._inbox.shift();
        this._deliver(data);
      }
    }

    _deliver(data) {
      let bytes;
      if (typeof data === 'string') {
        bytes = base64ToBytes(data);
        if (bytes === null) {
          const shown = data.length > 40 ? data.slice(0, 40) + '...' : data;
          this._fail(
            stratusError(
              'ERR_STRATUS_MALFORMED_MESSAGE',
              'the server sent a text message that is not base64 (' + JSON.stringify(shown) + '): connection closed',
            ),
          );
          return;
        }
      } else {
        bytes = toBytes(data);
        if (bytes.length === 0) {
          this._fail(stratusError('ERR_STRATUS_MALFORMED_MESSAGE', 'the server sent an empty message: connection closed'));
          return;
        }
      }
      const problem = checkWholePackets(bytes);
      if (problem !== null) {
        this._fail(
          stratusError(
            'ERR_STRATUS_MALFORMED_MESSAGE',
            'the server sent a message that is not whole MQTT packets (' + problem + '): connection closed',
          ),
        );
        return;
      }
      this.messagesReceived++;
      this._dispatch('message', { type: 'message', target: this, data: this._present(bytes) }, [
        typeof globalThis.Buffer === 'function'
          ? globalThis.Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
          : bytes,
        true,
      ]);
    }

    /** The form a browser WebSocket would give for this binaryType. */
    _present(bytes) {
      const exact =
        bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
          ? bytes.buffer
          : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      if (this.binaryType === 'blob' && typeof Blob !== 'undefined') return new Blob([exact]);
      if (this.binaryType === 'nodebuffer' && typeof globalThis.Buffer === 'function') {
        return globalThis.Buffer.from(exact);
      }
      return exact;
    }

    _handleError(event) {
      if (this._failed || this._state === CLOSED) return;
      const cause = event && (event.error || event);
      const detail = cause && cause.message ? cause.message : '';
      if (/protocol/i.test(detail)) {
        // `ws` and undici fail the handshake themselves when the server selects no subprotocol or
        // another one.
        this._fail(
          stratusError(
            'ERR_STRATUS_SUBPROTOCOL',
            'the server did not select the WebSocket subprotocol ' + SUBPROTOCOL + ' (' + detail +
              '): it does not speak the Stratus text profile',
            cause,
          ),
        );
        return;
      }
      this._fail(
        stratusError('ERR_STRATUS_WEBSOCKET', 'WebSocket error on ' + this.url + (detail ? ': ' + detail : ''), cause),
      );
    }

    _handleClose(event) {
      this._state = CLOSED;
      this._finish();
      if (this._closeEmitted) return;
      this._closeEmitted = true;
      const code = event && typeof event.code === 'number' ? event.code : 1006;
      const reason = (event && event.reason) || '';
      this._dispatch('close', { type: 'close', target: this, code, reason, wasClean: !!(event && event.wasClean) }, [
        code,
        typeof globalThis.Buffer === 'function' ? globalThis.Buffer.from(reason) : reason,
      ]);
    }

    _report(err) {
      if (typeof this._onErrorHook === 'function') this._onErrorHook(err);
      this._dispatch('error', { type: 'error', target: this, error: err, message: err.message }, [err]);
    }

    /**
     * Reports err once and closes: after a framing error the byte stream cannot be trusted. The
     * close event follows at once (code 1006, as for any failed WebSocket connection): some
     * implementations (undici after a refused handshake) never send one, and MQTT.js waits for it.
     */
    _fail(err) {
      if (this._failed) return;
      this._failed = err;
      this._inbox.length = 0;
      this._outbox.length = 0;
      this._report(err);
      this._closeUnderlying(true);
      this._handleClose({ code: 1006, reason: '', wasClean: false });
    }

    _closeUnderlying(abnormal, code, reason) {
      if (this._state === CLOSED) return;
      this._state = CLOSING;
      this._finish();
      const ws = this._ws;
      if (ws.readyState === CLOSED || ws.readyState === CLOSING) return;
      try {
        if (abnormal && typeof ws.terminate === 'function') ws.terminate();
        else if (code === undefined) ws.close();
        else ws.close(code, reason);
      } catch (err) {
        // A browser refuses codes other than 1000 and 3000-4999: close without one.
        ws.close();
      }
    }

    // ---- sending ----

    /**
     * Accepts bytes of MQTT packets, in any pieces. Throws (and calls cb, when given) with the error
     * that closes the connection when a packet is over the limit or the socket is closed.
     */
    send(data, options, cb) {
      if (typeof options === 'function') {
        cb = options;
      }
      // The callback runs synchronously: Node's Writable then hands over the rest of its buffered
      // chunks in the same tick, so the packets MQTT.js wrote together share one message.
      const done = (err) => {
        if (typeof cb === 'function') cb(err);
        else if (err) throw err;
      };
      if (this._failed) return done(this._failed);
      if (this._state === CLOSING || this._state === CLOSED) {
        return done(stratusError('ERR_STRATUS_CLOSED', 'WebSocket is ' + (this._state === CLOSING ? 'closing' : 'closed')));
      }
      let bytes;
      try {
        bytes = toBytes(data);
        this._framer.push(bytes.slice());
        for (const packet of this._framer.drain()) this._outbox.push(packet);
      } catch (err) {
        this._fail(err);
        return done(err);
      }
      if (this._outbox.length > 0) this._scheduleFlush();
      return done(undefined);
    }

    _scheduleFlush() {
      if (this._flushScheduled) return;
      this._flushScheduled = true;
      // One microtask later: MQTT.js in Node writes one packet as several synchronous writes, and
      // several packets back to back; they share one message.
      queueMicrotask(() => {
        this._flushScheduled = false;
        this._flush();
      });
    }

    /** Sends every queued whole packet, as few messages as the message limit allows. */
    _flush() {
      if (this._state !== OPEN || this._failed) return;
      let i = 0;
      while (i < this._outbox.length) {
        const prefix = this.sequence + 1 + ':';
        // A packet alone always goes (at most 95,985 bytes = 127,980 characters plus the prefix); more join it
        // while prefix + base64 stays within the message limit.
        let bytes = this._outbox[i].length;
        let j = i + 1;
        while (
          j < this._outbox.length &&
          prefix.length + 4 * Math.ceil((bytes + this._outbox[j].length) / 3) <= MAX_MESSAGE_CHARS
        ) {
          bytes += this._outbox[j].length;
          j++;
        }
        const joined = new Uint8Array(bytes);
        let at = 0;
        for (let k = i; k < j; k++) {
          joined.set(this._outbox[k], at);
          at += this._outbox[k].length;
        }
        this.sequence++;
        this.messagesSent++;
        this._ws.send(prefix + bytesToBase64(joined));
        i = j;
      }
      this._outbox.length = 0;
    }

    // ---- closing and flow control ----

    /** Sends the whole packets already written (e.g. DISCONNECT), then closes. */
    close(code, reason) {
      if (this._state === CLOSING || this._state === CLOSED) return;
      if (this._state === OPEN) {
        for (const packet of this._safeDrain()) this._outbox.push(packet);
        this._flush();
      }
      this._closeUnderlying(false, code, reason);
    }

    _safeDrain() {
      try {
        return this._framer.drain();
      } catch (err) {
        this._fail(err);
        return [];
      }
    }

    /** Closes at once without a closing handshake where the implementation can (ws), else closes. */
    terminate() {
      if (this._state === CLOSED) return;
      this._closeUnderlying(true);
    }

    pause() {
      this.isPaused = true;
    }

    resume() {
      if (!this.isPaused) return;
      this.isPaused = false;
      this._drainInbox();
    }
  }

  for (const [name, value] of Object.entries({ CONNECTING, OPEN, CLOSING, CLOSED })) {
    Object.defineProperty(TextProfileSocket, name, { value, enumerable: true });
    Object.defineProperty(TextProfileSocket.prototype, name, { value, enumerable: true });
  }

  /**
   * Returns a `createWebsocket` function for MQTT.js with these options (see TextProfileSocket):
   * `mqtt.connect(url, { createWebsocket: textProfile({ WebSocket }) })`.
   */
  function textProfile(options = {}) {
    return function createTextProfileWebsocket(url, protocols, mqttOptions) {
      const wsOptions =
        options.wsOptions || (mqttOptions && mqttOptions.wsOptions) || undefined;
      return new TextProfileSocket(url, { ...options, wsOptions });
    };
  }

  /** `createWebsocket` for MQTT.js using globalThis.WebSocket (browsers, Node 22+, Deno, Bun). */
  function createWebsocket(url, protocols, mqttOptions) {
    return textProfile()(url, protocols, mqttOptions);
  }

  return { SUBPROTOCOL, MAX_MESSAGE_CHARS, SEQUENCE_PREFIX_RESERVE, MAX_PACKET_BYTES, TextProfileSocket, textProfile, createWebsocket };
});
