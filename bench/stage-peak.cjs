// Preload (node -r) for a scan's memory by stage (Linux): at each stage line on stderr ("[12.3s] name: ..."),
// prints the peak resident memory since the previous stage line (VmHWM of /proc/self/status, in GiB =
// 2^30 bytes: VmHWM is in kB of 1024 bytes) and resets it (writing 5 to /proc/self/clear_refs), so each
// stage's peak is its own; the run's peak is the largest of them. The reset also resets the process's
// maximum resident set that getrusage and /usr/bin/time -v report: measure that in a run without this file. Used for bench/RESULTS.md's scale
// section: node -r ./bench/stage-peak.cjs dist/cli.js scan FILE --label label --json > /dev/null
const fs = require('node:fs');
let stage = 'start';
const hwm = () => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
const report = (next) => {
  fs.writeSync(2, `DD_STAGE_PEAK ${stage} ${(hwm() / 1048576).toFixed(2)} GiB\n`);
  fs.writeFileSync('/proc/self/clear_refs', '5');
  stage = next;
};
const write = process.stderr.write.bind(process.stderr);
process.stderr.write = (chunk, ...rest) => {
  const m = /^\[[\d.]+s\] (\w+(?::\w+)*)/m.exec(String(chunk));
  if (m) report(m[1]);
  return write(chunk, ...rest);
};
process.on('exit', () => report('end'));
