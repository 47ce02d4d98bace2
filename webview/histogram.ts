/**
 * The histogram of global influence over all training rows (log10 scale, from ScanSummary.histogram),
 * drawn as SVG, with a marker at the selected row's value.
 */
import type { ScanSummary } from '../src/protocol/types';
import { clear, formatNumber, h, svg } from './dom';

const W = 300;
const H = 56;

export class Histogram {
  readonly element = h('figure', { class: 'histogram' });
  private readonly chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img' });
  private readonly marker = svg('line', { class: 'hist-marker', y1: 0, y2: H, x1: -10, x2: -10 });
  private readonly caption = h('figcaption');
  private edges: number[] = [];
  /** Called with a clicked bar's bin and the ranking index (by global influence) of its first row. */
  onPick?: (bin: number, firstIndex: number, count: number) => void;

  constructor() {
    this.element.append(this.chart, this.caption);
  }

  set(hist: ScanSummary['histogram'], rows: number): void {
    clear(this.chart);
    clear(this.caption);
    this.edges = hist.edges;
    const n = hist.counts.length;
    if (n === 0) {
      this.caption.textContent = 'No positive global influence values to plot.';
      return;
    }
    const max = Math.max(...hist.counts);
    const bw = W / n;
    hist.counts.forEach((c, i) => {
      const bh = c === 0 ? 0 : Math.max(1, (c / max) * (H - 2));
      const bar = svg('rect', { class: 'hist-bar', x: i * bw + 0.5, y: H - bh, width: Math.max(0.5, bw - 1), height: bh });
      bar.append(
        svg('title', {}, [
          document.createTextNode(`${c} rows with global influence ${formatNumber(10 ** hist.edges[i])} to ${formatNumber(10 ** hist.edges[i + 1])}; click to show them in the ranking`),
        ]),
      );
      // Rows are ranked by global influence, largest first: the bin's first row follows every row of the bins to its right.
      const firstIndex = hist.counts.slice(i + 1).reduce((s, x) => s + x, 0);
      if (c > 0) bar.addEventListener('click', () => this.onPick?.(i, firstIndex, c));
      this.chart.append(bar);
    });
    this.chart.append(this.marker);
    this.chart.setAttribute('aria-label', `Histogram of global influence over ${rows} training rows, log scale`);
    this.caption.append(
      h('span', { text: formatNumber(10 ** hist.edges[0]) }),
      h('span', { class: 'hist-title', text: `global influence (log scale), ${rows} rows` }),
      h('span', { text: formatNumber(10 ** hist.edges[n]) }),
    );
  }

  /** Moves the marker to a value (undefined hides it). */
  mark(value: number | undefined): void {
    const lo = this.edges[0];
    const hi = this.edges[this.edges.length - 1];
    if (value === undefined || !(value > 0) || lo === undefined || hi === undefined || hi <= lo) {
      this.marker.setAttribute('x1', '-10');
      this.marker.setAttribute('x2', '-10');
      return;
    }
    const x = Math.min(W - 1, Math.max(1, ((Math.log10(value) - lo) / (hi - lo)) * W));
    this.marker.setAttribute('x1', String(x));
    this.marker.setAttribute('x2', String(x));
  }
}
