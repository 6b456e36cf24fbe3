import { ProfilesService, SourcesService, SyncService } from '@portrait/core';
import { startedRun } from '@portrait/core/testing';
import { MailchimpSandbox, SANDBOX_WEBHOOK_SECRET, type MailchimpWebhook } from '@portrait/plugin-mailchimp/sandbox';
import { createTestApi, type TestApi } from './support/test-api.js';

/**
 * Mailchimp's audience webhooks through the public route: form-encoded POSTs without a signature,
 * authenticated by the source's secret in the URL Mailchimp was given; its validator's GET answered 200.
 */
describe('Mailchimp webhooks on /v1/webhooks/sources/{sourceId}', () => {
  let api: TestApi;
  let sandbox: MailchimpSandbox;
  let ws: string;
  let sourceId: string;
  const url = (secret?: string) => `${api.base}/v1/webhooks/sources/${sourceId}${secret === undefined ? '' : `?secret=${encodeURIComponent(secret)}`}`;
  const deliver = (delivery: MailchimpWebhook, secret = delivery.query.secret) => fetch(url(secret), { method: 'POST', headers: delivery.headers, body: delivery.rawBody });
  const q = (sql: string, params: unknown[] = [ws]) => api.db.dataSource.query(sql, params);
  const stored = async () => ({
    events: (await q(`SELECT count(*)::int AS n FROM events WHERE workspace_id = $1`))[0].n,
    records: await q(`SELECT external_id, traits FROM source_records WHERE workspace_id = $1 ORDER BY external_id`),
    changes: (await q(`SELECT count(*)::int AS n FROM trait_changes WHERE workspace_id = $1`))[0].n,
    consents: await q(`SELECT purpose, granted, at FROM consents WHERE workspace_id = $1 ORDER BY purpose, at, granted`),
  });
  const profileOf = (email: string) => api.app.get(ProfilesService).findByIdentity(ws, 'email', email);

  beforeAll(async () => {
    api = await createTestApi();
    sandbox = await MailchimpSandbox.start({ members: 40 });
    ws = await api.workspace();
    const config = { apiKey: sandbox.apiKey, audienceIds: sandbox.audienceIds, webhookSecret: SANDBOX_WEBHOOK_SECRET, apiBaseUrl: sandbox.url };
    sourceId = (await api.app.get(SourcesService).create(ws, { connectorId: 'mailchimp', name: 'Newsletter', config })).id;
    expect(startedRun(await api.app.get(SyncService).sync(sourceId)).status).toBe('succeeded');
  });
  afterAll(async () => {
    await sandbox?.close();
    await api?.close();
  });

  it("answers Mailchimp's validator (a GET of the URL) with 200, and refuses it without the secret", async () => {
    expect((await fetch(url(SANDBOX_WEBHOOK_SECRET))).status).toBe(200);
    const refused = await fetch(url('not-the-secret'));
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });
  });

  it('a profile update delivered to the URL updates the profile', async () => {
    const member = sandbox.data.allMembers().find((m) => m.record.status === 'subscribed')!;
    sandbox.data.updateProfile(member.record.list_id, member.record.id, 'Renamed');
    const response = await deliver(sandbox.webhook('profile', sandbox.memberWebhookData(sandbox.data.member(member.record.list_id, member.record.id)!)));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ received: 1, rejected: 0 });
    expect((await profileOf(member.record.email_address))?.traits).toMatchObject({ first_name: 'Renamed' });
  });

  it('an unsubscribe withdraws e-mail consent and adds one email_unsubscribed event; its redelivery adds nothing', async () => {
    const member = sandbox.data.allMembers().find((m) => m.record.status === 'subscribed' && m.record.marketing_permissions?.[0]?.enabled)!;
    const { at, campaignId } = sandbox.data.unsubscribe(member.record.list_id, member.record.id);
    const unsubscribed = sandbox.data.member(member.record.list_id, member.record.id)!;
    const delivery = sandbox.webhook('unsubscribe', sandbox.memberWebhookData(unsubscribed, { action: 'unsub', reason: 'manual', campaign_id: campaignId }), { firedAt: at });
    const first = await deliver(delivery);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ received: 1, eventsInserted: 1 });
    const profile = (await profileOf(member.record.email_address))!;
    expect(profile.traits).toMatchObject({ 'mailchimp.status': 'unsubscribed' });
    const [consent] = await q(`SELECT granted FROM consents WHERE workspace_id = $1 AND profile_id = $2 AND purpose = 'email_marketing'`, [ws, profile.id]);
    expect(consent).toEqual({ granted: false });

    const after = await stored();
    const again = await deliver(delivery);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ received: 1, eventsInserted: 0 });
    expect(await stored()).toEqual(after);
    // The activity stream reads the same unsubscription from the feed: still one event.
    expect(startedRun(await api.app.get(SyncService).sync(sourceId)).status).toBe('succeeded');
    const [{ n }] = await q(`SELECT count(*)::int AS n FROM events WHERE workspace_id = $1 AND profile_id = $2 AND type = 'email_unsubscribed' AND occurred_at = $3`, [ws, profile.id, at]);
    expect(n).toBe(1);
  });

  it('an e-mail change (upemail) keeps the person on one profile with both addresses', async () => {
    const member = sandbox.data.allMembers().find((m) => m.record.status === 'subscribed' && !m.record.email_address.includes('@test'))!;
    const before = (await profileOf(member.record.email_address))!;
    const delivery = sandbox.webhook('upemail', { list_id: member.record.list_id, new_id: 'f1e2d3c4b5', new_email: `new.${member.record.email_address.toLowerCase()}`, old_email: member.record.email_address });
    const response = await deliver(delivery);
    expect(response.status).toBe(200);
    const after = await profileOf(`new.${member.record.email_address.toLowerCase()}`);
    expect(after?.id).toBe(before.id);
  });

  it('refuses a delivery without the secret, or with another, and stores nothing; a malformed one is a 400', async () => {
    const member = sandbox.data.allMembers()[3]!;
    const delivery = sandbox.webhook('subscribe', sandbox.memberWebhookData(member));
    const before = await stored();
    for (const secret of [undefined, '', 'sandbox-webhook-secret-0001']) {
      const response = await fetch(url(secret), { method: 'POST', headers: delivery.headers, body: delivery.rawBody });
      expect(response.status).toBe(401);
    }
    const foreign = await deliver(sandbox.webhook('subscribe', { ...sandbox.memberWebhookData(member), list_id: '0000000000' }));
    expect(foreign.status).toBe(400);
    expect(await foreign.json()).toMatchObject({ code: 'INVALID_WEBHOOK_PAYLOAD' });
    expect(await stored()).toEqual(before);
  });
});
