/**
 * The explanation of one prediction: the explained row, its predicted label with the class
 * probabilities, and the training rows that support it (influence < 0: up-weighting them lowers the
 * loss) and oppose it (influence > 0), ranked by RelatIF or by raw influence. Every training row jumps
 * to its line on click or Enter.
 */
import type { ExplainResult, InfluenceRow } from '../src/protocol/types';
import type { DataSource, ExplainOrder } from '../src/protocol/webview';
import { formatNumber, h } from './dom';
import { rowContent, type ContentContext } from './rowContent';
import { choice, spinner } from './toolkit';

export interface ExplanationEvents {
  open(source: DataSource, line: number): void;
  reorder(orderBy: ExplainOrder): void;
}

const TOP_CLASSES = 5;

export class ExplanationView {
  readonly element = h('section', { class: 'explanation', attrs: { 'aria-label': 'Explanation', 'aria-live': 'polite' } });

  constructor(private readonly events: ExplanationEvents) {
    this.showEmpty('Select a row in the ranking (Enter), or run “Dataset Debugger: Explain Prediction” on a row of the test file.');
  }

  showEmpty(message: string): void {
    this.element.replaceChildren(h('p', { class: 'placeholder', text: message }));
  }

  showLoading(source: DataSource, row: number): void {
    this.element.replaceChildren(
      h('div', { class: 'loading' }, [spinner('Explaining'), h('span', { text: `Explaining ${source === 'test' ? 'test' : 'training'} row ${row}…` })]),
    );
    this.reveal();
  }

  showError(source: DataSource, row: number, message: string): void {
    this.element.replaceChildren(
      h('p', { class: 'error', text: `Could not explain ${source === 'test' ? 'test' : 'training'} row ${row}: ${message}` }),
    );
  }

  show(result: ExplainResult, ctx: ContentContext, orderBy: ExplainOrder): void {
    const t = result.test;
    const where = t.source === 'test' ? 'Test' : 'Training';
    const heading = h('header', { class: 'explained-head' }, [
      h('h2', { text: `${where} row ${t.row}` }),
      this.lineLink(t.source, t.line),
    ]);

    const correct = t.label === undefined ? undefined : t.label === t.predicted;
    const probs = Object.entries(t.probabilities)
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP_CLASSES);
    const prediction = h('div', { class: 'prediction' }, [
      h('div', { class: 'predicted' }, [
        h('span', { class: 'muted', text: 'predicted ' }),
        h('strong', { class: 'big', text: t.predicted }),
        t.label !== undefined
          ? h('span', { class: correct ? 'verdict ok' : 'verdict wrong', text: correct ? ` = label ${t.label}` : ` ≠ label ${t.label}` })
          : h('span', { class: 'muted', text: ' (no label)' }),
      ]),
      h(
        'div',
        { class: 'probs', attrs: { role: 'list', 'aria-label': 'Class probabilities' } },
        probs.map(([cls, p]) => {
          const bar = h('span', { class: 'prob-bar' });
          bar.style.width = `${Math.max(0.5, p * 100).toFixed(1)}%`;
          return h('div', { class: cls === t.predicted ? 'prob top' : 'prob', attrs: { role: 'listitem' } }, [
            h('span', { class: 'prob-class', text: cls }),
            h('span', { class: 'prob-track' }, [bar]),
            h('span', { class: 'prob-value', text: `${(p * 100).toFixed(1)}%` }),
          ]);
        }),
      ),
    ]);

    const target = h('p', {
      class: 'muted small',
      text:
        `Explaining the loss at class ${t.target} (${t.target === t.label ? 'its label' : 'the prediction'}); loss ${formatNumber(t.testLoss)}. ` +
        'Influence < 0: up-weighting the training row lowers this loss (supports); > 0: raises it (opposes).',
    });

    const order = choice<ExplainOrder>(
      'Rank by',
      [
        { value: 'relatifL', label: 'RelatIF' },
        { value: 'influence', label: 'Raw influence' },
      ],
      orderBy,
    );
    order.onChange((v) => this.events.reorder(v));

    const sections = [
      this.side('Supporting', 'influence < 0', result.supporting ?? [], ctx, orderBy),
      this.side('Opposing', 'influence > 0', result.opposing ?? [], ctx, orderBy),
    ];
    this.element.replaceChildren(
      heading,
      h('div', { class: 'explained' }, [rowContent(t.cells, ctx, 'large'), prediction]),
      target,
      h('div', { class: 'order' }, [order.element]),
      h('div', { class: 'sides' }, sections),
    );
    this.reveal();
  }

  /** Scrolls the page so the explanation's heading is in view (it may be off screen in a narrow panel). */
  private reveal(): void {
    const top = this.element.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight - 40) this.element.scrollIntoView({ block: 'start' });
  }

  private lineLink(source: DataSource, line: number): HTMLElement {
    return h('a', {
      class: 'line-link',
      text: `line ${line}`,
      title: `Open the ${source === 'test' ? 'test' : 'training'} file at line ${line}`,
      attrs: { href: '#', role: 'link' },
      on: {
        click: (e) => {
          e.preventDefault();
          this.events.open(source, line);
        },
      },
    });
  }

  private side(title: string, rule: string, rows: InfluenceRow[], ctx: ContentContext, orderBy: ExplainOrder): HTMLElement {
    const list = h('ol', { class: 'examples' });
    if (rows.length === 0) list.append(h('li', { class: 'placeholder', text: 'none' }));
    for (const r of rows) list.append(this.example(r, ctx, orderBy));
    return h('section', { class: `side ${title.toLowerCase()}` }, [
      h('h3', {}, [title + ' ', h('span', { class: 'muted small', text: `(${rule})` })]),
      list,
    ]);
  }

  private example(r: InfluenceRow, ctx: ContentContext, orderBy: ExplainOrder): HTMLElement {
    const primary = orderBy === 'influence' ? `influence ${formatNumber(r.influence)}` : `RelatIF ${formatNumber(r.relatifL)}`;
    const secondary = orderBy === 'influence' ? `RelatIF ${formatNumber(r.relatifL)}` : `influence ${formatNumber(r.influence)}`;
    const open = () => this.events.open('train', r.line);
    const content = rowContent(r.cells, ctx, 'small');
    return h(
      'li',
      {
        // Images sit beside the scores; tables and text go under them.
        class: content.classList.contains('content-image') ? 'example beside' : 'example stacked',
        attrs: {
          tabindex: 0,
          role: 'button',
          'data-row': r.row,
          'data-line': r.line,
          'aria-label': `training row ${r.row}, line ${r.line}, label ${r.label}, ${primary}; opens the line`,
        },
        title: `Open the training file at line ${r.line}`,
        on: {
          click: open,
          keydown: (e) => {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              open();
            }
          },
        },
      },
      [
        content,
        h('div', { class: 'example-meta' }, [
          h('span', { class: 'example-id', text: `row ${r.row} · line ${r.line}` }),
          h('span', { class: 'example-label', text: `label ${r.label}` }),
          h('span', { class: 'example-score', text: primary }),
          h('span', { class: 'muted small', text: secondary }),
        ]),
      ],
    );
  }
}
