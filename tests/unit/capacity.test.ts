import { describe, expect, it } from 'vitest';
import { assumptions, capacityFor, capacityTable, measured, parseAssumptions, volumes } from '../../scripts/capacity.js';

const tib = 2 ** 40;

describe('the capacity model', () => {
  it('stores ten times as much for ten times the usages', () => {
    const small = capacityFor(1e7);
    const large = capacityFor(1e8);
    expect(large.documents).toBe(10 * small.documents);
    expect(large.storedBytes).toBeCloseTo(10 * small.storedBytes, 0);
    expect(large.indexBytes).toBeCloseTo(10 * small.indexBytes, 0);
    expect(large.bsonBytes).toBeCloseTo(10 * small.bsonBytes, 0);
  });

  it('keeps every usage for the retention and prices it at the measured bytes', () => {
    const row = capacityFor(1e6, measured, { ...assumptions, retentionDays: 396 });
    expect(row.documents).toBe(396e6);
    expect(row.storedBytes).toBe(396e6 * measured.storedBytesPerUsage);
    expect(row.indexBytes).toBe(396e6 * measured.indexBytesPerUsage);
  });

  it('plans the peak as the average times the peak-to-average ratio', () => {
    const row = capacityFor(86_400_000, measured, { ...assumptions, peakToAverage: 4, updatesPerUsage: 0.5 });
    // 1,000 usages a second on average, each patched half a time.
    expect(row.averageWritesPerSecond).toBeCloseTo(1_500, 9);
    expect(row.peakWritesPerSecond).toBeCloseTo(4 * 1_500, 9);
    expect(row.eventsPerSecond).toBeCloseTo(4 * (1_000 * measured.eventsPerCreate + 500 * measured.eventsPerUpdate), 9);
  });

  it('rounds shards up, and takes the larger of storage and writes', () => {
    const perUsage = measured.storedBytesPerUsage + measured.indexBytesPerUsage;
    // Just over one shard's worth of data: two shards, not 1.0001.
    const usagesPerDay = Math.ceil((1.0001 * tib) / perUsage / assumptions.retentionDays);
    const row = capacityFor(usagesPerDay, measured, { ...assumptions, shardTib: 1, hubsPerEvent: 0 });
    expect(row.shardsForStorage).toBe(2);
    expect(row.shardsForWrites).toBe(1);
    expect(row.shards).toBe(2);
    const busy = capacityFor(usagesPerDay, { ...measured, databaseInsertsPerSecondPerNode: 1 }, { ...assumptions, shardTib: 1, hubsPerEvent: 0 });
    expect(busy.shards).toBe(busy.shardsForWrites);
    expect(busy.shardsForWrites).toBe(Math.ceil(busy.databaseWritesPerSecond / assumptions.utilisation));
    expect(busy.databaseNodes).toBe(busy.shards * assumptions.replicas + 3);
  });

  it('counts the outbox writes and the delivery writes only when hubs listen', () => {
    const quiet = capacityFor(1e8, measured, { ...assumptions, hubsPerEvent: 0 });
    const heard = capacityFor(1e8, measured, { ...assumptions, hubsPerEvent: 2 });
    expect(quiet.databaseWritesPerSecond).toBeCloseTo(quiet.peakWritesPerSecond, 9);
    expect(quiet.deliveriesPerSecond).toBe(0);
    expect(heard.deliveriesPerSecond).toBeCloseTo(2 * heard.eventsPerSecond, 9);
    expect(heard.databaseWritesPerSecond).toBeCloseTo(
      heard.peakWritesPerSecond * (1 + measured.outboxWritesPerUsageWrite) + heard.deliveriesPerSecond * measured.databaseWritesPerDelivery,
      6,
    );
  });

  it('runs at least the minimum of each service, and sizes them at the planned utilisation', () => {
    const tiny = capacityFor(1e6);
    expect([tiny.usageInstances, tiny.gatewayInstances, tiny.facadeInstances]).toEqual([2, 2, 2]);
    const row = capacityFor(1e9, measured, { ...assumptions, hubsPerEvent: 0, readsPerThousandWrites: 0, minInstances: 1 });
    const creates = (1e9 / 86_400) * assumptions.peakToAverage;
    expect(row.usageInstances).toBe(Math.ceil(creates / measured.ingestUsagesPerSecondPerInstance / assumptions.utilisation));
  });

  it('sends every event to Redis once and out to every usage instance', () => {
    const row = capacityFor(1e8);
    expect(row.redisMessagesOutPerSecond).toBeCloseTo(row.eventsPerSecond * row.usageInstances, 9);
    expect(row.redisBytesOutPerSecond).toBeCloseTo(row.redisMessagesOutPerSecond * measured.eventBytes, 3);
    // Every gateway request asks the shared rate limit once: reads, ingestion requests, and the worker's lease and completion per delivery.
    const creates = (1e8 / 86_400) * assumptions.peakToAverage;
    expect(row.gatewayRequestsPerSecond).toBeCloseTo(row.peakReadsPerSecond + creates / assumptions.usagesPerIngestRequest + 2 * row.deliveriesPerSecond, 9);
  });

  it('lets one hub take one delivery per callback and two graph round trips', () => {
    const row = capacityFor(1e7, measured, { ...assumptions, callbackMs: 88 });
    expect(row.deliveriesPerHubCeiling).toBeCloseTo(1_000 / (88 + 2 * measured.graphRoundTripMs), 9);
    expect(row.hubsToKeepUp).toBe(Math.ceil(row.deliveriesPerSecond / row.deliveriesPerHubCeiling));
  });

  it('prints one column per volume and one line per figure', () => {
    const lines = capacityTable().split('\n');
    expect(lines[0]).toBe('| figure | 10^6 | 10^7 | 10^8 | 10^9 | from |');
    expect(lines.every((line) => line.split(' | ').length === volumes.length + 2)).toBe(true);
    expect(lines.find((line) => line.startsWith('| usages stored |'))).toBe(
      '| usages stored | 396,000,000 | 3,960,000,000 | 39,600,000,000 | 396,000,000,000 | 396 days of retention (13 months) |',
    );
  });

  it('takes assumptions by their kebab-case names and refuses others', () => {
    expect(parseAssumptions(['--peak-to-average=4', '--shard-tib=8'])).toEqual({ ...assumptions, peakToAverage: 4, shardTib: 8 });
    expect(() => parseAssumptions(['--peak=4'])).toThrow(/--peak=4: expected .*--peak-to-average/);
    expect(() => parseAssumptions(['--utilisation=much'])).toThrow(/--utilisation=much/);
    expect(() => parseAssumptions(['--replicas=-1'])).toThrow(/--replicas=-1/);
  });
});
