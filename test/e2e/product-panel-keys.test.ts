/**
 * End to end: the Influence panel's fix keys and a CSV change log (issue 11).
 *
 * wine.csv (3 classes, 12 labels flipped, configured in the workspace settings with
 * `changeLogFormat: csv`) is scanned; in the panel's ranking
 * 1. C on the first row marks its label correct: it leaves the sidebar;
 * 2. A on the second row gives it its suggested label (an edit in the editor, not on disk);
 * 3. L on the third row asks for any class, each with its predicted effect, and changes the label to
 *    the one picked;
 * saving writes exactly those two label cells. Export Cleaned Copy (the editor's changes only) writes
 * wine.cleaned.csv and the change log wine.changes.csv; the CLI's `fix` with that CSV log turns the
 * original bytes into the same cleaned copy.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { E2E_TEST_TIMEOUT_MS, REPO_ROOT, e2eSkipReason, poll, withVSCode } from './harness';
import { acceptQuickPick, cli, cliText, inScratchFolder, openFile, sidebarMessage, waitForSidebar, withLabel } from './helpers';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

interface CliRow {
  row: number;
  line: number;
  label: string;
  suggestedLabel?: string;
}

test('panel keys C, A and L fix labels from the ranking; export with a CSV change log that the CLI reads', { skip: e2eSkipReason(), timeout: E2E_TEST_TIMEOUT_MS }, async () => {
  await inScratchFolder('dd-product-keys-', async ({ tmp, vsix }) => {
    const folder = join(tmp, 'wine');
    mkdirSync(join(folder, '.vscode'), { recursive: true });
    writeFileSync(
      join(folder, '.vscode', 'settings.json'),
      JSON.stringify({ 'datasetDebugger.trainFile': 'wine.csv', 'datasetDebugger.labelColumn': 'class', 'datasetDebugger.changeLogFormat': 'csv' }, null, 2),
    );
    const src = readFileSync(join(REPO_ROOT, '..', 'shared', 'data', 'wine.csv'), 'utf8').trim().split(/\r?\n/);
    const classes = [...new Set(src.slice(1).map((l) => l.slice(l.lastIndexOf(',') + 1)))].sort();
    assert.equal(classes.length, 3);
    // Every 15th row's class moves to the next class.
    const body = src.slice(1).map((l, i) => {
      if (i % 15 !== 4) return l;
      const c = l.slice(l.lastIndexOf(',') + 1);
      return l.slice(0, l.lastIndexOf(',') + 1) + classes[(classes.indexOf(c) + 1) % classes.length];
    });
    const wine = join(folder, 'wine.csv');
    const original = [src[0], ...body].join('\n') + '\n';
    writeFileSync(wine, original);

    const listed = 50;
    const ranking = (cli(['scan', wine, '--label', 'class', '--rank-by', 'labelIssue']) as { examples: CliRow[] }).examples;
    const [r1, r2, r3] = ranking;
    assert.ok(r2.suggestedLabel && r2.suggestedLabel !== r2.label, 'the second row has a suggested label to accept');
    const anyClass = classes.find((c) => c !== r3.label && c !== r3.suggestedLabel)!;
    const without = (out: CliRow[]) => ranking.filter((e) => !out.includes(e)).slice(0, listed).map((e) => `row ${e.row}`);

    await withVSCode(
      { name: 'product-keys', vsix, folder, disableWorkspaceTrust: true, viewport: { width: 1600, height: 1400 }, settings: { 'files.autoSave': 'off' } },
      async (vs) => {
        await vs.openViewContainer('Dataset Debugger', { timeoutMs: 60_000 });
        await openFile(vs, 'wine.csv');
        await vs.runCommand('Dataset Debugger: Scan for Suspicious Labels');
        await vs.openViewContainer('Dataset Debugger');
        await waitForSidebar(vs, without([]), 120_000);

        await vs.runCommand('Dataset Debugger: Open Influence Panel');
        await vs.findInWebviews('.list-row', { timeoutMs: 60_000 });
        const { frame: panel } = await vs.findInWebviews('.ranking-list');
        // Selects a row of the panel's ranking by clicking it (a click also explains it) and presses a key there.
        const keyOn = async (row: number, key: string) => {
          const el = panel.locator(`.list-row[aria-label*=", row ${row}, "]`).first();
          await el.waitFor({ state: 'visible', timeout: 20_000 });
          await el.click();
          await panel.locator(`.list-row[aria-selected="true"][aria-label*=", row ${row}, "]`).first().waitFor({ state: 'visible', timeout: 10_000 });
          await panel.locator('.ranking-list').press(key);
        };

        // 1. C marks the first row's label correct: it leaves the side bar, the next row fills its place.
        await keyOn(r1.row, 'c');
        await waitForSidebar(vs, without([r1]), 30_000);
        assert.match(await sidebarMessage(vs), /1 row fixed or marked correct not listed/);

        // 2. A gives the second row its suggested label, in the editor (the file on disk is unchanged).
        await keyOn(r2.row, 'a');
        await waitForSidebar(vs, without([r1, r2]), 30_000);
        assert.equal(readFileSync(wine, 'utf8'), original, 'nothing is written before a save');

        // 3. L on the third row: every other class, the suggested one first, each with its predicted effect.
        await keyOn(r3.row, 'l');
        const title = new RegExp(`change the label of row ${r3.row} \\(line ${r3.line}\\) from '${r3.label}' to`);
        await vs.page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ state: 'visible', timeout: 30_000 });
        const offered = await vs.quickInputLabels();
        assert.deepEqual([...offered].sort(), classes.filter((c) => c !== r3.label).sort());
        if (r3.suggestedLabel && r3.suggestedLabel !== r3.label) assert.equal(offered[0], r3.suggestedLabel);
        const details = await vs.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').allTextContents();
        for (const d of details) assert.match(d, /predicted: training \(other rows\) loss [\d.]+ → [\d.]+/, d);
        await vs.screenshot('change-label-any-class');
        await acceptQuickPick(vs, title, anyClass, { filter: true });
        await waitForSidebar(vs, without([r1, r2, r3]), 30_000);

        // Saving writes exactly the two label cells.
        await openFile(vs, 'wine.csv');
        await vs.page.keyboard.press('Control+S');
        const expected = withLabel(withLabel(original, r2.line, r2.label, r2.suggestedLabel!), r3.line, r3.label, anyClass);
        await poll(async () => (readFileSync(wine, 'utf8') === expected ? true : undefined), 15_000, () => 'wine.csv on disk is not the original with the two label cells changed');
        await vs.screenshot('after-keys');

        // 4. Export the editor's changes: the cleaned copy and a CSV change log beside the file.
        const savedHash = sha(readFileSync(wine));
        await vs.runCommand('Dataset Debugger: Export Cleaned Copy…');
        await acceptQuickPick(vs, /export a cleaned copy of wine\.csv/, 'Only the 2 changes made in the editor', { filter: true });
        await vs.waitForNotification(/wrote wine\.cleaned\.csv .*wine\.changes\.csv/, { timeoutMs: 30_000 });
        assert.equal(sha(readFileSync(wine)), savedHash, 'export leaves the training file alone');
        const cleaned = readFileSync(join(folder, 'wine.cleaned.csv'), 'utf8');
        assert.equal(cleaned, expected);
        const log = readFileSync(join(folder, 'wine.changes.csv'), 'utf8').trim().split(/\r?\n/);
        assert.match(log[0], /^row,line,oldLabel,newLabel,/);
        assert.equal(log.length, 3, log.join('\n'));
        assert.ok(log.some((l) => l.startsWith(`${r2.row},${r2.line},${r2.label},${r2.suggestedLabel},`)), log.join('\n'));
        assert.ok(log.some((l) => l.startsWith(`${r3.row},${r3.line},${r3.label},${anyClass},`)), log.join('\n'));
        // The CLI reads the extension's CSV log: the original bytes plus that log give the same cleaned copy.
        const orig = join(tmp, 'original.csv');
        writeFileSync(orig, original);
        const viaCli = join(tmp, 'via-cli.csv');
        cliText(['fix', orig, '--label', 'class', '--changes', join(folder, 'wine.changes.csv'), '--out', viaCli]);
        assert.equal(readFileSync(viaCli, 'utf8'), cleaned);
        await vs.screenshot('exported');
      },
    );
  });
});
