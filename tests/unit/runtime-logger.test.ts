import { describe, expect, it } from 'vitest';
import { runtimeLogger } from '../../gateway/runtime-logger.js';
import type { Logger } from '../../platform/logger.js';

// The runtime logs upstream errors with the subgraph request attached, the client's operation and
// variables included: user data that must not reach the operator's log.
function capture(): { log: Logger; lines: { level: string; message: string; detail: unknown }[] } {
  const lines: { level: string; message: string; detail: unknown }[] = [];
  const log: Logger = {
    level: 'debug',
    requests: true,
    debug: (message, detail) => lines.push({ level: 'debug', message, detail }),
    info: (message, detail) => lines.push({ level: 'info', message, detail }),
    warn: (message, detail) => lines.push({ level: 'warn', message, detail }),
    error: (message, detail) => lines.push({ level: 'error', message, detail }),
    child: () => log,
  };
  return { log, lines };
}

describe('the runtime logger', () => {
  it('drops the subgraph request body and variables from an upstream error, and keeps what an operator needs', () => {
    const { log, lines } = capture();
    const secret = 'customer-secret-4711';
    runtimeLogger(log).error(
      {
        extensions: {
          code: 'SUBREQUEST_HTTP_ERROR',
          serviceName: 'usage',
          request: { url: 'http://127.0.0.1:4001/graphql', method: 'POST', body: JSON.stringify({ query: '{ x }', variables: { name: secret } }) },
        },
        variables: { name: secret },
      },
      'connect ECONNREFUSED',
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('error');
    expect(JSON.stringify(lines[0])).not.toContain(secret);
    expect(lines[0]!.detail).toMatchObject({
      extensions: { code: 'SUBREQUEST_HTTP_ERROR', serviceName: 'usage', request: { url: 'http://127.0.0.1:4001/graphql', method: 'POST' } },
    });
  });

  it('logs a client\u2019s bad variable at debug, not as an incident', () => {
    const { log, lines } = capture();
    runtimeLogger(log).error({ message: 'Variable "$patch" got invalid value { secret: 1 }' }, 'Variable "$patch" got invalid value { secret: 1 }');
    expect(lines.map((line) => line.level)).toEqual(['debug']);
  });
});
