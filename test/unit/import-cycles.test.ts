import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';

test('no import cycles between files or folders of src/, extension/ and webview/ (scripts/check-cycles.mjs)', async () => {
  const { findCycles } = await import(path.resolve(__dirname, '../../scripts/check-cycles.mjs'));
  const { files, folders, fileCount } = findCycles();
  assert.ok(fileCount > 50, `only ${fileCount} files scanned`);
  assert.deepEqual(files, [], 'file cycles');
  assert.deepEqual(folders, [], 'folder cycles');
});
