import type { MailchimpSandbox } from './mailchimp-sandbox.js';

/**
 * Compares what a Portrait workspace holds after syncing the sandbox account with the account's own
 * records: one live profile per member id with the member's traits and e-mail consent, and every
 * activity of every feed as exactly one event of its type. Answers the list of differences (empty
 * when all is equal). Used by the truth tests and the bench; `query` runs SQL on Portrait's database.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows of arbitrary SQL, read by column name
export type Query = (sql: string, params: unknown[]) => Promise<Record<string, any>[]>;

export interface MailchimpTruthReport {
  problems: string[];
  /** Profiles compared trait by trait (those holding exactly one member). */
  checkedProfiles: number;
  /** Events per type the account's feeds hold. */
  expectedEvents: Record<string, number>;
}

const MAX_PROBLEMS = 20;
const EVENT_OF: Record<string, string> = { sent: 'email_sent', open: 'email_opened', click: 'email_clicked', bounce: 'email_bounced', unsub: 'email_unsubscribed' };

export async function verifyMailchimpTruth(query: Query, workspaceId: string, sandbox: MailchimpSandbox, source = 'mailchimp'): Promise<MailchimpTruthReport> {
  const problems: string[] = [];
  const problem = (text: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(text);
  };
  const members = sandbox.data.allMembers();

  const rows = await query(
    `SELECT i.value, p.id AS profile_id, p.merged_into, p.traits, p.computed FROM identities i JOIN profiles p ON p.id = i.profile_id
     WHERE i.workspace_id = $1 AND i.type = 'mailchimp_member_id'`,
    [workspaceId],
  );
  const profileOf = new Map<string, string>();
  const membersOf = new Map<string, number>();
  const traitsOf = new Map<string, Record<string, unknown>>();
  const computedOf = new Map<string, Record<string, unknown>>();
  for (const row of rows) {
    computedOf.set(row.profile_id, row.computed ?? {});
    if (row.merged_into) problem(`member ${row.value}: its identity points at a merged-away profile`);
    profileOf.set(row.value, row.profile_id);
    membersOf.set(row.profile_id, (membersOf.get(row.profile_id) ?? 0) + 1);
    traitsOf.set(row.profile_id, row.traits);
  }
  const distinct = new Set(members.map((m) => m.record.id));
  if (rows.length !== distinct.size) problem(`mailchimp_member_id identities: ${rows.length}, the account has ${distinct.size} members`);

  const consentRows = await query(`SELECT profile_id, granted, at FROM consents WHERE workspace_id = $1 AND source = $2 AND purpose = 'email_marketing'`, [workspaceId, source]);
  const consentOf = new Map(consentRows.map((r) => [r.profile_id as string, r]));

  let checkedProfiles = 0;
  for (const member of members) {
    const record = member.record;
    const profileId = profileOf.get(record.id);
    if (!profileId) {
      problem(`member ${record.id} has no profile`);
      continue;
    }
    if (membersOf.get(profileId) !== 1) continue; // one person in several audiences: traits come from several records
    checkedProfiles++;
    const traits = traitsOf.get(profileId)!;
    const merge = record.merge_fields ?? {};
    const address = typeof merge.ADDRESS === 'object' && merge.ADDRESS ? (merge.ADDRESS as { city?: string; country?: string }) : undefined;
    const expected: Record<string, unknown> = {
      first_name: String(merge.FNAME ?? '').trim() || undefined,
      last_name: String(merge.LNAME ?? '').trim() || undefined,
      'mailchimp.status': record.status,
      'mailchimp.member_rating': record.member_rating,
      'mailchimp.avg_open_rate': record.stats?.avg_open_rate,
      'mailchimp.avg_click_rate': record.stats?.avg_click_rate,
      'mailchimp.ecommerce_revenue': record.stats?.ecommerce_data?.total_revenue,
      'mailchimp.vip': record.vip,
      'mailchimp.tags': (record.tags ?? []).map((t) => t.name).sort(),
      city: address?.city || undefined,
      country: address?.country || record.location?.country_code || undefined,
      language: record.language || undefined,
      timezone: record.location?.timezone || undefined,
    };
    for (const [key, value] of Object.entries(expected)) {
      if (value === undefined) continue;
      if (JSON.stringify(traits[key]) !== JSON.stringify(value)) problem(`member ${record.id}: trait ${key} is ${JSON.stringify(traits[key])}, the account says ${JSON.stringify(value)}`);
    }
    // The default computed traits of e-mail activity: the latest open, the latest click and its link, clicks per send.
    const computed = computedOf.get(profileId)!;
    const latest = (type: string) => member.activity.filter((a) => a.activity_type === type).sort((a, b) => (a.created_at_timestamp < b.created_at_timestamp ? -1 : 1)).at(-1);
    const open = latest('open');
    const click = latest('click');
    const sameTime = (value: unknown, at: string | undefined) => (at === undefined ? value === undefined : Date.parse(String(value)) === Date.parse(at));
    if (!sameTime(computed.last_email_open_at, open?.created_at_timestamp)) problem(`member ${record.id}: last_email_open_at ${String(computed.last_email_open_at)}, the feed says ${open?.created_at_timestamp}`);
    if (!sameTime(computed.last_email_click_at, click?.created_at_timestamp)) problem(`member ${record.id}: last_email_click_at ${String(computed.last_email_click_at)}, the feed says ${click?.created_at_timestamp}`);
    if (computed.last_clicked_link !== click?.link_clicked) problem(`member ${record.id}: last_clicked_link ${String(computed.last_clicked_link)}, the feed says ${click?.link_clicked}`);
    const sends = member.activity.filter((a) => a.activity_type === 'sent').length;
    const clicks = member.activity.filter((a) => a.activity_type === 'click').length;
    const perSend = sends ? Math.round((clicks / sends) * 10_000) / 10_000 : undefined;
    if ((computed.email_clicks_per_send === undefined ? undefined : Number(computed.email_clicks_per_send)) !== perSend) {
      problem(`member ${record.id}: email_clicks_per_send ${String(computed.email_clicks_per_send)}, the feed says ${clicks}/${sends}`);
    }
    const consent = consentOf.get(profileId);
    if (record.status === 'subscribed') {
      const email = record.marketing_permissions?.find((p) => p.text === 'Email');
      const granted = email ? email.enabled : true;
      if (consent?.granted !== granted) problem(`member ${record.id}: email_marketing consent ${String(consent?.granted)}, the account says ${granted}`);
    } else if (record.status === 'unsubscribed' && consent?.granted !== false) {
      problem(`member ${record.id}: unsubscribed, but email_marketing consent is ${String(consent?.granted)}`);
    }
  }

  const expectedEvents: Record<string, number> = {};
  for (const member of members) {
    for (const item of member.activity) {
      const type = EVENT_OF[item.activity_type];
      if (type) expectedEvents[type] = (expectedEvents[type] ?? 0) + 1;
    }
  }
  const counts = await query(
    `SELECT type, count(*)::int AS n, count(DISTINCT dedupe_key)::int AS keys FROM events WHERE workspace_id = $1 AND source = $2 GROUP BY type`,
    [workspaceId, source],
  );
  const byType = new Map(counts.map((r) => [r.type as string, r]));
  for (const type of new Set([...Object.keys(expectedEvents), ...byType.keys()])) {
    const row = byType.get(type);
    const n = expectedEvents[type] ?? 0;
    if ((row?.n ?? 0) !== n || (row?.keys ?? 0) !== n) problem(`${type} events: ${row?.n ?? 0} (${row?.keys ?? 0} distinct), the account's feeds hold ${n}`);
  }
  return { problems, checkedProfiles, expectedEvents };
}
