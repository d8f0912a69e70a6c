/**
 * A small levelled logger on stderr; one line per event, so process supervisors can collect it:
 * JSON (`LOG_FORMAT=json`, the default in production: `{"time","level","logger","msg",...fields}`)
 * for a log pipeline, or a readable line for a terminal (`pretty`, the default otherwise).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'pretty';
const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  readonly level: LogLevel;
  /** Whether request lines are written (LOG_REQUESTS; platform/request-log.ts). */
  readonly requests: boolean;
  debug(message: string, detail?: unknown): void;
  info(message: string, detail?: unknown): void;
  warn(message: string, detail?: unknown): void;
  error(message: string, detail?: unknown): void;
  child(name: string): Logger;
}

function describe(detail: unknown): string {
  if (detail === undefined) return '';
  if (detail instanceof Error) return ` ${detail.name}: ${detail.message}${detail.stack ? `\n${detail.stack}` : ''}`;
  try {
    return ` ${JSON.stringify(detail)}`;
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the last resort for what JSON cannot encode (a cycle, a BigInt): whatever String makes of it, "[object Object]" included, is what gets logged
    return ` ${String(detail)}`;
  }
}

/** A JSON line: a plain object detail's fields beside the message, an error as its name, message and stack. */
function jsonLine(at: LogLevel, name: string, message: string, detail: unknown): string {
  const fields =
    detail === undefined
      ? {}
      : detail instanceof Error
        ? { error: { name: detail.name, message: detail.message, stack: detail.stack } }
        : typeof detail === 'object' && detail !== null && !Array.isArray(detail)
          ? detail
          : { detail };
  try {
    return JSON.stringify({ time: new Date().toISOString(), level: at, logger: name, msg: message, ...fields });
  } catch {
    return JSON.stringify({ time: new Date().toISOString(), level: at, logger: name, msg: message, detail: describe(detail).trim() });
  }
}

export function createLogger(level: LogLevel, name = 'usage-graph', format: LogFormat = 'pretty', requests = true): Logger {
  const emit = (at: LogLevel, message: string, detail?: unknown) => {
    if (rank[at] < rank[level]) return;
    process.stderr.write(
      format === 'json'
        ? `${jsonLine(at, name, message, detail)}\n`
        : `${new Date().toISOString()} ${at.toUpperCase()} [${name}] ${message}${describe(detail)}\n`,
    );
  };
  return {
    level,
    requests,
    debug: (m, d) => emit('debug', m, d),
    info: (m, d) => emit('info', m, d),
    warn: (m, d) => emit('warn', m, d),
    error: (m, d) => emit('error', m, d),
    child: (child) => createLogger(level, `${name}:${child}`, format, requests),
  };
}
