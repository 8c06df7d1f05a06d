// A mistake in the command line: one line on stderr (main.ts), then the usage it calls for.

/**
 * Which usage follows the message: 'general' (the commands), `{ of: NAME }` (that command's
 * usage line), or false (the message says all there is).
 */
export type UsageShown = 'general' | { of: string } | false;

export class UsageError extends Error {
  constructor(message: string, readonly usage: UsageShown = 'general') {
    super(message);
  }
}
