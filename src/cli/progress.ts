/** The CLI's progress lines on stderr (scan, explain, trust and fix --suggested). */
import { Checkpoint } from '../util/cancel';

/** Prints progress on stderr once a run has taken more than a second. */
export function progressReporter(): { checkpoint: Checkpoint; done(): void } {
  const started = Date.now();
  let last = '';
  let shown = '';
  const show = () => {
    if (last && last !== shown) {
      process.stderr.write(`${last}\n`);
      shown = last;
    }
  };
  const timer = setInterval(() => Date.now() - started > 1000 && show(), 250);
  const checkpoint = new Checkpoint(undefined, (stage, _f, message) => {
    if (message) last = `[${((Date.now() - started) / 1000).toFixed(1)}s] ${stage}: ${message}`;
    if (Date.now() - started > 1000) show();
  });
  return { checkpoint, done: () => clearInterval(timer) };
}
