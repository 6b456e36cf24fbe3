import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MergesService, SourcesService, SyncService, WebhookDeliveryService, WebhookOutboxService } from '@portrait/core';
import { connectorsWithDestination } from './support/test-destination.js';
import { createTestAdmin, json, person, type TestAdmin, type TestSession } from './support/test-admin.js';

/**
 * An owner of workspace A never sees nor touches workspace B, on every route of a workspace: with A's
 * slug and B's ids (in the path, and in the body where it names ids), and with B's slug. The routes
 * come from the served OpenAPI document, so a route added later without a case here fails this test.
 */

interface Call {
  path: string;
  body?: unknown;
}

/** What one route is called with, for a workspace slug; the method comes from the case's key. */
interface Case {
  /** One call, or several when a route is tried with more than one of B's ids. */
  request: (workspace: string) => Call | Call[];
  /**
   * What the call with A's slug may answer: 404 unless said otherwise (B's id is not found in A). A
   * route that names no id of B (a list, a setting, a creation in A) may answer 2xx on A's own data
   * (`own`), but never anything of B.
   */
  inA?: number[];
}

const ONLY_IN_B = 'OnlyInB';

describe('workspace isolation of the management API', () => {
  let admin: TestAdmin;
  let a: { id: string; slug: string };
  let b: { id: string; slug: string };
  let ownerA: TestSession;
  let ownerB: TestSession;
  let dir: string;
  /** B's rows, one of each kind named in a route; A's few rows that a body pairs them with. */
  const B = {} as Record<'profile' | 'mergedAway' | 'merge' | 'segment' | 'persona' | 'icp' | 'discovery' | 'source' | 'destination' | 'run' | 'deadLetter' | 'intakeDeadLetter' | 'webhook' | 'delivery' | 'apiKey' | 'job' | 'member', string>;
  const A = {} as Record<'profile' | 'segment', string>;
  let tables: string[];

  const people = (tag: string) => [
    person('dan', [['email', 'shared@example.org'], ['phone', '+351912345678']], { first_name: tag, country: 'BR' }),
    person('ga', [['ga_client_id', 'GA.1']], {}, { source: 'ga' }),
    person('gone', [['email', 'gone@example.org']], { first_name: tag }),
  ];

  beforeAll(async () => {
    admin = await createTestAdmin({ connectors: connectorsWithDestination });
    a = await admin.workspace();
    b = await admin.workspace();
    ownerA = await admin.session(a.id, 'owner');
    ownerB = await admin.session(b.id, 'owner');
    const inB = (path: string, method = 'GET', body?: unknown) => admin.call(ownerB, `/admin/api/workspaces/${b.slug}${path}`, { method, body });
    const created = async (response: Promise<Response>, status = 201) => {
      const answer = await response;
      if (answer.status !== status) throw new Error(`set-up answered ${answer.status}: ${await answer.text()}`);
      return json<Record<string, unknown>>(answer);
    };

    // The same people in both workspaces; in each, a log-in that joins an e-mail and a GA client id merges two profiles.
    for (const [ws, tag] of [[a, 'OnlyInA'], [b, ONLY_IN_B]] as const) {
      await admin.ingest(ws.id, people(tag));
      await admin.ingest(ws.id, [person('login', [['email', 'shared@example.org'], ['ga_client_id', 'GA.1']], {}, { source: 'api' })]);
    }
    const [mergeA] = await admin.app.get(MergesService).list(a.id);
    const [mergeB] = await admin.app.get(MergesService).list(b.id);
    A.profile = mergeA!.winnerId;
    Object.assign(B, { merge: mergeB!.id, profile: mergeB!.winnerId, mergedAway: mergeB!.loserId });

    // An erased profile in B: its e-mail is suppressed there.
    const gone = (await json<{ data: { id: string }[] }>(await inB('/profiles?identity=email:gone@example.org'))).data[0]!.id;
    await created(inB(`/profiles/${gone}`, 'DELETE'), 200);

    const brazil = { trait: 'country', op: 'eq', value: 'BR' };
    B.segment = (await created(inB('/segments', 'POST', { name: 'Brazil', condition: brazil }))).id as string;
    A.segment = (await created(admin.call(ownerA, `/admin/api/workspaces/${a.slug}/segments`, { method: 'POST', body: { name: 'Brazil', condition: brazil } }))).id as string;
    B.persona = (await created(inB('/personas', 'POST', { name: 'Brazilians', rules: [{ condition: brazil, weight: 1 }] }))).id as string;
    B.icp = (await created(inB('/icps', 'POST', { name: 'Brazilian firms', criteria: [{ condition: brazil, weight: 1 }] }))).id as string;
    B.discovery = (await created(inB('/personas/discoveries', 'POST', { seed: 1 }))).id as string;

    // A CSV source in B whose run dead-letters a row (a blocked shared inbox), and a destination in each workspace.
    await created(inB('/settings/identity', 'PATCH', { blockedValues: ['desk@example.org'] }), 200);
    dir = mkdtempSync(join(tmpdir(), 'portrait-admin-isolation-'));
    writeFileSync(join(dir, 'people.csv'), ['Id,E-mail,First name', 'P-1,shared@example.org,OnlyInB', 'P-2,desk@example.org,Desk'].join('\n') + '\n');
    B.source = (await created(inB('/sources', 'POST', { connectorId: 'csv', name: 'people', config: { directory: dir, mapping: { externalId: 'Id', identities: { 'E-mail': 'email' }, traits: { 'First name': 'first_name' } } } }))).id as string;
    const outcome = await admin.app.get(SyncService).sync(B.source, { workspaceId: b.id, mode: 'full' });
    if (!outcome.started) throw new Error('the sync did not start');
    B.run = outcome.run.id;
    B.deadLetter = (await json<{ data: { id: string }[] }>(await inB(`/runs/${B.run}/dead-letters`))).data[0]!.id;
    // A tracking message of B the ingest refused (set aside by the intake processor; written here directly).
    [{ id: B.intakeDeadLetter }] = await admin.db.dataSource.query(
      `INSERT INTO intake_dead_letters (workspace_id, reason, payload, received_at) VALUES ($1, 'no usable identity', '{"traits": {"first_name": "${ONLY_IN_B}"}}', now()) RETURNING id::text AS id`,
      [b.id],
    );
    const sources = admin.app.get(SourcesService);
    B.destination = (await sources.create(b.id, { connectorId: 'tagger', name: 'Tags', config: { list: 'b' } })).id;
    await created(inB(`/segments/${B.segment}/destinations/${B.destination}`, 'PUT'), 200);

    // A webhook subscription of B with a failed delivery (nothing listens on port 9).
    B.webhook = (await created(inB('/webhooks', 'POST', { url: 'http://127.0.0.1:9/b', events: ['segment.entered'] }))).id as string;
    await admin.app.get(WebhookOutboxService).emit(b.id, 'segment.entered', [{ segmentId: B.segment, profileId: B.profile }]);
    await admin.app.get(WebhookDeliveryService).deliverDue();
    B.delivery = (await json<{ data: { id: string }[] }>(await inB(`/webhooks/${B.webhook}/deliveries`))).data[0]!.id;

    B.apiKey = ((await created(inB('/api-keys', 'POST', { name: 'b app', scopes: ['profiles:read'] }))).apiKey as { id: string }).id;
    const definitions = [{ key: 'visits', aggregation: 'count', event: 'store_visited', where: [] }];
    B.job = ((await created(inB('/settings/computed-traits', 'PUT', { definitions }), 200)).job as { id: string }).id;
    B.member = (await admin.user(b.id, 'viewer')).userId;

    tables = (
      await admin.db.dataSource.query(
        `SELECT table_name AS name FROM information_schema.columns WHERE column_name = 'workspace_id' AND table_schema = current_schema() ORDER BY 1`,
      )
    ).map((r: { name: string }) => r.name);
  }, 60_000);
  afterAll(async () => {
    await admin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** B's rows, in every table with a workspace id (read from the catalogue, so new tables count), and B itself. */
  async function snapshotB() {
    const parts = tables.map((t) => `SELECT '${t}' AS t, count(*)::int AS n, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM "${t}" x WHERE workspace_id = $1`);
    parts.push(`SELECT 'workspaces', count(*)::int, md5(coalesce(string_agg(x::text, '|'), '')) FROM workspaces x WHERE id = $1`);
    return admin.db.dataSource.query(parts.join(' UNION ALL '), [b.id]) as Promise<{ t: string; n: number; h: string }[]>;
  }

  const w = (ws: string) => `/admin/api/workspaces/${ws}`;
  const own = [200, 201, 202, 204];
  const cases: Record<string, Case> = {
    'GET /admin/api/workspaces/{workspace}/members': { request: (ws) => ({ path: `${w(ws)}/members` }), inA: own },
    'POST /admin/api/workspaces/{workspace}/members': { request: (ws) => ({ path: `${w(ws)}/members`, body: { email: 'new-member@example.org', role: 'viewer' } }), inA: own },
    'PATCH /admin/api/workspaces/{workspace}/members/{userId}': { request: (ws) => ({ path: `${w(ws)}/members/${B.member}`, body: { role: 'admin' } }) },
    'DELETE /admin/api/workspaces/{workspace}/members/{userId}': { request: (ws) => ({ path: `${w(ws)}/members/${B.member}` }) },

    'GET /admin/api/workspaces/{workspace}/segments': { request: (ws) => ({ path: `${w(ws)}/segments` }), inA: own },
    'POST /admin/api/workspaces/{workspace}/segments': { request: (ws) => ({ path: `${w(ws)}/segments`, body: { name: 'In B', condition: { segment: B.segment } } }), inA: [400, 404] },
    'POST /admin/api/workspaces/{workspace}/segments/preview': { request: (ws) => ({ path: `${w(ws)}/segments/preview`, body: { condition: { segment: B.segment } } }), inA: [400, 404] },
    'GET /admin/api/workspaces/{workspace}/segments/{id}': { request: (ws) => ({ path: `${w(ws)}/segments/${B.segment}` }) },
    'PATCH /admin/api/workspaces/{workspace}/segments/{id}': { request: (ws) => ({ path: `${w(ws)}/segments/${B.segment}`, body: { name: 'Renamed' } }) },
    'DELETE /admin/api/workspaces/{workspace}/segments/{id}': { request: (ws) => ({ path: `${w(ws)}/segments/${B.segment}` }) },
    'GET /admin/api/workspaces/{workspace}/segments/{id}/members': { request: (ws) => ({ path: `${w(ws)}/segments/${B.segment}/members` }) },
    'GET /admin/api/workspaces/{workspace}/segments/{id}/size-history': { request: (ws) => ({ path: `${w(ws)}/segments/${B.segment}/size-history` }) },
    'GET /admin/api/workspaces/{workspace}/segments/{id}/runs': { request: (ws) => ({ path: `${w(ws)}/segments/${B.segment}/runs` }) },
    'GET /admin/api/workspaces/{workspace}/segments/{id}/destinations': { request: (ws) => ({ path: `${w(ws)}/segments/${B.segment}/destinations` }) },
    'POST /admin/api/workspaces/{workspace}/segments/{id}/destinations/push': { request: (ws) => ({ path: `${w(ws)}/segments/${B.segment}/destinations/push` }) },
    'PUT /admin/api/workspaces/{workspace}/segments/{id}/destinations/{sourceId}': { request: (ws) => [{ path: `${w(ws)}/segments/${B.segment}/destinations/${B.destination}` }, { path: `${w(ws)}/segments/${ws === a.slug ? A.segment : B.segment}/destinations/${B.destination}` }] },
    'DELETE /admin/api/workspaces/{workspace}/segments/{id}/destinations/{sourceId}': { request: (ws) => [{ path: `${w(ws)}/segments/${B.segment}/destinations/${B.destination}` }, { path: `${w(ws)}/segments/${ws === a.slug ? A.segment : B.segment}/destinations/${B.destination}` }] },
    'POST /admin/api/workspaces/{workspace}/segments/{id}/destinations/{sourceId}/push': { request: (ws) => [{ path: `${w(ws)}/segments/${B.segment}/destinations/${B.destination}/push` }, { path: `${w(ws)}/segments/${ws === a.slug ? A.segment : B.segment}/destinations/${B.destination}/push` }] },

    'GET /admin/api/workspaces/{workspace}/profiles': { request: (ws) => ({ path: `${w(ws)}/profiles?identity=email:shared@example.org` }), inA: own },
    'GET /admin/api/workspaces/{workspace}/profiles/{id}': { request: (ws) => [{ path: `${w(ws)}/profiles/${B.profile}` }, { path: `${w(ws)}/profiles/${B.mergedAway}` }] },
    'DELETE /admin/api/workspaces/{workspace}/profiles/{id}': { request: (ws) => ({ path: `${w(ws)}/profiles/${B.profile}` }) },
    'GET /admin/api/workspaces/{workspace}/profiles/{id}/events': { request: (ws) => ({ path: `${w(ws)}/profiles/${B.profile}/events` }) },
    'GET /admin/api/workspaces/{workspace}/profiles/{id}/trait-history': { request: (ws) => ({ path: `${w(ws)}/profiles/${B.profile}/trait-history` }) },
    'GET /admin/api/workspaces/{workspace}/profiles/{id}/export': { request: (ws) => ({ path: `${w(ws)}/profiles/${B.profile}/export` }) },
    'GET /admin/api/workspaces/{workspace}/profiles/{id}/merges': { request: (ws) => [{ path: `${w(ws)}/profiles/${B.profile}/merges` }, { path: `${w(ws)}/profiles/${B.mergedAway}/merges` }] },
    'POST /admin/api/workspaces/{workspace}/merges': { request: (ws) => ({ path: `${w(ws)}/merges`, body: { survivorId: A.profile, mergedId: B.profile } }) },
    'POST /admin/api/workspaces/{workspace}/merges/{mergeId}/undo': { request: (ws) => ({ path: `${w(ws)}/merges/${B.merge}/undo` }) },
    'GET /admin/api/workspaces/{workspace}/audit-log': { request: (ws) => ({ path: `${w(ws)}/audit-log` }), inA: own },

    'GET /admin/api/workspaces/{workspace}/personas': { request: (ws) => ({ path: `${w(ws)}/personas` }), inA: own },
    'POST /admin/api/workspaces/{workspace}/personas': { request: (ws) => ({ path: `${w(ws)}/personas`, body: { name: 'On B', rules: [{ condition: { segment: B.segment }, weight: 1 }] } }), inA: [400, 404] },
    'GET /admin/api/workspaces/{workspace}/personas/{id}': { request: (ws) => ({ path: `${w(ws)}/personas/${B.persona}` }) },
    'PATCH /admin/api/workspaces/{workspace}/personas/{id}': { request: (ws) => ({ path: `${w(ws)}/personas/${B.persona}`, body: { name: 'Renamed' } }) },
    'DELETE /admin/api/workspaces/{workspace}/personas/{id}': { request: (ws) => ({ path: `${w(ws)}/personas/${B.persona}` }) },
    'GET /admin/api/workspaces/{workspace}/personas/{id}/members': { request: (ws) => ({ path: `${w(ws)}/personas/${B.persona}/members` }) },
    'POST /admin/api/workspaces/{workspace}/personas/discoveries': { request: (ws) => ({ path: `${w(ws)}/personas/discoveries`, body: { seed: 4 } }), inA: own },
    'GET /admin/api/workspaces/{workspace}/personas/discoveries/{id}/drafts': { request: (ws) => ({ path: `${w(ws)}/personas/discoveries/${B.discovery}/drafts` }) },
    'POST /admin/api/workspaces/{workspace}/personas/discoveries/{id}/drafts/{number}/accept': { request: (ws) => ({ path: `${w(ws)}/personas/discoveries/${B.discovery}/drafts/1/accept`, body: {} }) },

    'GET /admin/api/workspaces/{workspace}/icps': { request: (ws) => ({ path: `${w(ws)}/icps` }), inA: own },
    'POST /admin/api/workspaces/{workspace}/icps': { request: (ws) => ({ path: `${w(ws)}/icps`, body: { name: 'On B', criteria: [{ condition: { segment: B.segment }, weight: 1 }] } }), inA: [400, 404] },
    'GET /admin/api/workspaces/{workspace}/icps/{id}': { request: (ws) => ({ path: `${w(ws)}/icps/${B.icp}` }) },
    'PATCH /admin/api/workspaces/{workspace}/icps/{id}': { request: (ws) => ({ path: `${w(ws)}/icps/${B.icp}`, body: { name: 'Renamed' } }) },
    'DELETE /admin/api/workspaces/{workspace}/icps/{id}': { request: (ws) => ({ path: `${w(ws)}/icps/${B.icp}` }) },
    'GET /admin/api/workspaces/{workspace}/icps/{id}/distribution': { request: (ws) => ({ path: `${w(ws)}/icps/${B.icp}/distribution` }) },
    'GET /admin/api/workspaces/{workspace}/icps/{id}/accounts': { request: (ws) => ({ path: `${w(ws)}/icps/${B.icp}/accounts` }) },

    'GET /admin/api/workspaces/{workspace}/sources': { request: (ws) => ({ path: `${w(ws)}/sources` }), inA: own },
    'POST /admin/api/workspaces/{workspace}/sources': { request: (ws) => ({ path: `${w(ws)}/sources`, body: { connectorId: 'tagger', name: 'More tags', config: { list: 'more' } } }), inA: own },
    'GET /admin/api/workspaces/{workspace}/sources/{id}': { request: (ws) => ({ path: `${w(ws)}/sources/${B.source}` }) },
    'PATCH /admin/api/workspaces/{workspace}/sources/{id}': { request: (ws) => ({ path: `${w(ws)}/sources/${B.source}`, body: { name: 'Renamed' } }) },
    'DELETE /admin/api/workspaces/{workspace}/sources/{id}': { request: (ws) => ({ path: `${w(ws)}/sources/${B.source}` }) },
    'POST /admin/api/workspaces/{workspace}/sources/{id}/check': { request: (ws) => ({ path: `${w(ws)}/sources/${B.source}/check` }) },
    'POST /admin/api/workspaces/{workspace}/sources/{id}/enable': { request: (ws) => ({ path: `${w(ws)}/sources/${B.source}/enable` }) },
    'POST /admin/api/workspaces/{workspace}/sources/{id}/disable': { request: (ws) => ({ path: `${w(ws)}/sources/${B.source}/disable` }) },
    'PUT /admin/api/workspaces/{workspace}/sources/{id}/schedule': { request: (ws) => ({ path: `${w(ws)}/sources/${B.source}/schedule`, body: { schedule: '30 2 * * *' } }) },
    'POST /admin/api/workspaces/{workspace}/sources/{id}/sync': { request: (ws) => ({ path: `${w(ws)}/sources/${B.source}/sync`, body: {} }) },
    'GET /admin/api/workspaces/{workspace}/sources/{id}/runs': { request: (ws) => ({ path: `${w(ws)}/sources/${B.source}/runs` }) },
    'GET /admin/api/workspaces/{workspace}/runs/{runId}': { request: (ws) => ({ path: `${w(ws)}/runs/${B.run}` }) },
    'GET /admin/api/workspaces/{workspace}/runs/{runId}/events': { request: (ws) => ({ path: `${w(ws)}/runs/${B.run}/events` }) },
    'POST /admin/api/workspaces/{workspace}/runs/{runId}/cancel': { request: (ws) => ({ path: `${w(ws)}/runs/${B.run}/cancel` }) },
    'GET /admin/api/workspaces/{workspace}/runs/{runId}/dead-letters': { request: (ws) => ({ path: `${w(ws)}/runs/${B.run}/dead-letters` }) },
    'GET /admin/api/workspaces/{workspace}/runs/{runId}/dead-letters/{deadLetterId}': { request: (ws) => ({ path: `${w(ws)}/runs/${B.run}/dead-letters/${B.deadLetter}` }) },
    'POST /admin/api/workspaces/{workspace}/runs/{runId}/dead-letters/retry': { request: (ws) => ({ path: `${w(ws)}/runs/${B.run}/dead-letters/retry`, body: { ids: [B.deadLetter] } }) },

    'GET /admin/api/workspaces/{workspace}/intake/dead-letters': { request: (ws) => ({ path: `${w(ws)}/intake/dead-letters` }), inA: own },
    'GET /admin/api/workspaces/{workspace}/intake/dead-letters/{deadLetterId}': { request: (ws) => ({ path: `${w(ws)}/intake/dead-letters/${B.intakeDeadLetter}` }) },

    'GET /admin/api/workspaces/{workspace}/typology': { request: (ws) => ({ path: `${w(ws)}/typology` }), inA: own },
    'GET /admin/api/workspaces/{workspace}/typology/settings': { request: (ws) => ({ path: `${w(ws)}/typology/settings` }), inA: own },
    'PUT /admin/api/workspaces/{workspace}/typology/settings': { request: (ws) => ({ path: `${w(ws)}/typology/settings`, body: {} }), inA: own },
    'POST /admin/api/workspaces/{workspace}/typology/recompute': { request: (ws) => ({ path: `${w(ws)}/typology/recompute` }), inA: own },

    'GET /admin/api/workspaces/{workspace}/settings/identity': { request: (ws) => ({ path: `${w(ws)}/settings/identity` }), inA: own },
    'PUT /admin/api/workspaces/{workspace}/settings/identity': { request: (ws) => ({ path: `${w(ws)}/settings/identity`, body: { defaultRegion: 'PT' } }), inA: own },
    'PATCH /admin/api/workspaces/{workspace}/settings/identity': { request: (ws) => ({ path: `${w(ws)}/settings/identity`, body: { defaultRegion: 'PT' } }), inA: own },
    'GET /admin/api/workspaces/{workspace}/settings/trait-precedence': { request: (ws) => ({ path: `${w(ws)}/settings/trait-precedence` }), inA: own },
    'PUT /admin/api/workspaces/{workspace}/settings/trait-precedence': { request: (ws) => ({ path: `${w(ws)}/settings/trait-precedence`, body: { traits: { city: ['crm'] } } }), inA: own },
    'PATCH /admin/api/workspaces/{workspace}/settings/trait-precedence': { request: (ws) => ({ path: `${w(ws)}/settings/trait-precedence`, body: { traits: { city: ['crm'] } } }), inA: own },
    'GET /admin/api/workspaces/{workspace}/settings/computed-traits': { request: (ws) => ({ path: `${w(ws)}/settings/computed-traits` }), inA: own },
    'PUT /admin/api/workspaces/{workspace}/settings/computed-traits': { request: (ws) => ({ path: `${w(ws)}/settings/computed-traits`, body: { definitions: [] } }), inA: own },
    'PATCH /admin/api/workspaces/{workspace}/settings/computed-traits': { request: (ws) => ({ path: `${w(ws)}/settings/computed-traits`, body: {} }), inA: own },
    'GET /admin/api/workspaces/{workspace}/settings/retention': { request: (ws) => ({ path: `${w(ws)}/settings/retention` }), inA: own },
    'PUT /admin/api/workspaces/{workspace}/settings/retention': { request: (ws) => ({ path: `${w(ws)}/settings/retention`, body: {} }), inA: own },
    'POST /admin/api/workspaces/{workspace}/retention/apply': { request: (ws) => ({ path: `${w(ws)}/retention/apply` }), inA: own },
    'GET /admin/api/workspaces/{workspace}/jobs/{id}': { request: (ws) => ({ path: `${w(ws)}/jobs/${B.job}` }) },

    'GET /admin/api/workspaces/{workspace}/api-keys': { request: (ws) => ({ path: `${w(ws)}/api-keys` }), inA: own },
    'POST /admin/api/workspaces/{workspace}/api-keys': { request: (ws) => ({ path: `${w(ws)}/api-keys`, body: { name: 'a app', scopes: ['profiles:read'] } }), inA: own },
    'DELETE /admin/api/workspaces/{workspace}/api-keys/{id}': { request: (ws) => ({ path: `${w(ws)}/api-keys/${B.apiKey}` }) },
    'GET /admin/api/workspaces/{workspace}/webhooks': { request: (ws) => ({ path: `${w(ws)}/webhooks` }), inA: own },
    'POST /admin/api/workspaces/{workspace}/webhooks': { request: (ws) => ({ path: `${w(ws)}/webhooks`, body: { url: 'http://127.0.0.1:9/a', events: ['segment.entered'] } }), inA: own },
    'DELETE /admin/api/workspaces/{workspace}/webhooks/{id}': { request: (ws) => ({ path: `${w(ws)}/webhooks/${B.webhook}` }) },
    'POST /admin/api/workspaces/{workspace}/webhooks/{id}/rotate-secret': { request: (ws) => ({ path: `${w(ws)}/webhooks/${B.webhook}/rotate-secret` }) },
    'GET /admin/api/workspaces/{workspace}/webhooks/{id}/deliveries': { request: (ws) => ({ path: `${w(ws)}/webhooks/${B.webhook}/deliveries` }) },
    'POST /admin/api/workspaces/{workspace}/webhooks/{id}/deliveries/{deliveryId}/redeliver': { request: (ws) => ({ path: `${w(ws)}/webhooks/${B.webhook}/deliveries/${B.delivery}/redeliver` }) },
    'GET /admin/api/workspaces/{workspace}/suppressions': { request: (ws) => ({ path: `${w(ws)}/suppressions` }), inA: own },
    'POST /admin/api/workspaces/{workspace}/suppressions/lift': { request: (ws) => ({ path: `${w(ws)}/suppressions/lift`, body: { type: 'email', value: 'gone@example.org' } }) },
  };

  /** Calls a route as A's owner; B's rows are as they were, and the answers name nothing of B. */
  async function attempt(route: string, workspace: string) {
    const requests = [cases[route]!.request(workspace)].flat();
    const answers: { status: number; text: string }[] = [];
    for (const request of requests) answers.push(await attemptOne(route.split(' ')[0]!, request));
    return answers;
  }

  async function attemptOne(method: string, { path, body }: Call) {
    const before = await snapshotB();
    const response = await admin.call(ownerA, path, { method, body: body ?? (method === 'GET' || method === 'DELETE' ? undefined : {}) });
    const text = response.headers.get('content-type')?.includes('text/event-stream') ? '' : await response.text();
    if (response.headers.get('content-type')?.includes('text/event-stream')) await response.body?.cancel();
    expect(await snapshotB()).toEqual(before);
    // A 404 may echo the id it was asked for; any other id of B in the answer is B's data.
    const asked = `${path} ${JSON.stringify(body ?? null)}`;
    for (const id of Object.values(B).filter((id) => !asked.includes(id))) expect(text).not.toContain(id);
    expect(text).not.toContain(ONLY_IN_B);
    return { status: response.status, text };
  }

  it('has a case for every route of a workspace in the served document', async () => {
    const spec = await json<{ paths: Record<string, Record<string, unknown>> }>(await fetch(`${admin.base}/admin/api/openapi.json`));
    const routes = Object.entries(spec.paths)
      .filter(([path]) => path.includes('{workspace}'))
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes.sort()).toEqual(Object.keys(cases).sort());
  });

  it('has B\'s rows of every kind a route names, all counted by the snapshot', async () => {
    const counts = Object.fromEntries((await snapshotB()).map((r) => [r.t, r.n]));
    const kinds = ['admin_memberships', 'profiles', 'merges', 'segments', 'segment_destinations', 'personas', 'icps', 'persona_discoveries', 'sources', 'sync_runs', 'dead_letters', 'webhook_subscriptions', 'webhook_deliveries', 'api_keys', 'recompute_jobs', 'suppressions', 'audit_log'];
    expect(kinds.filter((kind) => !(counts[kind]! > 0))).toEqual([]);
    expect(counts.workspaces).toBe(1);
  });

  it('lists to an owner of A its own workspace only', async () => {
    const listed = await json<{ data: { slug: string }[] }>(await admin.call(ownerA, '/admin/api/workspaces'));
    expect(listed.data.map((ws) => ws.slug)).toEqual([a.slug]);
  });

  it.each(Object.keys(cases))('%s: with A\'s slug and B\'s ids, nothing of B is seen or changed', async (route) => {
    const accepted = cases[route]!.inA ?? [404];
    for (const { status, text } of await attempt(route, a.slug)) {
      if (!accepted.includes(status)) throw new Error(`answered ${status}, not one of ${accepted.join(', ')}: ${text}`);
      expect(accepted).toContain(status);
    }
  });

  it.each(Object.keys(cases))('%s: with B\'s slug, by an owner of A only, 403 or 404 and B unchanged', async (route) => {
    for (const { status, text } of await attempt(route, b.slug)) {
      if (![403, 404].includes(status)) throw new Error(`answered ${status}: ${text}`);
      expect([403, 404]).toContain(status);
    }
  });
});
