import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApiApp } from '@portrait/api';
import type { DemoSandbox } from '@portrait/connector-sdk';
import { builtInDemoSandboxes } from '@portrait/connectors/demo';
import { loadConfig, SyncScheduler } from '@portrait/core';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createTestAdmin, json, TEST_SECRET_KEY, type TestAdmin, type TestSession } from './support/test-admin.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Screenshots of each main page, for people to look at (git-ignored). */
const SHOTS = join(here, '..', 'test-results');
const CHROMIUM = '/usr/bin/chromium';
const ROWS = 1500;

/**
 * The web UI in a real browser (Debian's Chromium through playwright-core) against the admin app on a
 * real database, with this process playing the worker (its sync scheduler starts queued runs) and the
 * public API app started beside it.
 */
describe('admin web UI in a browser', () => {
  let admin: TestAdmin;
  let publicApi: NestFastifyApplication;
  let context: BrowserContext;
  let page: Page;
  let dir: string;
  let profileDir: string;
  let shopify: DemoSandbox;
  let owner: { email: string; password: string; userId: string };
  let viewer: { email: string; password: string; userId: string };
  let acme: { id: string; slug: string };
  let beta: { id: string; slug: string };

  /** A full-page screenshot once nothing is loading any more. */
  async function shot(name: string) {
    await page.locator('.ant-spin-spinning').first().waitFor({ state: 'detached' });
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }
  const url = (path: string) => `${admin.base}${path}`;

  /** Picks `option` in the Ant Design select whose input has the id `id`. */
  async function choose(id: string, option: string) {
    await page.locator(`.ant-select:has(#${id})`).click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: option }).first().click();
  }

  async function signIn(email: string, password: string) {
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function addSource(connector: string, name: string, fields: Record<string, string>) {
    await page.goto(url(`/w/${acme.slug}/sources/new`));
    await choose('connector', connector);
    await page.locator('#name').fill(name);
    for (const [field, value] of Object.entries(fields)) await page.locator(`#config_${field}`).fill(value);
    await page.getByRole('button', { name: 'Save source' }).click();
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    admin = await createTestAdmin();
    await admin.app.get(SyncScheduler).start();
    publicApi = await createApiApp({ config: loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: admin.db.url, PORTRAIT_SECRET_KEY: TEST_SECRET_KEY }), database: { url: admin.db.url, mode: 'external', release: async () => {} } });
    await publicApi.listen(0, '127.0.0.1');
    acme = await admin.workspace('acme');
    beta = await admin.workspace('beta');
    owner = await admin.user(acme.id, 'owner', 'ana@acme.example');
    await admin.user(beta.id, 'admin', owner.email);
    viewer = await admin.user(acme.id, 'viewer', 'vera@acme.example');

    dir = mkdtempSync(join(tmpdir(), 'portrait-web-ui-'));
    const lines = ['id,email,first_name'];
    for (let i = 0; i < ROWS; i++) lines.push(`C-${i},person${i}@example.org,P${i}`);
    writeFileSync(join(dir, 'customers.csv'), lines.join('\n') + '\n');
    const shopifyDemo = builtInDemoSandboxes.find((s) => s.connectorId === 'shopify')!;
    shopify = await shopifyDemo.start({ dataDir: mkdtempSync(join(tmpdir(), 'portrait-web-ui-shopify-')), host: '127.0.0.1' });

    profileDir = mkdtempSync(join(tmpdir(), 'portrait-web-ui-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1366, height: 850 },
      locale: 'en-US',
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(20_000);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await shopify?.close();
    await admin?.app.get(SyncScheduler).stop();
    await publicApi?.close();
    await admin?.close();
    for (const d of [dir, profileDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('serves the UI at / with an SPA fallback, and keeps problem+json 404s under /admin/api', async () => {
    for (const path of ['/', '/w/acme/sources', '/sign-in?next=%2F']) {
      const page = await fetch(url(path));
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('<div id="root">');
    }
    const missing = await fetch(url('/admin/api/no-such-route'));
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect((await fetch(url('/healthz'))).status).toBe(200);
  });

  it('signs in and comes back to the page asked for; an empty workspace says what to do next', async () => {
    await page.goto(url(`/w/${acme.slug}/sources`));
    await page.waitForURL(/\/sign-in\?next=/);
    await page.getByLabel('E-mail').waitFor();
    await shot('sign-in');
    await signIn(owner.email, 'not-the-password');
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Wrong e-mail or password');
    await signIn(owner.email, owner.password);
    await page.waitForURL(url(`/w/${acme.slug}/sources`));
    await page.getByText('No sources yet — add one').waitFor();
    await page.getByText('Installed connectors').waitFor();
    await page.getByText('Shopify', { exact: true }).first().waitFor();
    await shot('sources-empty');
  });

  it("adds sources: the server's field messages, a bad credential shows the check's reason, a good one passes", async () => {
    // A bad configuration: the server's message lands on its field.
    await addSource('CSV files', 'broken', { directory: dir, batchSize: '0', mapping: '{"identities": {"email": "email"}}' });
    await page.locator('#config_batchSize_help, .ant-form-item-explain-error').first().waitFor();
    expect(await page.locator('.ant-form-item-has-error').filter({ hasText: 'batchSize' }).count()).toBe(1);
    await shot('add-source-errors');

    // Shopify pointed at its sandbox with a wrong access token: saved, but the check says why it fails.
    const shopConfig = shopify.config as Record<string, string>;
    await addSource('Shopify', 'Shopify (wrong token)', { shop: String(shopConfig.shop), accessToken: 'shpat_wrong', adminApiOrigin: String(shopConfig.adminApiOrigin) });
    await page.waitForURL(/\/sources\/[0-9a-f-]{36}$/);
    await page.getByRole('button', { name: 'Test connection' }).click();
    const reason = page.getByRole('alert').filter({ hasText: 'Connection failed' });
    await reason.waitFor();
    expect((await reason.textContent())!.length).toBeGreaterThan('Connection failed'.length);
    expect(await reason.textContent()).not.toContain('shpat_wrong');
    await shot('source-check-failed');

    // The sandbox's own token: the connection works, and the secret is never shown again.
    await addSource('Shopify', 'Shopify', { shop: String(shopConfig.shop), accessToken: String(shopConfig.accessToken), adminApiOrigin: String(shopConfig.adminApiOrigin) });
    await page.waitForURL(/\/sources\/[0-9a-f-]{36}$/);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('Connection works.').waitFor();
    expect(await page.content()).not.toContain(String(shopConfig.accessToken));
  });

  it('syncs a CSV source now and follows the run live until it succeeded with every row', async () => {
    await addSource('CSV files', 'customers', { directory: dir, batchSize: '25', mapping: JSON.stringify({ externalId: 'id', identities: { email: 'email' }, traits: { first_name: 'first_name' } }) });
    await page.waitForURL(/\/sources\/[0-9a-f-]{36}$/);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('Connection works.').waitFor();
    await page.getByText('No runs yet — press "Sync now"').waitFor();
    // The schedule in words, in the chosen language.
    await page.getByLabel('Schedule', { exact: true }).fill('*/15 * * * *');
    expect(await page.getByTestId('schedule-preview').textContent()).toBe('Every 15 minutes');

    await page.getByRole('button', { name: 'Sync now' }).click();
    const live = page.getByTestId('live-run');
    await live.waitFor();
    await shot('source-run-live');
    const done = page.getByTestId('runs').locator('[data-status="succeeded"]');
    await done.waitFor({ timeout: 60_000 });
    await live.waitFor({ state: 'detached' });
    const rows = ROWS.toLocaleString('en-US');
    expect(await page.getByTestId('run-read').first().textContent()).toBe(rows);
    expect(await page.getByTestId('run-stored').first().textContent()).toBe(rows);
    await shot('source-detail');

    await page.getByRole('link', { name: 'Details' }).first().click();
    await page.getByText('No dead letters — every record of this run was stored.').waitFor();
    await shot('run-detail');

    await page.goto(url(`/w/${acme.slug}/sources`));
    await page.getByRole('link', { name: 'customers' }).waitFor();
    await shot('sources');
  }, 120_000);

  it('creates an API key, shown once, that the public API accepts', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByText('No API keys yet').waitFor();
    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.locator('#name').fill('storefront');
    await page.getByRole('button', { name: 'Create API key' }).click();
    const key = (await page.getByTestId('secret-once').textContent())!.trim();
    expect(key.length).toBeGreaterThan(20);
    await shot('api-keys');
    const base = await publicApi.getUrl();
    const profiles = await fetch(`${base}/v1/profiles?limit=1`, { headers: { authorization: `Bearer ${key}` } });
    expect(profiles.status).toBe(200);
    expect((await fetch(`${base}/v1/profiles?limit=1`, { headers: { authorization: 'Bearer pk_nope' } })).status).toBe(401);
    await page.reload();
    await page.getByRole('cell', { name: 'storefront' }).waitFor();
    expect(await page.content()).not.toContain(key);
  });

  it('creates a webhook subscription and rotates its secret', async () => {
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByText('No webhook subscriptions yet').waitFor();
    await page.getByRole('button', { name: 'Add subscription' }).click();
    await page.locator('#url').fill('https://hooks.example.org/portrait');
    await page.getByRole('button', { name: 'Add subscription' }).click();
    const first = (await page.getByTestId('secret-once').textContent())!.trim();
    expect(first).toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByTestId('secret-once').filter({ hasNotText: first }).waitFor();
    expect((await page.getByTestId('secret-once').textContent())!.trim()).toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'Expand row' }).click();
    await page.getByText('Nothing delivered yet.').waitFor();
    await shot('webhooks');
  });

  it('switches workspace, and language (remembered across a reload)', async () => {
    await page.goto(url(`/w/${acme.slug}/sources`));
    await choose('workspace-switch', 'beta');
    await page.waitForURL(url(`/w/${beta.slug}/sources`));
    await page.getByText('No sources yet — add one').waitFor();

    await choose('language-switch', 'Português (Brasil)');
    const nav = page.getByRole('navigation');
    await nav.getByText('Fontes').waitFor();
    await nav.getByText('Chaves de API').waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Adicionar fonte' }).waitFor();
    await shot('sources-pt-BR');
    await choose('language-switch', 'English');
    await nav.getByText('Sources').waitFor();
  });

  it('on a tablet screen, the navigation folds and the sources still read', async () => {
    await page.setViewportSize({ width: 820, height: 1180 });
    await page.goto(url(`/w/${acme.slug}/sources`));
    await page.getByRole('link', { name: 'customers' }).waitFor();
    await shot('sources-tablet');
    await page.setViewportSize({ width: 1366, height: 850 });
  });

  it('an owner invites a user with a role (the generated password shown once) and reads the audit log', async () => {
    await page.goto(url(`/w/${acme.slug}/members`));
    await page.getByRole('cell', { name: viewer.email }).waitFor();
    await page.getByRole('button', { name: 'Invite' }).click();
    await page.locator('#email').fill('new.admin@acme.example');
    await choose('invite-role', 'admin');
    await page.getByRole('button', { name: 'Invite' }).click();
    const password = (await page.getByTestId('secret-once').textContent())!.trim();
    await page.getByRole('cell', { name: 'new.admin@acme.example' }).waitFor();
    await shot('members');
    // The invited user signs in with it, as an admin of acme.
    const invited = await admin.signIn('new.admin@acme.example', password);
    const session = await json<{ workspaces: { slug: string; role: string }[] }>(await admin.call(invited, '/admin/api/session'));
    expect(session.workspaces).toEqual([expect.objectContaining({ slug: acme.slug, role: 'admin' })]);

    await page.getByRole('link', { name: 'Audit log' }).click();
    const log = page.getByTestId('audit-log');
    await log.getByText('member.add').first().waitFor();
    await log.getByText('source.create').first().waitFor();
    expect(await log.textContent()).not.toContain(password);
    await shot('audit-log');
  });

  it('an ended session goes back to sign-in, then to where the admin was', async () => {
    await page.goto(url(`/w/${acme.slug}/api-keys`));
    await page.getByRole('cell', { name: 'storefront' }).waitFor();
    await context.clearCookies();
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.waitForURL(/\/sign-in\?next=.*expired=1/);
    await page.getByText('Your session ended').waitFor();
    await signIn(owner.email, owner.password);
    await page.waitForURL(url(`/w/${acme.slug}/webhooks`));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
  });

  it('a viewer sees read-only screens, and the server refuses every change', async () => {
    await page.goto(url('/'));
    await page.waitForURL(/\/sign-in/);
    await signIn(viewer.email, viewer.password);
    await page.waitForURL(url(`/w/${acme.slug}/sources`));
    await page.getByRole('link', { name: 'customers' }).click();
    await page.getByTestId('runs').locator('[data-status="succeeded"]').first().waitFor();
    for (const name of ['Sync now', 'Test connection', 'Delete']) expect(await page.getByRole('button', { name }).count()).toBe(0);
    expect(await page.getByRole('switch').isDisabled()).toBe(true);
    await shot('viewer-source');
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('cell', { name: 'storefront' }).waitFor();
    expect(await page.getByRole('button', { name: 'Create API key' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByRole('cell', { name: owner.email }).waitFor();
    expect(await page.getByRole('button', { name: 'Invite' }).count()).toBe(0);

    // What the UI hides, the server refuses: every mutating route, called directly with the viewer's session.
    const session: TestSession = await admin.signIn(viewer.email, viewer.password);
    const ws = `/admin/api/workspaces/${acme.slug}`;
    const sources = await json<{ data: { id: string; name: string }[] }>(await admin.call(session, `${ws}/sources`));
    const source = sources.data.find((s) => s.name === 'customers')!.id;
    const runs = await json<{ data: { id: string }[] }>(await admin.call(session, `${ws}/sources/${source}/runs`));
    const run = runs.data[0]!.id;
    const keys = await json<{ data: { id: string }[] }>(await admin.call(session, `${ws}/api-keys`));
    const hooks = await json<{ data: { id: string }[] }>(await admin.call(session, `${ws}/webhooks`));
    const refused: [string, string, unknown?][] = [
      ['POST', `${ws}/sources`, { connectorId: 'csv', name: 'x', config: { directory: dir, mapping: { identities: { email: 'email' } } } }],
      ['PATCH', `${ws}/sources/${source}`, { name: 'renamed' }],
      ['DELETE', `${ws}/sources/${source}`],
      ['POST', `${ws}/sources/${source}/check`],
      ['POST', `${ws}/sources/${source}/enable`],
      ['POST', `${ws}/sources/${source}/disable`],
      ['PUT', `${ws}/sources/${source}/schedule`, { schedule: '0 * * * *' }],
      ['POST', `${ws}/sources/${source}/sync`, {}],
      ['POST', `${ws}/runs/${run}/cancel`],
      ['POST', `${ws}/runs/${run}/dead-letters/retry`, {}],
      ['POST', `${ws}/api-keys`, { scopes: ['profiles:read'] }],
      ['DELETE', `${ws}/api-keys/${keys.data[0]!.id}`],
      ['POST', `${ws}/webhooks`, { url: 'https://hooks.example.org/x', events: ['profile.merged'] }],
      ['POST', `${ws}/webhooks/${hooks.data[0]!.id}/rotate-secret`],
      ['DELETE', `${ws}/webhooks/${hooks.data[0]!.id}`],
      ['POST', `${ws}/members`, { email: 'someone@acme.example', role: 'admin' }],
      ['PATCH', `${ws}/members/${owner.userId}`, { role: 'viewer' }],
      ['DELETE', `${ws}/members/${owner.userId}`],
      // The audit log is for owners: a read the viewer's screens never show, refused too.
      ['GET', `${ws}/audit-log`],
    ];
    for (const [method, path, body] of refused) {
      const response = await admin.call(session, path, { method, body });
      expect([method, path, response.status]).toEqual([method, path, 403]);
    }
    // Nothing changed: the source is still there, unrenamed, and the key still works.
    expect(await json(await admin.call(session, `${ws}/sources/${source}`))).toMatchObject({ id: source, name: 'customers', enabled: true });
    expect((await json<{ data: { revokedAt: string | null }[] }>(await admin.call(session, `${ws}/api-keys`))).data[0]!.revokedAt).toBeNull();
  });
});
