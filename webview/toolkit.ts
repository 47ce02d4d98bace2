/**
 * The only module that knows the UI component library (@vscode/webview-ui-toolkit 1.4, built on FAST).
 * The rest of the panel asks for a button, a select, a text input, a choice, a checkbox, a spinner or a
 * badge through the small interfaces below, so moving to another library (for example
 * @vscode/elements) means rewriting this file only.
 */
import {
  provideVSCodeDesignSystem,
  vsCodeBadge,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDropdown,
  vsCodeOption,
  vsCodeProgressRing,
  vsCodeRadio,
  vsCodeRadioGroup,
  vsCodeTextField,
} from '@vscode/webview-ui-toolkit';
import { hx } from './dom';

let registered = false;

export function registerComponents(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(
    vsCodeBadge(),
    vsCodeButton(),
    vsCodeCheckbox(),
    vsCodeDropdown(),
    vsCodeOption(),
    vsCodeProgressRing(),
    vsCodeRadio(),
    vsCodeRadioGroup(),
    vsCodeTextField(),
  );
}

export interface ButtonOptions {
  appearance?: 'primary' | 'secondary';
  title?: string;
  disabled?: boolean;
}

export function button(label: string, onClick: () => void, opts: ButtonOptions = {}): HTMLElement {
  const el = hx('vscode-button', {
    text: label,
    title: opts.title,
    attrs: { appearance: opts.appearance ?? 'secondary', disabled: opts.disabled },
  });
  el.addEventListener('click', () => {
    if (!el.hasAttribute('disabled')) onClick();
  });
  return el;
}

export function setDisabled(el: HTMLElement, disabled: boolean): void {
  el.toggleAttribute('disabled', disabled);
}

export interface SelectOption {
  value: string;
  label: string;
}

export interface Select {
  element: HTMLElement;
  value: string;
  setOptions(options: SelectOption[], selected: string): void;
  onChange(fn: (value: string) => void): void;
}

export function select(ariaLabel: string): Select {
  const el = hx('vscode-dropdown', { attrs: { 'aria-label': ariaLabel } }) as HTMLElement & { value: string };
  return {
    element: el,
    get value() {
      return el.value;
    },
    set value(v: string) {
      el.value = v;
    },
    setOptions(options, selected) {
      el.replaceChildren(
        ...options.map((o) => hx('vscode-option', { text: o.label, attrs: { value: o.value, selected: o.value === selected } })),
      );
      // The component picks up new options asynchronously.
      queueMicrotask(() => (el.value = selected));
    },
    onChange(fn) {
      el.addEventListener('change', () => fn(el.value));
    },
  };
}

export interface TextInput {
  element: HTMLElement;
  value: string;
  onInput(fn: (value: string) => void): void;
}

export function textInput(placeholder: string, ariaLabel: string): TextInput {
  const el = hx('vscode-text-field', { attrs: { placeholder, 'aria-label': ariaLabel } }) as HTMLElement & { value: string };
  return {
    element: el,
    get value() {
      return el.value ?? '';
    },
    set value(v: string) {
      el.value = v;
    },
    onInput(fn) {
      el.addEventListener('input', () => fn(el.value ?? ''));
    },
  };
}

export interface Choice<T extends string> {
  element: HTMLElement;
  value: T;
  onChange(fn: (value: T) => void): void;
}

/** A set of mutually exclusive options (radio group). */
export function choice<T extends string>(label: string, options: { value: T; label: string }[], selected: T): Choice<T> {
  const el = hx('vscode-radio-group', { attrs: { orientation: 'horizontal' } }, [
    hx('label', { text: label, attrs: { slot: 'label' } }),
    ...options.map((o) => hx('vscode-radio', { text: o.label, attrs: { value: o.value, checked: o.value === selected } })),
  ]) as HTMLElement & { value: string };
  let current = selected;
  return {
    element: el,
    get value() {
      return current;
    },
    set value(v: T) {
      current = v;
      el.value = v;
    },
    onChange(fn) {
      el.addEventListener('change', () => {
        const v = options.find((o) => o.value === el.value)?.value;
        if (v !== undefined && v !== current) {
          current = v;
          fn(v);
        }
      });
    },
  };
}

export interface Checkbox {
  element: HTMLElement;
  checked: boolean;
  onChange(fn: (checked: boolean) => void): void;
}

// (duplicates: the shape of select() above: each toolkit wrapper exposes its element's own
// property, value or checked, with its own type.)
export function checkbox(label: string, checked = false): Checkbox {
  const el = hx('vscode-checkbox', { text: label, attrs: { checked } }) as HTMLElement & { checked: boolean };
  return {
    element: el,
    get checked() {
      return el.checked;
    },
    set checked(v: boolean) {
      el.checked = v;
    },
    onChange(fn) {
      el.addEventListener('change', () => fn(el.checked));
    },
  };
}

export function spinner(label: string): HTMLElement {
  return hx('vscode-progress-ring', { attrs: { 'aria-label': label } });
}

