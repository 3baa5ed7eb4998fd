// The V8 flags the local runner (`manifest-assembler start`) runs with. They have to be on node's
// command line (V8 sizes its heap once, at start), so they are written out in three places that must
// agree, which test/local/runner-node-flags.test.ts checks: the bin's shebang, package.json's `start`
// script, and here (for what starts a node process of the runner's: dynalite's child process, and the
// tests and the bench that start the runner as `node … bin/… start`).
//
// --max-semi-space-size=1: the young generation, which V8 otherwise grows to 2 × 16 MiB under a burst
// of pushes, stays at 2 × 1 MiB. That is most of the difference between the runner's peak RSS through
// a 50-version burst with and without it (see docs/performance.md#memory), for a few per cent more
// CPU in scavenges. Short CLI commands share the shebang and barely notice.

/** The node flags of the local runner's processes (see the comment above for the places that repeat them). */
export const RUNNER_NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=1']);
