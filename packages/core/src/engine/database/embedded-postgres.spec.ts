import pg from 'pg';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunningInstance, startEmbeddedPostgres } from './embedded-postgres.js';

describe('embedded PostgreSQL', () => {
  it('answers many concurrent parameterized queries from a pool correctly', async () => {
    const embedded = await startEmbeddedPostgres();
    const pool = new pg.Pool({ connectionString: embedded.url, max: 8 });
    try {
      // Parameterized queries use Parse/Bind/Execute/Sync on PGlite's single session.
      const results = await Promise.all(
        Array.from({ length: 400 }, (_, i) => pool.query('SELECT $1::int * 2 AS doubled, $2::text AS label', [i, `n${i}`])),
      );
      results.forEach((result, i) => expect(result.rows[0]).toEqual({ doubled: i * 2, label: `n${i}` }));
    } finally {
      await pool.end();
      await embedded.stop();
    }
  });

  it('keeps a transaction isolated from other connections until it commits', async () => {
    const embedded = await startEmbeddedPostgres();
    const pool = new pg.Pool({ connectionString: embedded.url, max: 4 });
    try {
      await pool.query('CREATE TABLE t (v int)');
      const tx = await pool.connect();
      await tx.query('BEGIN');
      await tx.query('INSERT INTO t VALUES (1)');
      const outside = pool.query('SELECT count(*)::int AS n FROM t');
      await tx.query('ROLLBACK');
      tx.release();
      expect((await outside).rows[0].n).toBe(0);
    } finally {
      await pool.end();
      await embedded.stop();
    }
  });

  it('persists to its data directory and announces the running instance', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portrait-embedded-'));
    try {
      const first = await startEmbeddedPostgres({ dataDir: dir });
      expect(readRunningInstance(dir)?.port).toBe(first.port);
      await expect(startEmbeddedPostgres({ dataDir: dir })).rejects.toThrow(/already served by process/);
      const client = new pg.Client({ connectionString: first.url });
      await client.connect();
      await client.query(`CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')`);
      await client.end();
      await first.stop();
      expect(readRunningInstance(dir)).toBeUndefined();

      const second = await startEmbeddedPostgres({ dataDir: dir });
      const again = new pg.Client({ connectionString: second.url });
      await again.connect();
      expect((await again.query('SELECT v FROM kept')).rows).toEqual([{ v: 'still here' }]);
      await again.end();
      await second.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
