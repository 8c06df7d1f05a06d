/**
 * What an actor's error event says, as one line. XState types a failed actor's `error` as
 * `unknown` (a promise may reject with anything): an Error or anything with a string
 * `message` gives that message, a string itself, anything else its text form.
 */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') return (error as { message: string }).message;
  return String(error);
}
