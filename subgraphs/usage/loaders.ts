import DataLoader from 'dataloader';
import { byIdLoader } from '../shared/loaders.js';
import type { PageSource } from '../shared/page-source.js';
import { page } from '../shared/query.js';
import { usageFilter, usagePaths, usageSort } from './product-usage/filters.js';
import type { ProductUsageDocument } from './product-usage/documents.js';
import type { ProductUsageRepository } from './product-usage/repository.js';
import type { ExportJobRepository } from './exports/repository.js';
import type { HubRepository } from './hubs/repository.js';
import type { IngestJobRepository } from './ingestion/job-repository.js';
import type { PartyProductUsagesArgs } from './generated/resolvers.js';

/** The relations a usage has to entities of other subgraphs, and where each is stored. */
const relationPaths = {
  party: usagePaths.relatedPartyId,
  partyRole: usagePaths.relatedPartyId,
  specification: usagePaths.usageSpecificationId,
} as const;
export type Relation = keyof typeof relationPaths;

export interface RelationKey {
  relation: Relation;
  id: string;
  args: PartyProductUsagesArgs;
}

export type UsageLoaders = ReturnType<typeof createUsageLoaders>;

/** What the loaders read: the caller's tenant's views, and the webhook worker's hubs of every tenant (`deliveryHubs`). */
export interface LoaderSources {
  repository: ProductUsageRepository;
  hubs: HubRepository;
  deliveryHubs: HubRepository;
  exportJobs: ExportJobRepository;
  ingestJobs: IngestJobRepository;
}

/**
 * Built per request (context.ts): DataLoader caches must never be shared between requests. Every
 * entity reference and every parent-to-entity field reads through one of these: one query per entity
 * type per request, however many references a plan sends.
 */
export function createUsageLoaders(
  { repository, hubs, deliveryHubs, exportJobs, ingestJobs }: LoaderSources,
  paging: { defaultSize: number; maxSize: number },
) {
  const usageById = byIdLoader((ids) => repository.findByIds(ids));
  return {
    usageById,
    /**
     * ProductUsage.history, by the id of the measurement's first usage: that usage (through usageById)
     * and its corrections, oldest first, every chain of a page in one read.
     */
    historyOf: new DataLoader<string, ProductUsageDocument[]>(async (originals) => {
      const [firsts, corrections] = await Promise.all([usageById.loadMany([...originals]), repository.correctionsOf(originals)]);
      return originals.map((original, n) => {
        const first = firsts[n];
        if (first instanceof Error) throw first;
        return [...(first ? [first] : []), ...corrections.filter((usage) => usage.correction?.original === original)];
      });
    }),
    hubById: byIdLoader((ids) => hubs.findByIds(ids)),
    /** The hub of each delivery a `hub:deliver` worker leased (across tenants, like its lease). */
    deliveryHubById: byIdLoader((ids) => deliveryHubs.findByIds(ids)),
    exportJobById: byIdLoader((ids) => exportJobs.findByIds(ids)),
    ingestJobById: byIdLoader((ids) => ingestJobs.findByIds(ids)),
    /**
     * Reverse lookups (Party.productUsages, ...). The gateway sends every parent of a page in one
     * `_entities` request, so the keys of one batch share their arguments: the counts for all
     * parents cost one aggregate, and only parents with usages on the requested page need a `find`.
     * Those finds run one per parent, concurrently, each the same sorted page as any list of usages
     * (DocumentRepository.find); a per-parent limit in one aggregate ($setWindowFields, which MongoDB 6+ and
     * FerretDB 2 both run) would have to repeat that paging in a pipeline.
     */
    usagesByRelation: new DataLoader<RelationKey, PageSource<ProductUsageDocument>, string>(
      async (keys) => {
        const groups = new Map<string, RelationKey[]>();
        for (const key of keys) {
          const group = `${key.relation}\u0000${JSON.stringify(key.args)}`;
          groups.set(group, [...(groups.get(group) ?? []), key]);
        }
        const results = new Map<RelationKey, PageSource<ProductUsageDocument>>();
        await Promise.all(
          [...groups.values()].map(async (group) => {
            const { relation, args } = group[0]!;
            const path = relationPaths[relation];
            const filter = usageFilter(args.filter);
            const sort = usageSort(args.sort);
            const window = page(args.offset, args.limit, paging);
            const ids = [...new Set(group.map((key) => key.id))];
            const counts = await repository.countByRelation(path, ids, filter);
            await Promise.all(
              group.map(async (key) => {
                const totalCount = counts.get(key.id) ?? 0;
                const items = totalCount > window.skip ? await repository.find({ $and: [filter, { [path]: key.id }] }, sort, window) : [];
                results.set(key, { kind: 'loaded', totalCount, items });
              }),
            );
          }),
        );
        return keys.map((key) => results.get(key)!);
      },
      { cacheKeyFn: (key) => `${key.relation}\u0000${key.id}\u0000${JSON.stringify(key.args)}` },
    ),
  };
}
