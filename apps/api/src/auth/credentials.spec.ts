import { presentedKey } from './credentials.js';

describe('presentedKey', () => {
  const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;

  it('reads a bearer token and HTTP Basic with the key as user name, with or without the colon', () => {
    expect(presentedKey('Bearer prt_abc')).toBe('prt_abc');
    expect(presentedKey('bearer   prt_abc ')).toBe('prt_abc');
    expect(presentedKey(basic('prt_abc:'))).toBe('prt_abc');
    expect(presentedKey(basic('prt_abc'))).toBe('prt_abc');
  });

  it('finds nothing in a missing, empty or foreign header', () => {
    expect(presentedKey(undefined)).toBeUndefined();
    expect(presentedKey('')).toBeUndefined();
    expect(presentedKey('Bearer')).toBeUndefined();
    expect(presentedKey(basic(':secret'))).toBeUndefined();
    expect(presentedKey('Digest username="x"')).toBeUndefined();
  });
});
