import { defineConnector, type ReadMessage } from '@portrait/connector-sdk';
import { z } from 'zod';

/**
 * The audience destination's own state — the user ids it holds, by segment key — and its control:
 * the next `failures` pushes fail, as a channel that is down would.
 */
export const audience = { held: new Map<string, Set<string>>(), failures: 0 };

/** A destination keeping an audience of user ids per segment, as an ad network would. */
export const audienceDestination = defineConnector({
  manifest: {
    id: 'audience',
    name: 'Audience',
    version: '0.1.0',
    description: 'An audience of user ids per segment, for tests.',
    kind: 'destination',
    configSchema: z.object({ account: z.string().min(1) }),
    secretFields: [],
    streams: [],
    defaultSchedule: '0 0 * * *',
    capabilities: { destination: true },
  },
  check: async () => ({ ok: true }),
  async *read(): AsyncGenerator<ReadMessage> {},
  async syncSegment(segment, diff) {
    if (audience.failures > 0) {
      audience.failures--;
      throw new Error('the audience service is unavailable (HTTP 503)');
    }
    const held = audience.held.get(segment.key) ?? new Set<string>();
    const userId = (m: { identities: Record<string, string[]> }) => m.identities.user_id?.[0];
    for (const m of diff.entered) if (userId(m)) held.add(userId(m)!);
    for (const m of diff.exited) if (userId(m)) held.delete(userId(m)!);
    audience.held.set(segment.key, held);
    const skipped = [...diff.entered, ...diff.exited].filter((m) => !userId(m)).map((m) => ({ profileId: m.profileId, reason: 'no user id' }));
    return { synced: diff.entered.length + diff.exited.length - skipped.length, skipped };
  },
});
