/** The CLI's argument parsing: unknown flags and missing values are usage errors (exit 2). */
import { parseArgs as nodeParseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  /** Takes a value (`--l2 0.01`) or is a switch (`--json`). */
  value: boolean;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
}

/**
 * Parses with node:util's parseArgs (its tokens), then applies this CLI's rules with its own messages:
 * every flag is long (`--name value` or `--name=value`), known, given once; a value flag has a value
 * that is not another flag; a switch has none. Arguments after `--`, and single-dash words, are positionals.
 */
export function parseArgs(argv: string[], spec: Record<string, FlagSpec>): ParsedArgs {
  const options = Object.fromEntries(Object.entries(spec).map(([name, s]) => [name, { type: s.value ? ('string' as const) : ('boolean' as const) }]));
  const { tokens } = nodeParseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  let lastIndex = -1;
  for (const t of tokens) {
    if (t.kind === 'option-terminator') continue;
    if (t.kind === 'positional' || !t.rawName.startsWith('--')) {
      // A single-dash word (`-x`, a group `-xy` gives a token per letter) stays one positional.
      if (t.index !== lastIndex) positionals.push(argv[t.index]);
      lastIndex = t.index;
      continue;
    }
    lastIndex = t.index;
    const { name } = t;
    const s = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (!s) throw new UsageError(`unknown option --${name}`);
    if (flags.has(name)) throw new UsageError(`--${name} given twice`);
    if (!s.value) {
      if (t.inlineValue) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
      continue;
    }
    const v = t.value;
    if (v === undefined || (!t.inlineValue && v.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    flags.set(name, v);
  }
  return { positionals, flags };
}

export function numberFlag(args: ParsedArgs, name: string): number | undefined {
  const v = args.flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number (got '${v}')`);
  return n;
}

/** A number flag that must satisfy `ok` (a usage error naming `what` otherwise). */
export function checkedNumberFlag(args: ParsedArgs, name: string, what: string, ok: (n: number) => boolean): number | undefined {
  const n = numberFlag(args, name);
  if (n !== undefined && !ok(n)) throw new UsageError(`--${name} must be ${what} (got '${args.flags.get(name)}')`);
  return n;
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}
