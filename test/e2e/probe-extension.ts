/**
 * A throwaway extension for the harness self-test (and for debugging the harness), independent of
 * the product: a command that opens sample.txt at line 42, a command that opens a webview whose button
 * round-trips a message to the extension host, a command that asks in a modal dialog and reports the
 * answer in a notification, and an activity-bar container "E2E Harness" with a view "Items" whose
 * tree items jump to lines 3, 7 and 77.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageVsix } from './harness';

const EXTENSION_JS = String.raw`
const vscode = require('vscode');

class ItemsProvider {
  getTreeItem(e) { return e; }
  getChildren(e) {
    if (e) return [];
    return [['alpha', 3], ['beta', 7], ['gamma', 77]].map(([name, line]) => {
      const item = new vscode.TreeItem(name, vscode.TreeItemCollapsibleState.None);
      item.description = 'line ' + line;
      item.command = { command: 'ddE2E.openAt', title: 'Open', arguments: [line] };
      return item;
    });
  }
}

async function openAt(line) {
  const folder = vscode.workspace.workspaceFolders[0].uri;
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, 'sample.txt'));
  const pos = new vscode.Position(line - 1, 0);
  await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos) });
}

function activate(context) {
  context.subscriptions.push(
    vscode.window.registerTreeDataProvider('ddE2E.items', new ItemsProvider()),
    vscode.commands.registerCommand('ddE2E.openAt', openAt),
    vscode.commands.registerCommand('ddE2E.openAtLine42', async () => {
      await openAt(42);
      vscode.window.showInformationMessage('E2E harness: opened sample.txt at line 42');
    }),
    vscode.commands.registerCommand('ddE2E.askModal', async () => {
      const choice = await vscode.window.showWarningMessage('E2E harness: keep the sample?', { modal: true }, 'Keep', 'Discard');
      vscode.window.showInformationMessage('E2E harness: modal answered ' + (choice ?? 'cancel'));
    }),
    vscode.commands.registerCommand('ddE2E.openWebview', () => {
      const panel = vscode.window.createWebviewPanel('ddE2E.panel', 'E2E Webview', vscode.ViewColumn.One, { enableScripts: true });
      const nonce = String(Math.random()).slice(2);
      let clicks = 0;
      panel.webview.onDidReceiveMessage((m) => {
        if (m.type !== 'clicked') return;
        clicks += 1;
        vscode.window.showInformationMessage('E2E harness: webview button clicked ' + clicks + ' time(s)');
        panel.webview.postMessage({ type: 'ack', clicks });
      });
      panel.webview.html = '<!DOCTYPE html><html><head><meta charset="utf-8">' +
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; script-src \'nonce-' + nonce + '\';">' +
        '</head><body style="font-family: sans-serif; padding: 24px">' +
        '<h1 id="dd-e2e-title">Harness webview</h1>' +
        '<button id="dd-e2e-button" style="font-size: 18px; padding: 8px 16px">Press me</button>' +
        '<p id="dd-e2e-status" style="font-size: 18px">not clicked</p>' +
        '<script nonce="' + nonce + '">' +
        'const vscode = acquireVsCodeApi();' +
        'document.getElementById("dd-e2e-button").addEventListener("click", () => vscode.postMessage({ type: "clicked" }));' +
        'window.addEventListener("message", (e) => { if (e.data.type === "ack") document.getElementById("dd-e2e-status").textContent = "host acknowledged click " + e.data.clicks; });' +
        '</script></body></html>';
    }),
  );
}

module.exports = { activate, deactivate() {} };
`;

const ICON_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24"><circle cx="12" cy="12" r="8" fill="none" stroke="currentColor" stroke-width="2"/></svg>';

/** Writes the throwaway extension and a workspace folder; packages the extension. */
export function makeProbeFixture(root: string): { vsix: string; folder: string } {
  const ext = join(root, 'ext');
  mkdirSync(join(ext, 'media'), { recursive: true });
  writeFileSync(join(ext, 'package.json'), JSON.stringify({
    name: 'dd-e2e-harness-probe',
    displayName: 'E2E Harness Probe',
    description: 'Throwaway extension used by the end-to-end harness self-test.',
    version: '0.0.1',
    publisher: 'dataset-debugger-tests',
    license: 'MIT',
    engines: { vscode: '^1.90.0' },
    main: './extension.js',
    activationEvents: [],
    contributes: {
      commands: [
        { command: 'ddE2E.openAtLine42', title: 'Open Sample at Line 42', category: 'E2E Harness' },
        { command: 'ddE2E.openWebview', title: 'Open Webview', category: 'E2E Harness' },
        { command: 'ddE2E.askModal', title: 'Ask in a Modal Dialog', category: 'E2E Harness' },
      ],
      viewsContainers: { activitybar: [{ id: 'ddE2E', title: 'E2E Harness', icon: 'media/icon.svg' }] },
      views: { ddE2E: [{ id: 'ddE2E.items', name: 'Items' }] },
    },
  }, null, 2));
  writeFileSync(join(ext, 'extension.js'), EXTENSION_JS);
  writeFileSync(join(ext, 'media', 'icon.svg'), ICON_SVG);
  writeFileSync(join(ext, 'README.md'), '# E2E Harness Probe\n\nThrowaway extension for the harness self-test.\n');
  writeFileSync(join(ext, 'LICENSE'), 'MIT License\n');
  const vsix = packageVsix(ext, join(root, 'probe.vsix'));

  const folder = join(root, 'workspace');
  mkdirSync(folder);
  const lines = Array.from({ length: 120 }, (_, i) => `line ${i + 1} of the harness sample`);
  writeFileSync(join(folder, 'sample.txt'), `${lines.join('\n')}\n`);
  return { vsix, folder };
}
