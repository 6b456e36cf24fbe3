import type { StartDemoSandbox } from '@portrait/connector-sdk';
import { generatePopulation } from '@portrait/testkit';
import type { MailchimpConfigInput } from '../mailchimp.config.js';
import { MailchimpSandbox, SANDBOX_WEBHOOK_SECRET } from '../sandbox/index.js';

/** The CSV and Shopify demos' population (same seed, same size): newsletter readers, shoppers and store visitors meet on the same people. */
const DEMO_SEED = 2026;
const DEMO_PEOPLE = 400;

/**
 * The Mailchimp plugin's demo: a sandbox account on a loopback port with one audience of 240 members
 * of the demo population and a year of campaigns. The source's `apiBaseUrl` points the SDK at it, so
 * whichever process runs the demo's syncs (the worker) reaches it.
 */
export const startDemoSandbox: StartDemoSandbox<MailchimpConfigInput> = async ({ host }) => {
  const population = generatePopulation({ seed: DEMO_SEED, people: DEMO_PEOPLE, companies: 0 });
  const sandbox = await MailchimpSandbox.start({ seed: DEMO_SEED, population, members: 240, host });
  return {
    sourceName: 'Mailchimp (demo)',
    config: { source: 'mailchimp', apiKey: sandbox.apiKey, audienceIds: sandbox.audienceIds, webhookSecret: SANDBOX_WEBHOOK_SECRET, apiBaseUrl: sandbox.url },
    close: () => sandbox.close(),
  };
};
