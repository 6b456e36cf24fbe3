import type { DataSource } from 'typeorm';
import { inTransaction, rows } from '../database/sql.js';
import { SecretBoxException, type SecretBox } from './secret-box.js';

/** A table's sealed column and the column of the id of the key that sealed it. */
export interface SealedColumn {
  table: string;
  /** The table's key column (`id` unless named). */
  id?: string;
  ciphertext: string;
  keyId: string;
}

/**
 * Seals again under the current key every value of a sealed column sealed under another key (a key
 * rotation: afterwards the previous keys can be dropped), in one transaction with those rows locked;
 * answers how many. `open` reads a value (the secret box, unless the column has an earlier format).
 * Table and column names come from the owning module, never from input.
 */
export async function resealColumn(
  dataSource: DataSource,
  box: SecretBox,
  column: SealedColumn,
  open: (ciphertext: string, keyId: string | null) => string = (ciphertext, keyId) => box.open({ ciphertext, keyId: keyId ?? '' }),
): Promise<number> {
  const current = box.currentKeyId;
  if (!current) throw new SecretBoxException('SECRET_KEY_REQUIRED', 'nothing can be sealed again without a current key: set PORTRAIT_SECRET_KEY');
  const { table, id = 'id', ciphertext, keyId } = column;
  return inTransaction(dataSource, async (runner) => {
    const stale = await rows<{ id: string; sealed: string; key_id: string | null }>(
      runner,
      `SELECT ${id} AS id, ${ciphertext} AS sealed, ${keyId} AS key_id FROM ${table} WHERE ${ciphertext} IS NOT NULL AND ${keyId} IS DISTINCT FROM $1 FOR UPDATE`,
      [current],
    );
    for (const row of stale) {
      const sealed = box.seal(open(row.sealed, row.key_id));
      await runner.query(`UPDATE ${table} SET ${ciphertext} = $2, ${keyId} = $3 WHERE ${id} = $1`, [row.id, sealed.ciphertext, sealed.keyId]);
    }
    return stale.length;
  });
}
