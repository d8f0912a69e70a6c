import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from '../platform/logger.js';
import { callbackAgent, isPrivateCallbackError, PrivateCallbackError, refusedCallback, type PrivateCallbacks } from './callback-agent.js';
import type { GatewayClient } from './gateway-client.js';
import { exportJobToV5 } from './mapping/export-job-v5.js';
import { eventNameFor, ingestionRejectionToTmf } from './mapping/hub.js';
import { productUsageToV5 } from './mapping/product-usage-v5.js';
import { usageToV4 } from './mapping/usage-v4.js';
import { CompleteHubDeliveryDocument, FailHubDeliveryDocument, LeaseHubDeliveriesDocument, type LeaseHubDeliveriesMutation } from './operations/generated.js';
import { v5Base } from './routes/product-usage-v5.js';
import { v4Base } from './routes/usage-v4.js';
import type { Counter, Histogram } from 'prom-client';
import { secondsSince, type Metrics } from '../platform/metrics.js';

type Delivery = LeaseHubDeliveriesMutation['leaseHubDeliveries'][number];

/** Deliveries the worker leases per round. */
export const leaseBatch = 50;

export interface HubDeliveryOptions {
  gateway: GatewayClient;
  publicUrl: string;
  secret: string;
  /** The worker's own credential for the lease, complete and fail operations (a `hub:deliver` service token). */
  token: () => Promise<string>;
  /** HUB_PRIVATE_CALLBACKS: whether callbacks may reach loopback, private and link-local addresses. */
  privateCallbacks: PrivateCallbacks;
  logger: Logger;
  /** How long a callback may take to answer. */
  timeoutMs?: number;
  /** Longest wait between looks for due deliveries while there are none (it starts at 100 ms and doubles). */
  idleMs?: number;
  /** Counts each attempt by outcome and times the callbacks (docs/observability.md). */
  metrics?: Metrics;
}

/** The signature a receiver recomputes: HMAC-SHA256 of "<timestamp>.<body>" with the shared key. */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Delivers the events owed to hubs. It leases due deliveries through the graph (first in line per
 * hub and usage, so each usage's events arrive in order), posts each as a TMF event envelope in its
 * hub's API version, signed, and reports success or failure back; the graph keeps the outbox, the
 * retry schedule and the suspension count, so a restarted or second worker carries on where this
 * one stopped. At least once: a callback may see an event again after a crash mid-delivery.
 */
export class HubDeliveryWorker {
  private readonly worker = randomUUID();
  private running: Promise<void> | undefined;
  private stopping = false;
  private readonly agent;
  /** Deliveries on their way, by id: at most one per hub (the graph leases one per hub at a time). */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Wakes the loop early: a delivery finished (its hub may have more) or the worker stops. */
  private wake: () => void = () => {};

  constructor(private readonly options: HubDeliveryOptions) {
    this.agent = callbackAgent(options.privateCallbacks);
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.running;
    await Promise.all(this.inFlight.values());
    await this.agent.close();
  }

  /**
   * Each round leases what is due (one delivery per hub) and sets each delivery off on its own; it
   * does not wait for them. A hub whose receiver is slow or never answers (until the per-delivery
   * timeout) holds only its own next delivery back: the loop leases again for the other hubs as soon
   * as any delivery finishes, or after a short idle wait.
   */
  private async loop(): Promise<void> {
    const { gateway, logger } = this.options;
    let idle = 100;
    while (!this.stopping) {
      const woken = new Promise<void>((resolve) => (this.wake = resolve));
      const room = leaseBatch - this.inFlight.size;
      let leased: Delivery[] = [];
      if (room > 0) {
        try {
          leased = (await gateway.run(LeaseHubDeliveriesDocument, { worker: this.worker, limit: room, leaseSeconds: 30 }, await this.bearer()))
            .leaseHubDeliveries;
        } catch (error) {
          logger.warn('webhook delivery round failed; retrying', error);
        }
      }
      for (const delivery of leased) this.track(delivery);
      // Idle: look again soon after activity, then less often (at most once per idleMs).
      idle = leased.length || this.inFlight.size ? 100 : Math.min(idle * 2, this.options.idleMs ?? 1_000);
      if (this.stopping) break;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([woken, new Promise<void>((resolve) => (timer = setTimeout(resolve, idle)))]);
      clearTimeout(timer);
    }
  }

  private track(delivery: Delivery): void {
    const done = this.deliver(delivery)
      .catch((error: unknown) => this.options.logger.warn('webhook delivery could not be reported; its lease runs out and it is retried', error))
      .finally(() => {
        this.inFlight.delete(delivery.id);
        this.wake();
      });
    this.inFlight.set(delivery.id, done);
  }

  private async bearer(): Promise<string> {
    return `Bearer ${await this.options.token()}`;
  }

  private envelope(delivery: Delivery): string {
    const { publicUrl } = this.options;
    const { productUsage: usage, exportJob: job, ingestionRejection: rejection } = delivery;
    const version = delivery.hub.apiVersion;
    const event = job
      ? { exportJob: exportJobToV5(job, `${publicUrl}${v5Base}/exportJob/${job.id}`) }
      : rejection
        ? { usageIngestRejection: ingestionRejectionToTmf(rejection, publicUrl) }
        : version === 'v5'
          ? { productUsage: productUsageToV5(usage!, `${publicUrl}${v5Base}/productUsage/${usage!.id}`) }
          : { usage: usageToV4(usage!, `${publicUrl}${v4Base}/usage/${usage!.id}`, (id) => `${publicUrl}${v4Base}/usageSpecification/${id}`) };
    return JSON.stringify({ eventId: delivery.eventId, eventTime: delivery.eventTime, eventType: eventNameFor(version, delivery.eventType), event });
  }

  private attempts?: { outcome: Counter<'outcome'>; duration: Histogram<'outcome'> };

  private async deliver(delivery: Delivery): Promise<void> {
    const start = performance.now();
    const body = this.envelope(delivery);
    const timestamp = String(Math.floor(Date.now() / 1000));
    let failure: string | undefined;
    try {
      if (refusedCallback(delivery.hub.callback, this.options.privateCallbacks)) throw new PrivateCallbackError(delivery.hub.callback);
      const response = await fetch(delivery.hub.callback, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-usage-graph-delivery': delivery.id,
          'x-usage-graph-timestamp': timestamp,
          'x-usage-graph-signature': signature(this.options.secret, timestamp, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
        // @ts-expect-error undici's dispatcher option is not in the DOM fetch types.
        dispatcher: this.agent,
      });
      await response.body?.cancel();
      if (!response.ok) failure = `The callback answered HTTP ${response.status}.`;
    } catch (error) {
      failure = isPrivateCallbackError(error)
        ? 'The callback resolves to a loopback, private or link-local address, which this deployment refuses.'
        : `The callback could not be reached (${error instanceof Error ? error.name : 'error'}).`;
    }
    const { gateway, metrics } = this.options;
    if (metrics) {
      this.attempts ??= {
        outcome: metrics.counter(
          'usage_graph_webhook_deliveries_total',
          'Webhook delivery attempts, by outcome (delivered, refused by the receiver, unreachable).',
          ['outcome'],
        ),
        duration: metrics.histogram('usage_graph_webhook_delivery_duration_seconds', 'How long callbacks took to answer, by outcome.', ['outcome']),
      };
      const outcome = !failure ? 'delivered' : failure.startsWith('The callback answered') ? 'refused' : 'unreachable';
      this.attempts.outcome.inc({ outcome });
      this.attempts.duration.observe({ outcome }, secondsSince(start));
    }
    if (failure) await gateway.run(FailHubDeliveryDocument, { id: delivery.id, worker: this.worker, error: failure }, await this.bearer());
    else await gateway.run(CompleteHubDeliveryDocument, { id: delivery.id, worker: this.worker }, await this.bearer());
  }
}
