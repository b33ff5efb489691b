// Client-side checks of what the user types, by the MQTT rules, so a mistake is explained before
// anything is sent; the server's own answer (SUBACK/CONNACK reason codes) is shown as well.

const encoder = new TextEncoder();

/** Why `filter` is not a valid topic filter, or null. */
export function filterProblem(filter) {
  if (filter.length === 0) return 'a topic filter must be at least one character long [MQTT-4.7.3-1]';
  if (filter.includes('\u0000')) return 'a topic filter must not contain U+0000 [MQTT-1.5.4-2]';
  if (encoder.encode(filter).length > 65535) return 'a topic filter is at most 65,535 bytes of UTF-8 [MQTT-1.5.4]';
  let levels = filter.split('/');
  if (levels[0] === '$share') {
    if (levels.length < 3 || levels[1] === '') return 'a shared subscription is $share/{name}/{filter} [MQTT-4.8.2-1]';
    if (/[+#]/.test(levels[1])) return 'a share name must not contain + or # [MQTT-4.8.2-2]';
    levels = levels.slice(2);
  }
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i];
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) {
      return "'#' must be a whole level and the last one, e.g. a/# [MQTT-4.7.1-1]";
    }
    if (l.includes('+') && l !== '+') return "'+' must occupy a whole level, e.g. a/+/c [MQTT-4.7.1-2]";
  }
  return null;
}

/** Why `topic` is not a valid topic name for PUBLISH, or null. */
export function topicProblem(topic) {
  if (topic.length === 0) return 'a topic name must be at least one character long [MQTT-4.7.3-1]';
  if (/[+#]/.test(topic)) return 'a topic name must not contain wildcards + or # [MQTT-3.3.2-2]';
  if (topic.includes('\u0000')) return 'a topic name must not contain U+0000 [MQTT-1.5.4-2]';
  if (encoder.encode(topic).length > 65535) return 'a topic name is at most 65,535 bytes of UTF-8';
  return null;
}

const REASONS = {
  0x80: 'Unspecified error', 0x81: 'Malformed Packet', 0x82: 'Protocol Error', 0x83: 'Implementation specific error',
  0x84: 'Unsupported Protocol Version', 0x85: 'Client Identifier not valid', 0x86: 'Bad User Name or Password',
  0x87: 'Not authorized', 0x88: 'Server unavailable', 0x89: 'Server busy', 0x8a: 'Banned', 0x8b: 'Server shutting down',
  0x8c: 'Bad authentication method', 0x8d: 'Keep Alive timeout', 0x8e: 'Session taken over', 0x8f: 'Topic Filter invalid',
  0x90: 'Topic Name invalid', 0x91: 'Packet Identifier in use', 0x93: 'Receive Maximum exceeded', 0x94: 'Topic Alias invalid',
  0x95: 'Packet too large', 0x97: 'Quota exceeded', 0x98: 'Administrative action', 0x99: 'Payload format invalid',
  0x9a: 'Retain not supported', 0x9b: 'QoS not supported', 0x9c: 'Use another server', 0x9d: 'Server moved',
  0x9e: 'Shared Subscriptions not supported', 0x9f: 'Connection rate exceeded', 0xa0: 'Maximum connect time',
  0xa1: 'Subscription Identifiers not supported', 0xa2: 'Wildcard Subscriptions not supported',
};
// MQTT 3.1.1 CONNACK return codes [MQTT-3.2.2-3]
const V3_CONNACK = {
  1: 'unacceptable protocol version', 2: 'identifier rejected', 3: 'server unavailable',
  4: 'bad user name or password', 5: 'not authorized',
};

export function reasonText(code, v3connack = false) {
  const name = v3connack ? V3_CONNACK[code] : REASONS[code];
  const hex = '0x' + code.toString(16).padStart(2, '0').toUpperCase();
  return name ? `${hex} ${name}` : hex;
}

/** The payload as the log shows it in `format` (text, json or hex). */
export function formatPayload(bytes, format) {
  if (format === 'hex') {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
  }
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return '(not UTF-8) ' + formatPayload(bytes, 'hex');
  }
  if (format === 'json') {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return '(not JSON) ' + text;
    }
  }
  return text;
}

export function base64ToBytes(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
