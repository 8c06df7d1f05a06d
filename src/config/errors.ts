/** A mistake in the operator's configuration: printed as one line, never as a stack trace. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
