#!/usr/bin/env node
/**
 * The CLI's process: every outcome is exit 0 (done), 1 (an error in the data or the fit, or a bug:
 * one line, no stack trace unless DATASET_DEBUGGER_DEBUG is set) or 2 (usage). A closed stdout
 * (`| head`) ends the process quietly; SIGINT and SIGTERM print one line and exit 130 / 143.
 */
import { main } from './main';

const quit = (code: number) => {
  process.exitCode = code;
  process.exit(code);
};

for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    // The reader went away (EPIPE): nothing more can be shown, so stop quietly.
    quit(err.code === 'EPIPE' ? 0 : 1);
  });
}
process.on('SIGINT', () => {
  process.stderr.write('\ndataset-debugger: interrupted\n');
  quit(130);
});
process.on('SIGTERM', () => {
  process.stderr.write('dataset-debugger: terminated\n');
  quit(143);
});

main(process.argv.slice(2)).then(
  (code) => {
    // After an error nothing may keep the process alive (a stream still reading, a timer).
    if (code !== 0) quit(code);
    else process.exitCode = code;
  },
  (err) => {
    const debug = process.env.DATASET_DEBUGGER_DEBUG;
    const text = err instanceof Error ? (debug ? err.stack : `${err.name}: ${err.message}`) : String(err);
    process.stderr.write(`dataset-debugger: internal error (please report it; DATASET_DEBUGGER_DEBUG=1 shows where): ${text}\n`);
    quit(1);
  },
);
