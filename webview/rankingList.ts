/**
 * The full ranking as a virtualised list: only the rows in view (plus a margin) exist in the DOM, and
 * rows are fetched from the host in pages as they come into view. Keyboard: arrow keys, Page Up/Down,
 * Home/End move the selection; Enter explains the selected row; Shift+Enter opens its line; A accepts
 * the suggested label, L changes the label (a quick pick), C marks the label as correct.
 */
import type { ExampleRow } from '../src/protocol/types';
import { suggestedLabelText } from '../src/protocol/wording';
import { formatNumber, h } from './dom';

export const ROW_HEIGHT = 24;
export const PAGE_SIZE = 100;
const OVERSCAN = 8;

export interface RankingListEvents {
  /** Rows [offset, offset + limit) are needed. */
  requestPage(offset: number, limit: number): void;
  select(index: number, row: ExampleRow | undefined): void;
  activate(row: ExampleRow, how: 'explain' | 'open'): void;
  /** A fix key on the selected row: A accept the suggested label, L change the label, C mark it correct. */
  fix?(row: ExampleRow, action: 'accept' | 'change' | 'correct'): void;
}

const FIX_KEYS: Record<string, 'accept' | 'change' | 'correct'> = { a: 'accept', l: 'change', c: 'correct' };

export class RankingList {
  readonly element: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly layer: HTMLElement;
  private total = 0;
  private readonly pages = new Map<number, ExampleRow[] | 'loading'>();
  private selected = -1;
  private reviewed = new Set<number>();
  private readonly pool: HTMLElement[] = [];
  private frame = 0;
  private scoreName = 'global influence';
  private scoreOf: (row: ExampleRow) => number = (row) => row.globalInfluence;

  constructor(private readonly events: RankingListEvents) {
    this.spacer = h('div', { class: 'list-spacer' });
    this.layer = h('div', { class: 'list-layer' });
    this.element = h(
      'div',
      {
        class: 'ranking-list',
        attrs: { role: 'listbox', tabindex: 0, 'aria-label': 'Training rows ranked by global influence' },
        on: {
          scroll: () => this.schedule(),
          keydown: (e) => this.onKey(e),
          click: (e) => this.onClick(e),
          dblclick: (e) => this.onClick(e, true),
        },
      },
      [this.spacer, this.layer],
    );
    new ResizeObserver(() => this.schedule()).observe(this.element);
  }

  /** The score shown per row and what it is called (the ranking's own score). Takes effect at the next reset. */
  setScore(name: string, scoreOf: (row: ExampleRow) => number): void {
    this.scoreName = name;
    this.scoreOf = scoreOf;
    this.element.setAttribute('aria-label', `Training rows ranked by ${name}`);
    for (const el of this.pool) delete el.dataset.key;
  }

  get selectedIndex(): number {
    return this.selected;
  }

  get count(): number {
    return this.total;
  }

  rowAt(index: number): ExampleRow | undefined {
    const p = this.pages.get(Math.floor(index / PAGE_SIZE));
    return Array.isArray(p) ? p[index % PAGE_SIZE] : undefined;
  }

  /** Forgets all rows (a new filter or a new scan) and asks for the first page, which tells the total. */
  reset(): void {
    this.pages.clear();
    this.total = 0;
    this.selected = -1;
    this.element.scrollTop = 0;
    this.updateSize();
    this.pages.set(0, 'loading');
    this.events.requestPage(0, PAGE_SIZE);
    this.schedule();
  }

  setReviewed(rows: Iterable<number>): void {
    this.reviewed = new Set(rows);
    this.schedule();
  }

  /** Rows of one page arrived (offset is a multiple of PAGE_SIZE). */
  setPage(offset: number, rows: ExampleRow[], total: number): void {
    const first = this.total === 0 && total > 0;
    this.total = total;
    this.pages.set(Math.floor(offset / PAGE_SIZE), rows);
    this.updateSize();
    this.schedule();
    if (first && this.selected < 0) this.select(0, false);
    else if (this.selected >= 0 && Math.floor(this.selected / PAGE_SIZE) === Math.floor(offset / PAGE_SIZE)) {
      this.events.select(this.selected, this.rowAt(this.selected));
    }
  }

  /** A page failed: forget it so it is asked for again later. */
  pageFailed(offset: number): void {
    this.pages.delete(Math.floor(offset / PAGE_SIZE));
  }

  restore(selected: number, scrollTop: number): void {
    this.selected = selected;
    this.element.scrollTop = scrollTop;
    this.schedule();
  }

  get scrollTop(): number {
    return this.element.scrollTop;
  }

  select(index: number, reveal = true): void {
    if (this.total === 0) return;
    const i = Math.max(0, Math.min(this.total - 1, index));
    this.selected = i;
    if (reveal) {
      const top = i * ROW_HEIGHT;
      const view = this.element.clientHeight;
      if (top < this.element.scrollTop) this.element.scrollTop = top;
      else if (top + ROW_HEIGHT > this.element.scrollTop + view) this.element.scrollTop = top + ROW_HEIGHT - view;
    }
    this.render();
    this.events.select(i, this.rowAt(i));
  }

  private updateSize(): void {
    this.spacer.style.height = `${this.total * ROW_HEIGHT}px`;
    this.element.setAttribute('aria-setsize', String(this.total));
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private render(): void {
    const view = this.element.clientHeight || 400;
    const first = Math.max(0, Math.floor(this.element.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.total - 1, Math.ceil((this.element.scrollTop + view) / ROW_HEIGHT) + OVERSCAN);
    // Ask for the pages in view that are neither here nor on their way.
    for (let p = Math.floor(first / PAGE_SIZE); p <= Math.floor(Math.max(first, last) / PAGE_SIZE) && this.total > 0; p++) {
      if (!this.pages.has(p)) {
        this.pages.set(p, 'loading');
        this.events.requestPage(p * PAGE_SIZE, PAGE_SIZE);
      }
    }
    const count = Math.max(0, last - first + 1);
    while (this.pool.length < count) {
      const el = h('div', { class: 'list-row', attrs: { role: 'option' } });
      this.pool.push(el);
      this.layer.append(el);
    }
    let activeId = '';
    this.pool.forEach((el, k) => {
      if (k >= count) {
        el.hidden = true;
        return;
      }
      const i = first + k;
      el.hidden = false;
      el.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
      el.dataset.index = String(i);
      el.id = `rank-${i}`;
      el.setAttribute('aria-posinset', String(i + 1));
      const sel = i === this.selected;
      el.setAttribute('aria-selected', String(sel));
      el.classList.toggle('selected', sel);
      if (sel) activeId = el.id;
      this.fill(el, i, this.rowAt(i));
    });
    if (activeId) this.element.setAttribute('aria-activedescendant', activeId);
    else this.element.removeAttribute('aria-activedescendant');
  }

  private fill(el: HTMLElement, i: number, row: ExampleRow | undefined): void {
    const key = row ? `${i}:${row.row}:${this.reviewed.has(row.row)}:${this.scoreName}` : `${i}:loading`;
    if (el.dataset.key === key) return;
    el.dataset.key = key;
    if (!row) {
      el.replaceChildren(h('span', { class: 'c-rank', text: `${i + 1}` }), h('span', { class: 'c-loading', text: 'loading…' }));
      el.removeAttribute('aria-label');
      return;
    }
    const disagree = row.label !== row.predicted;
    const reviewed = this.reviewed.has(row.row);
    const suggested = suggestedLabelText(row);
    el.classList.toggle('disagree', disagree);
    el.classList.toggle('reviewed', reviewed);
    el.replaceChildren(
      h('span', { class: 'c-rank', text: `${i + 1}` }),
      h('span', { class: 'c-row', text: `row ${row.row}` }),
      h('span', { class: 'c-label', text: row.label, title: `label ${row.label}` }),
      h('span', { class: 'c-arrow', text: disagree ? '→' : '=' }),
      h('span', {
        class: 'c-pred',
        text: row.predicted,
        title: `predicted ${row.predicted}` + (suggested !== undefined ? `; suggested label ${suggested}` : ''),
      }),
      h('span', { class: 'c-score', text: formatNumber(this.scoreOf(row)) }),
      h('span', { class: 'c-flag', text: reviewed ? '✓' : '', title: reviewed ? 'reviewed' : '' }),
    );
    el.setAttribute(
      'aria-label',
      `rank ${i + 1}, row ${row.row}, label ${row.label}, predicted ${row.predicted}` +
        (suggested !== undefined ? `, suggested label ${suggested}` : '') +
        `, ${this.scoreName} ${formatNumber(this.scoreOf(row))}${reviewed ? ', reviewed' : ''}`,
    );
  }

  private indexOf(target: EventTarget | null): number | undefined {
    const el = (target as HTMLElement | null)?.closest?.('.list-row') as HTMLElement | null;
    const i = el?.dataset.index;
    return i === undefined ? undefined : Number(i);
  }

  private onClick(e: MouseEvent, double = false): void {
    const i = this.indexOf(e.target);
    if (i === undefined) return;
    this.element.focus();
    this.select(i, false);
    const row = this.rowAt(i);
    if (row) this.events.activate(row, double ? 'open' : 'explain');
  }

  private onKey(e: KeyboardEvent): void {
    const page = Math.max(1, Math.floor(this.element.clientHeight / ROW_HEIGHT) - 1);
    const move: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    if (e.key in move) {
      this.select((this.selected < 0 ? 0 : this.selected) + move[e.key]);
    } else if (e.key === 'Home') {
      this.select(0);
    } else if (e.key === 'End') {
      this.select(this.total - 1);
    } else if (e.key === 'Enter') {
      const row = this.rowAt(this.selected);
      if (row) this.events.activate(row, e.shiftKey ? 'open' : 'explain');
    } else if (!e.ctrlKey && !e.metaKey && !e.altKey && e.key.toLowerCase() in FIX_KEYS && this.events.fix) {
      const row = this.rowAt(this.selected);
      if (row) this.events.fix(row, FIX_KEYS[e.key.toLowerCase()]);
    } else {
      return;
    }
    e.preventDefault();
  }
}
