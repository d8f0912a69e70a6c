import { Logger as HiveLogger, type LogLevel as HiveLogLevel } from '@graphql-hive/logger';
import type { Logger } from '../subgraphs/shared/logger.js';
import { clientFacing } from './plugins/mask-errors.js';

/**
 * The runtime's logs, written through the project's logger. The runtime logs every GraphQL error
 * at error level, the client's mistakes included; those were answered with their code and are no
 * one's incident, so they go to debug. Everything else keeps its level.
 */
export function runtimeLogger(log: Logger): HiveLogger {
  return new HiveLogger({
    level: log.level,
    writers: [
      {
        write(level: HiveLogLevel, attrs, message) {
          const extensions = (attrs as { extensions?: { code?: unknown; http?: { status?: unknown } } } | null | undefined)?.extensions;
          const status = Number(extensions?.http?.status);
          const clientError =
            level === 'error' && ((typeof extensions?.code === 'string' && clientFacing.has(extensions.code)) || (status >= 400 && status < 500));
          const at = clientError || level === 'trace' ? 'debug' : level;
          log[at](message ?? (attrs as { message?: string } | null)?.message ?? 'runtime', attrs ?? undefined);
        },
      },
    ],
  });
}
