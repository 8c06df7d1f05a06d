// Everything the suite starts or makes is registered here the moment it exists (an agent, a
// dev server, a temp dir, a tmpfs mount), so that a failed trial, an exception or Ctrl-C still
// ends it: run.mjs calls cleanUpEverything() in its finally and from its signal handlers.
// Undo steps run newest first (an agent is stopped before its home is removed).
import { cleanupAll } from '../test/support/cli.mjs';

const pending = new Map();
let counter = 0;

/**
 * Registers `undo` (async) under a description; returns { now(), forget() }: now() runs it at
 * once (once only) and unregisters it, forget() unregisters it without running it.
 */
export function onCleanup(what, undo) {
  const id = ++counter;
  pending.set(id, { what, undo });
  return {
    now: async () => {
      if (!pending.delete(id)) return;
      await undo();
    },
    forget: () => pending.delete(id),
  };
}

let running;
/** Runs every registered undo step, newest first; errors are printed, never thrown. */
export function cleanUpEverything() {
  running ??= (async () => {
    for (const id of [...pending.keys()].sort((a, b) => b - a)) {
      const entry = pending.get(id);
      pending.delete(id);
      try {
        await entry.undo();
      } catch (err) {
        console.error(`chaos: clean-up of ${entry.what} failed: ${err?.message ?? err}`);
      }
    }
    // Homes made through test/support/cli.mjs that are somehow still there.
    await cleanupAll();
  })();
  return running;
}
