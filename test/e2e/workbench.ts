/**
 * Page objects for the VS Code workbench (1.139, as served by code-server), so that end-to-end tests
 * read like a user's steps: run a command from the palette, open a view container, click a tree item,
 * read the cursor line from the status bar, click a button inside a webview, take a screenshot.
 *
 * Every wait has a timeout and every failure says what was visible instead, so a failing test tells
 * what the user would have seen.
 */
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import { REPO_ROOT, SCREENSHOT_DIR } from './paths';

export interface TreeItem {
  /** The item's label as shown. */
  label: string;
  /** Its description (the greyed text after the label), '' if none. */
  description: string;
  /** The row's aria-label (label, description and tooltip as VS Code announces them). */
  ariaLabel: string;
  /** 1 for top-level items. */
  level: number;
  /** true/false for collapsible items, undefined for leaves. */
  expanded: boolean | undefined;
}

export interface CursorPosition {
  line: number;
  column: number;
}

export interface WebviewElement {
  frame: Frame;
  locator: Locator;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something other than undefined, or throws `describe()` on timeout. */
export async function poll<T>(probe: () => Promise<T | undefined>, timeoutMs: number, describe: () => Promise<string> | string, intervalMs = 150): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(await describe());
    await sleep(intervalMs);
  }
}

function matches(text: string, want: string | RegExp): boolean {
  return typeof want === 'string' ? text.trim() === want : want.test(text);
}

function norm(s: string | null | undefined): string {
  return (s ?? '').replace(/\s+/g, ' ').trim();
}

export class Workbench {
  /** Uncaught errors of the workbench page, for failure messages. */
  readonly pageErrors: string[] = [];
  private shotCounter = 0;

  constructor(readonly page: Page, readonly screenshotPrefix: string) {}

  // ---------------------------------------------------------------------------------------- palette

  /**
   * Runs a command the way a user does: F1, type its title, pick the entry whose label is exactly
   * `title` (as listed, i.e. with its category: 'Dataset Debugger: Open Panel'), Enter.
   */
  async runCommand(title: string, { timeoutMs = 20_000 } = {}): Promise<void> {
    const want = title.replace(/^>\s*/, '');
    const rows = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    const deadline = Date.now() + timeoutMs;
    let seen: string[] = [];
    // The palette takes its list of commands when it opens; commands of an extension whose host is
    // still starting appear only in a palette opened later, so reopen it until the entry shows up.
    for (;;) {
      const input = await this.openQuickInput('>');
      // F1 opens the palette with '>' already typed; keep exactly one '>' so it stays in command mode.
      await input.fill(`>${want}`);
      const index = await poll(async () => {
        seen = await this.quickInputLabels();
        const i = seen.indexOf(want);
        return i >= 0 ? i : undefined;
      }, Math.min(3_000, Math.max(0, deadline - Date.now())), () => '').catch(() => -1);
      if (index >= 0) {
        await rows.nth(index).click();
        await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
        return;
      }
      await this.closeQuickInput();
      if (Date.now() > deadline) throw new Error(`command "${want}" not found in the palette within ${timeoutMs} ms; it lists: ${JSON.stringify(seen)}`);
      await sleep(500);
    }
  }

  /** Opens the quick input with F1 (prefix '>') or Ctrl+P (prefix ''), returns its text box. */
  async openQuickInput(prefix: '>' | '' = '>'): Promise<Locator> {
    const widget = this.page.locator('.quick-input-widget');
    const input = widget.locator('.quick-input-box input');
    for (let attempt = 0; attempt < 3; attempt++) {
      await this.page.keyboard.press(prefix === '>' ? 'F1' : 'Control+P');
      try {
        await input.waitFor({ state: 'visible', timeout: 5_000 });
        // Visible is not enough: once, right after a scan, the box was inert for longer than a fill
        // waits (the workbench was still settling focus between a webview and the editor).
        await poll(async () => ((await input.isEditable()) ? true : undefined), 5_000, () => 'the quick input stayed inert');
        return input;
      } catch {
        // Focus may be in a webview iframe, which swallows the key: give the workbench focus back.
        await this.page.keyboard.press('Escape').catch(() => undefined);
        await this.page.locator('.part.statusbar').click({ position: { x: 2, y: 2 } }).catch(() => undefined);
      }
    }
    throw new Error('the command palette did not open (F1)');
  }

  /** Labels of the rows the quick input currently lists. */
  async quickInputLabels(): Promise<string[]> {
    const rows = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    return (await rows.evaluateAll((els) => els.map((el) => {
      const label = el.querySelector('.label-name') ?? el.querySelector('.monaco-icon-label');
      return (label?.textContent ?? el.getAttribute('aria-label') ?? '').replace(/\s+/g, ' ').trim();
    })));
  }

  async closeQuickInput(): Promise<void> {
    if (await this.page.locator('.quick-input-widget').isVisible()) await this.page.keyboard.press('Escape');
  }

  // ---------------------------------------------------------------------------------- notifications

  /** Texts of the notification toasts on screen now. */
  async notifications(): Promise<string[]> {
    const toasts = this.page.locator('.notifications-toasts .notification-toast .notification-list-item-message');
    return (await toasts.allTextContents()).map(norm);
  }

  /**
   * Waits for a notification toast whose message contains `text` (or matches the RegExp); returns its
   * full message. Looks in the notification centre as well, in case the toast already went away.
   */
  async waitForNotification(text: string | RegExp, { timeoutMs = 20_000 } = {}): Promise<string> {
    const hit = (s: string) => (typeof text === 'string' ? s.includes(text) : text.test(s));
    const center = this.page.locator('.notifications-center .notification-list-item-message');
    return poll(async () => {
      const all = [...(await this.notifications()), ...(await center.allTextContents()).map(norm)];
      return all.find(hit);
    }, timeoutMs, async () => `no notification matching ${text} within ${timeoutMs} ms; showing: ${JSON.stringify(await this.notifications())}`);
  }

  /** Clicks a button (e.g. 'Open', 'Cancel') on the toast whose message contains `text`. */
  async clickNotificationButton(text: string | RegExp, button: string, { timeoutMs = 20_000 } = {}): Promise<void> {
    await this.waitForNotification(text, { timeoutMs });
    const toast = this.page.locator('.notifications-toasts .notification-toast')
      .filter({ has: this.page.locator('.notification-list-item-message', { hasText: text }) });
    await toast.locator('.monaco-button', { hasText: button }).first().click();
  }

  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications');
  }

  // ------------------------------------------------------------------------- dialogs and trust

  /** The message of the modal dialog on screen, or undefined if there is none. */
  async dialogMessage(): Promise<string | undefined> {
    const box = this.page.locator('.monaco-dialog-box');
    if (!(await box.count()) || !(await box.first().isVisible())) return undefined;
    // Message and detail (a message without detail is rendered in the detail element).
    const container = box.first().locator('.dialog-message-container');
    return (await container.count()) ? norm(await container.first().textContent({ timeout: 2_000 })) : '';
  }

  /** Waits for a modal dialog whose message contains `text`; returns the message. */
  async waitForDialog(text: string | RegExp, { timeoutMs = 20_000 } = {}): Promise<string> {
    const hit = (s: string) => (typeof text === 'string' ? s.includes(text) : text.test(s));
    return poll(async () => {
      const m = await this.dialogMessage();
      return m !== undefined && hit(m) ? m : undefined;
    }, timeoutMs, async () => `no dialog matching ${text}; dialog on screen: ${JSON.stringify(await this.dialogMessage())}`);
  }

  /** Clicks the button labelled `label` on the modal dialog. */
  async clickDialogButton(label: string | RegExp, { timeoutMs = 10_000 } = {}): Promise<void> {
    const box = this.page.locator('.monaco-dialog-box');
    const button = box.locator('.dialog-buttons .monaco-button', { hasText: label }).first();
    await button.waitFor({ state: 'visible', timeout: timeoutMs });
    await button.click();
    await box.waitFor({ state: 'hidden', timeout: timeoutMs }).catch(() => undefined);
  }

  /**
   * Trusts the open folder the way a user does in code-server (which opens an untrusted folder in
   * Restricted Mode with a banner rather than asking): "Workspaces: Manage Workspace Trust", then the
   * Trust button. Returns once the Restricted Mode indicator is gone.
   */
  async trustWorkspace({ timeoutMs = 20_000 } = {}): Promise<void> {
    await this.runCommand('Workspaces: Manage Workspace Trust');
    const trust = this.page.locator('.part.editor .monaco-button.monaco-text-button, .monaco-workbench .monaco-button.monaco-text-button')
      .filter({ hasText: /^\s*Trust\s*$/ }).first();
    await trust.waitFor({ state: 'visible', timeout: timeoutMs });
    await trust.click();
    await poll(async () => ((await this.isRestrictedMode()) ? undefined : true), timeoutMs, () => 'still in Restricted Mode after pressing Trust');
    await this.page.keyboard.press('Escape'); // close the trust editor (a modal editor in 1.139)
  }

  /** Whether the window is in Restricted Mode (the status bar item 'Restricted Mode' is shown). */
  async isRestrictedMode(): Promise<boolean> {
    const item = this.page.locator('.part.statusbar [id="status.workspaceTrust"]');
    return (await item.count()) > 0 && /Restricted Mode/i.test(norm(await item.first().textContent({ timeout: 2_000 })));
  }

  // ----------------------------------------------------------------------------- sidebar and trees

  /**
   * Opens a view container from the activity bar by its title (e.g. 'Explorer', 'Dataset Debugger'),
   * unless it is already showing in the side bar. Returns once the side bar shows it.
   */
  async openViewContainer(title: string, { timeoutMs = 15_000 } = {}): Promise<void> {
    const items = this.page.locator('.part.activitybar .action-item');
    const item = await poll(async () => {
      const n = await items.count();
      for (let i = 0; i < n; i++) {
        const label = norm(await items.nth(i).locator('.action-label').first().getAttribute('aria-label', { timeout: 2_000 }).catch(() => ''));
        // aria-label is 'Title' or 'Title (Ctrl+Shift+E)' or 'Title - 3 pending'.
        if (label === title || label.startsWith(`${title} (`) || label.startsWith(`${title} -`)) return items.nth(i);
      }
      return undefined;
    }, timeoutMs, async () => `no activity bar item "${title}"; it has: ${JSON.stringify(await this.activityBarTitles())}`);
    if (!(await this.sideBarTitle()).toLowerCase().startsWith(title.toLowerCase()) || !(await this.page.locator('.part.sidebar').isVisible())) {
      await item.click();
    }
    await poll(async () => ((await this.page.locator('.part.sidebar').isVisible()) &&
      (await this.sideBarTitle()).toLowerCase().startsWith(title.toLowerCase()) ? true : undefined),
    timeoutMs, async () => `side bar did not show "${title}"; it shows "${await this.sideBarTitle()}"`);
  }

  async activityBarTitles(): Promise<string[]> {
    return (await this.page.locator('.part.activitybar .action-item .action-label').evaluateAll((els) =>
      els.map((el) => el.getAttribute('aria-label') ?? ''))).map(norm);
  }

  /** The side bar's title, e.g. 'EXPLORER' becomes 'Explorer' only in CSS; this returns the text. */
  async sideBarTitle(): Promise<string> {
    const t = this.page.locator('.part.sidebar .composite.title .title-label h2, .part.sidebar .composite.title h2').first();
    return (await t.count()) ? norm(await t.textContent({ timeout: 2_000 })) : '';
  }

  /**
   * The tree rows shown in the side bar, or only those of the view (pane) named `view`. Only rows
   * that are rendered (VS Code virtualises long trees: scroll to see more).
   */
  async treeItems(view?: string): Promise<TreeItem[]> {
    const rows = this.treeRows(view);
    // (No named helper functions inside evaluate callbacks: tsx's esbuild wraps them in __name(),
    // which does not exist in the page.)
    const raw = await rows.evaluateAll((els) => els.map((el) => ({
      // A file's name may be split into name and suffix ('sample' + '.txt').
      label: (el.querySelector('.monaco-icon-name-container')?.textContent ?? el.querySelector('.label-name')?.textContent ?? '') +
        (el.querySelector('.monaco-icon-suffix-container')?.textContent ?? ''),
      description: el.querySelector('.label-description')?.textContent ?? '',
      ariaLabel: el.getAttribute('aria-label') ?? '',
      level: Number(el.getAttribute('aria-level') ?? '1'),
      expanded: el.getAttribute('aria-expanded'),
    })));
    return raw.map((r) => ({
      label: norm(r.label),
      description: norm(r.description),
      ariaLabel: norm(r.ariaLabel),
      level: r.level,
      expanded: r.expanded === null ? undefined : r.expanded === 'true',
    }));
  }

  /** Waits until the side bar (or view `view`) lists an item whose label matches; returns all items. */
  async waitForTreeItem(label: string | RegExp, { view, timeoutMs = 15_000 }: { view?: string; timeoutMs?: number } = {}): Promise<TreeItem[]> {
    return poll(async () => {
      const items = await this.treeItems(view);
      return items.some((i) => matches(i.label, label)) ? items : undefined;
    }, timeoutMs, async () => `no tree item ${label}${view ? ` in view "${view}"` : ''}; listed: ${JSON.stringify((await this.treeItems(view)).map((i) => i.label))}`);
  }

  /** Clicks (or double-clicks) the tree item whose label matches. */
  async clickTreeItem(label: string | RegExp, { view, double = false, timeoutMs = 15_000 }: { view?: string; double?: boolean; timeoutMs?: number } = {}): Promise<void> {
    const items = await this.waitForTreeItem(label, { view, timeoutMs });
    const index = items.findIndex((i) => matches(i.label, label));
    const row = this.treeRows(view).nth(index);
    if (double) await row.dblclick();
    else await row.click();
  }

  /** Expands or collapses a view (pane) of the side bar by clicking its header if needed. */
  async setViewExpanded(view: string, expanded = true): Promise<void> {
    const header = this.pane(view).locator('.pane-header');
    await header.waitFor({ state: 'visible', timeout: 15_000 });
    if ((await header.getAttribute('aria-expanded')) !== String(expanded)) await header.click();
  }

  private pane(view: string): Locator {
    return this.page.locator('.part.sidebar .pane').filter({
      has: this.page.locator('.pane-header h3.title', { hasText: new RegExp(`^\\s*${view.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'i') }),
    });
  }

  private treeRows(view?: string): Locator {
    const scope = view ? this.pane(view).locator('.pane-body') : this.page.locator('.part.sidebar');
    return scope.locator('.monaco-list-row');
  }

  // ---------------------------------------------------------------------------------------- editor

  /** The cursor position the status bar reports ('Ln 42, Col 1'), or undefined if no text editor. */
  async cursorPosition(): Promise<CursorPosition | undefined> {
    const item = this.page.locator('.part.statusbar [id="status.editor.selection"]');
    if (!(await item.count())) return undefined;
    const m = /Ln\s+(\d+),\s*Col\s+(\d+)/.exec(norm(await item.first().textContent({ timeout: 2_000 })));
    return m ? { line: Number(m[1]), column: Number(m[2]) } : undefined;
  }

  /** Waits until the status bar reports the cursor on `line` (1-based); returns the position. */
  async waitForCursorLine(line: number, { timeoutMs = 15_000 } = {}): Promise<CursorPosition> {
    return poll(async () => {
      const p = await this.cursorPosition();
      return p && p.line === line ? p : undefined;
    }, timeoutMs, async () => `status bar did not report line ${line}; it reports ${JSON.stringify(await this.cursorPosition())} in editor "${await this.activeEditorTitle()}"`);
  }

  /** The active editor tab's label (file name or webview title), '' if none. */
  async activeEditorTitle(): Promise<string> {
    // VS Code 1.139 renders a file tab's name as 'sample' + suffix '.txt'; data-resource-name has both.
    const tabs = this.page.locator('.part.editor .editor-group-container.active .tabs-container .tab.active');
    const tab = (await tabs.count()) ? tabs.first() : this.page.locator('.part.editor .tabs-container .tab.active').first();
    if (!(await tab.count())) return '';
    const name = await tab.getAttribute('data-resource-name', { timeout: 2_000 }).catch(() => null);
    return norm(name || (await tab.locator('.monaco-icon-label-container').first().textContent({ timeout: 2_000 }).catch(() => '')));
  }

  async waitForActiveEditor(title: string | RegExp, { timeoutMs = 15_000 } = {}): Promise<void> {
    await poll(async () => (matches(await this.activeEditorTitle(), title) ? true : undefined), timeoutMs,
      async () => `active editor is "${await this.activeEditorTitle()}", not ${title}`);
  }

  /** Text of the rendered line `line` (1-based) of the active editor, if it is on screen. */
  async editorLineText(line: number): Promise<string | undefined> {
    const editor = this.page.locator('.part.editor .editor-instance .monaco-editor').first();
    const lines = editor.locator('.view-lines .view-line');
    const top = await editor.locator('.margin-view-overlays .line-numbers').evaluateAll((els, want) => {
      const el = els.find((e) => e.textContent?.trim() === String(want)) as HTMLElement | undefined;
      return el ? (el.parentElement as HTMLElement).style.top : undefined;
    }, line);
    if (top === undefined) return undefined;
    const n = await lines.count();
    for (let i = 0; i < n; i++) {
      if ((await lines.nth(i).evaluate((e) => (e as HTMLElement).style.top)) === top) return (await lines.nth(i).textContent({ timeout: 2_000 }))?.replace(/\u00a0/g, ' ');
    }
    return undefined;
  }

  // --------------------------------------------------------------------------------------- webview

  /**
   * Finds `selector` inside the webviews' iframes (VS Code nests each webview's content two iframes
   * deep; the first load can take several seconds). Returns the frame and a locator inside it.
   */
  async findInWebviews(selector: string, { timeoutMs = 30_000, hasText }: { timeoutMs?: number; hasText?: string | RegExp } = {}): Promise<WebviewElement> {
    return poll(async () => {
      for (const frame of this.page.frames()) {
        if (frame === this.page.mainFrame()) continue;
        const locator = frame.locator(selector, hasText === undefined ? undefined : { hasText }).first();
        if ((await locator.count().catch(() => 0)) > 0) return { frame, locator };
      }
      return undefined;
    }, timeoutMs, () => `no element "${selector}"${hasText ? ` with text ${hasText}` : ''} in any webview; frames: ${JSON.stringify(this.page.frames().map((f) => f.url().slice(0, 120)))}`, 250);
  }

  /** Waits until the element found in a webview has text matching `text`; returns its text. */
  async waitForWebviewText(selector: string, text: string | RegExp, { timeoutMs = 15_000 } = {}): Promise<string> {
    const hit = (s: string) => (typeof text === 'string' ? s.includes(text) : text.test(s));
    let last = '';
    return poll(async () => {
      const { locator } = await this.findInWebviews(selector, { timeoutMs: 1_000 });
      last = norm(await locator.textContent({ timeout: 2_000 }));
      return hit(last) ? last : undefined;
    }, timeoutMs, () => `webview element "${selector}" shows "${last}", not ${text}`);
  }

  // -------------------------------------------------------------------------------- stored state

  /**
   * Waits until the browser workbench has written something matching `pattern` to its storage
   * (IndexedDB, where code-server keeps the workspace's and the editors' state, a webview's
   * getState/setState state inside the editors' memento). The workbench writes state some time after a
   * change, not synchronously; a test that reloads the window waits for this instead of a fixed delay.
   * Values are searched as stored, so nested JSON keeps its backslashes: match them with `\\*`.
   */
  async waitForStoredState(pattern: RegExp, { timeoutMs = 60_000 } = {}): Promise<void> {
    const read = () =>
      this.page.evaluate(`(async () => {
        const out = [];
        for (const info of await indexedDB.databases()) {
          if (!info.name) continue;
          const db = await new Promise((ok, fail) => { const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
          try {
            for (const store of [...db.objectStoreNames]) {
              const values = await new Promise((ok, fail) => { const r = db.transaction(store, 'readonly').objectStore(store).getAll(); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
              for (const v of values) out.push(typeof v === 'string' ? v : JSON.stringify(v) ?? '');
            }
          } finally { db.close(); }
        }
        return out;
      })()`) as Promise<string[]>;
    await poll(async () => ((await read()).some((v) => pattern.test(v)) ? true : undefined), timeoutMs,
      () => `the workbench did not store state matching ${pattern} within ${timeoutMs} ms`, 250);
  }

  // ------------------------------------------------------------------------------------ screenshots

  /**
   * Saves a PNG of the whole page to test-results/screenshots/<prefix>-<nn>-<name>.png and logs the
   * path. Returns the path.
   */
  async screenshot(name: string): Promise<string> {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const n = String(++this.shotCounter).padStart(2, '0');
    const safe = `${this.screenshotPrefix}-${n}-${name}`.replace(/[^\w.-]+/g, '_');
    const file = join(SCREENSHOT_DIR, `${safe}.png`);
    await this.page.screenshot({ path: file });
    console.log(`[e2e] screenshot ${relative(REPO_ROOT, file)}`);
    return file;
  }
}
