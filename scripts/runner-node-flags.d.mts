/** Types of runner-node-flags.mjs (a plain script, so that the bin and npm start need nothing built). */
export declare const RUNNER_NODE_FLAGS: readonly string[];
