#!/usr/bin/env node
/**
 * Import cycles between files and between folders of src/, extension/ and webview/ (relative imports,
 * type-only imports included: they still tie the files' meaning together). Folder level: src/tod ->
 * src/unsupervised and back is a cycle even when no two files import each other. Prints every cycle
 * and exits 1 when there is one. `node scripts/check-cycles.mjs` (no dependencies; the unit test
 * test/unit/import-cycles.test.ts runs it).
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function files(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function resolveImport(from, spec) {
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')]) if (existsSync(c) && statSync(c).isFile()) return c;
  return undefined;
}

/** Strongly connected components with more than one node (Tarjan), each as a list of nodes. */
function cycles(graph) {
  let index = 0;
  const idx = new Map(), low = new Map(), stack = [], on = new Set(), out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

export function findCycles() {
  const all = ['src', 'extension', 'webview'].filter((d) => existsSync(path.join(root, d))).flatMap((d) => files(path.join(root, d)));
  const fileGraph = new Map(), dirGraph = new Map();
  const rel = (p) => path.relative(root, p);
  for (const f of all) {
    const text = readFileSync(f, 'utf8');
    const deps = new Set();
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = resolveImport(f, m[1]);
      if (target) deps.add(rel(target));
    }
    fileGraph.set(rel(f), deps);
    const dir = path.dirname(rel(f));
    if (!dirGraph.has(dir)) dirGraph.set(dir, new Set());
    for (const d of deps) if (path.dirname(d) !== dir) dirGraph.get(dir).add(path.dirname(d));
  }
  return { files: cycles(fileGraph), folders: cycles(dirGraph), fileCount: all.length };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { files: fc, folders, fileCount } = findCycles();
  for (const c of fc) console.log(`file cycle: ${c.join(' <-> ')}`);
  for (const c of folders) console.log(`folder cycle: ${c.join(' <-> ')}`);
  console.log(`${fileCount} files: ${fc.length} file cycles, ${folders.length} folder cycles`);
  process.exit(fc.length || folders.length ? 1 : 0);
}
