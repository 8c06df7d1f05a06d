// The agent log's formats, apart from the logger: the CLI checks --log-format without loading pino.
export const LOG_FORMATS = ['ambari', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export const isLogFormat = (text: string): text is LogFormat => (LOG_FORMATS as readonly string[]).includes(text);
