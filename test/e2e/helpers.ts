/**
 * What the product's e2e tests share: the packaged extension, the CLI, and the workbench steps every
 * scenario takes (open a file, go to a line, read and click the Suspicious Rows view, answer a quick
 * pick). One copy here; each test file keeps only what is its own.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import type { VSCodeSession } from './harness';
import { REPO_ROOT } from './paths';
import { poll } from './workbench';

/** The extension to install: DD_E2E_VSIX when set (built once for several files), else packaged into `dir`. */
export function packagedVsix(dir: string): string {
  if (process.env.DD_E2E_VSIX) return process.env.DD_E2E_VSIX;
  const out = join(dir, 'dataset-debugger.vsix');
  execFileSync('bash', [join(REPO_ROOT, 'scripts', 'package-vsix.sh'), out], { cwd: REPO_ROOT, stdio: 'inherit' });
  return out;
}

/**
 * Runs a product test in a new scratch folder (removed afterwards, also on failure) with the
 * extension package to install: DD_E2E_VSIX when given, else one packaged into the folder.
 */
export async function inScratchFolder(prefix: string, fn: (ctx: { tmp: string; vsix: string }) => Promise<void>): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  try {
    await fn({ tmp, vsix: packagedVsix(tmp) });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The built CLI's standard output (its error output goes into the thrown error when it fails). */
export function cliText(args: string[]): string {
  return execFileSync(process.execPath, [join(REPO_ROOT, 'dist', 'cli.js'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
  });
}

/** The built CLI's --json answer. */
export function cli(args: string[]): unknown {
  return JSON.parse(cliText([...args, '--json']));
}

/**
 * The rendered rows of the side bar's trees (label and description). Evaluated from a string: tsx
 * compiles the tests with keepNames, which wraps inner named functions in a `__name` helper that does
 * not exist in the page.
 */
export async function sidebarRows(vs: VSCodeSession): Promise<{ label: string; description: string }[]> {
  return vs.page.evaluate(`[...document.querySelectorAll('.part.sidebar .monaco-list-row')].map((el) => ({
    label: (el.querySelector('.label-name')?.textContent ?? '').replace(/\\s+/g, ' ').trim(),
    description: (el.querySelector('.label-description')?.textContent ?? '').replace(/\\s+/g, ' ').trim(),
  }))`);
}

/** Waits until the side bar lists `count` tree rows whose labels (and descriptions) match; returns them. */
export async function waitForSidebarRows(
  vs: VSCodeSession,
  label: RegExp,
  count: number,
  timeoutMs: number,
  description: RegExp = /./,
): Promise<{ label: string; description: string }[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = (await sidebarRows(vs)).filter((r) => label.test(r.label) && description.test(r.description));
    if (rows.length >= count) return rows;
    if (Date.now() > deadline) {
      throw new Error(`the side bar lists ${rows.length} rows matching ${label} ${description}, not ${count}: ${JSON.stringify(rows.slice(0, 5))}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function clickSidebarRow(vs: VSCodeSession, label: string): Promise<void> {
  await vs.page.locator('.part.sidebar .monaco-list-row').filter({ has: vs.page.locator('.label-name', { hasText: new RegExp(`^\\s*${label}\\s*$`) }) }).first().click();
}

/** The Suspicious Rows view's message (what it is ranked by, how many rows are hidden, staleness); '' when none. */
export async function sidebarMessage(vs: VSCodeSession): Promise<string> {
  return ((await vs.page.locator('.part.sidebar .pane-body .message, .part.sidebar .tree-explorer-viewlet-tree-view-message').first().textContent().catch(() => '')) ?? '').trim();
}

/** Puts the cursor of the active editor on a 1-based line with Quick Open's ':line'. */
export async function goToLine(vs: VSCodeSession, line: number): Promise<void> {
  await retryQuickInput(vs, `go to line ${line}`, async (input) => {
    await input.fill(`:${line}`);
    // Enter only once the line picker has read the typed line (on a busy machine an early Enter
    // found the picker's previous state and left the box open).
    await vs.page.locator('.quick-input-widget').getByText(new RegExp(`to line ${line}\\b`)).first().waitFor({ state: 'visible', timeout: 10_000 });
    await vs.page.keyboard.press('Enter');
    await vs.waitForCursorLine(line, { timeoutMs: 10_000 });
  });
}

/**
 * Opens the Quick Fix menu (Ctrl+.) on the cursor's line and waits for the item `item`; returns its
 * locator. The key goes to the editor only once it has focus back from the quick input that moved the
 * cursor (on a busy machine that takes a moment, and a Ctrl+. before it is lost), so this waits for
 * the editor's focus and tries up to three times.
 */
export async function openQuickFix(vs: VSCodeSession, item: string): Promise<Locator> {
  const fixItem = vs.page.locator('.action-widget .monaco-list-row', { hasText: item });
  for (let attempt = 1; ; attempt++) {
    await vs.page
      .waitForFunction(() => !!document.activeElement?.closest('.part.editor .monaco-editor'), undefined, { timeout: 10_000 })
      .catch(() => undefined);
    await vs.page.keyboard.press('Control+.');
    try {
      await fixItem.first().waitFor({ state: 'visible', timeout: 5_000 });
      return fixItem;
    } catch (e) {
      const shown = await vs.page.locator('.action-widget .monaco-list-row').allTextContents().catch(() => []);
      console.log(`[e2e] quick fix "${item}": attempt ${attempt} showed ${JSON.stringify(shown)}`);
      if (attempt >= 3) throw new Error(`the Quick Fix menu did not offer "${item}" after ${attempt} tries; it showed ${JSON.stringify(shown)} (${String(e instanceof Error ? e.message : e).split('\n')[0]})`);
      await vs.page.keyboard.press('Escape').catch(() => undefined);
    }
  }
}

/** Opens a workspace file by name with Quick Open (Enter only once the list has caught up with the typed name). */
export async function openFile(vs: VSCodeSession, name: string): Promise<void> {
  await retryQuickInput(vs, `open ${name}`, async (input) => {
    await input.fill(name);
    await vs.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').first().waitFor({ state: 'visible', timeout: 15_000 });
    await vs.page.waitForFunction(
      (n) => document.querySelector('.quick-input-widget .quick-input-list .monaco-list-row .label-name')?.textContent?.trim() === n,
      name,
      { timeout: 15_000 },
    );
    await vs.page.keyboard.press('Enter');
    await vs.waitForActiveEditor(name);
    // The tab shows before the text has loaded, and the extension host hears of the editor only then:
    // wait for the active group's editor to render text, as a user waits to see the file.
    await vs.page
      .locator('.part.editor .editor-group-container.active .monaco-editor .view-lines .view-line')
      .first()
      .waitFor({ state: 'visible', timeout: 15_000 });
  });
}

/**
 * Runs `step` on a newly opened Quick Open box, up to three times: the box closes when focus moves
 * (a panel updated by a finished scan, a notification), and a step that finds it gone or whose
 * effect does not follow starts again from Escape. The last attempt's error is thrown.
 */
async function retryQuickInput(vs: VSCodeSession, what: string, step: (input: Awaited<ReturnType<VSCodeSession['openQuickInput']>>) => Promise<void>): Promise<void> {
  let last: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      await step(await vs.openQuickInput(''));
      return;
    } catch (e) {
      last = e;
      console.log(`[e2e] ${what}: attempt ${attempt} failed (${String(e instanceof Error ? e.message : e).split('\n')[0]})`);
      await vs.page.keyboard.press('Escape').catch(() => undefined);
    }
  }
  throw last;
}

/**
 * Waits for a quick pick whose title matches, and accepts `item` with Enter: with `filter`, after typing
 * it into the box; without, it must already be the active item (what the product offers first).
 * Screenshot `quick-pick-<item>` before accepting.
 */
export async function acceptQuickPick(vs: VSCodeSession, title: RegExp, item: string, opts: { filter?: boolean } = {}): Promise<void> {
  const widget = vs.page.locator('.quick-input-widget');
  await widget
    .locator('.quick-input-title', { hasText: title })
    .waitFor({ state: 'visible', timeout: 60_000 })
    .catch(async () => {
      const shown = (await widget.isVisible()) ? `the quick input shows "${(await widget.locator('.quick-input-title').textContent()) ?? ''}"` : 'no quick input is open';
      assert.fail(`quick pick ${title} did not appear within 60 s: ${shown}; notifications: ${JSON.stringify(await vs.notifications())}`);
    });
  if (opts.filter) await widget.locator('input').fill(item);
  const focused = widget.locator('.quick-input-list .monaco-list-row.focused .label-name');
  await vs.page
    .waitForFunction(
      (want) => document.querySelector('.quick-input-widget .quick-input-list .monaco-list-row.focused .label-name')?.textContent?.trim() === want,
      item,
      { timeout: 10_000 },
    )
    .catch(async () => assert.fail(`quick pick ${title}: active item is "${await focused.textContent()}", not "${item}"`));
  await vs.screenshot(`quick-pick-${item.replace(/[^\w.-]+/g, '-').slice(0, 60)}`);
  await vs.page.keyboard.press('Enter');
}

/** Pids of the product's worker processes started from this session's extensions folder. */
export function workerPids(extensionsDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(extensionsDir) && cmd.includes('dist/worker.js')) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/** Waits until the side bar's row labels are exactly `want` (in order). */
export async function waitForSidebar(vs: VSCodeSession, want: string[], timeoutMs: number): Promise<void> {
  let seen: string[] = [];
  await poll(
    async () => {
      seen = (await sidebarRows(vs)).map((r) => r.label).filter((l) => /^row \d+$/.test(l));
      return seen.length === want.length && seen.every((l, i) => l === want[i]) ? true : undefined;
    },
    timeoutMs,
    () => `the side bar lists ${JSON.stringify(seen.slice(0, 8))}... (${seen.length}), not ${JSON.stringify(want.slice(0, 8))}... (${want.length})`,
    300,
  );
}

/** The CSV text with the label cell (the last field) of 1-based `line` replaced; lines end with `eol`. */
export function withLabel(text: string, line: number, oldLabel: string, newLabel: string, eol: '\n' | '\r\n' = '\n'): string {
  const lines = text.split(eol);
  assert.ok(lines[line - 1].endsWith(`,${oldLabel}`), `line ${line} ends with ${oldLabel}`);
  lines[line - 1] = lines[line - 1].slice(0, -oldLabel.length) + newLabel;
  return lines.join(eol);
}
