/**
 * What a push needs only when it has something to publish or announce, or on its rare paths (a
 * refused image, a contested platform, a push under another version's target tag), gathered in one
 * module that src/core/publish-gate.ts imports on first use (as src/core/reconcile-repairs.ts does
 * for the reconciler).
 */
export { announceOutcome } from './announce-outcome.ts';
export { publishVersionRecorded } from './publish-version.ts';
export { recordRefusal, settleContest, versionTagReason } from './record-push-rare.ts';
