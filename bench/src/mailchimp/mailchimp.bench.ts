import { SourcesService, SyncService, WorkspacesService } from '@portrait/core';
import mailchimp from '@portrait/plugin-mailchimp';
import { MailchimpSandbox, verifyMailchimpTruth } from '@portrait/plugin-mailchimp/sandbox';
import { measured, numberArg, printTable } from '../lib/measure.js';
import { BENCH_DATABASE_URL, succeeded, withScratchCore } from '../lib/scratch-core.js';

/**
 * pnpm bench:mailchimp — a full sync of a sandbox Mailchimp audience (members and their activity
 * feeds) through the real core into a scratch database, then the truth check at that scale and an
 * incremental sync after members were edited, engaged by a new campaign and added.
 *
 * Mailchimp's only limit is 10 simultaneous connections per account (the 11th gets a 429). With each
 * call holding its connection for L seconds, the account serves at most 10 / L calls per second: the
 * budget. `members` reads pages of up to 1,000 members (Mailchimp's most, the connector's page size),
 * so its budget is 10 × 1,000 / L members/s; `activity` reads one feed per member (plus a page of
 * members per 1,000), so its budget is 10 / L × 1,000/1,001 members/s. Figures: members/s of each
 * stream set against its budget, and the 429s the sandbox answered (target: 0).
 *
 * The default latency, 50 ms, is a short round trip to Mailchimp's API from a host near its data
 * center; the shorter the latency, the larger the budget, so the ratio errs on the strict side. At
 * that latency the budget alone keeps the activity stream of 10,000 members (the default) 50 s long:
 * the run takes about two minutes. The sandbox runs in this process, so its CPU time is the run's too.
 *
 *   pnpm bench:mailchimp [--members=10000] [--latency=50]   (DATABASE_URL or the local PostgreSQL)
 */

const SCRATCH = 'portrait_bench_mailchimp';
const members = numberArg('members', 10_000);
const latencyMs = numberArg('latency', 50);
/** Members per page: Mailchimp's most, and what the connector asks (see plugins/mailchimp/src/streams/member-pages.ts). */
const PAGE_SIZE = 1000;
/** The incremental sync's changes: members edited, members who open a new campaign, members added. */
const EDITED = 100;
const ENGAGED = 200;
const ADDED = 50;

async function main() {
  let failed = false;
  await withScratchCore(SCRATCH, [mailchimp], async ({ app, query }) => {
    const sandbox = await MailchimpSandbox.start({ members, latencyMs });
    try {
      const callsPerS = sandbox.maxConnections / (latencyMs / 1000);
      const membersBudget = callsPerS * PAGE_SIZE;
      const activityBudget = (callsPerS * PAGE_SIZE) / (PAGE_SIZE + 1);
      const accountMembers = sandbox.data.allMembers().length;
      console.log(
        `mailchimp benchmark: ${accountMembers.toLocaleString('en-US')} members, ${latencyMs} ms per call, ${sandbox.maxConnections} connections (${callsPerS.toLocaleString('en-US')} calls/s), on ${new URL(BENCH_DATABASE_URL).host}`,
      );
      const ws = (await app.get(WorkspacesService).create('bench')).id;
      const source = await app.get(SourcesService).create(ws, { connectorId: 'mailchimp', name: 'Mailchimp', config: { apiKey: sandbox.apiKey, audienceIds: sandbox.audienceIds, apiBaseUrl: sandbox.url } });
      const sync = app.get(SyncService);

      const full = await measured(async () => succeeded(await sync.sync(source.id, { mode: 'full' })));
      const stats = full.result.stats;
      // Streams run one after the other: members from the run's start to its stream's last checkpoint, then activity.
      const [{ at: membersDone }] = await query(`SELECT updated_at AS at FROM sync_states WHERE source_id = $1 AND stream = 'members'`, [source.id]);
      const started = Date.parse(full.result.startedAt!);
      const split = new Date(membersDone).getTime();
      const memberSeconds = (split - started) / 1000;
      const activitySeconds = (Date.parse(full.result.finishedAt!) - split) / 1000;
      const answered = sandbox.requests.filter((r) => r.status === 200);
      const pages = answered.filter((r) => r.path.endsWith('/members') && r.at <= split).length;
      const feeds = answered.filter((r) => r.path.endsWith('/activity-feed')).length;
      const membersPerS = (stats.members?.read ?? 0) / memberSeconds;
      const feedsPerS = feeds / activitySeconds;
      const truth = await verifyMailchimpTruth(query, ws, sandbox);
      const events = Object.values(truth.expectedEvents).reduce((a, b) => a + b, 0);
      console.log(
        `full sync: ${(full.ms / 1000).toFixed(1)} s, peak RSS ${(full.peakRss / 2 ** 20).toFixed(0)} MiB, ${sandbox.requests.length.toLocaleString('en-US')} calls, ` +
          `at most ${sandbox.peakConnections} connections at once, ${sandbox.tooManyConnections} answered 429`,
      );
      printTable([
        { stream: 'members', read: stats.members?.read ?? 0, calls: pages, seconds: memberSeconds, 'members per s': membersPerS, 'budget per s': membersBudget, 'x budget': (membersPerS / membersBudget).toPrecision(2) },
        { stream: 'activity', read: stats.activity?.read ?? 0, calls: feeds, seconds: activitySeconds, 'members per s': feedsPerS, 'budget per s': activityBudget, 'x budget': (feedsPerS / activityBudget).toPrecision(2) },
      ]);
      console.log(`  (activity: "read" counts members with a non-empty feed; its rate counts every member whose feed was read, ${events.toLocaleString('en-US')} activities in all)`);
      console.log(`truth: ${truth.problems.length === 0 ? 'equal' : 'DIFFERENT'} (${truth.checkedProfiles.toLocaleString('en-US')} profiles compared, ${events.toLocaleString('en-US')} events)`);
      for (const problem of truth.problems) console.log(`  ${problem}`);
      failed ||= truth.problems.length > 0;

      const refusedBefore = sandbox.tooManyConnections;
      const callsBefore = sandbox.requests.length;
      const changed = sandbox.change({ members: EDITED, engaged: ENGAGED, added: ADDED });
      const withFeed = changed.touched.filter((m) => m.activity.length > 0).length;
      const incremental = await measured(async () => succeeded(await sync.sync(source.id)));
      const incStats = incremental.result.stats;
      const exact = incStats.members?.read === changed.touched.length && incStats.activity?.read === withFeed;
      console.log(
        `incremental sync: ${incStats.members?.read} members (${changed.touched.length} changed: ${changed.edited.length} edited, ${changed.engaged.length} engaged, ${changed.added.length} added), ` +
          `${incStats.activity?.read} activity feeds (${withFeed} of them have one) in ${(incremental.ms / 1000).toFixed(1)} s — ${(sandbox.requests.length - callsBefore).toLocaleString('en-US')} calls, ` +
          `${sandbox.tooManyConnections - refusedBefore} answered 429${exact ? '' : ' — NOT EXACTLY THE CHANGES'}`,
      );
      failed ||= !exact;
      const after = await verifyMailchimpTruth(query, ws, sandbox);
      console.log(`truth after the incremental sync: ${after.problems.length === 0 ? 'equal' : 'DIFFERENT'}`);
      for (const problem of after.problems) console.log(`  ${problem}`);
      failed ||= after.problems.length > 0;
    } finally {
      await sandbox.close();
    }
  });
  if (failed) process.exitCode = 1;
}

await main();
