/**
 * Training rows the user marked as reviewed, remembered per workspace (workspaceState) and per
 * training file, by 0-based data row.
 */
import * as vscode from 'vscode';

const KEY = 'datasetDebugger.reviewed.v1';

export class ReviewedStore implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  constructor(private readonly state: vscode.Memento) {}

  private all(): Record<string, number[]> {
    const v = this.state.get<Record<string, number[]>>(KEY);
    return v && typeof v === 'object' ? v : {};
  }

  rows(file: string): Set<number> {
    const v = this.all()[file];
    return new Set(Array.isArray(v) ? v.filter((r) => Number.isInteger(r)) : []);
  }

  async set(file: string, rows: readonly number[], reviewed: boolean): Promise<void> {
    const all = this.all();
    const current = this.rows(file);
    for (const r of rows) {
      if (reviewed) current.add(r);
      else current.delete(r);
    }
    all[file] = [...current].sort((a, b) => a - b);
    await this.state.update(KEY, all);
    this.emitter.fire();
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
