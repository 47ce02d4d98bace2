#!/usr/bin/env node
/**
 * Compares two directories of JSON documents (bench/cli-equivalence.sh output) value by value:
 * numbers to a relative tolerance (default 1e-9: |a - b| <= tol max(|a|, |b|), or both below 1e-300),
 * everything else exactly, except keys that are timings. Prints the largest relative difference per
 * file and every mismatch beyond the tolerance; exits 1 on any.
 *   node bench/compare-json.mjs OLD_DIR NEW_DIR [--tol 1e-9]
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';

const [a, b] = process.argv.slice(2);
const tolArg = process.argv.indexOf('--tol');
const tol = tolArg > 0 ? Number(process.argv[tolArg + 1]) : 1e-9;
const ignored = /^(seconds|timings?|elapsed\w*|durationMs|ms|time\w*)$/i;
let bad = 0;
for (const f of readdirSync(a).filter((n) => n.endsWith('.json')).sort()) {
  const pb = path.join(b, f);
  if (!existsSync(pb)) {
    console.log(`${f}: missing in ${b}`);
    bad++;
    continue;
  }
  const ta = readFileSync(path.join(a, f), 'utf8'), tb = readFileSync(pb, 'utf8');
  if (!ta.trim() && !tb.trim()) {
    console.log(`${f}: both empty`);
    continue;
  }
  let worst = 0, where = '', count = 0;
  const mismatches = [];
  const walk = (x, y, p) => {
    if (typeof x === 'number' && typeof y === 'number') {
      count++;
      const d = Math.abs(x - y), m = Math.max(Math.abs(x), Math.abs(y));
      const rel = d === 0 || m < 1e-300 ? 0 : d / m;
      if (rel > worst) [worst, where] = [rel, p];
      if (rel > tol) mismatches.push(`${p}: ${x} vs ${y} (rel ${rel.toExponential(2)})`);
      return;
    }
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length) mismatches.push(`${p}: length ${x.length} vs ${y.length}`);
      for (let i = 0; i < Math.min(x.length, y.length); i++) walk(x[i], y[i], `${p}[${i}]`);
      return;
    }
    if (x && y && typeof x === 'object' && typeof y === 'object') {
      for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
        if (ignored.test(k)) continue;
        if (!(k in x) || !(k in y)) mismatches.push(`${p}.${k}: only in ${k in x ? 'old' : 'new'}`);
        else walk(x[k], y[k], `${p}.${k}`);
      }
      return;
    }
    if (x !== y) mismatches.push(`${p}: ${JSON.stringify(x)?.slice(0, 80)} vs ${JSON.stringify(y)?.slice(0, 80)}`);
  };
  walk(JSON.parse(ta), JSON.parse(tb), '$');
  console.log(`${f}: ${count} numbers, max relative difference ${worst.toExponential(2)}${where ? ` at ${where}` : ''}${mismatches.length ? `, ${mismatches.length} MISMATCHES` : ''}`);
  for (const m of mismatches.slice(0, process.env.ALL ? 1e9 : 8)) console.log(`  ${m}`);
  if (mismatches.length) bad++;
}
process.exit(bad ? 1 : 0);
