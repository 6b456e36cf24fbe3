import { defineConnector } from '@portrait/connector-sdk';
import { checkMailchimpSource } from './mailchimp-check.js';
import { syncSegmentToMailchimp } from './destination.js';
import { mailchimpConfigSchema, mailchimpDestinationOptionProblems, mailchimpDestinationOptionsSchema, type MailchimpConfig, type MailchimpDestinationOptions } from './mailchimp.config.js';
import { readActivity } from './streams/activity.js';
import { readMembers } from './streams/members.js';
import { parseMailchimpWebhook } from './webhooks.js';

const ICON =
  'data:image/svg+xml;utf8,<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="11" fill="%23FFE01B"/><path fill="%23241C15" d="M7 16V8h2l3 4 3-4h2v8h-2v-5l-3 4-3-4v5z"/></svg>';

/**
 * Mailchimp: the members of the configured audiences and their e-mail activity through the
 * Marketing API (`@mailchimp/mailchimp_marketing`), kept current by Mailchimp's audience webhooks.
 */
export const connector = defineConnector<MailchimpConfig, MailchimpDestinationOptions>({
  manifest: {
    id: 'mailchimp',
    name: 'Mailchimp',
    version: '0.1.0',
    description:
      "Audience members (e-mail, mailchimp_member_id, phone; names, address, language, location, rating, open and click rates, tags; e-mail marketing consent) and their e-mail activity (sent, opened, clicked, bounced, unsubscribed) from Mailchimp's Marketing API.",
    icon: ICON,
    kind: 'both',
    configSchema: mailchimpConfigSchema,
    destinationOptionsSchema: mailchimpDestinationOptionsSchema,
    secretFields: ['apiKey', 'accessToken', 'webhookSecret'],
    streams: [
      {
        name: 'members',
        description: 'Members of each audience: mailchimp_member_id, e-mail and phone; merge fields, language, location, status, rating, open and click rates, revenue, tags, VIP; email_marketing consent.',
        primaryKey: ['list_id', 'id'],
        cursorField: 'last_changed',
        syncModes: ['full', 'incremental'],
      },
      {
        name: 'activity',
        description: "Each member's activity feed as email_sent, email_opened, email_clicked (with the link), email_bounced and email_unsubscribed events, with the campaign.",
        primaryKey: ['list_id', 'id'],
        cursorField: 'last_changed',
        syncModes: ['full', 'incremental'],
      },
    ],
    defaultSchedule: '*/30 * * * *',
    capabilities: { webhooks: true, destination: true, destinationConsent: 'email_marketing' },
  },
  check: (config, ctx) => checkMailchimpSource(config, ctx),
  read(request, config, ctx) {
    if (request.stream === 'members') return readMembers(request, config, ctx);
    if (request.stream === 'activity') return readActivity(request, config, ctx);
    throw new Error(`the mailchimp connector has no stream "${request.stream}"`);
  },
  parseWebhook: (request, config, ctx) => parseMailchimpWebhook(request, config, ctx),
  syncSegment: (segment, diff, config, ctx) => syncSegmentToMailchimp(segment, diff, config, ctx),
  checkDestinationOptions: (options, config) => mailchimpDestinationOptionProblems(options, config),
});

export default connector;
export type { MailchimpConfig, MailchimpConfigInput, MailchimpDestinationOptions } from './mailchimp.config.js';
