import { createSandboxServer, type ConformanceMutation, type ConformanceSandbox, type FaultRule, type Population, type SandboxFaults, type SandboxHandler, type SandboxRequest, type SandboxServer } from '@portrait/testkit';
import { AudienceData, DEFAULT_AUDIENCES, mailchimpTimeOf, type SandboxMember } from './audience-data.js';
import { problem } from './api-replies.js';
import { readRoutes, type ReadRouteContext } from './read-routes.js';
import { writeRoutes } from './write-routes.js';

/**
 * A local Mailchimp account answering the Marketing API 3.0 under `/3.0` as
 * `https://<dc>.api.mailchimp.com/3.0` does: HTTP Basic auth with the API key (any user name) or a
 * Bearer OAuth token, 401 problem documents for refused credentials, 404 for an unknown audience, at
 * most 10 simultaneous connections per account (the 11th gets a 429), and Mailchimp's audience
 * webhooks (form-encoded POSTs, no signature). The unmodified `@mailchimp/mailchimp_marketing` reaches
 * it through its `basePath`.
 */

export const SANDBOX_DATA_CENTER = 'us6';
export const SANDBOX_API_KEY = `0123456789abcdef0123456789abcdef-${SANDBOX_DATA_CENTER}`;
export const SANDBOX_ACCESS_TOKEN = 'sandbox-oauth-token-0000000000000000';
export const SANDBOX_WEBHOOK_SECRET = 'sandbox-webhook-secret-0000';
/** Mailchimp's limit of simultaneous connections per account. */
export const MAILCHIMP_MAX_CONNECTIONS = 10;

export interface MailchimpSandboxOptions {
  seed?: number;
  population?: Population;
  /** Members per audience (default 120). */
  members?: number;
  audiences?: { id: string; name: string }[];
  campaigns?: number;
  apiKey?: string;
  accessToken?: string;
  /** The most records a page holds (Mailchimp: 1,000); smaller, a small audience spans several pages. */
  pageLimit?: number;
  /** How long each call holds its connection (default 2 ms), so that simultaneous calls overlap as they do on the network. */
  latencyMs?: number;
  maxConnections?: number;
  faults?: FaultRule[];
  /** More routes on the same server (e.g. the write routes a destination calls), given the sandbox. */
  routes?: (sandbox: MailchimpSandbox) => Record<string, SandboxHandler>;
  host?: string;
  port?: number;
}

/** A webhook delivery as Mailchimp sends it: a form-encoded POST to the URL the admin registered. */
export interface MailchimpWebhook {
  headers: Record<string, string>;
  rawBody: Buffer;
  body: unknown;
  query: Record<string, string | undefined>;
}

export class MailchimpSandbox implements ConformanceSandbox {
  readonly data: AudienceData;
  readonly apiKey: string;
  readonly accessToken: string;
  readonly dataCenter = SANDBOX_DATA_CENTER;
  readonly maxConnections: number;
  /** Calls refused for being over the connection limit, and the most connections seen at once. */
  tooManyConnections = 0;
  peakConnections = 0;
  private active = 0;
  private server!: SandboxServer;

  private constructor(private readonly options: MailchimpSandboxOptions) {
    this.apiKey = options.apiKey ?? SANDBOX_API_KEY;
    this.accessToken = options.accessToken ?? SANDBOX_ACCESS_TOKEN;
    this.maxConnections = options.maxConnections ?? MAILCHIMP_MAX_CONNECTIONS;
    this.data = new AudienceData({ seed: options.seed ?? 31, members: options.members ?? 120, population: options.population, audiences: options.audiences, campaigns: options.campaigns });
  }

  static async start(options: MailchimpSandboxOptions = {}): Promise<MailchimpSandbox> {
    const sandbox = new MailchimpSandbox(options);
    const ctx: ReadRouteContext = { data: sandbox.data, apiRoot: `https://${SANDBOX_DATA_CENTER}.api.mailchimp.com/3.0`, pageLimit: options.pageLimit ?? 1000 };
    const routes = { ...readRoutes(ctx), ...writeRoutes({ ...ctx, origin: () => sandbox.url }), ...(options.routes?.(sandbox) ?? {}) };
    const guarded = Object.fromEntries(Object.entries(routes).map(([route, handler]) => [route, route.startsWith('GET /batch-results/') ? handler : sandbox.guard(handler)]));
    sandbox.server = await createSandboxServer(guarded, { faults: options.faults, host: options.host, port: options.port, seed: options.seed ?? 31 });
    return sandbox;
  }

  get url(): string {
    return this.server.url;
  }

  get faults(): SandboxFaults {
    return this.server.faults;
  }

  get requests() {
    return this.server.requests;
  }

  /** The ids of the sandbox's audiences. */
  get audienceIds(): string[] {
    return [...this.data.audiences.keys()];
  }

  get listId(): string {
    return this.audienceIds[0] ?? DEFAULT_AUDIENCES[0]!.id;
  }

  /** Credentials, then the connection limit, then the route (holding its connection for `latencyMs`). */
  private guard(handler: SandboxHandler): SandboxHandler {
    return async (request) => {
      if (!this.authorized(request)) {
        return problem(401, 'API Key Invalid', "Your API key may be invalid, or you've attempted to access the wrong datacenter.");
      }
      if (this.active >= this.maxConnections) {
        this.tooManyConnections++;
        return problem(429, 'Too Many Requests', `You have exceeded the limit of ${this.maxConnections} simultaneous connections.`);
      }
      this.active++;
      this.peakConnections = Math.max(this.peakConnections, this.active);
      try {
        await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs ?? 2));
        return await handler(request);
      } finally {
        this.active--;
      }
    };
  }

  private authorized(request: SandboxRequest): boolean {
    const header = request.headers.authorization ?? '';
    const basic = /^Basic\s+(.+)$/i.exec(header);
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      return decoded.slice(decoded.indexOf(':') + 1) === this.apiKey;
    }
    const bearer = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(header);
    return bearer ? bearer[1] === this.accessToken : false;
  }

  // ——— What tests do to the account ———

  /**
   * Changes the first audience: `members` edited, a new campaign sent to `engaged` subscribed members
   * (opened, some clicked), `added` members joining. Answers each group and `touched`, the distinct
   * members among them: those the next incremental read of `members` must yield (and of `activity`,
   * those of them with a feed).
   */
  change(options: { members?: number; engaged?: number; added?: number }): { edited: SandboxMember[]; engaged: SandboxMember[]; added: SandboxMember[]; touched: SandboxMember[] } {
    const listId = this.listId;
    const edited = this.data.changeMembers(listId, options.members ?? 0);
    const engaged = options.engaged ? this.data.sendCampaign(listId, options.engaged).members : [];
    const added = this.data.addMembers(listId, options.added ?? 0);
    const touched = [...new Map([...edited, ...engaged, ...added].map((m) => [m.record.id, m])).values()];
    return { edited, engaged, added, touched };
  }

  /**
   * The conformance suite's change: 3 members edited, a campaign opened by 2 others, 2 members added.
   * Answers the facts the next incremental read must yield, per stream.
   */
  async mutate(): Promise<ConformanceMutation> {
    const listId = this.listId;
    const { touched } = this.change({ members: 3, engaged: 2, added: 2 });
    return {
      touched: {
        members: touched.map((m) => `${listId}:${m.record.id}`),
        activity: touched.filter((m) => m.activity.length > 0).map((m) => `${listId}:${m.record.id}:activity`),
      },
    };
  }

  /**
   * An audience webhook as Mailchimp posts it (`type`, `fired_at` in "YYYY-MM-DD HH:MM:SS" UTC, and
   * `data[...]` fields, form-encoded) to the URL the admin gave it, secret included.
   */
  webhook(type: string, data: Record<string, string>, options: { secret?: string; firedAt?: string } = {}): MailchimpWebhook {
    const firedAt = (options.firedAt ?? this.data.clock.now()).replace('T', ' ').replace(/\+00:00$|\.\d{3}Z$|Z$/, '');
    const form = new URLSearchParams({ type, fired_at: firedAt });
    // `merges.FNAME` → `data[merges][FNAME]`, as PHP-style forms nest.
    for (const [key, value] of Object.entries(data)) form.append(`data${key.split('.').map((k) => `[${k}]`).join('')}`, value);
    const rawBody = Buffer.from(form.toString());
    return {
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'MailChimp' },
      rawBody,
      body: Object.fromEntries(form.entries()),
      query: { secret: options.secret ?? SANDBOX_WEBHOOK_SECRET },
    };
  }

  /** The `data[...]` of a member in subscribe / unsubscribe / profile / cleaned webhooks. */
  memberWebhookData(member: SandboxMember, extra: Record<string, string> = {}): Record<string, string> {
    const merges = member.record.merge_fields ?? {};
    const data: Record<string, string> = {
      id: member.record.unique_email_id ?? '',
      list_id: member.record.list_id,
      email: member.record.email_address,
      email_type: 'html',
      'merges.EMAIL': member.record.email_address,
      'merges.FNAME': String(merges.FNAME ?? ''),
      'merges.LNAME': String(merges.LNAME ?? ''),
      'merges.PHONE': String(merges.PHONE ?? ''),
      ip_opt: member.record.ip_opt ?? '',
      ...extra,
    };
    return data;
  }

  /** The time Mailchimp would write for `at` in a webhook's fired_at. */
  static firedAt(at: string): string {
    return mailchimpTimeOf(at).replace('T', ' ').replace('+00:00', '');
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}
