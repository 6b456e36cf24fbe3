import Fastify from 'fastify';
import pg from 'pg';
import { batchRequest, MAX_BATCH_BYTES, segmentMessageToFact } from '@portrait/api/tracking';
import { loadConfig } from '@portrait/core';

/**
 * The intake benchmark's baseline: bare Fastify and a `pg` pool of the API's size answering
 * `POST /v1/batch` with the tracking API's own validation (its zod schema and message → fact mapping)
 * and one multi-row INSERT into `bench_intake_baseline`, a table of the intake log's shape — no key,
 * no rate limit, no Nest. Prints `{"url": …}` once it listens. The workspace comes from BENCH_WORKSPACE_ID.
 */
const config = loadConfig();
const workspaceId = process.env.BENCH_WORKSPACE_ID;
if (!workspaceId || !config.databaseUrl) throw new Error('DATABASE_URL and BENCH_WORKSPACE_ID are required');
const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.databasePoolSize });

const app = Fastify({ bodyLimit: MAX_BATCH_BYTES });
app.post('/v1/batch', async (request, reply) => {
  const parsed = batchRequest.safeParse(request.body);
  if (!parsed.success) return reply.status(400).send({ errors: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) });
  const receivedAt = new Date();
  const facts: unknown[] = [];
  for (const [index, message] of parsed.data.batch.entries()) {
    const mapped = segmentMessageToFact(message.type, message, { receivedAt, context: parsed.data.context, sentAt: parsed.data.sentAt, path: `batch.${index}.` });
    if (mapped.errors.length) return reply.status(400).send({ errors: mapped.errors });
    if (mapped.fact) facts.push(mapped.fact);
  }
  await pool.query(
    `INSERT INTO bench_intake_baseline (workspace_id, fact) SELECT $1, f.fact FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS f(fact, n) ORDER BY f.n`,
    [workspaceId, JSON.stringify(facts)],
  );
  return { success: true, received: parsed.data.batch.length };
});
process.on('SIGTERM', () => void app.close().then(() => pool.end()).then(() => process.exit(0)));
await app.listen({ port: 0, host: '127.0.0.1' });
console.log(JSON.stringify({ url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` }));
