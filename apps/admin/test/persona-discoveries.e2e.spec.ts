import { PersonaDiscoveryService } from '@portrait/core';
import { insertPlantedPopulation, plantedPopulation } from '@portrait/core/testing';
import { createTestAdmin, json, type TestAdmin, type TestSession } from './support/test-admin.js';

type Draft = { number: number; size: number; share: number; persona: { name: string; rules: unknown[]; minScore: number }; centroid: { feature: string; text: string }[]; distinguishing: { effectSize: number }[]; acceptedPersonaId: string | null };
type Discovery = { id: string; status: string; progress: number; params: Record<string, number>; summary: { k: number; people: number } | null; drafts: Draft[] };
type Problem = { code: string; errors?: { field: string; message: string }[] };

describe('persona discoveries', () => {
  let admin: TestAdmin;
  let ws: { id: string; slug: string };
  let other: { id: string; slug: string };
  let editor: TestSession;
  let viewer: TestSession;
  let base: string;

  beforeAll(async () => {
    admin = await createTestAdmin();
    ws = await admin.workspace();
    other = await admin.workspace();
    editor = await admin.session(ws.id, 'admin');
    viewer = await admin.session(ws.id, 'viewer');
    base = `/admin/api/workspaces/${ws.slug}/personas/discoveries`;
    await insertPlantedPopulation(admin.db.dataSource, ws.id, plantedPopulation(0, 200, 11));
  });
  afterAll(() => admin?.close());

  const runs = async (workspaceId: string) => (await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM persona_discoveries WHERE workspace_id = $1`, [workspaceId]))[0].n as number;

  it('starts a discovery (201) that runs inline on a small workspace and answers its drafts; the run reads back the same', async () => {
    const started = await admin.call(editor, base, { method: 'POST', body: { minK: 2, maxK: 6, seed: 5 } });
    expect(started.status).toBe(201);
    const run = await json<Discovery>(started);
    expect(run).toMatchObject({ status: 'succeeded', progress: 1, params: { minK: 2, maxK: 6, seed: 5, sampleSize: 20_000 }, summary: { k: 4, people: 200 } });
    expect(run.drafts.map((d) => d.size)).toEqual([50, 50, 50, 50]);
    for (const draft of run.drafts) {
      expect(draft.persona.rules.length).toBeGreaterThan(0);
      expect(draft.centroid.find((c) => c.feature === 'orders_count')!.text).toMatch(/^has placed about [\d.]+ orders?$/);
    }
    expect(await json(await admin.call(viewer, `${base}/${run.id}/drafts`))).toEqual(run);
    // An empty body takes every default.
    const defaults = await admin.call(editor, base, { method: 'POST', body: {} });
    expect(defaults.status).toBe(201);
    expect(await json(defaults)).toMatchObject({ params: { minK: 2, maxK: 8, seed: 1, sampleSize: 20_000 } });
  });

  it('refuses bad parameters with 400 naming the field, and starts nothing', async () => {
    const before = await runs(ws.id);
    for (const [body, field] of [
      [{ minK: 1 }, 'minK'],
      [{ maxK: 21 }, 'maxK'],
      [{ minK: 6, maxK: 3 }, 'maxK'],
      [{ seed: 'one' }, 'seed'],
      [{ sampleSize: 1.5 }, 'sampleSize'],
      [{ clusters: 3 }, '(body)'],
    ] as const) {
      const response = await admin.call(editor, base, { method: 'POST', body });
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      const problem = await json<Problem>(response);
      expect(problem.errors!.map((e) => e.field).some((f) => f === field || (field === '(body)' && /body|clusters/.test(f)))).toBe(true);
    }
    expect(await runs(ws.id)).toBe(before);
  });

  it('accepts a draft with edits as a persona (201) that is assigned the cluster\'s people; a second acceptance is a 409', async () => {
    const run = await json<Discovery>(await admin.call(editor, base, { method: 'POST', body: { seed: 3 } }));
    const draft = run.drafts[0]!;
    const accepted = await admin.call(editor, `${base}/${run.id}/drafts/1/accept`, { method: 'POST', body: { name: 'Our first persona', card: { role: 'shopper' } } });
    expect(accepted.status).toBe(201);
    const persona = await json<{ id: string; name: string; size: number; rules: unknown[]; card: Record<string, unknown> }>(accepted);
    expect(persona).toMatchObject({ name: 'Our first persona', card: { role: 'shopper' }, rules: draft.persona.rules, minScore: draft.persona.minScore });
    expect(persona.size).toBeGreaterThanOrEqual(Math.round(0.9 * draft.size));
    expect(persona.size).toBeLessThanOrEqual(Math.round(1.1 * draft.size));
    expect((await json<Discovery>(await admin.call(viewer, `${base}/${run.id}/drafts`))).drafts[0]!.acceptedPersonaId).toBe(persona.id);
    const again = await admin.call(editor, `${base}/${run.id}/drafts/1/accept`, { method: 'POST', body: {} });
    expect(again.status).toBe(409);
    expect(await json(again)).toMatchObject({ code: 'DRAFT_ACCEPTANCE_CONFLICT' });
    // As proposed: an empty body.
    const asIs = await admin.call(editor, `${base}/${run.id}/drafts/2/accept`, { method: 'POST', body: {} });
    expect(asIs.status).toBe(201);
    expect(await json(asIs)).toMatchObject({ name: run.drafts[1]!.persona.name });
  });

  it('refuses bad edits and bad draft numbers with 400 naming the field, unknown runs and drafts with 404', async () => {
    const run = await json<Discovery>(await admin.call(editor, base, { method: 'POST', body: { seed: 9 } }));
    const personasBefore = (await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM personas WHERE workspace_id = $1`, [ws.id]))[0].n;
    for (const [path, body, field] of [
      [`${base}/${run.id}/drafts/1/accept`, { minScore: 2 }, 'minScore'],
      [`${base}/${run.id}/drafts/1/accept`, { rules: [{ condition: { trait: 'city', op: 'near', value: 'x' }, weight: 1 }] }, 'rules.0.condition.op'],
      [`${base}/${run.id}/drafts/1/accept`, { name: '' }, 'name'],
      [`${base}/${run.id}/drafts/one/accept`, {}, 'number'],
    ] as const) {
      const response = await admin.call(editor, path, { method: 'POST', body });
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect((await json<Problem>(response)).errors!.map((e) => e.field)).toContain(field);
    }
    expect((await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM personas WHERE workspace_id = $1`, [ws.id]))[0].n).toBe(personasBefore);
    // The draft refused above is still there to accept.
    expect((await admin.call(editor, `${base}/${run.id}/drafts/1/accept`, { method: 'POST', body: {} })).status).toBe(201);
    expect((await admin.call(editor, `${base}/${run.id}/drafts/99/accept`, { method: 'POST', body: {} })).status).toBe(404);
    expect((await admin.call(viewer, `${base}/00000000-0000-4000-8000-000000000000/drafts`)).status).toBe(404);
    expect((await admin.call(viewer, `${base}/not-a-uuid/drafts`)).status).toBe(404);
    // Another workspace's run is not found here, nor can it be started there without a role.
    const foreign = await admin.app.get(PersonaDiscoveryService).start(other.id, {}, { inline: false });
    expect((await admin.call(viewer, `${base}/${foreign.id}/drafts`)).status).toBe(404);
    expect((await admin.call(editor, `/admin/api/workspaces/${other.slug}/personas/discoveries`, { method: 'POST', body: {} })).status).toBe(404);
  });

  it('answers a queued run as queued and refuses to accept its drafts before it finished (422); viewers cannot start (403)', async () => {
    const queued = await admin.app.get(PersonaDiscoveryService).start(ws.id, {}, { inline: false });
    const read = await json<Discovery>(await admin.call(viewer, `${base}/${queued.id}/drafts`));
    expect(read).toMatchObject({ status: 'queued', progress: 0, summary: null, drafts: [] });
    const early = await admin.call(editor, `${base}/${queued.id}/drafts/1/accept`, { method: 'POST', body: {} });
    expect(early.status).toBe(422);
    expect(await json(early)).toMatchObject({ code: 'DISCOVERY_NOT_FINISHED' });
    const forbidden = await admin.call(viewer, base, { method: 'POST', body: {} });
    expect(forbidden.status).toBe(403);
    expect((await admin.call(undefined, base, { method: 'POST', body: {} })).status).toBe(401);
  });
});
