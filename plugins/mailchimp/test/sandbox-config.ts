import type { MailchimpConfigInput } from '../src/mailchimp.config.js';
import { SANDBOX_WEBHOOK_SECRET, type MailchimpSandbox } from '../src/sandbox/index.js';

/** A source configuration pointing the SDK at the sandbox (its `basePath`, through `apiBaseUrl`). */
export function sandboxConfig(sandbox: MailchimpSandbox, overrides: Partial<MailchimpConfigInput> = {}): MailchimpConfigInput {
  return { apiKey: sandbox.apiKey, audienceIds: sandbox.audienceIds, webhookSecret: SANDBOX_WEBHOOK_SECRET, apiBaseUrl: sandbox.url, ...overrides };
}
