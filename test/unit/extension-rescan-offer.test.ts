/** When an edit of the scanned file offers a re-scan (extension/rescanOffer.ts; decorations.ts shows it). */
import assert from 'node:assert/strict';
import test from 'node:test';
import { RescanOffer } from '../../extension/rescanOffer';

const scan = (n: number) => ({ scan: n });

test("the product's own label fixes never offer a re-scan; the first other edit does, once per shown results", () => {
  const offer = new RescanOffer<{ scan: number }>();
  assert.equal(offer.edit(false), undefined, 'no results shown: nothing to re-scan');
  const first = scan(1);
  offer.resultsShown(first);
  // Five Quick Fixes: no notification (the fixed rows leave the lists; Re-score After Fixes ranks again).
  for (let i = 0; i < 5; i++) assert.equal(offer.edit(true), undefined);
  // A typed edit offers it, once.
  assert.equal(offer.edit(false), first);
  assert.equal(offer.edit(false), undefined);
  // The same results shown again (e.g. a settings change rebuilt the marks): still offered once.
  offer.resultsShown(first);
  assert.equal(offer.edit(false), undefined);
});

test("a re-score's results make an earlier offer's Re-scan a no-op and let the next edit offer again", () => {
  const offer = new RescanOffer<{ scan: number }>();
  const before = scan(1);
  offer.resultsShown(before);
  const offeredFor = offer.edit(false)!;
  assert.equal(offeredFor, before);
  assert.equal(offer.current(offeredFor), true, 'before any new scan the button re-scans');
  // Re-score After Fixes delivers results for the saved content.
  const after = scan(2);
  offer.resultsShown(after);
  assert.equal(offer.current(offeredFor), false, 'the notification raised before the re-score no longer scans');
  assert.equal(offer.edit(true), undefined);
  assert.equal(offer.edit(false), after, 'an edit after the re-score offers again, for the new results');
  offer.resultsShown(undefined);
  assert.equal(offer.current(offeredFor), false);
  assert.equal(offer.edit(false), undefined);
});
