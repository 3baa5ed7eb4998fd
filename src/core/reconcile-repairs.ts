/**
 * What the reconciler needs only when a pass finds something to repair, gathered in one module so
 * that src/core/reconcile.ts can load it on first use as a single chunk.
 */
export { publishVersion } from './publish-version.ts';
export { recordPush } from './record-push.ts';
export { classifyTagHolder } from './tag-holder.ts';
