/**
 * End to end, when things go wrong: a data error in the test file comes with an Open File button that
 * puts the cursor on the offending cell; after the error is fixed the scan works; when the worker
 * process dies the user is told, and the next command starts a new worker (re-scanning first) and
 * explains the row under the cursor.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { E2E_TEST_TIMEOUT_MS, REPO_ROOT, e2eSkipReason, withVSCode, type VSCodeSession } from './harness';
import { goToLine, openFile, inScratchFolder, workerPids } from './helpers';

async function sidebarRowCount(vs: VSCodeSession): Promise<number> {
  return vs.page.locator('.part.sidebar .monaco-list-row .label-name', { hasText: /^row \d+$/ }).count();
}

test('errors: a data error opens the file at its line and column; a dead worker is replaced by the next command', { skip: e2eSkipReason(), timeout: E2E_TEST_TIMEOUT_MS }, async () => {
  await inScratchFolder('dd-product-errors-', async ({ tmp, vsix }) => {
    const folder = join(tmp, 'errors');
    mkdirSync(join(folder, '.vscode'), { recursive: true });
    const lines = readFileSync(join(REPO_ROOT, 'samples', 'digits', 'train.csv'), 'utf8').trim().split(/\r?\n/);
    writeFileSync(join(folder, 'train.csv'), [lines[0], ...lines.slice(1, 401)].join('\n') + '\n');
    // test.csv: 50 rows; row 30 (line 32) carries a label the training file does not have.
    const testRows = lines.slice(401, 451);
    const badLine = 32;
    const bad = testRows[badLine - 2].replace(/,[^,]*$/, ',11');
    testRows[badLine - 2] = bad;
    writeFileSync(join(folder, 'test.csv'), [lines[0], ...testRows].join('\n') + '\n');
    const labelColumn = bad.lastIndexOf(',') + 2; // 1-based column of the label cell
    const settings = {
      'datasetDebugger.trainFile': 'train.csv',
      'datasetDebugger.labelColumn': 'label',
      'datasetDebugger.testFile': 'test.csv',
      'datasetDebugger.sidebarRows': 10,
    };
    writeFileSync(join(folder, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));

    await withVSCode({ name: 'product-errors', vsix, folder, disableWorkspaceTrust: true }, async (vs) => {
      await vs.openViewContainer('Dataset Debugger', { timeoutMs: 60_000 });
      await vs.page.locator('.part.sidebar .welcome-view-content', { hasText: 'No scan yet' }).waitFor({ timeout: 30_000 });

      // 1. The data error names file, line and column, and Open File goes there.
      await vs.runCommand('Dataset Debugger: Scan for Suspicious Labels');
      const message = await vs.waitForNotification(/is not one of the training classes/, { timeoutMs: 120_000 });
      assert.match(message, new RegExp(`test\\.csv:${badLine}:${labelColumn}: label '11'`));
      await vs.screenshot('data-error');
      await vs.clickNotificationButton(/is not one of the training classes/, 'Open File');
      await vs.waitForActiveEditor('test.csv');
      const at = await vs.waitForCursorLine(badLine);
      assert.equal(at.column, labelColumn);
      await vs.screenshot('data-error-opened');

      // 2. Without the test file the scan works.
      writeFileSync(join(folder, '.vscode', 'settings.json'), JSON.stringify({ ...settings, 'datasetDebugger.testFile': '' }, null, 2));
      await vs.clearNotifications();
      // The workbench picks the settings file up from disk some time later: scan until a scan runs
      // with the new settings (a scan that still sees the test file fails again with the same error).
      for (let attempt = 1; ; attempt++) {
        await vs.runCommand('Dataset Debugger: Scan for Suspicious Labels');
        const outcome = await vs.page.waitForFunction(
          () => {
            if (document.querySelectorAll('.part.sidebar .monaco-list-row').length >= 10) return 'scanned';
            const toasts = Array.from(document.querySelectorAll('.notifications-toasts .notification-list-item-message'));
            return toasts.some((t) => /is not one of the training classes/.test(t.textContent ?? '')) ? 'old settings' : false;
          },
          undefined,
          { timeout: 120_000 },
        );
        if ((await outcome.jsonValue()) === 'scanned') break;
        assert.ok(attempt < 10, 'the changed settings file was never picked up');
        await vs.clearNotifications();
      }
      assert.equal(await sidebarRowCount(vs), 10);

      // 3. The worker dies: the user is told; Explain Prediction starts a new one, which scans again.
      const pids = workerPids(vs.extensionsDir);
      assert.equal(pids.length, 1, `one worker runs: ${pids}`);
      process.kill(pids[0], 'SIGKILL');
      await vs.waitForNotification('engine worker stopped unexpectedly');
      await vs.screenshot('worker-died');
      await openFile(vs, 'train.csv');
      await goToLine(vs, 12); // data row 10
      await vs.runCommand('Dataset Debugger: Explain Prediction');
      await vs.waitForWebviewText('.explained-head h2', 'Training row 10', { timeoutMs: 120_000 });
      const now = workerPids(vs.extensionsDir);
      assert.equal(now.length, 1);
      assert.notEqual(now[0], pids[0], 'a new worker process');
      await vs.screenshot('explained-after-restart');
    });
  });
});
