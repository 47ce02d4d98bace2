/**
 * TensorFlow.js backend selection for the engine (node: worker, CLI, tests).
 *
 * Order: 'tensorflow' (the native tfjs-node binding, loaded dynamically only when the package is
 * installed: its install downloads a binary, so it is never a hard dependency), then 'wasm'
 * (@tensorflow/tfjs-backend-wasm, XNNPACK kernels, its .wasm files read from disk), then 'cpu'
 * (plain JavaScript, slow). `initBackend` reports which one runs and why the others did not.
 *
 * Where the .wasm files are looked for, first hit wins (a directory holding tfjs-backend-wasm.wasm):
 *   1. opts.wasmDir;  2. $DATASET_DEBUGGER_WASM_DIR;  3. <dir of the running bundle>/wasm (the
 *   bundled extension: the build copies node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm to
 *   dist/wasm/);  4. node_modules/@tensorflow/tfjs-backend-wasm/dist (development, tests).
 *
 * tfjs warnings (the "install tfjs-node" banner) are silenced with the PROD flag so that nothing is
 * written to the worker's or the CLI's stdout.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** The backend that runs. */
  name: BackendName;
  /** Every backend tried, in order, with the reason it was not used. */
  tried: { name: BackendName; ok: boolean; reason?: string }[];
  /** Directory the wasm binaries were loaded from (wasm only). */
  wasmDir?: string;
}

export interface BackendOptions {
  /** Backends to try, in order (default ['tensorflow', 'wasm', 'cpu']). */
  prefer?: BackendName[];
  wasmDir?: string;
}

let current: BackendInfo | undefined;
let wasmPathsSet: string | undefined;

/** Directories that may hold the tfjs-backend-wasm binaries, in the order they are tried. */
export function wasmDirCandidates(explicit?: string): string[] {
  const out: string[] = [];
  if (explicit) out.push(explicit);
  if (process.env.DATASET_DEBUGGER_WASM_DIR) out.push(process.env.DATASET_DEBUGGER_WASM_DIR);
  if (typeof __dirname === 'string') out.push(path.join(__dirname, 'wasm'));
  try {
    out.push(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist'));
  } catch {
    // not resolvable from here (bundled without node_modules)
  }
  return out;
}

/** The first candidate directory holding tfjs-backend-wasm.wasm, or undefined. */
export function findWasmDir(explicit?: string): string | undefined {
  return wasmDirCandidates(explicit).find((d) => existsSync(path.join(d, 'tfjs-backend-wasm.wasm')));
}

async function tryNode(): Promise<string | undefined> {
  if (tf.findBackend('tensorflow')) return undefined;
  try {
    // A computed name: bundlers leave it alone and the package stays optional.
    const name = ['@tensorflow', 'tfjs-node'].join('/');
    await import(name);
  } catch (e) {
    return `@tensorflow/tfjs-node is not installed (${(e as Error).message.split('\n')[0]})`;
  }
  return tf.findBackend('tensorflow') ? undefined : '@tensorflow/tfjs-node loaded but registered no "tensorflow" backend (version mismatch with @tensorflow/tfjs?)';
}

/**
 * Selects and initialises a backend (once per process; later calls with the same preference
 * return the same info, a different preference switches).
 */
export async function initBackend(opts: BackendOptions = {}): Promise<BackendInfo> {
  const prefer = opts.prefer ?? ['tensorflow', 'wasm', 'cpu'];
  if (current && current.name === prefer[0] && tf.getBackend() === current.name) return current;
  tf.env().set('PROD', true);
  const tried: BackendInfo['tried'] = [];
  for (const name of prefer) {
    let reason: string | undefined;
    let wasmDir: string | undefined;
    if (name === 'tensorflow') reason = await tryNode();
    if (name === 'wasm') {
      wasmDir = findWasmDir(opts.wasmDir);
      if (!wasmDir) reason = `no tfjs-backend-wasm.wasm in ${wasmDirCandidates(opts.wasmDir).join(', ')}`;
      else if (wasmPathsSet === undefined) {
        setWasmPaths(wasmDir.endsWith(path.sep) ? wasmDir : wasmDir + path.sep);
        wasmPathsSet = wasmDir;
      } else wasmDir = wasmPathsSet; // the wasm module is loaded once per process
    }
    if (!reason) {
      // The wasm module (emscripten) adds process-wide 'uncaughtException' / 'unhandledRejection'
      // listeners that rethrow, which would turn any unhandled rejection of the worker into a crash
      // that prints the whole minified module; they are removed again once the backend is up.
      const em = process as unknown as NodeJS.EventEmitter;
      const events = ['uncaughtException', 'unhandledRejection'];
      const before = events.map((ev) => em.listeners(ev));
      try {
        const ok = await tf.setBackend(name);
        await tf.ready();
        if (!ok || tf.getBackend() !== name) reason = `tf.setBackend('${name}') failed`;
      } catch (e) {
        reason = (e as Error).message;
      } finally {
        events.forEach((ev, k) => {
          for (const l of em.listeners(ev)) if (!before[k].includes(l)) em.removeListener(ev, l as (...a: unknown[]) => void);
        });
      }
    }
    tried.push({ name, ok: !reason, reason });
    if (!reason) {
      current = { name, tried, wasmDir: name === 'wasm' ? wasmDir : undefined };
      return current;
    }
  }
  throw new Error(`No TensorFlow.js backend could start: ${tried.map((t) => `${t.name}: ${t.reason}`).join('; ')}`);
}

export { tf };
