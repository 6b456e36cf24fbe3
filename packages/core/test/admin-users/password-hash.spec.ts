import { generatePassword, hashPassword, UNUSABLE_PASSWORD_HASH, verifyPassword } from '../../src/modules/admin-users/password-hash.js';

describe('admin password hashes', () => {
  it('stores scrypt with its parameters and a salt of its own, and verifies only the same password', async () => {
    const [first, second] = await Promise.all([hashPassword('correct horse battery'), hashPassword('correct horse battery')]);
    expect(first).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{86}==$/);
    // A salt per hash: the same password never gives the same hash.
    expect(first).not.toBe(second);
    expect(await verifyPassword('correct horse battery', first)).toBe(true);
    expect(await verifyPassword('correct horse batterY', first)).toBe(false);
    expect(await verifyPassword('', second)).toBe(false);
  });

  it('verifies a hash made with other parameters (they are read from the hash)', async () => {
    const { scryptSync } = await import('node:crypto');
    const salt = Buffer.from('0123456789abcdef');
    const key = scryptSync('older password', salt, 32, { N: 2 ** 10, r: 8, p: 1 });
    const stored = ['scrypt', 10, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
    expect(await verifyPassword('older password', stored)).toBe(true);
    expect(await verifyPassword('other password', stored)).toBe(false);
  });

  it('matches nothing with the unusable hash or an unknown scheme, and generates 20-character passwords', async () => {
    expect(await verifyPassword('', UNUSABLE_PASSWORD_HASH)).toBe(false);
    expect(await verifyPassword('x', 'bcrypt$whatever')).toBe(false);
    const passwords = new Set(Array.from({ length: 50 }, generatePassword));
    expect(passwords.size).toBe(50);
    for (const p of passwords) expect(p).toMatch(/^[A-HJ-NP-Za-km-z2-9]{20}$/);
  });
});
