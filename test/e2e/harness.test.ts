/**
 * Self-test of the end-to-end harness, independent of the product: it writes a tiny throwaway
 * extension (a command that opens a file at a line, a command that opens a webview with a button, and
 * an activity-bar view with a tree whose items jump to lines), packages it with vsce, installs it into
 * code-server and drives it through Chromium like a user.
 *
 * Needs scripts/e2e-setup.sh to have run; DD_SKIP_E2E=1 skips it (and only that does).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { E2E_TEST_TIMEOUT_MS, e2eSkipReason, poll, withVSCode } from './harness';
import { makeProbeFixture } from './probe-extension';

test('harness drives a real VS Code: palette, editor line, tree view, webview, screenshots', { skip: e2eSkipReason(), timeout: E2E_TEST_TIMEOUT_MS }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'dd-e2e-probe-'));
  try {
    const { vsix, folder } = makeProbeFixture(root);
    await withVSCode({ name: 'harness', vsix, folder, disableWorkspaceTrust: true }, async (vs) => {
      await vs.screenshot('workbench-loaded');

      // Palette -> command that opens a file at a line; the status bar must say so.
      await vs.runCommand('E2E Harness: Open Sample at Line 42');
      await vs.waitForActiveEditor('sample.txt');
      const pos = await vs.waitForCursorLine(42);
      assert.equal(pos.column, 1);
      assert.equal(await vs.editorLineText(42), 'line 42 of the harness sample');
      const note = await vs.waitForNotification('opened sample.txt at line 42');
      assert.equal(note, 'E2E harness: opened sample.txt at line 42');
      await vs.screenshot('editor-at-line-42');

      // Side bar: our view container, its tree, and a click that jumps to another line.
      await vs.openViewContainer('E2E Harness');
      const items = await vs.waitForTreeItem('gamma', { view: 'Items' });
      assert.deepEqual(items.map((i) => [i.label, i.description]), [['alpha', 'line 3'], ['beta', 'line 7'], ['gamma', 'line 77']]);
      await vs.clickTreeItem('gamma', { view: 'Items' });
      await vs.waitForCursorLine(77);
      await vs.clickTreeItem('beta');
      await vs.waitForCursorLine(7);
      await vs.screenshot('tree-click-line-7');

      // Webview: open it from the palette, click inside its iframe, see the host's round trip.
      await vs.runCommand('E2E Harness: Open Webview');
      const button = await vs.findInWebviews('#dd-e2e-button');
      assert.equal((await button.locator.textContent())?.trim(), 'Press me');
      assert.equal(await vs.waitForWebviewText('#dd-e2e-status', 'not clicked'), 'not clicked');
      await vs.screenshot('webview-before-click');
      await button.locator.click();
      assert.equal(await vs.waitForWebviewText('#dd-e2e-status', 'host acknowledged click 1'), 'host acknowledged click 1');
      await vs.waitForNotification('webview button clicked 1 time(s)');
      await vs.screenshot('webview-after-click');

      // A modal dialog: its message, and the button's answer reaching the extension.
      await vs.runCommand('E2E Harness: Ask in a Modal Dialog');
      assert.equal(await vs.waitForDialog('keep the sample?'), 'E2E harness: keep the sample?');
      await vs.screenshot('modal-dialog');
      await vs.clickDialogButton('Discard');
      await vs.waitForNotification('modal answered Discard');
      assert.equal(await vs.dialogMessage(), undefined);

      // Focus may be inside the webview; the palette must still open (the helper refocuses).
      await vs.runCommand('E2E Harness: Open Sample at Line 42');
      await vs.waitForCursorLine(42);
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('harness without disableWorkspaceTrust: the folder opens in Restricted Mode without the extension, and trusting it enables the extension', { skip: e2eSkipReason(), timeout: E2E_TEST_TIMEOUT_MS }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'dd-e2e-trust-'));
  try {
    const { vsix, folder } = makeProbeFixture(root);
    await withVSCode({ name: 'trust', vsix, folder }, async (vs) => {
      await poll(async () => ((await vs.isRestrictedMode()) ? true : undefined), 20_000, () => 'no Restricted Mode indicator');
      await vs.screenshot('restricted-mode');
      await vs.trustWorkspace();
      assert.equal(await vs.isRestrictedMode(), false);
      // The probe declares no support for untrusted workspaces, so its command exists only now.
      await vs.runCommand('E2E Harness: Open Sample at Line 42');
      await vs.waitForCursorLine(42);
      await vs.screenshot('trusted');
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
