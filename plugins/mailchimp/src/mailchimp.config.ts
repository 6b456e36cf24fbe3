import { isLoopbackOrigin, SOURCE_ID } from '@portrait/connector-sdk';
import { z } from 'zod';

/**
 * Configuration of a Mailchimp source: an API key (whose `-us6` suffix names the data center) or an
 * OAuth access token with its data center, the audiences to sync, and the secret the webhook URL
 * carries (Mailchimp signs nothing: the URL it calls is the credential).
 */

/** A data center, as in `us6`. */
export const DATA_CENTER = /^[a-z]{2,4}\d{1,3}$/;
/** `<32 hex>-<data center>`, as Mailchimp's admin shows an API key. */
export const API_KEY = /^[0-9a-f]{32}-([a-z]{2,4}\d{1,3})$/;

export const MEMBER_STATUSES_IF_NEW = ['subscribed', 'pending', 'unsubscribed', 'transactional'] as const;

export const mailchimpConfigSchema = z
  .object({
    /** The source id written on every fact. */
    source: z.string().regex(SOURCE_ID, 'must be a lower-case source id, e.g. mailchimp').default('mailchimp'),
    apiKey: z
      .string()
      .trim()
      .toLowerCase()
      .regex(API_KEY, 'must be a Mailchimp API key: 32 hexadecimal characters, a dash and the data center, e.g. …-us6')
      .optional()
      .describe('An API key (Profile → Extras → API keys in Mailchimp), e.g. 0123…cdef-us6. Its suffix names the data center. Give it or an OAuth access token.'),
    accessToken: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .optional()
      .describe("An OAuth 2 access token of a registered Mailchimp app, instead of an API key. Needs `server` (the account's data center)."),
    server: z
      .string()
      .trim()
      .toLowerCase()
      .regex(DATA_CENTER, 'must be a Mailchimp data center, e.g. us6')
      .optional()
      .describe("The account's data center, e.g. us6 (the `dc` of OAuth metadata). Taken from the API key when one is given."),
    audienceIds: z
      .array(z.string().trim().regex(/^[0-9a-z]{1,32}$/i, 'must be an audience id, e.g. 1a2b3c4d5e (Audience → Settings → Audience name and defaults)'))
      .min(1, 'name at least one audience')
      .max(50, 'at most 50 audiences per source')
      .describe('The audiences (lists) to sync, by id (Audience → Settings → Audience name and defaults → Audience ID).'),
    webhookSecret: z
      .string()
      .trim()
      .min(16, 'must be at least 16 characters')
      .max(200, 'must be at most 200 characters')
      .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, - and _ only (it goes in the webhook URL)')
      .optional()
      .describe('A random secret of your choosing: the webhook URL given to Mailchimp ends in ?secret=<it>, and calls without it are refused.'),
    statusIfNew: z
      .enum(MEMBER_STATUSES_IF_NEW)
      .default('pending')
      .describe('For segments sent to Mailchimp: the status of a person added to an audience (pending sends a confirmation e-mail).'),
    apiBaseUrl: z
      .string()
      .trim()
      .refine((value) => value === '' || isLoopbackOrigin(value), 'must be the origin of a server on this machine, e.g. http://127.0.0.1:8443 (or empty for Mailchimp)')
      .transform((value) => (value === '' ? undefined : new URL(value).origin))
      .optional()
      .describe(
        'For a local Mailchimp-compatible server such as the sandbox: its origin (http://127.0.0.1:<port>), which replaces https://<dc>.api.mailchimp.com. Leave empty for Mailchimp.',
      ),
  })
  .superRefine((config, ctx) => {
    if (!config.apiKey && !config.accessToken) {
      ctx.addIssue({ code: 'custom', path: ['apiKey'], message: 'give an API key or an OAuth access token' });
    }
    if (config.apiKey && config.accessToken) {
      ctx.addIssue({ code: 'custom', path: ['accessToken'], message: 'give an API key or an OAuth access token, not both' });
    }
    if (config.accessToken && !config.server) {
      ctx.addIssue({ code: 'custom', path: ['server'], message: "an OAuth access token needs the account's data center, e.g. us6" });
    }
    const keyCenter = config.apiKey ? API_KEY.exec(config.apiKey)?.[1] : undefined;
    if (keyCenter && config.server && config.server !== keyCenter) {
      ctx.addIssue({ code: 'custom', path: ['server'], message: `the API key belongs to data center ${keyCenter}, not ${config.server}` });
    }
  });

export type MailchimpConfig = z.infer<typeof mailchimpConfigSchema>;

/**
 * Options of a segment connected to a Mailchimp source: the audience it goes to (one of the source's
 * `audienceIds`; default the first) and the tag it becomes there (default the segment's key). Mailchimp
 * takes a tag name of 1 to 100 characters, spaces trimmed.
 */
export const mailchimpDestinationOptionsSchema = z
  .object({
    audienceId: z
      .string()
      .trim()
      .regex(/^[0-9a-z]{1,32}$/i, 'must be an audience id, e.g. 1a2b3c4d5e (Audience → Settings → Audience name and defaults)')
      .optional()
      .describe("The audience the segment goes to: one of the source's audienceIds. Default: the first of them."),
    tag: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(100, 'must be at most 100 characters (Mailchimp\'s limit for a tag name)')
      .optional()
      .describe("The tag the segment's members hold in the audience. Default: the segment's key."),
  })
  .strict();

export type MailchimpDestinationOptions = z.infer<typeof mailchimpDestinationOptionsSchema>;

/** The audience a connection names must be one the source syncs. */
export function mailchimpDestinationOptionProblems(options: MailchimpDestinationOptions, config: MailchimpConfig): { field: string; message: string }[] {
  if (options.audienceId === undefined || config.audienceIds.includes(options.audienceId)) return [];
  return [{ field: 'audienceId', message: `must be one of the source's audiences: ${config.audienceIds.join(', ')}` }];
}
export type MailchimpConfigInput = z.input<typeof mailchimpConfigSchema>;

/** The data center every call goes to: the API key's suffix, or `server` with an access token. */
export function dataCenter(config: Pick<MailchimpConfig, 'apiKey' | 'server'>): string {
  const fromKey = config.apiKey ? API_KEY.exec(config.apiKey)?.[1] : undefined;
  return fromKey ?? config.server ?? 'invalid-server';
}
