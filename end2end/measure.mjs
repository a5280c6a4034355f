// Report for the README (not a test): server-side render time of the overview page and the
// size of the release wasm. Usage: node measure.mjs <base-url> <site-root> [requests]
// The server must be running the release build; every request renders the page afresh
// (SSR with its database queries), one at a time, after a warm-up.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const [base, siteRoot, n = '300'] = process.argv.slice(2);
const count = Number(n);

async function timeOne(url) {
  const t = process.hrtime.bigint();
  const res = await fetch(url);
  const body = await res.text();
  if (!res.ok || !body.includes('<h1>Overview')) throw new Error(`bad response ${res.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

for (let i = 0; i < 30; i++) await timeOne(`${base}/`);
const times = [];
for (let i = 0; i < count; i++) times.push(await timeOne(`${base}/`));
times.sort((a, b) => a - b);
const pct = (p) => times[Math.min(times.length - 1, Math.round((times.length - 1) * p))].toFixed(2);

const wasm = fs.readFileSync(path.join(siteRoot, 'pkg', 'nexus-forge.wasm'));
const js = fs.readFileSync(path.join(siteRoot, 'pkg', 'nexus-forge.js'));
const gz = (b) => zlib.gzipSync(b, { level: 9 }).length;
const kb = (b) => (b / 1024).toFixed(0);

console.log('| measurement | result |');
console.log('| --- | --- |');
console.log(`| overview page, server render + response (${count} sequential requests) | p50 ${pct(0.5)} ms, p95 ${pct(0.95)} ms, p99 ${pct(0.99)} ms |`);
console.log(`| release wasm (after wasm-opt) | ${kb(wasm.length)} KB raw, ${kb(gz(wasm))} KB gzipped |`);
console.log(`| JS glue | ${kb(js.length)} KB raw, ${kb(gz(js))} KB gzipped |`);
