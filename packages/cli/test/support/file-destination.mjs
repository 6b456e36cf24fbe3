// A destination plugin for the CLI's tests, loaded by path through PORTRAIT_PLUGINS (plain JavaScript:
// the CLI under test is the built one, run by Node). It keeps what it holds in a JSON file — its own
// state, read back by the tests — and fails the next `failures` pushes counted in that file, as a
// channel that is down would.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { defineConnector } from '@portrait/connector-sdk';

// zod as the SDK resolves it (the CLI has no dependency of its own on zod).
const { z } = createRequire(new URL('../../../connector-sdk/package.json', import.meta.url))('zod');

/** `{ held: { [segmentKey]: emails[] }, failures: number }`. */
function readState(file) {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { held: {}, failures: 0 };
}

export default defineConnector({
  manifest: {
    id: 'file-tagger',
    name: 'File tagger',
    version: '0.1.0',
    description: 'A destination tagging members of segments by e-mail in a file, for tests.',
    kind: 'destination',
    configSchema: z.object({ stateFile: z.string().min(1) }),
    secretFields: [],
    streams: [],
    defaultSchedule: '0 0 * * *',
    capabilities: { destination: true },
  },
  async check() {
    return { ok: true };
  },
  async *read() {},
  async syncSegment(segment, diff, config) {
    const state = readState(config.stateFile);
    if (state.failures > 0) {
      state.failures--;
      writeFileSync(config.stateFile, JSON.stringify(state));
      throw new Error('the tagging service is unavailable (HTTP 503)');
    }
    const email = (m) => m.identities.email?.[0];
    const held = new Set(state.held[segment.key] ?? []);
    for (const m of diff.entered) if (email(m)) held.add(email(m));
    for (const m of diff.exited) if (email(m)) held.delete(email(m));
    state.held[segment.key] = [...held].sort();
    writeFileSync(config.stateFile, JSON.stringify(state));
    const skipped = [...diff.entered, ...diff.exited].filter((m) => !email(m)).map((m) => ({ profileId: m.profileId, reason: 'no email' }));
    return { synced: diff.entered.length + diff.exited.length - skipped.length, skipped };
  },
});
