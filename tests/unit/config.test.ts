import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../platform/config.js';

describe('loadConfig', () => {
  it('gives the documented defaults', () => {
    const config = loadConfig({});
    expect(config.ports).toEqual({ gateway: 4000, usage: 4001, specification: 4002, party: 4003, rest: 8080 });
    expect(config.mongodbUri).toBeUndefined();
    expect(config.mongodbDb).toBe('usage_graph');
    expect(config.paging).toEqual({ defaultSize: 20, maxSize: 1000 });
    expect(config.mongodbTimeoutMs).toBe(10_000);
  });

  it('keeps the database timeout below a shorter subgraph timeout unless it is set', () => {
    expect(loadConfig({ SUBGRAPH_TIMEOUT_MS: '5000' }).mongodbTimeoutMs).toBe(4_000);
    expect(loadConfig({ SUBGRAPH_TIMEOUT_MS: '5000', DB_TIMEOUT_MS: '100' }).mongodbTimeoutMs).toBe(100);
  });

  it('treats empty variables as unset and trims the public URL', () => {
    const config = loadConfig({ MONGODB_URI: '', PUBLIC_URL: 'https://usage.example.com/' });
    expect(config.mongodbUri).toBeUndefined();
    expect(config.publicUrl).toBe('https://usage.example.com');
  });

  it.each([
    [{ GATEWAY_PORT: 'eighty' }, 'GATEWAY_PORT'],
    [{ USAGE_PORT: '70000' }, 'USAGE_PORT'],
    [{ MONGODB_URI: 'postgres://x' }, 'MONGODB_URI'],
    [{ MONGODB_DB: 'has space' }, 'MONGODB_DB'],
    [{ DEFAULT_PAGE_SIZE: '50', MAX_PAGE_SIZE: '10' }, 'DEFAULT_PAGE_SIZE'],
    [{ DB_TIMEOUT_MS: '30000' }, 'DB_TIMEOUT_MS'],
  ])('stops on %j with a message naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(variable);
  });
});
