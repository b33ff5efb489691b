// The page's own checks (src/main/resources/console/mqtt-rules.js), from a table. Run by
// ConsoleRulesTest with node --test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterProblem, topicProblem, reasonText, formatPayload } from '../../main/resources/console/mqtt-rules.js';

const filters = [
  // [filter, valid]
  ['demo/#', true], ['#', true], ['+', true], ['+/+', true], ['a/+/c', true], ['/', true], ['a//b', true],
  ['$SYS/#', true], ['$share/g/a/#', true], ['sport/tennis/player1/#', true],
  ['', false], ['demo/#/x', false], ['a#', false], ['a/b#', false], ['a+/b', false], ['+a', false],
  ['$share/g', false], ['$share//a', false], ['$share/g+/a', false], ['a\u0000b', false],
];

for (const [f, valid] of filters) {
  test(`filter ${JSON.stringify(f)} is ${valid ? 'valid' : 'invalid'}`, () => {
    const p = filterProblem(f);
    if (valid) assert.equal(p, null);
    else assert.match(p, /\[MQTT-/);
  });
}

test('topic names have no wildcards and are not empty', () => {
  assert.equal(topicProblem('demo/1'), null);
  assert.equal(topicProblem('/'), null);
  assert.match(topicProblem('demo/#'), /MQTT-3.3.2-2/);
  assert.match(topicProblem('a/+'), /MQTT-3.3.2-2/);
  assert.match(topicProblem(''), /MQTT-4.7.3-1/);
});

test('reason codes are named, v3 CONNACK codes separately', () => {
  assert.equal(reasonText(0x87), '0x87 Not authorized');
  assert.equal(reasonText(0x86), '0x86 Bad User Name or Password');
  assert.equal(reasonText(4, true), '0x04 bad user name or password');
  assert.equal(reasonText(0xfe), '0xFE');
});

test('payloads show as text, JSON or hex', () => {
  const bytes = new TextEncoder().encode('{"a":1}');
  assert.equal(formatPayload(bytes, 'text'), '{"a":1}');
  assert.equal(formatPayload(bytes, 'json'), '{\n  "a": 1\n}');
  assert.equal(formatPayload(bytes, 'hex'), '7b 22 61 22 3a 31 7d');
  assert.equal(formatPayload(new TextEncoder().encode('plain'), 'json'), '(not JSON) plain');
  assert.equal(formatPayload(new Uint8Array([0xff, 0x00]), 'text'), '(not UTF-8) ff 00');
});
