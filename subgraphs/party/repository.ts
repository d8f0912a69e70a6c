import type { Db } from 'mongodb';
import { DocumentRepository, type IndexKey } from '../shared/repository.js';
import { defaultPartyRoleSort, defaultPartySort } from './filters.js';
import type { PartyDocument, PartyRoleDocument } from './mappers.js';

/** The only code that touches the parties collection. */
export class PartyRepository extends DocumentRepository<PartyDocument> {
  static async open(db: Db): Promise<PartyRepository> {
    // Each after `tenant`: every query runs within one tenant (docs/security.md, "Tenant isolation").
    const indexes: IndexKey[] = [
      { tenant: 1, ...(defaultPartySort as IndexKey) },
      { tenant: 1, kind: 1 },
      { tenant: 1, status: 1 },
      { tenant: 1, creationDate: 1 },
      { tenant: 1, lastUpdate: 1 },
    ];
    return new PartyRepository(await this.collectionWithIndexes<PartyDocument>(db, 'parties', indexes), 'party');
  }
}

/** The only code that touches the partyRoles collection. */
export class PartyRoleRepository extends DocumentRepository<PartyRoleDocument> {
  static async open(db: Db): Promise<PartyRoleRepository> {
    const indexes: IndexKey[] = [
      { tenant: 1, ...(defaultPartyRoleSort as IndexKey) },
      { tenant: 1, status: 1 },
      { tenant: 1, engagedPartyId: 1 },
    ];
    return new PartyRoleRepository(await this.collectionWithIndexes<PartyRoleDocument>(db, 'partyRoles', indexes), 'party role');
  }
}
