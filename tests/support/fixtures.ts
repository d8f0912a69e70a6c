import {
  CreatePartyDocument,
  CreatePartyRoleDocument,
  CreateSpecificationDocument,
  CreateUsageDocument,
  type ProductUsageInput,
} from '../operations/generated.js';
import { dataOf, type Stack } from './stack.js';

/** Small factories that create data through the gateway, as a client would. */
export async function createSpecification(stack: Stack, name: string) {
  return dataOf(await stack.request(CreateSpecificationDocument, { input: { name, version: '1.0' } })).createProductUsageSpecification;
}

export async function createIndividual(stack: Stack, givenName: string, familyName: string) {
  return dataOf(await stack.request(CreatePartyDocument, { input: { kind: 'Individual', givenName, familyName } })).createParty;
}

export async function createOrganization(stack: Stack, name: string) {
  return dataOf(await stack.request(CreatePartyDocument, { input: { kind: 'Organization', name } })).createParty;
}

export async function createPartyRole(stack: Stack, name: string, engagedPartyId: string) {
  return dataOf(await stack.request(CreatePartyRoleDocument, { input: { name, engagedPartyId } })).createPartyRole;
}

export async function createUsage(stack: Stack, input: ProductUsageInput) {
  return dataOf(await stack.request(CreateUsageDocument, { input })).createProductUsage;
}
