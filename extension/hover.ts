/**
 * Hovering a marked row of the training file shows its scores, with links to explain it and to mark
 * it reviewed.
 */
import { rankingName, suggestedLabelText } from '../src/protocol/wording';
import * as vscode from 'vscode';
import type { DecorationController } from './decorations';
import type { ResultsStore } from './resultsStore';
import type { ReviewedStore } from './reviewedStore';
import { formatScore, whySuspicious } from './treeModel';

export const DATA_FILE_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', pattern: '**/*.{csv,tsv,tab,jsonl,ndjson,CSV,TSV,JSONL}' },
];

export class SuspiciousRowHover implements vscode.HoverProvider {
  constructor(
    private readonly marks: DecorationController,
    private readonly store: ResultsStore,
    private readonly reviewed: ReviewedStore,
  ) {}

  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const mark = this.marks.markAt(doc.uri, pos.line + 1);
    const r = this.store.current;
    if (!mark || !r) return undefined;
    const e = mark.example;
    const isReviewed = this.reviewed.rows(r.params.file).has(e.row);
    const esc = (s: string) => s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
    const md = new vscode.MarkdownString();
    md.isTrusted = { enabledCommands: [
        'datasetDebugger.explainRow',
        'datasetDebugger.markReviewed',
        'datasetDebugger.unmarkReviewed',
        'datasetDebugger.changeLabel',
        'datasetDebugger.markCorrect',
      ],
    };
    const suggested = suggestedLabelText(e);
    const why = whySuspicious(e);
    md.appendMarkdown(`**Dataset Debugger:** rank ${mark.rank + 1} of ${r.summary.dataset.rows} by ${rankingName(r.first.rankBy ?? 'globalInfluence', r.summary)}\n\n`);
    md.appendMarkdown(
      `row ${e.row} · label **${esc(e.label)}** · predicted **${esc(e.predicted)}** · ` +
        (e.labelSuspicion !== undefined ? `label suspicion ${formatScore(e.labelSuspicion)} · ` : '') +
        `global influence ${formatScore(e.globalInfluence)} · training loss ${formatScore(e.loss)}` +
        (suggested !== undefined ? ` · suggested label **${esc(suggested)}**` : '') +
        (isReviewed ? ' · reviewed' : '') +
        (why ? `\n\n${esc(why)}` : '') +
        (this.store.stale ? `\n\n_Out of date: ${esc(this.store.stale)}._` : '') +
        '\n\n',
    );
    const arg = encodeURIComponent(JSON.stringify([{ row: e.row, line: e.line }]));
    md.appendMarkdown(`[Explain this row](command:datasetDebugger.explainRow?${arg})`);
    if (r.params.label && !r.params.unsupervised) {
      if (e.suggestedLabel !== undefined && e.suggestedLabel !== e.label) {
        const to = encodeURIComponent(JSON.stringify([{ row: e.row, line: mark.line, label: e.suggestedLabel }]));
        md.appendMarkdown(` · [Change label to ${esc(e.suggestedLabel)}](command:datasetDebugger.changeLabel?${to})`);
      }
      md.appendMarkdown(` · [Change label…](command:datasetDebugger.changeLabel?${arg}) · [Mark label as correct](command:datasetDebugger.markCorrect?${arg})`);
    }
    md.appendMarkdown(
      isReviewed
        ? ` · [Mark as not reviewed](command:datasetDebugger.unmarkReviewed?${arg})`
        : ` · [Mark as reviewed](command:datasetDebugger.markReviewed?${arg})`,
    );
    return new vscode.Hover(md, doc.lineAt(pos.line).range);
  }
}
