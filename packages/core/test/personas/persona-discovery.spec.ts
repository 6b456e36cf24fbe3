import { PersonaDiscoveryService } from '../../src/modules/personas/discovery/persona-discovery.service.js';
import { PersonaException } from '../../src/modules/personas/persona.exception.js';
import { PersonasService } from '../../src/modules/personas/personas.service.js';
import { adjustedRandIndex, createTestCore, insertPlantedPopulation, PLANTED_CLUSTERS, plantedPopulation, type PlantedPerson, type TestCore } from '../../src/testing/index.js';

const PEOPLE = 400;

describe('persona discovery', () => {
  let core: TestCore;
  let discovery: PersonaDiscoveryService;
  let personas: PersonasService;
  let ws: string;
  let population: PlantedPerson[];

  beforeAll(async () => {
    core = await createTestCore();
    discovery = core.app.get(PersonaDiscoveryService);
    personas = core.app.get(PersonasService);
    ws = await core.workspace();
    population = plantedPopulation(0, PEOPLE, 7);
    await insertPlantedPopulation(core.db.dataSource, ws, population);
  });
  afterAll(() => core?.close());

  const plantedOf = (ids: string[]) => {
    const byId = new Map(population.map((p) => [p.id, p.cluster]));
    return ids.map((id) => byId.get(id)!);
  };

  it('recovers the planted clusters (adjusted Rand index at least 0.8) and picks their number by silhouette', async () => {
    const result = await discovery.discover(ws, { minK: 2, maxK: 8, seed: 1, sampleSize: 20_000 });
    expect(result.ids).toHaveLength(PEOPLE);
    expect(adjustedRandIndex(result.labels, plantedOf(result.ids))).toBeGreaterThanOrEqual(0.8);
    expect(result.summary.k).toBe(PLANTED_CLUSTERS.length);
    expect(result.summary.silhouettes.map((s) => s.k)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    // No typology in this workspace: the feature is dropped, not clustered on.
    expect(result.summary.dropped).toEqual([{ feature: 'typology', reason: 'no data' }]);
    expect(result.summary.features.map((f) => f.feature)).toEqual(['lifetime_value', 'orders_count', 'days_since_last_order', 'avg_order_value', 'discount_share', 'refund_share', 'email_engagement', 'web_engagement', 'age', 'region']);
    // The browsers never ordered: their recency is not known (imputed, with its missing indicator).
    expect(result.summary.features.find((f) => f.feature === 'days_since_last_order')!.missing).toBe(PEOPLE / 4);
  });

  it('gives the same drafts and labels for the same seed', async () => {
    const params = { minK: 2, maxK: 6, seed: 42, sampleSize: 150 };
    const [a, b] = [await discovery.discover(ws, params), await discovery.discover(ws, params)];
    expect(b.drafts).toEqual(a.drafts);
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
    expect(b.summary).toEqual(a.summary);
    expect(a.summary.sampleSize).toBe(150);
    // Everyone is assigned to a centroid, not only the sample.
    expect(a.drafts.reduce((s, d) => s + d.size, 0)).toBe(PEOPLE);
  });

  it('describes each draft in human units with its distinguishing features, and its rules validate', async () => {
    const run = await discovery.start(ws, { seed: 1 });
    expect(run).toMatchObject({ status: 'succeeded', phase: 'done', progress: 1, params: { minK: 2, maxK: 8, seed: 1, sampleSize: 20_000 }, error: null });
    expect(run.drafts.map((d) => d.number)).toEqual([1, 2, 3, 4]);
    expect(run.drafts.reduce((s, d) => s + d.share, 0)).toBeCloseTo(1, 3);
    for (const draft of run.drafts) {
      await expect(personas.validate(ws, draft.persona)).resolves.toBeDefined();
      expect(draft.persona.rules.length).toBeGreaterThan(0);
      const effects = draft.distinguishing.map((d) => Math.abs(d.effectSize));
      expect(effects).toEqual([...effects].sort((x, y) => y - x));
      expect(effects[0]).toBeGreaterThanOrEqual(0.5);
    }
    // The loyal big spenders: orders around 20 at about 300 each, in Brazil.
    const loyal = run.drafts.find((d) => (d.centroid.find((c) => c.feature === 'orders_count')!.value as number) >= 15)!;
    expect(loyal.centroid.find((c) => c.feature === 'avg_order_value')).toMatchObject({ text: expect.stringMatching(/^spends about (2[5-9]\d|3[0-4]\d) per order$/) });
    expect(loyal.centroid.find((c) => c.feature === 'region')).toMatchObject({ value: 'BR', share: 1 });
    expect(loyal.persona.card).toMatchObject({ demographics: { country: 'BR', age_range: expect.stringMatching(/^(40-49|50-59)$/) } });
    expect(loyal.persona.summary).toMatch(/^100 people \(25% of the workspace\) who /);
    expect(loyal.distinguishing.find((d) => d.feature === 'orders_count')).toMatchObject({ direction: 'higher', effectSize: expect.any(Number) });
  });

  it('a draft accepted as a persona assigns the people of its cluster', async () => {
    const result = await discovery.discover(ws, { minK: 2, maxK: 8, seed: 1, sampleSize: 20_000 });
    const run = await discovery.start(ws, { seed: 1 });
    expect(run.drafts.map(({ number, size, persona }) => ({ number, size, persona }))).toEqual(result.drafts.map(({ number, size, persona }) => ({ number, size, persona })));
    for (const draft of run.drafts) {
      const persona = await discovery.accept(ws, run.id, draft.number, { name: `Discovered ${draft.number}` });
      expect(persona).toMatchObject({ name: `Discovered ${draft.number}`, rules: draft.persona.rules, summary: draft.persona.summary });
    }
    const accepted = await discovery.get(ws, run.id);
    expect(accepted.drafts.every((d) => d.acceptedPersonaId !== null && d.acceptedAt !== null)).toBe(true);
    // Each person's persona is the one accepted from their cluster's draft.
    const personaOfDraft = new Map(accepted.drafts.map((d) => [d.number, d.acceptedPersonaId]));
    const rows: { id: string; persona_id: string | null }[] = await core.db.dataSource.query(`SELECT id, persona_id FROM profiles WHERE workspace_id = $1`, [ws]);
    const personaOf = new Map(rows.map((r) => [r.id, r.persona_id]));
    const agreeing = result.ids.filter((id, i) => personaOf.get(id) === personaOfDraft.get(result.labels[i]!)).length;
    expect(agreeing / PEOPLE).toBeGreaterThanOrEqual(0.9);
  });

  it('treats absent order traits as none: the never-ordered cluster\'s rules hold the profiles without them', async () => {
    const bare = await core.workspace();
    const people = plantedPopulation(0, 120, 13);
    await insertPlantedPopulation(core.db.dataSource, bare, people);
    // As a workspace whose people without orders carry no order traits at all.
    await core.db.dataSource.query(`UPDATE profiles SET computed = '{}' WHERE workspace_id = $1 AND computed->>'orders_count' = '0'`, [bare]);
    const result = await discovery.discover(bare, { minK: 2, maxK: 8, seed: 1, sampleSize: 20_000 });
    const browsers = result.drafts.find((d) => d.centroid.find((c) => c.feature === 'orders_count')!.value === 0)!;
    expect(browsers.size).toBe(30);
    const run = await discovery.start(bare, { seed: 1 });
    const persona = await discovery.accept(bare, run.id, browsers.number);
    expect(persona.size).toBe(30);
    expect(JSON.stringify(persona.rules)).toContain('"op":"missing"');
  });

  it('accepts a draft once, only from a finished run, and refuses bad edits without marking it', async () => {
    const other = await core.workspace();
    await insertPlantedPopulation(core.db.dataSource, other, plantedPopulation(0, 40, 3));
    const run = await discovery.start(other, { maxK: 4 });
    expect(run.status).toBe('succeeded');
    await expect(discovery.accept(other, run.id, 1, { minScore: 3 })).rejects.toMatchObject({ code: 'INVALID_PERSONA', errors: [{ field: 'minScore', message: 'must be between 0 and 1' }] });
    expect((await discovery.get(other, run.id)).drafts[0]!.acceptedAt).toBeNull();
    await discovery.accept(other, run.id, 1);
    await expect(discovery.accept(other, run.id, 1)).rejects.toMatchObject({ code: 'DRAFT_ACCEPTANCE_CONFLICT' });
    await expect(discovery.accept(other, run.id, 99)).rejects.toMatchObject({ code: 'DRAFT_NOT_FOUND' });
    // Another workspace's run does not exist here.
    await expect(discovery.get(ws, run.id)).rejects.toMatchObject({ code: 'DISCOVERY_NOT_FOUND' });
    const queued = await discovery.start(other, {}, { inline: false });
    expect(queued.status).toBe('queued');
    await expect(discovery.accept(other, queued.id, 1)).rejects.toMatchObject({ code: 'DISCOVERY_NOT_FINISHED' });
    // The worker's drain runs it.
    expect(await discovery.runDue()).toBe(1);
    expect((await discovery.get(other, queued.id)).status).toBe('succeeded');
  });

  it('refuses bad parameters field by field, and fails a run on too few people with the reason', async () => {
    for (const [input, field] of [
      [{ minK: 1 }, 'minK'],
      [{ minK: 5, maxK: 3 }, 'maxK'],
      [{ seed: -1 }, 'seed'],
      [{ sampleSize: 10 }, 'sampleSize'],
      [{ maxK: 2.5 }, 'maxK'],
      [{ k: 3 }, '(body)'],
    ] as const) {
      const error = await discovery.start(ws, input).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PersonaException);
      expect({ input, code: (error as PersonaException).code, fields: (error as PersonaException).errors.map((e) => e.field) }).toEqual({ input, code: 'INVALID_DISCOVERY', fields: [field] });
    }
    const small = await core.workspace();
    await insertPlantedPopulation(core.db.dataSource, small, plantedPopulation(0, 5, 1));
    expect(await discovery.start(small, {})).toMatchObject({ status: 'failed', error: 'a discovery needs at least 10 people; the workspace has 5', drafts: [] });
  });
});
