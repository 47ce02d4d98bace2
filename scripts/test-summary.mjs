// Adds up the TAP summaries of the test runs into one closing line: "all: N passed, N failed, N skipped".
import { readFileSync } from 'node:fs';

let pass = 0;
let fail = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8');
  const num = (key) => Number(text.match(new RegExp(`^# ${key} (\\d+)$`, 'm'))?.[1] ?? 0);
  pass += num('pass');
  fail += num('fail') + num('cancelled');
  skipped += num('skipped') + num('todo');
}
console.log(`all: ${pass} passed, ${fail} failed, ${skipped} skipped`);
