import { Logger as HiveLogger, type LogLevel as HiveLogLevel } from '@graphql-hive/logger';
import type { Logger } from '../platform/logger.js';
import { clientFacing } from './plugins/mask-errors.js';

/**
 * `attrs` without the subgraph request the runtime attaches to an upstream error
 * (`extensions.request.body`: the operation with the client's variables, user data), keeping what
 * an operator needs: the subgraph, the URL, the method and the error's code.
 */
export function withoutUserData(attrs: unknown, depth = 0): unknown {
  if (typeof attrs !== 'object' || attrs === null || depth > 8) return attrs;
  if (Array.isArray(attrs)) return attrs.map((item) => withoutUserData(item, depth + 1));
  if (attrs instanceof Error) return attrs;
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'variables' || key === 'variableValues') continue;
    if (key === 'request' && typeof value === 'object' && value !== null) {
      const { url, method } = value as { url?: unknown; method?: unknown };
      kept.request = { url, method };
      continue;
    }
    kept[key] = withoutUserData(value, depth + 1);
  }
  return kept;
}

/**
 * The runtime's logs, written through the project's logger. The runtime logs every GraphQL error
 * at error level, the client's mistakes included; those were answered with their code and are no
 * one's incident, so they go to debug. Everything else keeps its level, and no line carries the
 * client's operation or variables (withoutUserData).
 */
export function runtimeLogger(log: Logger): HiveLogger {
  return new HiveLogger({
    level: log.level,
    writers: [
      {
        write(level: HiveLogLevel, attrs, message) {
          const extensions = (attrs as { extensions?: { code?: unknown; http?: { status?: unknown } } } | null | undefined)?.extensions;
          const status = Number(extensions?.http?.status);
          // Variable coercion errors (a client's bad variable) reach the log without a code, and
          // their message quotes the value: the client's mistake, and its data.
          const text = message ?? (attrs as { message?: unknown } | null)?.message;
          const coercion = typeof text === 'string' && text.startsWith('Variable "$');
          const clientError =
            level === 'error' && (coercion || (typeof extensions?.code === 'string' && clientFacing.has(extensions.code)) || (status >= 400 && status < 500));
          const at = clientError || level === 'trace' ? 'debug' : level;
          log[at](message ?? (attrs as { message?: string } | null)?.message ?? 'runtime', withoutUserData(attrs ?? undefined));
        },
      },
    ],
  });
}
