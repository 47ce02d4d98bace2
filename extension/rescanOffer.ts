/**
 * When an edit of the scanned training file offers a re-scan (the notification "X changed since the
 * last scan ... Re-scan"), without `vscode` (unit-tested; decorations.ts shows the notification):
 *
 * - A label change made by the product itself (LabelFixer: Quick Fix, sidebar, panel, review flow)
 *   offers nothing: the changed row leaves the lists at once and Re-score After Fixes ranks again
 *   (the fix's status bar message says so). Before, the first fix raised the notification and it
 *   stayed beside the fresh re-score's status, since an extension cannot close a notification.
 *   An undo or redo (decorations.ts passes them as the product's: undoing a fix is part of fixing)
 *   offers nothing either.
 * - Any other edit offers it once per shown results; new results (a scan or a re-score of the file's
 *   current content) let the next edit offer again.
 * - An offer's Re-scan scans only while the results it was made for are still the shown ones: once a
 *   scan or re-score has delivered newer results, the old notification's button does not scan again.
 */
export class RescanOffer<R extends object> {
  private shown?: R;
  private offered = false;

  /** The results now shown (undefined: none); new results let the next edit offer again. */
  resultsShown(results: R | undefined): void {
    if (results === this.shown) return;
    this.shown = results;
    this.offered = false;
  }

  /**
   * An edit of the shown results' file. `byProduct`: the product's own label change. Returns the
   * results the offer is made for when the notification should be shown now, else undefined.
   */
  edit(byProduct: boolean): R | undefined {
    if (byProduct || this.offered || !this.shown) return undefined;
    this.offered = true;
    return this.shown;
  }

  /** Whether the Re-scan of an offer made for `offeredFor` should still scan (no newer results since). */
  current(offeredFor: R): boolean {
    return offeredFor === this.shown;
  }
}
