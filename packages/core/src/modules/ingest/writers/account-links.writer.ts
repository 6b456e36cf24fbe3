import type { QueryRunner } from 'typeorm';
import { rows } from '../../../engine/database/sql.js';
import { KEY_SEPARATOR, type IngestEntry, type PlaceEntry } from '../ingest-entry.js';
import { uniqueBy } from '../utils/unique-by.js';

/**
 * People ↔ accounts: a link per person, account and source, inserted once. One statement (none for
 * none). Answers the people and accounts newly linked.
 */
export async function writeAccountLinks(runner: QueryRunner, workspaceId: string, entries: IngestEntry[], place: PlaceEntry): Promise<string[]> {
  const links = uniqueBy(
    entries
      .filter((e) => e.account)
      .map((e) => {
        const person = place(e);
        const account = place(e.account!);
        return { person: person.profileId, account: account.profileId, origin_person: person.originId, origin_account: account.originId, source: e.source };
      }),
    (l) => [l.origin_person, l.origin_account, l.source].join(KEY_SEPARATOR),
  );
  if (links.length === 0) return [];
  const linked = await rows<{ person_id: string; account_id: string }>(
    runner,
    `INSERT INTO account_links (workspace_id, person_id, account_id, origin_person_id, origin_account_id, source)
     SELECT $1, x.person, x.account, x.origin_person, x.origin_account, x.source
     FROM json_to_recordset($2::json) AS x(person uuid, account uuid, origin_person uuid, origin_account uuid, source text)
     ON CONFLICT DO NOTHING
     RETURNING person_id, account_id`,
    [workspaceId, JSON.stringify(links)],
  );
  return linked.flatMap((r) => [r.person_id, r.account_id]);
}
