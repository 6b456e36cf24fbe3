import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature, WebhookDeliveryService, WEBHOOK_SIGNATURE_HEADER } from '@portrait/core';
import { createTestApi, person, type TestApi } from './support/test-api.js';

describe('webhook subscriptions', () => {
  let api: TestApi;
  let receiver: Server;
  let url: string;
  const received: { signature?: string; body: string }[] = [];

  beforeAll(async () => {
    api = await createTestApi();
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ signature: req.headers[WEBHOOK_SIGNATURE_HEADER.toLowerCase()] as string, body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/portrait`;
  });
  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
    await api?.close();
  });

  it('needs the webhooks:manage scope', async () => {
    const key = await api.key(await api.workspace(), ['profiles:read']);
    const response = await api.call(key, '/v1/webhook-subscriptions');
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('refuses an invalid subscription naming each field', async () => {
    const key = await api.key(await api.workspace(), ['webhooks:manage']);
    const response = await api.call(key, '/v1/webhook-subscriptions', { method: 'POST', body: { url: 'not a url', events: [] } });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: { field: string }[] };
    expect(problem.errors.map((e) => e.field).sort()).toEqual(['events', 'url']);
  });

  it('creates a subscription whose signed deliveries reach the partner and show in the log', async () => {
    const ws = await api.workspace();
    const key = await api.key(ws, ['webhooks:manage']);
    const created = await api.call(key, '/v1/webhook-subscriptions', { method: 'POST', body: { url, events: ['profile.updated'], description: 'crm sync' } });
    expect(created.status).toBe(201);
    const subscription = (await created.json()) as { id: string; secret: string };
    expect((await (await api.call(key, `/v1/webhook-subscriptions/${subscription.id}`)).json()) as object).not.toHaveProperty('secret');

    const ingested = await api.ingest(ws, [person('w1', [['email', 'hook@example.org']])]);
    await api.app.get(WebhookDeliveryService).deliverDue();
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0]!.body)).toMatchObject({ type: 'profile.updated', data: { profileId: ingested.change.profileIds[0] } });
    expect(verifyWebhookSignature(subscription.secret, received[0]!.signature, received[0]!.body)).toBe(true);

    const log = (await (await api.call(key, `/v1/webhook-subscriptions/${subscription.id}/deliveries`)).json()) as { data: { status: string; lastResponseStatus: number }[] };
    expect(log.data).toEqual([expect.objectContaining({ status: 'delivered', lastResponseStatus: 200 })]);
    // A cursor the log did not hand out is refused as such, whether it is unreadable or readable with other contents.
    for (const cursor of ['not-a-cursor', Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url')]) {
      const refused = await api.call(key, `/v1/webhook-subscriptions/${subscription.id}/deliveries?cursor=${cursor}`);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { code: string }).code).toBe('INVALID_CURSOR');
    }

    expect((await api.call(key, `/v1/webhook-subscriptions/${subscription.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api.call(key, `/v1/webhook-subscriptions/${subscription.id}`)).status).toBe(404);
  });
});
