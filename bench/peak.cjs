// Preloaded by bench/scale.ts into the measured CLI process (node -r): prints the process's own
// peak resident memory and CPU seconds on stderr when it exits.
process.on('exit', () => {
  const u = process.resourceUsage();
  require('node:fs').writeSync(2, `\nDD_BENCH peakRssKB=${u.maxRSS} cpuSeconds=${((u.userCPUTime + u.systemCPUTime) / 1e6).toFixed(2)}\n`);
});
