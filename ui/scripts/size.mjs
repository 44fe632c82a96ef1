// Prints the initial JavaScript of the built app (what index.html loads before any
// lazy route), gzipped, against the budget. Exits 1 when over budget.
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUDGET = 200 * 1024;
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const indexPath = join(dist, 'index.html');
if (!existsSync(indexPath)) {
  console.error('dist/index.html missing: run npm run build first');
  process.exit(2);
}
const html = readFileSync(indexPath, 'utf8');
const initial = new Set();
for (const m of html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)) initial.add(m[1]);
for (const m of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)) initial.add(m[1]);
// Static imports of the entry chunks are loaded up front too.
const queue = [...initial];
while (queue.length) {
  const f = queue.shift();
  const src = readFileSync(join(dist, f), 'utf8');
  for (const m of src.matchAll(/(?:^|[;\n}])\s*import\s*(?:[\w${},\s*]+from\s*)?["'](\.\/[^"']+\.js)["']/g)) {
    const p = '/assets/' + m[1].slice(2);
    if (!initial.has(p)) {
      initial.add(p);
      queue.push(p);
    }
  }
}
let raw = 0;
let gz = 0;
for (const f of initial) {
  const buf = readFileSync(join(dist, f));
  const g = gzipSync(buf, { level: 9 }).length;
  raw += buf.length;
  gz += g;
  console.log(`  ${f}: ${(buf.length / 1024).toFixed(1)} KB, ${(g / 1024).toFixed(1)} KB gzipped`);
}
console.log(`initial JS: ${(raw / 1024).toFixed(1)} KB raw, ${(gz / 1024).toFixed(1)} KB gzipped (budget ${BUDGET / 1024} KB gzipped)`);
if (gz > BUDGET) {
  console.error('over budget');
  process.exit(1);
}
