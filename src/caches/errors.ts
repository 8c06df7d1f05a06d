// The error a cache raises for a server message it cannot apply. The cache is left as it was.

export class CacheMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CacheMessageError';
  }
}
