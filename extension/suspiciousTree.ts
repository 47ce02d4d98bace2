/**
 * The "Suspicious Rows" view: the top rows of the ranking by global influence (from the results'
 * first page, so it shows at once from the cache), as a ranked list or grouped by class, filterable by
 * class. Clicking a row opens the training file at its line; the context menu explains it, marks it
 * reviewed or copies it. The grouping and filter are remembered per workspace.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { rankingName } from '../src/protocol/wording';
import { scoreInWords } from './treeModel';
import { readSettings } from './config';
import type { ResultsStore } from './resultsStore';
import type { LabelFixer } from './fixes';
import type { ReviewedStore } from './reviewedStore';
import {
  buildTree,
  classFilterEstimate,
  classNodeDescription,
  classNodeTooltip,
  classNodeLabel,
  formatScore,
  suggestedLabelText,
  whySuspicious,
  rowNodeDescription,
  rowNodeLabel,
  rowsWithClassTops,
  type RowNode,
  type TreeMode,
  type TreeNode,
} from './treeModel';

export const VIEW_ID = 'datasetDebugger.suspiciousRows';
const MODE_KEY = 'datasetDebugger.tree.mode';
const FILTER_KEY = 'datasetDebugger.tree.classes';

export class SuspiciousTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  readonly view: vscode.TreeView<TreeNode>;
  private roots: TreeNode[] = [];
  private readonly subs: vscode.Disposable[] = [];

  constructor(
    private readonly store: ResultsStore,
    private readonly reviewed: ReviewedStore,
    private readonly state: vscode.Memento,
    private readonly fixer?: LabelFixer,
  ) {
    this.view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: this, canSelectMany: true });
    this.subs.push(
      this.view,
      store.onDidChange(() => this.refresh()),
      reviewed.onDidChange(() => this.refresh()),
      ...(fixer ? [fixer.onDidChange(() => this.refresh())] : []),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('datasetDebugger.sidebarRows') && this.refresh()),
    );
    this.updateContext();
    this.refresh();
  }

  get mode(): TreeMode {
    return this.state.get<TreeMode>(MODE_KEY) === 'byClass' ? 'byClass' : 'ranked';
  }

  get classFilter(): string[] {
    const v = this.state.get<string[]>(FILTER_KEY);
    return Array.isArray(v) ? v : [];
  }

  async setMode(mode: TreeMode): Promise<void> {
    await this.state.update(MODE_KEY, mode);
    this.updateContext();
    this.refresh();
  }

  async setClassFilter(classes: string[]): Promise<void> {
    await this.state.update(FILTER_KEY, classes);
    this.updateContext();
    this.refresh();
  }

  private updateContext(): void {
    void vscode.commands.executeCommand('setContext', 'datasetDebugger.groupedByClass', this.mode === 'byClass');
    void vscode.commands.executeCommand('setContext', 'datasetDebugger.classFiltered', this.classFilter.length > 0);
  }

  refresh(): void {
    const r = this.store.current;
    if (!r) {
      this.roots = [];
      this.view.message = undefined;
      this.view.description = undefined;
      this.emitter.fire(undefined);
      return;
    }
    const limit = readSettings().sidebarRows;
    const classes = this.classFilter.filter((c) => r.summary.dataset.classes.includes(c));
    // Filtered by class: the classes' top rows of the whole ranking, not only those on the first page.
    const rows = classes.length > 0 ? rowsWithClassTops(r.first.rows, r.classTops) : r.first.rows;
    this.roots = buildTree(rows, {
      mode: this.mode,
      classes,
      limit,
      reviewed: this.reviewed.rows(r.params.file),
      hidden: this.fixer?.hidden,
      classOrder: r.summary.dataset.classes,
    });
    const shown = this.mode === 'ranked' ? this.roots.length : this.roots.reduce((n, g) => n + (g.kind === 'class' ? g.rows.length : 1), 0);
    const m = r.summary.model;
    const acc = `train accuracy ${(m.trainAccuracy * 100).toFixed(1)}%` + (m.testAccuracy !== undefined ? `, test ${(m.testAccuracy * 100).toFixed(1)}%` : '');
    const filter = classes.length > 0 ? ` in class ${classes.join(', ')}` : '';
    const nHidden = this.fixer?.hidden.size ?? 0;
    // After label fixes (rows left the list) the way to update is the re-score, which reuses the scan.
    const stale = this.store.stale ? `Out of date: ${this.store.stale}. ${nHidden > 0 ? 'Re-score After Fixes' : 'Re-scan'} to update. ` : '';
    const hiddenNote = nHidden > 0 ? ` ${nHidden} row${nHidden === 1 ? '' : 's'} fixed or marked correct not listed.` : '';
    const by = rankingName(r.first.rankBy ?? 'globalInfluence', r.summary);
    this.view.message = `${path.basename(r.params.file)}: ` + (r.params.unsupervised
      ? `${stale}Top ${shown}${filter} of ${r.summary.dataset.rows} rows by ${by} (${r.summary.model.clusters ?? '?'} clusters, no label).`
      : `${stale}Top ${shown}${filter} of ${r.summary.dataset.rows} rows by ${by}; ${acc}.${classFilterEstimate(classes, r.summary.detection?.estimatedByLabel)}${hiddenNote}`);
    this.view.description = path.basename(r.params.file) + (this.store.stale ? ' (out of date)' : '');
    this.emitter.fire(undefined);
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) return this.roots;
    return node.kind === 'class' ? node.rows : [];
  }

  getParent(node: TreeNode): TreeNode | undefined {
    if (node.kind !== 'row' || this.mode !== 'byClass') return undefined;
    return this.roots.find((g) => g.kind === 'class' && g.rows.includes(node));
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    if (node.kind === 'class') {
      const item = new vscode.TreeItem(classNodeLabel(node), vscode.TreeItemCollapsibleState.Expanded);
      const estimate = this.store.current?.summary.detection?.estimatedByLabel?.find((e) => e.label === node.label);
      item.description = classNodeDescription(node, estimate);
      item.tooltip = classNodeTooltip(node.label, estimate);
      item.contextValue = 'class';
      item.id = `class:${node.label}`;
      return item;
    }
    return this.rowItem(node);
  }

  private rowItem(node: RowNode): vscode.TreeItem {
    const e = node.example;
    const r = this.store.current;
    const item = new vscode.TreeItem(rowNodeLabel(node), vscode.TreeItemCollapsibleState.None);
    item.id = `row:${e.row}`;
    const rankBy = r?.first.rankBy ?? 'globalInfluence';
    const content = this.fixer?.contentOf(e.row);
    // Text rows show their text first (the message itself); other rows keep the scores first.
    item.description = content?.text ? `“${content.text}” · ${rowNodeDescription(node, rankBy)}` : rowNodeDescription(node, rankBy);
    item.contextValue = node.reviewed ? 'row.reviewed' : 'row';
    item.iconPath = node.reviewed
      ? new vscode.ThemeIcon('pass', new vscode.ThemeColor('descriptionForeground'))
      : new vscode.ThemeIcon(e.label === e.predicted ? 'circle-outline' : 'warning', new vscode.ThemeColor('list.warningForeground'));
    const md = new vscode.MarkdownString(undefined, false);
    md.appendMarkdown(`**Rank ${node.rank + 1}** of ${r?.summary.dataset.rows ?? '?'} by ${rankingName(rankBy, r?.summary)}\n\n`);
    md.appendMarkdown(`| | |\n|---|---|\n`);
    const cell = (s: string) => s.replace(/[\\|*_`[\]<>#]/g, (c) => `\\${c}`);
    md.appendMarkdown(`| data row | ${e.row} |\n| line | ${e.line} |\n| label | ${cell(e.label)} |\n| predicted | ${cell(e.predicted)} |\n`);
    md.appendMarkdown(`| global influence | ${formatScore(e.globalInfluence)} |\n| training loss | ${formatScore(e.loss)} |\n`);
    if (e.labelIssueScore !== undefined) md.appendMarkdown(`| label issue | ${formatScore(e.labelIssueScore)} |\n`);
    if (e.labelSuspicion !== undefined) md.appendMarkdown(`| label suspicion | ${formatScore(e.labelSuspicion)} |\n`);
    const suggested = suggestedLabelText(e);
    if (suggested !== undefined) md.appendMarkdown(`| suggested label | ${cell(suggested)} |\n`);
    const why = whySuspicious(e);
    if (why) md.appendMarkdown(`\n**Why:** ${cell(why)}\n`);
    md.appendMarkdown(`\n${cell(scoreInWords(e, r?.summary))}\n`);
    if (content) md.appendMarkdown(`\n${cell(content.text ?? content.cells)}\n`);
    if (node.reviewed) md.appendMarkdown(`\nMarked as reviewed.`);
    item.tooltip = md;
    item.accessibilityInformation = {
      label:
        `row ${e.row}, line ${e.line}, label ${e.label}, predicted ${e.predicted}` +
        (suggested !== undefined ? `, suggested label ${suggested}` : '') +
        (e.labelIssueScore !== undefined ? `, label issue ${formatScore(e.labelIssueScore)}` : '') +
        (e.labelSuspicion !== undefined ? `, label suspicion ${formatScore(e.labelSuspicion)}` : '') +
        `, global influence ${formatScore(e.globalInfluence)}${node.reviewed ? ', reviewed' : ''}`,
    };
    item.command = { command: 'datasetDebugger.revealRow', title: 'Go to Row', arguments: [{ row: e.row, line: e.line }] };
    return item;
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.emitter.dispose();
  }
}
