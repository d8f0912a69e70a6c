import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { services, type Service } from '../../scripts/build.js';

// The npm scripts that run the services and scripts/build.ts (which the bench reads) must agree.
const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
// The bundle `subgraph-usage` is `npm run subgraph:usage`.
const scriptOf = (service: Service) => service.replace(/^subgraph-/, 'subgraph:');

describe('service scripts', () => {
  it.each(Object.keys(services) as Service[])('npm run %s rebuilds its bundle and runs it with the flags of scripts/build.ts', (service) => {
    expect(scripts[scriptOf(service)]).toBe(`tsx scripts/build.ts ${service} && node ${services[service].nodeFlags.join(' ')} .build/${service}.mjs`);
  });
});
