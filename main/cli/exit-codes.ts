/** `lifeline` exit codes: scripts in repair shops branch on these. */
export const EXIT = Object.freeze({
  ok: 0,
  failed: 1,
  usage: 2,
  /** No phone (or not the one asked for) is connected. */
  noDevice: 3,
  /** Ctrl+C or a cancelled job: not a failure. */
  cancelled: 130,
});
