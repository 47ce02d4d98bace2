/**
 * End to end: fixing labels in the real VS Code (issue 11).
 *
 * A folder with two data sets: cancer.csv (UCI breast cancer with 20 flipped diagnoses, written with
 * a byte order mark and CRLF line endings; configured in the workspace settings) and wine.csv with
 * wine-test.csv (configured by the first-scan quick picks from the editor title).
 *
 * 1. The Quick Fix (Ctrl+.) on the top suspicious row changes its label to the suggested one: after
 *    saving, the file's bytes are the original's with exactly that label cell replaced; the row leaves
 *    the sidebar. Ctrl+Z and save restore the original bytes (same SHA-256), the row comes back.
 * 2. Five rows selected in the sidebar get their suggested labels (context menu, Change Label…);
 *    Re-score After Fixes saves and re-scans: the sidebar is the CLI's ranking of the saved file, and
 *    the five are not in it.
 * 3. Export Cleaned Copy writes cancer.cleaned.csv and cancer.changes.json; cancer.csv's hash is
 *    unchanged by it; the CLI's `fix` applied to the original bytes with that change log gives the
 *    cleaned copy byte for byte.
 * 4. Scanning wine.csv leaves the settings file untouched; the sidebar shows wine's rows, switches
 *    back to cancer's when cancer.csv is the active editor, and Explain Prediction on wine-test.csv
 *    explains a wine test row.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { E2E_TEST_TIMEOUT_MS, REPO_ROOT, e2eSkipReason, poll, withVSCode, type VSCodeSession } from './harness';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

interface CliRow {
  row: number;
  line: number;
  label: string;
  predicted: string;
  suggestedLabel?: string;
}

function packagedVsix(dir: string): string {
  if (process.env.DD_E2E_VSIX) return process.env.DD_E2E_VSIX;
  const out = join(dir, 'dataset-debugger.vsix');
  execFileSync('bash', [join(REPO_ROOT, 'scripts', 'package-vsix.sh'), out], { cwd: REPO_ROOT, stdio: 'inherit' });
  return out;
}

function cli(args: string[], json = true): string {
  return execFileSync(process.execPath, [join(REPO_ROOT, 'dist', 'cli.js'), ...args, ...(json ? ['--json'] : [])], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
  });
}

function cliTop(args: string[], n: number): CliRow[] {
  return (JSON.parse(cli(['scan', ...args, '--rank-by', 'labelIssue'])) as { examples: CliRow[] }).examples.slice(0, n);
}

/** Labels and descriptions of the side bar's tree rows (evaluated from a string: see product-quoted-csv). */
async function sidebarRows(vs: VSCodeSession): Promise<{ label: string; description: string }[]> {
  return vs.page.evaluate(`[...document.querySelectorAll('.part.sidebar .monaco-list-row')].map((el) => ({
    label: (el.querySelector('.label-name')?.textContent ?? '').replace(/\\s+/g, ' ').trim(),
    description: (el.querySelector('.label-description')?.textContent ?? '').replace(/\\s+/g, ' ').trim(),
  }))`);
}

/** Waits until the side bar's row labels are exactly `want` (in order). */
async function waitForSidebar(vs: VSCodeSession, want: string[], timeoutMs: number): Promise<void> {
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

async function sidebarMessage(vs: VSCodeSession): Promise<string> {
  return ((await vs.page.locator('.part.sidebar .pane-body .message, .part.sidebar .tree-explorer-viewlet-tree-view-message').first().textContent().catch(() => '')) ?? '').trim();
}

async function goToLine(vs: VSCodeSession, line: number): Promise<void> {
  const input = await vs.openQuickInput('');
  await input.fill(`:${line}`);
  await vs.page.keyboard.press('Enter');
  await vs.waitForCursorLine(line);
}

async function openFile(vs: VSCodeSession, name: string): Promise<void> {
  const input = await vs.openQuickInput('');
  await input.fill(name);
  await vs.page.waitForFunction(
    (n) => document.querySelector('.quick-input-widget .quick-input-list .monaco-list-row .label-name')?.textContent?.trim() === n,
    name,
    { timeout: 15_000 },
  );
  await vs.page.keyboard.press('Enter');
  await vs.waitForActiveEditor(name);
}

async function acceptQuickPick(vs: VSCodeSession, title: RegExp, item: string): Promise<void> {
  const widget = vs.page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'visible', timeout: 60_000 });
  await widget.locator('input').fill(item);
  await vs.page.waitForFunction(
    (want) => document.querySelector('.quick-input-widget .quick-input-list .monaco-list-row.focused .label-name')?.textContent?.trim() === want,
    item,
    { timeout: 10_000 },
  );
  await vs.page.keyboard.press('Enter');
}

async function save(vs: VSCodeSession, file: string, before: string): Promise<Buffer> {
  await vs.page.keyboard.press('Control+S');
  return poll(
    async () => {
      const b = readFileSync(file);
      return sha(b) !== before ? b : undefined;
    },
    15_000,
    () => `${file} did not change on disk after Ctrl+S`,
  );
}

/** The text with row's label cell (the last field, CSV) replaced; lines split on CRLF. */
function withLabel(text: string, line: number, oldLabel: string, newLabel: string): string {
  const lines = text.split('\r\n');
  assert.ok(lines[line - 1].endsWith(`,${oldLabel}`), `line ${line} ends with ${oldLabel}`);
  lines[line - 1] = lines[line - 1].slice(0, -oldLabel.length) + newLabel;
  return lines.join('\r\n');
}

test('fixing labels: Quick Fix, undo, five fixes and re-score, export, two data sets', { skip: e2eSkipReason(), timeout: 2 * E2E_TEST_TIMEOUT_MS }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'dd-product-fix-'));
  try {
    const vsix = packagedVsix(tmp);
    const folder = join(tmp, 'two-sets');
    mkdirSync(join(folder, '.vscode'), { recursive: true });
    const settingsText = JSON.stringify({ 'datasetDebugger.trainFile': 'cancer.csv', 'datasetDebugger.labelColumn': 'diagnosis' }, null, 2);
    writeFileSync(join(folder, '.vscode', 'settings.json'), settingsText);

    // cancer.csv: 20 diagnoses flipped (every 28th row), BOM, CRLF.
    const src = readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'data', 'breast_cancer.csv'), 'utf8').trim().split(/\r?\n/);
    const flipped = new Set<number>();
    const body = src.slice(1).map((l, i) => {
      if (i % 28 !== 5) return l;
      flipped.add(i);
      return l.endsWith(',benign') ? l.replace(/,benign$/, ',malignant') : l.replace(/,malignant$/, ',benign');
    });
    assert.equal(flipped.size, 21);
    const cancer = join(folder, 'cancer.csv');
    const original = '\uFEFF' + [src[0], ...body].join('\r\n') + '\r\n';
    writeFileSync(cancer, original);
    const originalHash = sha(readFileSync(cancer));
    // wine.csv / wine-test.csv: 140 / 38 rows.
    const wine = readFileSync(join(REPO_ROOT, '..', 'shared', 'data', 'wine.csv'), 'utf8').trim().split(/\r?\n/);
    const wineTrain = join(folder, 'wine.csv');
    const wineTest = join(folder, 'wine-test.csv');
    writeFileSync(wineTrain, [wine[0], ...wine.slice(1, 141)].join('\n') + '\n');
    writeFileSync(wineTest, [wine[0], ...wine.slice(141)].join('\n') + '\n');

    const listed = 50;
    // Hidden rows (fixed, marked correct) make room for the next ones: the CLI's top 60.
    const ranking = cliTop([cancer, '--label', 'diagnosis'], listed + 10);
    const top = ranking.slice(0, listed);
    const listedWithout = (out: CliRow[]) => ranking.filter((e) => !out.includes(e)).slice(0, listed).map((e) => `row ${e.row}`);
    const first = top[0];
    assert.ok(first.suggestedLabel && first.suggestedLabel !== first.label);

    await withVSCode(
      { name: 'product-fix', vsix, folder, disableWorkspaceTrust: true, viewport: { width: 1600, height: 1600 }, settings: { 'files.autoSave': 'off' } },
      async (vs) => {
        await vs.openViewContainer('Dataset Debugger', { timeoutMs: 60_000 });
        await openFile(vs, 'cancer.csv');
        await vs.runCommand('Dataset Debugger: Scan for Suspicious Labels');
        await vs.openViewContainer('Dataset Debugger');
        await waitForSidebar(vs, top.map((e) => `row ${e.row}`), 120_000);
        await vs.screenshot('sidebar-cancer');

        // 1. Quick Fix on the top row.
        await goToLine(vs, first.line);
        await vs.page.keyboard.press('Control+.');
        const fixItem = vs.page.locator('.action-widget .monaco-list-row', { hasText: `Change label to '${first.suggestedLabel}' (suggested)` });
        await fixItem.first().waitFor({ state: 'visible', timeout: 15_000 });
        await vs.screenshot('quick-fix-menu');
        if (process.env.DD_DOC_IMAGES) {
          // docs/images/quick-fix.png: the sidebar and the Quick Fix menu on the row's line.
          const box = await vs.page.locator('.action-widget').first().boundingBox();
          if (box) {
            mkdirSync(process.env.DD_DOC_IMAGES, { recursive: true });
            const y = Math.max(0, box.y - 260);
            await vs.page.screenshot({ path: join(process.env.DD_DOC_IMAGES, 'quick-fix.png'), clip: { x: 0, y, width: 1250, height: box.y + box.height + 40 - y } });
          }
        }
        await fixItem.first().click();
        await waitForSidebar(vs, listedWithout([first]), 20_000);
        const fixedBytes = await save(vs, cancer, originalHash);
        const expectedFixed = withLabel(original, first.line, first.label, first.suggestedLabel!);
        assert.equal(fixedBytes.toString('utf8'), expectedFixed, 'only the label cell changed (BOM and CRLF kept)');
        assert.equal(fixedBytes.length, Buffer.byteLength(original) - first.label.length + first.suggestedLabel!.length);
        await vs.screenshot('after-quick-fix');

        // Undo: one Ctrl+Z, save: the original bytes.
        await vs.page.keyboard.press('Control+Z');
        const undone = await save(vs, cancer, sha(fixedBytes));
        assert.equal(sha(undone), originalHash, 'undo restores the exact original bytes');
        await waitForSidebar(vs, top.map((e) => `row ${e.row}`), 20_000);

        // 2. Five rows from the sidebar, to their suggested labels.
        const five = top.slice(1, 6);
        const rowLocator = (row: number) =>
          vs.page.locator('.part.sidebar .monaco-list-row').filter({ has: vs.page.locator('.label-name', { hasText: new RegExp(`^\\s*row ${row}\\s*$`) }) });
        await rowLocator(five[0].row).click();
        for (const e of five.slice(1)) await rowLocator(e.row).click({ modifiers: ['Control'] });
        await rowLocator(five[4].row).click({ button: 'right' });
        const menuItem = vs.page.locator('.monaco-menu .action-label', { hasText: /^Change Label…$/ });
        await menuItem.first().waitFor({ state: 'visible', timeout: 10_000 });
        await vs.screenshot('context-menu-change-label');
        await menuItem.first().click();
        await waitForSidebar(vs, listedWithout(five), 20_000);
        assert.match(await sidebarMessage(vs), /5 rows fixed or marked correct not listed/);
        await vs.screenshot('after-five-fixes');

        await vs.runCommand('Dataset Debugger: Re-score After Fixes');
        let expectedText = original;
        for (const e of five) expectedText = withLabel(expectedText, e.line, e.label, e.suggestedLabel!);
        await poll(async () => (readFileSync(cancer, 'utf8') === expectedText ? true : undefined), 20_000, () => 'Re-score did not save the five fixes');
        const rescoredRanking = cliTop([cancer, '--label', 'diagnosis'], listed + 10);
        const rescored = rescoredRanking.slice(0, listed);
        await waitForSidebar(vs, rescored.map((e) => `row ${e.row}`), 120_000);
        for (const e of five) assert.ok(!rescored.some((r) => r.row === e.row), `row ${e.row} left the list`);
        assert.doesNotMatch(await sidebarMessage(vs), /Out of date/);
        await vs.screenshot('after-rescore');

        // 3. Export.
        const beforeExport = sha(readFileSync(cancer));
        await vs.runCommand('Dataset Debugger: Export Cleaned Copy…');
        // the detector suggests a label only where another class is more probable: count those rows
        const withSuggestion = rescored.filter((e) => e.suggestedLabel !== undefined && e.suggestedLabel !== e.label);
        assert.ok(withSuggestion.length > 0);
        await acceptQuickPick(vs, /export a cleaned copy of cancer\.csv/, `Suggested labels of the ${withSuggestion.length} listed rows`);
        await vs.waitForNotification(/wrote cancer\.cleaned\.csv/, { timeoutMs: 30_000 });
        await vs.screenshot('export-done');
        assert.equal(sha(readFileSync(cancer)), beforeExport, 'export leaves the training file alone');
        const log = JSON.parse(readFileSync(join(folder, 'cancer.changes.json'), 'utf8')) as { row: number; oldLabel: string; newLabel: string; line: number; time: string }[];
        assert.equal(log.length, withSuggestion.length + five.length);
        for (const e of five) assert.deepEqual(log.find((c) => c.row === e.row) && { o: log.find((c) => c.row === e.row)!.oldLabel, n: log.find((c) => c.row === e.row)!.newLabel }, { o: e.label, n: e.suggestedLabel });
        // The CLI's fix on the original bytes with this log gives the cleaned copy, byte for byte.
        const orig = join(tmp, 'original.csv');
        writeFileSync(orig, original);
        const viaCli = join(tmp, 'via-cli.csv');
        cli(['fix', orig, '--label', 'diagnosis', '--changes', join(folder, 'cancer.changes.json'), '--out', viaCli], false);
        assert.ok(existsSync(join(folder, 'cancer.cleaned.csv')));
        assert.equal(sha(readFileSync(join(folder, 'cancer.cleaned.csv'))), sha(readFileSync(viaCli)));

        // 3b. The review flow in the training file: Alt+] goes to the first listed row, Alt+R keeps its
        // label (marked correct: it leaves the list, progress 1 of 50), Alt+A gives the next one its
        // suggested label (progress 2 of 50, the cell changed in the editor).
        await vs.clearNotifications();
        await openFile(vs, 'cancer.csv');
        await goToLine(vs, 1);
        await vs.page.keyboard.press('Alt+BracketRight');
        await vs.waitForCursorLine(rescored[0].line);
        const progress = vs.page.locator('.statusbar-item', { hasText: /reviewed$/ });
        await progress.first().waitFor({ state: 'visible', timeout: 10_000 });
        assert.match((await progress.first().textContent()) ?? '', /0 of 50 reviewed/);
        await vs.page.keyboard.press('Alt+KeyR');
        await vs.waitForCursorLine(rescored[1].line);
        assert.ok(rescored[1].suggestedLabel, 'the second listed row has a suggested label to accept');
        await poll(async () => (/1 of 50 reviewed/.test((await progress.first().textContent()) ?? '') ? true : undefined), 10_000, async () => `progress: ${await progress.first().textContent()}`);
        const beforeReview = readFileSync(cancer, 'utf8');
        await vs.page.keyboard.press('Alt+KeyA');
        await vs.waitForCursorLine(rescored[2].line);
        await poll(async () => (/2 of 50 reviewed/.test((await progress.first().textContent()) ?? '') ? true : undefined), 10_000, async () => `progress: ${await progress.first().textContent()}`);
        await vs.screenshot('review-flow');
        assert.equal(readFileSync(cancer, 'utf8'), beforeReview, 'nothing is written before a save');
        const accepted = await save(vs, cancer, sha(beforeReview));
        assert.equal(accepted.toString('utf8'), withLabel(beforeReview, rescored[1].line, rescored[1].label, rescored[1].suggestedLabel!));
        // Undo the accepted suggestion: the file as before the review.
        await vs.page.keyboard.press('Control+Z');
        assert.equal((await save(vs, cancer, sha(accepted))).toString('utf8'), beforeReview);

        // 4. A second data set: wine.csv from the editor title; the settings file is untouched.
        await vs.clearNotifications();
        await openFile(vs, 'wine.csv');
        await vs.page.locator('.editor-actions .action-label[aria-label*="Scan for Suspicious Labels"]').first().click();
        await acceptQuickPick(vs, /label column of wine\.csv/, 'class');
        await acceptQuickPick(vs, /test file/, 'wine-test.csv');
        const wineTop = cliTop([wineTrain, '--label', 'class', '--test', wineTest], listed);
        await vs.openViewContainer('Dataset Debugger');
        await waitForSidebar(vs, wineTop.map((e) => `row ${e.row}`), 120_000);
        await vs.screenshot('sidebar-wine');
        assert.equal(readFileSync(join(folder, '.vscode', 'settings.json'), 'utf8'), settingsText, 'the first data set\'s settings are untouched');

        // The views follow the active editor.
        await openFile(vs, 'cancer.csv');
        // Row rescored[0] was marked correct in the review: it stays out, the next row fills its place.
        await waitForSidebar(vs, rescoredRanking.filter((e) => e !== rescored[0]).slice(0, listed).map((e) => `row ${e.row}`), 20_000);
        await vs.screenshot('sidebar-back-to-cancer');
        await openFile(vs, 'wine-test.csv');
        await waitForSidebar(vs, wineTop.map((e) => `row ${e.row}`), 20_000);
        await goToLine(vs, 3);
        await vs.runCommand('Dataset Debugger: Explain Prediction');
        await vs.waitForWebviewText('.explained-head h2', 'Test row 1', { timeoutMs: 90_000 });
        await vs.screenshot('explain-wine-test-row');
      },
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
