import { describe, expect, it } from 'vitest';
import { PrivateCallbackError, publicOnlyLookup, refusedCallback } from '../../rest-adapter/callback-agent.js';
import { isPrivateAddress } from '../../platform/private-address.js';
import { checkCallback } from '../../subgraphs/usage/hubs/resolvers.js';

describe('private addresses', () => {
  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '10.0.0.8',
    '172.16.5.4',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fd12:3456::1',
    '[::1]',
    '::ffff:127.0.0.1',
    '::ffff:10.1.2.3',
  ])('%s is private', (address) => expect(isPrivateAddress(address)).toBe(true));

  it.each(['8.8.8.8', '172.32.0.1', '192.169.0.1', '100.128.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8', 'example.com', 'localhost'])(
    '%s is not a private address literal',
    (address) => expect(isPrivateAddress(address)).toBe(false),
  );
});

describe('hub callback policy', () => {
  it('refuses private literals and localhost names when denied, at registration and before delivery', () => {
    for (const callback of ['http://127.0.0.1:9000/x', 'http://[::1]/x', 'https://169.254.169.254/latest', 'http://localhost:8080/', 'http://api.localhost/']) {
      expect(() => checkCallback(callback, 'deny'), callback).toThrow(
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
      );
      expect(() => checkCallback(callback, 'allow'), callback).not.toThrow();
      expect(refusedCallback(callback, 'deny'), callback).toBe(true);
      expect(refusedCallback(callback, 'allow'), callback).toBe(false);
    }
    expect(() => checkCallback('https://hooks.example.com/usage', 'deny')).not.toThrow();
    expect(refusedCallback('https://hooks.example.com/usage', 'deny')).toBe(false);
  });
});

describe('the delivery lookup with private callbacks denied', () => {
  const resolve = (host: string) => new Promise<unknown>((done) => publicOnlyLookup(host, {}, (error, address) => done(error ?? address)));

  it('refuses a name that resolves only to loopback, whatever it is called', async () => {
    expect(await resolve('localhost')).toBeInstanceOf(PrivateCallbackError);
  });

  it('passes a public address through', async () => {
    // A literal resolves to itself without DNS, so this needs no network.
    expect(await resolve('8.8.8.8')).toBe('8.8.8.8');
  });
});
