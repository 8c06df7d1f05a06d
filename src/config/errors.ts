/** A mistake in the operator's configuration: printed as one line, never as a stack trace. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

interface SystemError extends Error {
  code: string;
  syscall: string;
  path: string;
}

const SYSTEM_HINTS: Record<string, string> = {
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'it exists and is not a directory',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
};

/**
 * One line for a failed system call on a path (a file where a dir is expected, no permission,
 * /proc): the operator's to fix, so no stack trace. Undefined for any other error.
 */
export function systemErrorLine(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const { code, syscall, path } = err as Partial<SystemError>;
  if (typeof code !== 'string' || typeof syscall !== 'string' || typeof path !== 'string') return undefined;
  return `cannot ${syscall} ${path}: ${code}${SYSTEM_HINTS[code] ? ` (${SYSTEM_HINTS[code]})` : ''}; check the paths in the ini`;
}
