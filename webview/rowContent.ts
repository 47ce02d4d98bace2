/**
 * Draws one data row compactly: pixel rows as an image (when the imageShape setting says so), text
 * columns as text, everything else as a small name/value table. Cell values are set as text only.
 */
import type { RowCells, ScanSummary } from '../src/protocol/types';
import type { ImageShape } from '../src/protocol/webview';
import { h } from './dom';

export interface ContentContext {
  columns: ScanSummary['dataset']['columns'];
  imageShape: ImageShape;
}

const SIDES: Record<Exclude<ImageShape, 'none'>, number> = { '8x8': 8, '28x28': 28 };
/** Columns shown before "+N more": a large view (the explained row) and a small one (examples). */
const TABLE_COLUMNS = { large: 8, small: 4 };

/** The foreground colour of the theme as RGB (the image is drawn as ink of that colour). */
function inkColour(): [number, number, number] {
  const probe = getComputedStyle(document.body).color; // "rgb(r, g, b)" or "rgba(...)"
  const m = /rgba?\((\d+)[, ]+(\d+)[, ]+(\d+)/.exec(probe);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [128, 128, 128];
}

/** The row as a side x side image, or undefined when its feature cells are not that many numbers. */
function image(cells: RowCells, ctx: ContentContext, size: 'small' | 'large'): HTMLElement | undefined {
  if (ctx.imageShape === 'none') return undefined;
  const side = SIDES[ctx.imageShape];
  const names = ctx.columns.filter((c) => c.kind !== 'label').map((c) => c.name);
  if (names.length !== side * side) return undefined;
  const values = new Float64Array(names.length);
  let max = 0;
  for (let i = 0; i < names.length; i++) {
    const v = Number(cells[names[i]] ?? 0);
    if (!Number.isFinite(v)) return undefined;
    values[i] = v;
    if (v > max) max = v;
  }
  // Usual pixel scales: 0..16 (UCI digits), 0..255 (MNIST), 0..1; else the row's own maximum.
  const scale = max <= 1 ? 1 : max <= 16 ? 16 : max <= 255 ? 255 : max;
  const canvas = h('canvas', { class: `pixels pixels-${side} ${size}`, attrs: { width: side, height: side, role: 'img' } });
  canvas.setAttribute('aria-label', `${side} by ${side} image`);
  const g = canvas.getContext('2d');
  if (!g) return undefined;
  const img = g.createImageData(side, side);
  const [r, gr, b] = inkColour();
  for (let i = 0; i < values.length; i++) {
    img.data[4 * i] = r;
    img.data[4 * i + 1] = gr;
    img.data[4 * i + 2] = b;
    img.data[4 * i + 3] = Math.round(255 * Math.min(1, Math.max(0, values[i] / scale)));
  }
  g.putImageData(img, 0, 0);
  return canvas;
}

function table(cells: RowCells, names: string[], size: 'small' | 'large'): HTMLElement {
  const max = TABLE_COLUMNS[size];
  const shown = names.slice(0, max);
  const el = h('div', { class: 'cells' });
  for (const name of shown) {
    const v = cells[name];
    el.append(
      h('span', { class: 'cell' }, [
        h('span', { class: 'cell-name', text: name }),
        h('span', { class: v === null || v === undefined ? 'cell-value missing' : 'cell-value', text: v ?? '—' }),
      ]),
    );
  }
  if (names.length > shown.length) {
    const rest = names.slice(max);
    el.append(
      h('span', {
        class: 'cell more',
        text: `+${rest.length} more`,
        title: rest.map((n) => `${n}: ${cells[n] ?? '—'}`).join('\n').slice(0, 4000),
      }),
    );
  }
  return el;
}

/** The content of a row: image, text or table (never markup from the cells). */
export function rowContent(cells: RowCells | undefined, ctx: ContentContext, size: 'small' | 'large'): HTMLElement {
  if (!cells) return h('div', { class: 'cells missing', text: 'no cells' });
  const img = image(cells, ctx, size);
  if (img) return h('div', { class: `content content-image ${size}` }, [img]);
  const text = ctx.columns.filter((c) => c.kind === 'text').map((c) => c.name);
  const others = ctx.columns.filter((c) => c.kind !== 'label' && c.kind !== 'text').map((c) => c.name);
  const wrap = h('div', { class: `content ${size}` });
  for (const name of text) {
    wrap.append(h('div', { class: 'text-cell' }, [h('span', { class: 'cell-name', text: name }), h('span', { class: 'text-value', text: cells[name] ?? '—' })]));
  }
  if (others.length > 0) wrap.append(table(cells, others, size));
  return wrap;
}
