/** Where the end-to-end tests write their artefacts (all under the gitignored test-results/). */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESULTS_DIR = join(REPO_ROOT, 'test-results');
export const SCREENSHOT_DIR = join(RESULTS_DIR, 'screenshots');
export const LOG_DIR = join(RESULTS_DIR, 'e2e-logs');
