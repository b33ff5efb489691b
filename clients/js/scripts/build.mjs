// Generates dist/stratus-mqtt-text-profile.js (UMD: <script> global `StratusTextProfile`, and
// CommonJS require) from src/index.js, the ES module. No bundler: the source has no imports, so
// wrapping it is enough. `node scripts/build.mjs --check` fails when dist is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const OUT = root + 'dist/stratus-mqtt-text-profile.js';

export function buildUmd() {
  const source = readFileSync(root + 'src/index.js', 'utf8');
  const names = [];
  const body = source.replace(/^export (const|function|class) ([A-Za-z_$][\w$]*)/gm, (_, kind, name) => {
    names.push(name);
    return kind + ' ' + name;
  });
  if (/^export /m.test(body)) throw new Error('src/index.js: only `export const|function|class` is supported');
  const indented = body.replace(/^(?=.)/gm, '  ');
  return (
    '// GENERATED from src/index.js by scripts/build.mjs: edit the source, then run `npm run build`.\n' +
    '(function (root, factory) {\n' +
    "  if (typeof module === 'object' && module.exports) module.exports = factory();\n" +
    "  else if (typeof define === 'function' && define.amd) define([], factory);\n" +
    '  else root.StratusTextProfile = factory();\n' +
    "})(typeof globalThis !== 'undefined' ? globalThis : this, function () {\n" +
    "  'use strict';\n\n" +
    indented +
    '\n  return { ' + names.join(', ') + ' };\n' +
    '});\n'
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const umd = buildUmd();
  if (process.argv.includes('--check')) {
    if (readFileSync(OUT, 'utf8') !== umd) {
      console.error('dist/stratus-mqtt-text-profile.js is stale: run `npm run build`');
      process.exit(1);
    }
  } else {
    writeFileSync(OUT, umd);
  }
}
