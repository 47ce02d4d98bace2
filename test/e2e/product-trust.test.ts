/**
 * End to end in a restricted (untrusted) workspace: the view says that scanning needs trust, the scan
 * command does nothing, and no worker process starts; once the folder is trusted, the scan runs.
 */
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { E2E_TEST_TIMEOUT_MS, REPO_ROOT, e2eSkipReason, withVSCode } from './harness';
import { inScratchFolder, workerPids } from './helpers';

test('trust: in restricted mode nothing is scanned and no worker starts; trusting the folder enables the scan', { skip: e2eSkipReason(), timeout: E2E_TEST_TIMEOUT_MS }, async () => {
  await inScratchFolder('dd-product-trust-', async ({ tmp, vsix }) => {
    const folder = join(tmp, 'digits');
    cpSync(join(REPO_ROOT, 'samples', 'digits'), folder, { recursive: true });

    await withVSCode({ name: 'product-trust', vsix, folder }, async (vs) => {
      // code-server opens a folder nobody trusted yet in Restricted Mode (it says so in the status bar).
      await vs.page.locator('.part.statusbar', { hasText: 'Restricted Mode' }).waitFor({ timeout: 60_000 });

      await vs.openViewContainer('Dataset Debugger', { timeoutMs: 60_000 });
      await vs.page.locator('.part.sidebar .welcome-view-content', { hasText: 'needs a trusted workspace' }).waitFor({ timeout: 30_000 });
      await vs.screenshot('restricted');
      // The scan is disabled: the palette does not offer it (or running it does nothing), and no worker starts.
      const input = await vs.openQuickInput('>');
      await input.fill('>Dataset Debugger: Scan');
      await vs.page.waitForTimeout(1500);
      const listed = await vs.quickInputLabels();
      await vs.closeQuickInput();
      if (listed.includes('Dataset Debugger: Scan for Suspicious Labels')) await vs.runCommand('Dataset Debugger: Scan for Suspicious Labels');
      await vs.page.waitForTimeout(3000);
      assert.deepEqual(workerPids(vs.extensionsDir), [], 'no worker process in restricted mode');
      assert.equal(await vs.page.locator('.part.sidebar .monaco-list-row .label-name', { hasText: /^row \d+$/ }).count(), 0);

      // Trust the folder: the view offers the scan, and it runs.
      await vs.runCommand('Workspaces: Manage Workspace Trust');
      const trustButton = vs.page.locator('.workspace-trust-editor .monaco-button', { hasText: /^\s*Trust\s*$/ }).first();
      await trustButton.waitFor({ state: 'visible', timeout: 30_000 });
      await vs.screenshot('trust-editor');
      await trustButton.click();
      await vs.openViewContainer('Dataset Debugger', { timeoutMs: 30_000 });
      await vs.page.locator('.part.sidebar .welcome-view-content', { hasText: 'No scan yet' }).waitFor({ timeout: 30_000 });
      await vs.runCommand('Dataset Debugger: Scan for Suspicious Labels');
      await vs.page.locator('.part.sidebar .monaco-list-row .label-name', { hasText: /^row \d+$/ }).first().waitFor({ timeout: 120_000 });
      assert.equal(workerPids(vs.extensionsDir).length, 1);
      await vs.screenshot('trusted-scanned');
    });
  });
});
