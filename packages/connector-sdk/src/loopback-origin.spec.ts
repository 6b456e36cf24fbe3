import { isLoopbackOrigin } from './loopback-origin.js';

describe('isLoopbackOrigin', () => {
  it('takes an http(s) origin on this machine and nothing more', () => {
    for (const ok of ['http://127.0.0.1:8443', 'https://localhost', 'http://[::1]:9000/', 'http://127.10.0.1']) expect(isLoopbackOrigin(ok)).toBe(true);
    for (const refused of ['http://example.com', 'http://127.0.0.1.example.com', 'ftp://127.0.0.1', 'http://user:pw@127.0.0.1', 'http://127.0.0.1/path', 'http://127.0.0.1/?q=1', 'http://127.0.0.1/#x', 'not a url', '']) {
      expect(isLoopbackOrigin(refused)).toBe(false);
    }
  });
});
