import { createConnectorContext } from '@portrait/connector-sdk';
import { readStream } from '@portrait/testkit';
import connector from '../src/index.js';
import { mailchimpConfigSchema } from '../src/mailchimp.config.js';
import { MailchimpSandbox, SANDBOX_ACCESS_TOKEN } from '../src/sandbox/index.js';
import { sandboxConfig } from './sandbox-config.js';

const ctx = () => createConnectorContext({ retry: { baseDelayMs: 50, maxDelayMs: 1000 } });

describe("Mailchimp's 10 simultaneous connections", () => {
  let sandbox: MailchimpSandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  it('reads the activity feeds side by side, never more than 10 at once, and is never refused', async () => {
    sandbox = await MailchimpSandbox.start({ members: 150, latencyMs: 15 });
    const config = mailchimpConfigSchema.parse(sandboxConfig(sandbox));
    const outcome = await readStream(connector, { stream: 'activity', mode: 'full', state: undefined }, config, ctx());
    expect(outcome.facts.length).toBeGreaterThan(100);
    expect(sandbox.peakConnections).toBe(10);
    expect(sandbox.tooManyConnections).toBe(0);
  });

  it('waits out the 429s of an account whose other apps hold most of its connections, and loses nothing', async () => {
    sandbox = await MailchimpSandbox.start({ members: 60, latencyMs: 15, maxConnections: 4 });
    const config = mailchimpConfigSchema.parse(sandboxConfig(sandbox));
    const outcome = await readStream(connector, { stream: 'activity', mode: 'full', state: undefined }, config, ctx());
    expect(sandbox.tooManyConnections).toBeGreaterThan(0);
    expect(outcome.facts).toHaveLength(sandbox.data.allMembers().filter((m) => m.activity.length > 0).length);
    expect(outcome.invalid).toEqual([]);
  });
});

describe('check()', () => {
  let sandbox: MailchimpSandbox;
  beforeAll(async () => {
    sandbox = await MailchimpSandbox.start({ members: 5 });
  });
  afterAll(async () => {
    await sandbox?.close();
  });
  const check = (overrides: Parameters<typeof sandboxConfig>[1]) => connector.check(mailchimpConfigSchema.parse(sandboxConfig(sandbox, overrides)), ctx());

  it('tells a refused API key and an unknown audience apart, without echoing the key', async () => {
    expect(await check({})).toEqual({ ok: true });
    const badKey = await check({ apiKey: 'ffffffffffffffffffffffffffffffff-us6' });
    expect(badKey).toEqual({ ok: false, reason: expect.stringContaining('Mailchimp refused the credentials (HTTP 401, API Key Invalid') });
    expect(JSON.stringify(badKey)).not.toContain('ffffffffffffffffffffffffffffffff');
    const unknown = await check({ audienceIds: [sandbox.listId, '9z9z9z9z9z'] });
    expect(unknown).toEqual({ ok: false, reason: expect.stringContaining('has no audience 9z9z9z9z9z') });
    expect((unknown as { reason: string }).reason).not.toContain(sandbox.listId);
  });

  it('takes an OAuth access token with its data center', async () => {
    expect(await check({ apiKey: undefined, accessToken: SANDBOX_ACCESS_TOKEN, server: 'us6' })).toEqual({ ok: true });
    expect(await check({ apiKey: undefined, accessToken: 'revoked-token', server: 'us6' })).toEqual({ ok: false, reason: expect.stringContaining('HTTP 401') });
  });

  it('says when Mailchimp cannot be reached', async () => {
    const closed = await MailchimpSandbox.start({ members: 1 });
    await closed.close();
    const result = await connector.check(mailchimpConfigSchema.parse(sandboxConfig(closed)), createConnectorContext({ retry: { maxRetries: 1, baseDelayMs: 10 } }));
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('Cannot reach Mailchimp (us6)') });
  });
});

describe('configuration', () => {
  const base = { audienceIds: ['a1b2c3d4e5'] };
  const issues = (input: object) => {
    const parsed = mailchimpConfigSchema.safeParse(input);
    return parsed.success ? [] : parsed.error.issues.map((i) => ({ path: i.path, message: i.message }));
  };

  it('takes the data center from the API key, and refuses keys without one', () => {
    expect(mailchimpConfigSchema.parse({ ...base, apiKey: ' 0123456789ABCDEF0123456789abcdef-US6 ' }).apiKey).toBe('0123456789abcdef0123456789abcdef-us6');
    expect(issues({ ...base, apiKey: '0123456789abcdef0123456789abcdef' })).toEqual([{ path: ['apiKey'], message: expect.stringContaining('a dash and the data center') }]);
    expect(issues({ ...base, apiKey: '0123456789abcdef0123456789abcdef-us6', server: 'us7' })).toEqual([{ path: ['server'], message: 'the API key belongs to data center us6, not us7' }]);
  });

  it('needs one credential, and a data center with an OAuth token', () => {
    expect(issues(base)).toEqual([{ path: ['apiKey'], message: 'give an API key or an OAuth access token' }]);
    expect(issues({ ...base, accessToken: 'token' })).toEqual([{ path: ['server'], message: "an OAuth access token needs the account's data center, e.g. us6" }]);
    expect(issues({ ...base, accessToken: 'token', server: 'us6', apiKey: '0123456789abcdef0123456789abcdef-us6' })).toEqual([{ path: ['accessToken'], message: 'give an API key or an OAuth access token, not both' }]);
  });

  it('names at least one audience, and takes an apiBaseUrl only on this machine', () => {
    const key = { apiKey: '0123456789abcdef0123456789abcdef-us6' };
    expect(issues({ ...key, audienceIds: [] })).toEqual([{ path: ['audienceIds'], message: 'name at least one audience' }]);
    for (const origin of ['https://us6.api.mailchimp.com.evil.example', 'http://10.0.0.5:8443', 'http://127.0.0.1:8443/3.0']) {
      expect(issues({ ...key, ...base, apiBaseUrl: origin })).toEqual([{ path: ['apiBaseUrl'], message: expect.stringContaining('a server on this machine') }]);
    }
    expect(mailchimpConfigSchema.parse({ ...key, ...base, apiBaseUrl: 'http://127.0.0.1:8443/' }).apiBaseUrl).toBe('http://127.0.0.1:8443');
    expect(mailchimpConfigSchema.parse({ ...key, ...base }).statusIfNew).toBe('pending');
  });
});
