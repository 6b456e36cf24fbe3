import { SegmentDestinationsService, SegmentEditorService, SourcesService } from '@portrait/core';
import { audience, audienceDestination } from './support/audience-destination.js';
import { createTestApi, type TestApi } from './support/test-api.js';

/** Waits for work another part of the process does on its own (the pusher), at most 20 s. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('segment destinations pushed by the API process (no REDIS_URL: no worker assumed)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await createTestApi({ connectors: [audienceDestination] });
  });
  afterAll(() => api?.close());

  it('pushes the members a tracking call brings into a segment, without anyone draining the outbox by hand', async () => {
    const ws = await api.workspace();
    const key = await api.key(ws, ['events:write']);
    const segment = await api.app.get(SegmentEditorService).create(ws, { name: 'Pro plan', key: 'pro', condition: { trait: 'plan', op: 'eq', value: 'pro' } });
    const source = await api.app.get(SourcesService).create(ws, { connectorId: 'audience', name: 'Ads', config: { account: 'acme' } });
    await api.app.get(SegmentDestinationsService).connect(ws, segment.id, source.id);

    const identified = await api.call(key, '/v1/identify', { method: 'POST', body: { userId: 'u-1', traits: { plan: 'pro' } } });
    expect(identified.status).toBe(200);
    const held = await eventually(async () => [...(audience.held.get('pro') ?? [])], (ids) => ids.length > 0);
    expect(held).toEqual(['u-1']);
    const [destination] = await eventually(() => api.app.get(SegmentDestinationsService).list(ws, segment.id), ([d]) => d?.pending.members === 0);
    expect(destination).toMatchObject({ lastPush: { outcome: 'succeeded', entered: 1, exited: 0 }, pending: { members: 0 }, nextAttemptAt: null });
  });

  it('accepts and stores tracking calls while the destination fails, keeping the push pending with its next attempt', async () => {
    const ws = await api.workspace();
    const key = await api.key(ws, ['events:write']);
    const segment = await api.app.get(SegmentEditorService).create(ws, { name: 'Trial', key: 'trial', condition: { trait: 'plan', op: 'eq', value: 'trial' } });
    const source = await api.app.get(SourcesService).create(ws, { connectorId: 'audience', name: 'Ads', config: { account: 'acme' } });
    await api.app.get(SegmentDestinationsService).connect(ws, segment.id, source.id);
    audience.failures = 1;

    const identified = await api.call(key, '/v1/identify', { method: 'POST', body: { userId: 'u-2', traits: { plan: 'trial' } }, headers: { 'portrait-wait': '10' } });
    expect(identified.status).toBe(200);
    expect(await identified.json()).toMatchObject({ processed: true });
    const [destination] = await eventually(() => api.app.get(SegmentDestinationsService).list(ws, segment.id), ([d]) => d?.lastPush !== null);
    expect(destination).toMatchObject({ lastPush: { outcome: 'failed', entered: 1, error: expect.stringContaining('HTTP 503') }, pending: { members: 1 }, failedAttempts: 1 });
    expect(Date.parse(destination!.nextAttemptAt!)).toBeGreaterThan(Date.parse(destination!.lastPush!.at));
    expect(audience.held.get('trial')).toBeUndefined();
  });
});
