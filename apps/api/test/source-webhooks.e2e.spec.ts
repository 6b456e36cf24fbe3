import { PrivacyRequestsService, ProfilesService, SourcesService } from '@portrait/core';
import { PUSH_SECRET as SECRET, pushConnector, signPush as sign } from './support/push-connector.js';
import { createTestApi, type TestApi } from './support/test-api.js';


describe('POST /v1/webhooks/sources/{sourceId}', () => {
  let api: TestApi;
  let ws: string;
  let sourceId: string;
  const post = (body: string, headers: Record<string, string>, id = sourceId) => fetch(`${api.base}/v1/webhooks/sources/${id}`, { method: 'POST', body, headers });

  beforeAll(async () => {
    api = await createTestApi({ connectors: [pushConnector] });
    ws = await api.workspace();
    sourceId = (await api.app.get(SourcesService).create(ws, { connectorId: 'pusher', name: 'shop hooks', config: { signingSecret: SECRET } })).id;
  });
  afterAll(() => api?.close());

  it('ingests a signed JSON webhook without an API key, verified over the exact bytes received', async () => {
    // Spacing and key order a re-serialization would change: the signature is over these bytes.
    const body = '{ "id": "c-1",  "email": " Ann@Shop.Example ", "first_name": "Ann" }';
    const response = await post(body, { 'content-type': 'application/json', 'x-pusher-hmac-sha256': sign(body) });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ received: 1, created: 1, rejected: 0 });
    const profile = await api.app.get(ProfilesService).findByIdentity(ws, 'email', 'ann@shop.example');
    expect(profile?.traits).toMatchObject({ first_name: 'Ann' });
  });

  it('reads form-encoded webhooks too', async () => {
    const body = 'id=c-2&email=bo%40shop.example&first_name=Bo';
    const response = await post(body, { 'content-type': 'application/x-www-form-urlencoded', 'x-pusher-hmac-sha256': sign(body) });
    expect(response.status).toBe(200);
    expect(await api.app.get(ProfilesService).findByIdentity(ws, 'email', 'bo@shop.example')).toBeTruthy();
  });

  it('refuses a bad signature with 401 and stores nothing; an unreadable payload is a 400; an unknown source a 404', async () => {
    const body = '{"id": "c-3", "email": "mallory@shop.example"}';
    const forged = await post(body, { 'content-type': 'application/json', 'x-pusher-hmac-sha256': sign(body.replace('c-3', 'c-4')) });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('content-type')).toContain('application/problem+json');
    expect(await forged.json()).toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });
    expect(await api.app.get(ProfilesService).findByIdentity(ws, 'email', 'mallory@shop.example')).toBeFalsy();

    const noId = '{"email": "x@shop.example"}';
    const unreadable = await post(noId, { 'content-type': 'application/json', 'x-pusher-hmac-sha256': sign(noId) });
    expect(unreadable.status).toBe(400);
    expect(await unreadable.json()).toMatchObject({ code: 'INVALID_WEBHOOK_PAYLOAD' });

    expect((await post(body, { 'content-type': 'application/json' }, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it("carries out a customer's erasure request the channel forwards, answering 200 once the profile is gone", async () => {
    const customer = '{"id": "c-9", "email": "Erin@Shop.Example", "first_name": "Erin"}';
    expect((await post(customer, { 'content-type': 'application/json', 'x-pusher-hmac-sha256': sign(customer) })).status).toBe(200);
    const erin = await api.app.get(ProfilesService).findByIdentity(ws, 'email', 'erin@shop.example');
    expect(erin?.traits).toMatchObject({ first_name: 'Erin' });

    const redact = '{"shop_domain": "shop.example", "customer": {"id": "c-9", "email": "erin@shop.example"}}';
    const headers = { 'content-type': 'application/json', 'x-pusher-topic': 'customers/redact', 'x-pusher-webhook-id': 'wh-redact-9', 'x-pusher-hmac-sha256': sign(redact) };
    const response = await post(redact, headers);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ received: 0, rejected: 0 });
    expect(await api.app.get(ProfilesService).findByIdentity(ws, 'email', 'erin@shop.example')).toBeUndefined();
    await expect(api.app.get(ProfilesService).get(ws, erin!.id)).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' });
    // The others stay; the request is recorded (once, with its reference), the redelivery answers 200 too.
    expect(await api.app.get(ProfilesService).findByIdentity(ws, 'email', 'ann@shop.example')).toBeTruthy();
    expect((await post(redact, headers)).status).toBe(200);
    expect(await api.app.get(PrivacyRequestsService).list(ws)).toEqual([
      expect.objectContaining({ sourceId, type: 'erase', reference: 'wh-redact-9', status: 'completed', profiles: 1 }),
    ]);
  });

  it("answers a channel's GET verification with its challenge, and refuses a wrong token", async () => {
    const ok = await fetch(`${api.base}/v1/webhooks/sources/${sourceId}?hub.mode=subscribe&hub.challenge=12345&hub.verify_token=verify-me`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('12345');
    const wrong = await fetch(`${api.base}/v1/webhooks/sources/${sourceId}?hub.mode=subscribe&hub.challenge=12345&hub.verify_token=nope`);
    expect(wrong.status).toBe(401);
  });

  it('refuses webhooks for a disabled source', async () => {
    await api.app.get(SourcesService).update(ws, sourceId, { enabled: false });
    const body = '{"id": "c-5"}';
    const response = await post(body, { 'content-type': 'application/json', 'x-pusher-hmac-sha256': sign(body) });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ code: 'SOURCE_DISABLED' });
    await api.app.get(SourcesService).update(ws, sourceId, { enabled: true });
  });
});

describe('the per-source limit of channel webhooks', () => {
  let api: TestApi;
  let ws: string;

  beforeAll(async () => {
    api = await createTestApi({ connectors: [pushConnector], env: { PORTRAIT_WEBHOOK_RATE_LIMIT: '3' } });
    ws = await api.workspace();
  });
  afterAll(() => api?.close());

  it('answers 429 with Retry-After beyond PORTRAIT_WEBHOOK_RATE_LIMIT calls a minute, per source, before reading the call', async () => {
    const sources = api.app.get(SourcesService);
    const busy = (await sources.create(ws, { connectorId: 'pusher', name: 'busy', config: { signingSecret: SECRET } })).id;
    const quiet = (await sources.create(ws, { connectorId: 'pusher', name: 'quiet', config: { signingSecret: SECRET } })).id;
    const call = (id: string, n: number) => {
      const body = JSON.stringify({ id: `r-${n}`, email: `r${n}@shop.example` });
      return fetch(`${api.base}/v1/webhooks/sources/${id}`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-pusher-hmac-sha256': sign(body) } });
    };
    const statuses: number[] = [];
    for (let n = 1; n <= 5; n++) {
      const response = await call(busy, n);
      statuses.push(response.status);
      if (response.status === 429) {
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(await response.json()).toMatchObject({ code: 'RATE_LIMITED' });
      }
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    // Refused calls stored nothing; another source has its own bucket.
    expect(await api.app.get(ProfilesService).findByIdentity(ws, 'email', 'r4@shop.example')).toBeFalsy();
    expect((await call(quiet, 6)).status).toBe(200);
  });
});
