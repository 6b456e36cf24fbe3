import { isConnectorError, type CheckResult, type ConnectorContext } from '@portrait/connector-sdk';
import type { MailchimpConfig } from './mailchimp.config.js';
import { createMarketingClient } from './transport/marketing-client.js';

/**
 * "Test connection": `GET /ping` with the credentials (a refused key or a wrong data center), then each
 * audience by id (one that does not exist in the account, or that the key cannot see).
 */
export async function checkMailchimpSource(config: MailchimpConfig, ctx: ConnectorContext): Promise<CheckResult> {
  // A few quick retries: the admin is waiting for the answer.
  const client = createMarketingClient(config, ctx, { maxRetries: 2, maxDelayMs: 1000 });
  try {
    await client.ping();
  } catch (error) {
    if (isConnectorError(error)) return { ok: false, reason: error.message };
    throw error;
  }
  const missing: string[] = [];
  for (const id of config.audienceIds) {
    try {
      await client.list(id, { fields: ['id', 'name'] });
    } catch (error) {
      if (isConnectorError(error) && (error as { status?: number }).status === 404) missing.push(id);
      else if (isConnectorError(error)) return { ok: false, reason: error.message };
      else throw error;
    }
  }
  if (missing.length) {
    return {
      ok: false,
      reason: `The Mailchimp account (${client.dataCenter}) has no audience ${missing.join(', ')}: copy the id from Audience → Settings → Audience name and defaults → Audience ID.`,
    };
  }
  return { ok: true };
}
