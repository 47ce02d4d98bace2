/**
 * The explanation of one prediction: the explained row, its predicted label with the class
 * probabilities, and the training rows that support it (influence < 0: up-weighting them lowers the
 * loss) and oppose it (influence > 0), ranked by RelatIF or by raw influence. Every training row jumps
 * to its line on click or Enter.
 */
import { describeExplanation, formatAgreement, trustVerdict, type ExplainCapabilities } from '../src/protocol/wording';
import type { ClusterResult, ClusterRow, ExplainObjective, ExplainResult, InfluenceRow, TrustResult } from '../src/protocol/types';
import type { DataSource, ExplainOptions, ExplainOrder } from '../src/protocol/webview';
import { formatNumber, h } from './dom';
import { rowContent, type ContentContext } from './rowContent';
import { button, checkbox, choice, select, spinner } from './toolkit';

export interface ExplanationEvents {
  open(source: DataSource, line: number): void;
  /** The user changed how the shown row is explained (order, Newton step, objective). */
  change(options: ExplainOptions): void;
  /** "Check against retraining" on the shown row. */
  trust(source: DataSource, row: number): void;
}

/** The trust check of the shown row: running, its result, or why it failed. */
export type TrustState = { status: 'running' } | { status: 'done'; result: TrustResult } | { status: 'error'; message: string };

/** Two decimals, or n/a (NaN arrives as null through postMessage). */
const fixed2 = (v: number | null) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(2) : 'n/a');

const OBJECTIVES: { value: ExplainObjective; label: string }[] = [
  { value: 'loss', label: 'Loss (cross-entropy)' },
  { value: 'probability', label: 'Probability of the class' },
  { value: 'margin', label: 'Margin between two classes…' },
];

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

  show(result: ExplainResult, ctx: ContentContext, opts: ExplainOptions, trust?: TrustState, caps: ExplainCapabilities = { newton: true, trust: true, objectives: true }): void {
    const t = result.test;
    const orderBy: ExplainOrder = result.method === 'turnOverDropout' ? 'influence' : (result.orderBy ?? opts.orderBy);
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

    // Which objective f is explained; influence is d f / d(weight of the row). For the loss, rows with
    // influence < 0 support the prediction; for a probability or a margin, rows with influence > 0 do.
    const kind: ExplainObjective = result.objective?.kind ?? 'loss';
    const f = result.objective?.description ?? `the loss at class ${t.target}`;
    const target = h('p', {
      class: 'muted small objective-text',
      text:
        kind === 'loss'
          ? `Explaining the loss at class ${t.target} (${t.target === t.label ? 'its label' : 'the prediction'}); loss ${formatNumber(t.testLoss)}. ` +
            'Influence < 0: up-weighting the training row lowers this loss (supports); > 0: raises it (opposes).'
          : `Explaining ${f} = ${formatNumber(result.objective.value)}. Influence > 0: up-weighting the training row raises it (supports); < 0: lowers it (opposes).`,
    });
    const method = h('p', { class: 'method small', attrs: { 'data-method': result.method ?? 'influence', 'data-mode': result.mode ?? 'influence' }, text: describeExplanation(result) });
    const notes = (result.notes ?? []).map((n) => h('p', { class: 'note small', text: `Note: ${n}` }));

    const controls: HTMLElement[] = [];
    if (result.method !== 'turnOverDropout') {
      const order = choice<ExplainOrder>(
        'Rank by',
        [
          { value: 'relatifL', label: 'RelatIF' },
          { value: 'influence', label: 'Raw influence' },
        ],
        orderBy,
      );
      order.onChange((v) => this.events.change({ ...opts, orderBy: v }));
      const newton = checkbox('Newton-step leave-one-out', (result.mode ?? opts.mode) === 'newton');
      newton.element.classList.add('newton-switch');
      // The Newton step estimates the change of the loss only.
      if (kind !== 'loss') newton.element.setAttribute('disabled', '');
      newton.element.title =
        kind === 'loss'
          ? 'Also estimate each row\'s effect by one exact Newton step without it (more faithful than first order for high-leverage rows)'
          : 'The Newton step estimates the change of the loss: choose the loss objective';
      newton.onChange((on) => this.events.change({ ...opts, mode: on ? 'newton' : 'influence' }));
      const objective = select('Test objective');
      objective.element.classList.add('objective-select');
      objective.setOptions(OBJECTIVES, kind);
      objective.onChange((v) => {
        const o = OBJECTIVES.find((x) => x.value === v)?.value;
        if (o) this.events.change({ ...opts, objective: o, mode: o === 'loss' ? opts.mode : 'influence' });
      });
      controls.push(order.element);
      if (caps.objectives) controls.push(h('label', { class: 'objective' }, [h('span', { class: 'muted small', text: 'Objective ' }), objective.element]));
      if (caps.newton) controls.push(newton.element);
    }

    const [raise, lower] = [result.opposing ?? [], result.supporting ?? []];
    // A training row is among the training rows: it shows as itself, not as one of its own supporters.
    const self = t.source === 'train' ? t.row : undefined;
    const sections =
      kind === 'loss'
        ? [
            this.side('Supporting', 'supporting', 'influence < 0', lower, ctx, orderBy, self),
            this.side('Opposing', 'opposing', 'influence > 0', raise, ctx, orderBy, self),
          ]
        : [
            this.side('Supporting', 'supporting', `raise ${f}`, raise, ctx, orderBy, self),
            this.side('Opposing', 'opposing', `lower ${f}`, lower, ctx, orderBy, self),
          ];
    this.element.replaceChildren(
      heading,
      h('div', { class: 'explained' }, [rowContent(t.cells, ctx, 'large'), prediction]),
      target,
      method,
      ...notes,
      h('div', { class: 'order' }, controls),
      ...(result.method !== 'turnOverDropout' && caps.trust ? [this.trustArea(t.source, t.row, trust)] : []),
      h('div', { class: 'sides' }, sections),
    );
    this.reveal();
  }

  /** The trust check: a button, and once it ran, how well the estimates agreed with actual retraining. */
  private trustArea(source: DataSource, row: number, trust?: TrustState): HTMLElement {
    const run = button('Check against retraining', () => this.events.trust(source, row), {
      title: 'Refit the model without a sample of rows (and without random halves) and compare with the estimates',
      disabled: trust?.status === 'running',
    });
    run.classList.add('trust-button');
    const body: HTMLElement[] = [];
    if (trust?.status === 'running') body.push(h('div', { class: 'loading' }, [spinner('Refitting'), h('span', { text: 'Refitting without rows…' })]));
    else if (trust?.status === 'error') body.push(h('p', { class: 'error', text: `The check did not finish: ${trust.message}` }));
    else if (trust?.status === 'done') {
      const r = trust.result;
      const lo = r.leaveOneOut;
      const verdict = trustVerdict(r);
      const table = h('table', { class: 'trust-table' }, [
        h('thead', {}, [h('tr', {}, [h('th', { text: 'estimate' }), h('th', { text: `against ${lo.rows.length} leave-one-out refits` })])]),
        h('tbody', {}, [
          h('tr', { attrs: { 'data-estimate': 'firstOrder' } }, [h('td', { text: 'first-order influence' }), h('td', { text: formatAgreement(lo.firstOrder) })]),
          h('tr', { attrs: { 'data-estimate': 'newton' } }, [h('td', { text: 'Newton step' }), h('td', { text: formatAgreement(lo.newton) })]),
          ...(r.lds
            ? [
                h('tr', { attrs: { 'data-estimate': 'lds' } }, [
                  h('td', { text: 'linear datamodeling score' }),
                  h('td', { text: `Spearman ${fixed2(r.lds.spearman)} over ${r.lds.subsets} refits without ${Math.round(r.lds.fraction * 100)}% of the rows` }),
                ]),
              ]
            : []),
        ]),
      ]);
      body.push(
        h('p', { class: `trust-verdict ${verdict}`, text: `Agreement with actual retraining: ${verdict}.` }),
        table,
        h('p', {
          class: 'muted small',
          text: `Rows refitted one at a time: ${lo.rows.filter((x) => x.picked === 'top').length} with the largest |influence|, the rest at random (seed ${r.seed}); ${(lo.seconds + (r.lds?.seconds ?? 0)).toFixed(1)} s. Slope 1 = the estimates have the right size.`,
        }),
      );
    }
    return h('section', { class: 'trust', attrs: { 'aria-label': 'Check against retraining' } }, [h('div', { class: 'trust-head' }, [run]), ...body]);
  }

  /** Unsupervised scans: why a row sits in its cluster (the rows that pull it in and push it out). */
  showCluster(result: ClusterResult, ctx: ContentContext): void {
    const heading = h('header', { class: 'explained-head' }, [h('h2', { text: `Training row ${result.row}` }), this.lineLink('train', result.line)]);
    const info = h('div', { class: 'prediction' }, [
      h('div', { class: 'predicted' }, [h('span', { class: 'muted', text: 'in ' }), h('strong', { class: 'big', text: `cluster ${result.cluster}` })]),
      h('p', { class: 'muted small', text: `squared distance to its centre ${formatNumber(result.distance)}` }),
    ]);
    const method = h('p', {
      class: 'method small',
      attrs: { 'data-method': result.method },
      text:
        `Method: cross-loss influence (autoencoder + k-means) on the squared distance of the row's embedding to its cluster's centre; ` +
        `${result.total} training rows; solve ${result.solve.method}${result.solve.iterations ? `, ${result.solve.iterations} iterations` : ''}.`,
    });
    this.element.replaceChildren(
      heading,
      h('div', { class: 'explained' }, [rowContent(result.cells, ctx, 'large'), info]),
      method,
      h('div', { class: 'sides' }, [
        this.clusterSide('Pulling it in', 'pulling', 'removing one moves it away from the centre', result.pulling, ctx),
        this.clusterSide('Pushing it out', 'pushing', 'removing one brings it closer', result.pushing, ctx),
      ]),
    );
    this.reveal();
  }

  private clusterSide(title: string, cls: string, rule: string, rows: ClusterRow[], ctx: ContentContext): HTMLElement {
    const list = h('ol', { class: 'examples' });
    if (rows.length === 0) list.append(h('li', { class: 'placeholder', text: 'none' }));
    for (const r of rows) {
      list.append(
        this.exampleItem(r.row, r.line, `cluster ${r.cluster}`, `distance change ${formatNumber(r.removalChange)} if removed`, `influence ${formatNumber(r.influence)}`, r.cells, ctx),
      );
    }
    return h('section', { class: `side ${cls}` }, [h('h3', {}, [title + ' ', h('span', { class: 'muted small', text: `(${rule})` })]), list]);
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

  private side(title: string, cls: string, rule: string, rows: InfluenceRow[], ctx: ContentContext, orderBy: ExplainOrder, self?: number): HTMLElement {
    const list = h('ol', { class: 'examples' });
    if (rows.length === 0) list.append(h('li', { class: 'placeholder', text: 'none' }));
    for (const r of rows) list.append(this.example(r, ctx, orderBy, r.row === self));
    return h('section', { class: `side ${cls}` }, [
      h('h3', {}, [title + ' ', h('span', { class: 'muted small', text: `(${rule})` })]),
      list,
    ]);
  }

  private example(r: InfluenceRow, ctx: ContentContext, orderBy: ExplainOrder, isSelf = false): HTMLElement {
    const primary = orderBy === 'influence' ? `influence ${formatNumber(r.influence)}` : `RelatIF ${formatNumber(r.relatifL)}`;
    const secondary = [
      orderBy === 'influence' ? (Number.isFinite(r.relatifL) ? `RelatIF ${formatNumber(r.relatifL)}` : '') : `influence ${formatNumber(r.influence)}`,
      r.looChange !== undefined ? `Newton LOO Δ ${formatNumber(r.looChange)}` : '',
      r.looChange === undefined && r.removalChange !== undefined ? `removal Δ ${formatNumber(r.removalChange)}` : '',
    ]
      .filter(Boolean)
      .join(' · ');
    const label = isSelf ? `this row itself (its own label ${r.label} pulls the model toward it)` : `label ${r.label}`;
    const item = this.exampleItem(r.row, r.line, label, primary, secondary, r.cells, ctx);
    if (isSelf) item.classList.add('self');
    return item;
  }

  private exampleItem(row: number, line: number, label: string, primary: string, secondary: string, cells: InfluenceRow['cells'], ctx: ContentContext): HTMLElement {
    const open = () => this.events.open('train', line);
    const content = rowContent(cells, ctx, 'small');
    return h(
      'li',
      {
        // Images sit beside the scores; tables and text go under them.
        class: content.classList.contains('content-image') ? 'example beside' : 'example stacked',
        attrs: {
          tabindex: 0,
          role: 'button',
          'data-row': row,
          'data-line': line,
          'aria-label': `training row ${row}, line ${line}, ${label}, ${primary}; opens the line`,
        },
        title: `Open the training file at line ${line}`,
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
          h('span', { class: 'example-id', text: `row ${row} · line ${line}` }),
          h('span', { class: 'example-label', text: label }),
          h('span', { class: 'example-score', text: primary }),
          h('span', { class: 'muted small', text: secondary }),
        ]),
      ],
    );
  }
}
