import { abortableSleep, defineConnector, type ReadMessage } from '@portrait/connector-sdk';
import { z } from 'zod';

/** The API key the vault connector accepts. */
export const VAULT_KEY = 'vault-key-0123456789';

/**
 * A connector with secret fields, for tests: its check and its warnings quote the key it was given
 * (the engine must redact them), and with `endless` its read never ends until the run is cancelled.
 */
export const vaultConnector = defineConnector({
  manifest: {
    id: 'vault',
    name: 'Vault',
    version: '0.1.0',
    description: 'A connector with secret fields, for tests.',
    icon: 'data:image/svg+xml,%3Csvg xmlns="http://www.w3.org/2000/svg"/%3E',
    kind: 'source',
    configSchema: z.object({
      account: z.string().regex(/^[a-z]+$/, 'must be lower-case letters'),
      apiKey: z.string().min(8, 'must be at least 8 characters'),
      webhookSecret: z.string().min(8, 'must be at least 8 characters').optional(),
      endless: z.boolean().default(false),
    }),
    secretFields: ['apiKey', 'webhookSecret'],
    streams: [{ name: 'members', description: 'Members of the account', primaryKey: ['id'], syncModes: ['full'] }],
    defaultSchedule: '30 2 * * *',
    capabilities: { webhooks: false },
  },
  async check(config) {
    return config.apiKey === VAULT_KEY ? { ok: true } : { ok: false, reason: `the key ${config.apiKey} was refused` };
  },
  async *read(_request, config, ctx): AsyncGenerator<ReadMessage> {
    ctx.logger.warn({ account: config.account }, `slow answers for key ${config.apiKey}`);
    for (let i = 0; i < 3 || config.endless; i++) {
      yield { type: 'facts', facts: [{ source: 'vault', externalId: `m-${i}`, kind: 'person', identities: [{ type: 'email', value: `m${i}@${config.account}.test` }], observedAt: '2026-01-01T00:00:00Z' } as never] };
      yield { type: 'checkpoint', state: { next: i + 1 } };
      if (config.endless) await abortableSleep(50, ctx.signal);
    }
  },
});
