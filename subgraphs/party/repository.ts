import type { Db } from 'mongodb';
import { DocumentRepository, type IndexKey } from '../shared/repository.js';
import { defaultPartyRoleSort, defaultPartySort } from './filters.js';
import type { PartyDocument, PartyRoleDocument } from './mappers.js';

/** The only code that touches the parties collection. */
export class PartyRepository extends DocumentRepository<PartyDocument> {
  static async open(db: Db): Promise<PartyRepository> {
    const indexes: IndexKey[] = [defaultPartySort as IndexKey, { kind: 1 }, { status: 1 }, { creationDate: 1 }, { lastUpdate: 1 }];
    return new PartyRepository(await this.collectionWithIndexes<PartyDocument>(db, 'parties', indexes), 'party');
  }
}

/** The only code that touches the partyRoles collection. */
export class PartyRoleRepository extends DocumentRepository<PartyRoleDocument> {
  static async open(db: Db): Promise<PartyRoleRepository> {
    const indexes: IndexKey[] = [defaultPartyRoleSort as IndexKey, { status: 1 }, { engagedPartyId: 1 }];
    return new PartyRoleRepository(await this.collectionWithIndexes<PartyRoleDocument>(db, 'partyRoles', indexes), 'party role');
  }
}
