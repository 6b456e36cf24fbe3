import { builtInConnectors } from '@portrait/connectors';
import { defineConnector, type ReadMessage } from '@portrait/connector-sdk';
import { z } from 'zod';

/** What the test destination was sent: every push, by segment key. */
export const pushed: { key: string; entered: string[]; exited: string[] }[] = [];

/**
 * The test destination's own state: the e-mails it holds tagged, by list and segment key
 * (`list/key`); and its control: the next `failures` pushes fail, as a channel that is down would.
 */
export const tagger = { held: new Map<string, Set<string>>(), failures: 0 };

/**
 * A destination that tags people by e-mail, as an email-marketing channel would; people without an
 * e-mail are skipped. Its list `refused` fails every push; a failed push changes nothing it holds.
 */
export const tagDestination = defineConnector({
  manifest: {
    id: 'tagger',
    name: 'Tagger',
    version: '0.1.0',
    description: 'A destination tagging members of segments by e-mail, for tests.',
    kind: 'both',
    configSchema: z.object({ list: z.string().min(1) }),
    secretFields: [],
    streams: [{ name: 'nothing', primaryKey: ['id'], syncModes: ['full'] }],
    defaultSchedule: '0 0 * * *',
    capabilities: { destination: true },
  },
  async check() {
    return { ok: true };
  },
  async *read(): AsyncGenerator<ReadMessage> {},
  async syncSegment(segment, diff, config) {
    if (config.list === 'refused') throw new Error('the list refused the push (HTTP 400)');
    if (tagger.failures > 0) {
      tagger.failures--;
      throw new Error('the tagging service is unavailable (HTTP 503)');
    }
    const email = (m: { identities: Record<string, string[]> }) => m.identities.email?.[0];
    const held = tagger.held.get(`${config.list}/${segment.key}`) ?? new Set<string>();
    for (const m of diff.entered) if (email(m)) held.add(email(m)!);
    for (const m of diff.exited) if (email(m)) held.delete(email(m)!);
    tagger.held.set(`${config.list}/${segment.key}`, held);
    const skipped = [...diff.entered, ...diff.exited].filter((m) => !email(m)).map((m) => ({ profileId: m.profileId, reason: 'no email' }));
    pushed.push({ key: segment.key, entered: diff.entered.map((m) => email(m) ?? '-'), exited: diff.exited.map((m) => email(m) ?? '-') });
    return { synced: diff.entered.length + diff.exited.length - skipped.length, skipped };
  },
});

/** The built-in connectors and the test destination. */
export const connectorsWithDestination = [...builtInConnectors, tagDestination];
