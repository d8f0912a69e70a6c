import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../gateway/rate-limiter.js';
import { rateKey, SharedRateLimiter } from '../../gateway/shared-rate-limiter.js';
import { createLogger } from '../../platform/logger.js';
import { startStack, type Stack } from '../support/stack.js';
import { stderrDuring } from '../support/stderr.js';
import { waitFor } from '../support/wait.js';

// The Redis that runs on loopback on every machine here (TEST_REDIS_URL overrides); the test that
// stops Redis runs one of its own, so no other test loses the shared one.
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const rate = 2;
const burst = 10;
const limits = { RATE_LIMIT_PER_SECOND: String(rate), RATE_LIMIT_BURST: String(burst) };
const query = JSON.stringify({ query: '{ __typename }' });

interface Answer {
  status: number;
  retryAfter: string | null;
  body: unknown;
}

async function send(stack: Stack, token: string): Promise<Answer> {
  const response = await fetch(stack.gatewayUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: query,
    // A request that hangs fails here with its own message rather than at the test's timeout.
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() };
}

const refusedBody = (retryAfter: string) => ({
  errors: [{ message: `Rate limit exceeded for this tenant; retry after ${retryAfter} s.`, extensions: { code: 'TOO_MANY_REQUESTS' } }],
});

/** Every answer is a 200 or the 429 contract: never a 5xx, never another body. */
function expectAdmittedOrRefused(answers: Answer[]): void {
  for (const answer of answers) {
    if (answer.status === 200) expect(answer.body).toEqual({ data: { __typename: 'Query' } });
    else expect(answer).toEqual({ status: 429, retryAfter: expect.stringMatching(/^[1-9]\d*$/), body: refusedBody(answer.retryAfter!) });
  }
}

/**
 * Sends one tenant's requests through the gateways in turn, one at a time, for `windowMs`, and
 * counts those admitted. A token bucket admits at most burst + rate × elapsed over the window, and
 * with requests this dense it admits that many, give or take the token being refilled at the end.
 */
async function sendAlternately(stacks: Stack[], token: string, windowMs: number) {
  const answers: Answer[] = [];
  const admittedBy = stacks.map(() => 0);
  const started = Date.now();
  for (let i = 0; Date.now() - started < windowMs; i++) {
    const answer = await send(stacks[i % stacks.length]!, token);
    answers.push(answer);
    if (answer.status === 200) admittedBy[i % stacks.length]! += 1;
  }
  const elapsedSeconds = (Date.now() - started) / 1000;
  return { answers, admittedBy, admitted: answers.filter((a) => a.status === 200).length, budget: burst + rate * elapsedSeconds };
}

/** The gateway's count of refusals (usage_graph_gateway_rate_limited_total). */
async function refusedBy(stack: Stack): Promise<number> {
  const counter = stack.system.gateway.metrics.registry.getSingleMetric('usage_graph_gateway_rate_limited_total');
  return (await counter!.get()).values.reduce((sum, { value }) => sum + value, 0);
}

describe('the shared rate limit with REDIS_URL', () => {
  let a: Stack;
  let b: Stack;
  let redis: Redis;
  const tenant = `rate-shared-${randomUUID()}`;
  beforeAll(async () => {
    a = await startStack('rate_limit_shared', { REDIS_URL: redisUrl, LOG_LEVEL: 'info', ...limits });
    b = await startStack('rate_limit_shared', { REDIS_URL: redisUrl, LOG_LEVEL: 'info', ...limits });
    redis = new Redis(redisUrl);
  });
  afterAll(async () => {
    await redis?.del(rateKey(tenant));
    redis?.disconnect();
    await a?.close();
    await b?.close();
  });

  it('admits about one budget of a tenant across two gateways, not one per gateway, and lets the key expire', async () => {
    const token = await a.mintToken({ tenant });
    const refusedBefore = (await refusedBy(a)) + (await refusedBy(b));
    const { answers, admittedBy, admitted, budget } = await sendAlternately([a, b], token, 3_000);
    expectAdmittedOrRefused(answers);
    // Each refusal is counted by the gateway that answered it.
    expect((await refusedBy(a)) + (await refusedBy(b)) - refusedBefore).toBe(answers.length - admitted);
    // On a busy machine a reply may come after the 50 ms the gateway waits (that request is decided
    // by the gateway alone): a few over, never a second budget.
    expect(admitted).toBeGreaterThanOrEqual(Math.floor(budget) - 2);
    expect(admitted).toBeLessThanOrEqual(Math.ceil(budget) + 3);
    // Both gateways took from the one bucket.
    expect(admittedBy.every((n) => n > 0)).toBe(true);
    // The bucket is one key with a TTL: gone once it would have refilled (burst / rate seconds).
    const ttl = await redis.pttl(rateKey(tenant));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual((burst / rate) * 1000 + 1000);
  });
});

describe('the rate limit without Redis', () => {
  let a: Stack;
  let b: Stack;
  beforeAll(async () => {
    a = await startStack('rate_limit_local', limits);
    b = await startStack('rate_limit_local', limits);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('admits about one budget per gateway: each process has its own bucket', async () => {
    const token = await a.mintToken({ tenant: `rate-local-${randomUUID()}` });
    const { answers, admittedBy, admitted, budget } = await sendAlternately([a, b], token, 3_000);
    expectAdmittedOrRefused(answers);
    expect(admitted).toBeGreaterThanOrEqual(2 * Math.floor(budget) - 4);
    expect(admitted).toBeLessThanOrEqual(2 * Math.ceil(budget) + 2);
    for (const n of admittedBy) expect(n).toBeGreaterThanOrEqual(Math.floor(budget) - 2);
  });
});

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** A Redis of this test's own on `port` (no persistence), answering PING. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()], {
    stdio: 'ignore',
  });
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await waitFor(`redis-server on port ${port}`, () =>
      probe.connect().then(
        () => probe.ping(),
        () => false,
      ),
    );
  } finally {
    probe.disconnect();
  }
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

describe('when Redis stops answering', () => {
  let port: number;
  let server: ChildProcess;
  let stack: Stack;
  let redis: Redis;
  beforeAll(async () => {
    port = await freePort();
    server = await startRedis(port);
    // LOG_LEVEL warn: the test reads the limiter's warning.
    stack = await startStack('rate_limit_fallback', { REDIS_URL: `redis://127.0.0.1:${port}`, LOG_LEVEL: 'warn', ...limits });
    // The test's own client waits for Redis to come back (it asks only while Redis is up).
    redis = new Redis(port, '127.0.0.1');
    redis.on('error', () => undefined);
  });
  afterAll(async () => {
    // Redis back first, so the stack's own Redis clients close cleanly.
    server?.kill('SIGCONT');
    if (server && (server.exitCode !== null || server.signalCode !== null)) server = await startRedis(port);
    redis?.disconnect();
    await stack?.close();
    if (server) await stopRedis(server);
  });

  /** One tenant's requests until the first refusal (bounded): its admitted count and every answer. */
  async function untilRefused(tenant: string) {
    const token = await stack.mintToken({ tenant });
    const answers: Answer[] = [];
    while (answers.length < 4 * burst && !answers.some((a) => a.status === 429)) answers.push(await send(stack, token));
    return { answers, admitted: answers.filter((a) => a.status === 200).length };
  }

  it('limits with the per-process bucket while Redis hangs or is gone, never fails a request, warns once, and shares again when Redis is back', async () => {
    // Every line logged meanwhile: a reply late on a busy machine may warn first, but one warning it is.
    const lines = await stderrDuring(async () => {
      // Redis up: the bucket is in Redis.
      const upTenant = `rate-up-${randomUUID()}`;
      const up = await untilRefused(upTenant);
      expectAdmittedOrRefused(up.answers);
      expect(up.admitted).toBeGreaterThanOrEqual(burst);
      expect(up.admitted).toBeLessThanOrEqual(burst + 2);
      expect(await redis.exists(rateKey(upTenant))).toBe(1);

      // Redis hangs: the connection stays open, nothing answers (the ~50 ms timeout).
      server.kill('SIGSTOP');
      const hanging = await untilRefused(`rate-hang-${randomUUID()}`);
      expectAdmittedOrRefused(hanging.answers);
      expect(hanging.answers.at(-1)!.status).toBe(429);
      expect(hanging.admitted).toBeGreaterThanOrEqual(burst);
      expect(hanging.admitted).toBeLessThanOrEqual(burst + 2);

      // Redis is gone: REDIS_URL points to a closed port.
      server.kill('SIGCONT');
      await stopRedis(server);
      const gone = await untilRefused(`rate-gone-${randomUUID()}`);
      expectAdmittedOrRefused(gone.answers);
      expect(gone.answers.at(-1)!.status).toBe(429);
      expect(gone.admitted).toBeGreaterThanOrEqual(burst);
      expect(gone.admitted).toBeLessThanOrEqual(burst + 2);
    });
    // One warning for the whole outage: at most one a minute.
    expect(lines.filter((line) => line.includes('Redis does not answer the rate limiter'))).toHaveLength(1);

    // Redis back on the same port: the gateway takes from Redis again (the bucket's key appears there).
    server = await startRedis(port);
    await waitFor('the gateway to use Redis again', async () => {
      const tenant = `rate-back-${randomUUID()}`;
      expect((await send(stack, await stack.mintToken({ tenant }))).status).toBe(200);
      return (await redis.exists(rateKey(tenant))) === 1;
    });
  });
});

describe('SharedRateLimiter on its own', () => {
  const logger = createLogger('error');

  it('takes from one bucket in Redis for two limiters (two gateways), with the token bucket semantics', async () => {
    const tenant = `rate-direct-${randomUUID()}`;
    // A rate so low that nothing refills while the test runs: the burst is all there is.
    const one = new SharedRateLimiter({ redisUrl, fallback: new RateLimiter(0.01, 5), logger });
    const two = new SharedRateLimiter({ redisUrl, fallback: new RateLimiter(0.01, 5), logger });
    const redis = new Redis(redisUrl);
    try {
      expect(await Promise.all([one.whenReady(5_000), two.whenReady(5_000)])).toEqual([true, true]);
      const waits: number[] = [];
      for (let i = 0; i < 10; i++) waits.push(await (i % 2 ? two : one).take(tenant));
      // Five tokens in all, then 1 / 0.01 s until the next one; each limiter alone would admit five.
      expect(waits).toEqual([0, 0, 0, 0, 0, 100, 100, 100, 100, 100]);
      expect(await redis.pttl(rateKey(tenant))).toBeGreaterThan((5 / 0.01) * 1000 - 10_000);
      expect(await redis.pttl(rateKey(tenant))).toBeLessThanOrEqual((5 / 0.01) * 1000 + 1000);
    } finally {
      await redis.del(rateKey(tenant));
      redis.disconnect();
      await one.close();
      await two.close();
    }
  });

  it('answers from the per-process bucket when Redis was never there (a closed port)', async () => {
    const fallback = new RateLimiter(0.01, 3);
    const limiter = new SharedRateLimiter({ redisUrl: `redis://127.0.0.1:${await freePort()}`, fallback, logger });
    try {
      const waits: number[] = [];
      for (let i = 0; i < 5; i++) waits.push(await limiter.take('closed'));
      expect(waits).toEqual([0, 0, 0, 100, 100]);
    } finally {
      await limiter.close();
    }
  });
});
