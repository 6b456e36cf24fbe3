import Fastify from 'fastify';
import pg from 'pg';
import { loadConfig } from '@portrait/core';

/**
 * The API benchmark's baseline: bare Fastify and a `pg` pool of the API's size (DATABASE_POOL_SIZE)
 * answering the same two reads with the same profile SELECT the profiles service issues, and nothing
 * else — no key, no rate limit, no merge resolution, no validation. Its statements go unprepared, as
 * `pg` sends them by default (the API prepares its profile reads). Prints `{"url": …}` once it
 * listens and closes on SIGTERM. The workspace comes from BENCH_WORKSPACE_ID.
 */
const config = loadConfig();
const workspaceId = process.env.BENCH_WORKSPACE_ID;
if (!workspaceId || !config.databaseUrl) throw new Error('DATABASE_URL and BENCH_WORKSPACE_ID are required');
const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.databasePoolSize });

const PROFILE_SQL = `SELECT p.id, p.kind, p.traits, p.computed, p.persona_id, p.persona_score, p.created_at, p.updated_at,
        coalesce((SELECT json_agg(json_build_object('type', i.type, 'value', i.value, 'source', i.source, 'firstSeenAt', i.first_seen_at) ORDER BY i.type, i.value)
                  FROM identities i WHERE i.profile_id = p.id), '[]') AS identities,
        coalesce((SELECT json_agg(DISTINCT CASE WHEN p.kind = 'person' THEN l.account_id ELSE l.person_id END)
                  FROM account_links l WHERE l.person_id = p.id OR l.account_id = p.id), '[]') AS linked
 FROM profiles p WHERE p.id = $1 AND p.workspace_id = $2`;

interface ProfileRow {
  id: string;
  kind: string;
  traits: unknown;
  computed: unknown;
  persona_id: string | null;
  persona_score: number | null;
  created_at: Date;
  updated_at: Date;
  identities: { type: string; value: string; source: string; firstSeenAt: string }[];
  linked: string[];
}

async function profile(id: string) {
  const { rows } = await pool.query<ProfileRow>(PROFILE_SQL, [id, workspaceId]);
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    kind: row.kind,
    traits: row.traits,
    computed: row.computed,
    identities: row.identities.map((i) => ({ ...i, firstSeenAt: new Date(i.firstSeenAt).toISOString() })),
    linked: row.linked,
    personaId: row.persona_id,
    personaScore: row.persona_score,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

const app = Fastify({ logger: false });

app.get<{ Querystring: { type?: string; value?: string } }>('/v1/profiles/lookup', async (request, reply) => {
  const { type, value } = request.query;
  if (!type || !value) return reply.code(400).send({ error: 'type and value are required' });
  const { rows } = await pool.query<{ profile_id: string }>(`SELECT profile_id FROM identities WHERE workspace_id = $1 AND type = $2 AND value = $3`, [
    workspaceId,
    type,
    value.trim().toLowerCase(),
  ]);
  const found = rows[0] && (await profile(rows[0].profile_id));
  return found ?? reply.code(404).send({ error: 'not found' });
});

app.get<{ Params: { id: string } }>('/v1/profiles/:id', async (request, reply) => {
  const found = await profile(request.params.id);
  return found ?? reply.code(404).send({ error: 'not found' });
});

process.once('SIGTERM', async () => {
  await app.close();
  await pool.end();
  process.exit(0);
});

const address = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(JSON.stringify({ url: address }));
