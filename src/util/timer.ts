/**
 * Stage timings: lap(stage) records the seconds since the previous lap (or since the timer was made)
 * under `stage` in `timings` (ScanSummary.timings, IterativeInfluence.timings).
 */
export function stageTimer(): { timings: Record<string, number>; lap(stage: string): void } {
  const timings: Record<string, number> = {};
  let t = performance.now();
  return {
    timings,
    lap(stage: string): void {
      const now = performance.now();
      timings[stage] = (now - t) / 1000;
      t = now;
    },
  };
}
