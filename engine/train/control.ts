/** The word a training worker shares with its caller (run-client.ts, run-worker.ts): running, pause requested, stop requested. */
export const CONTROL = { run: 0, pause: 1, stop: 2 } as const;
