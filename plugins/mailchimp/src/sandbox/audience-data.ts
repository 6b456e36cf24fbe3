import { createHash } from 'node:crypto';
import { drawChannel, generatePopulation, seededRandom, type ChannelRecord, type Population, type PopulationPerson } from '@portrait/testkit';
import type { MailchimpActivity, MailchimpMember, MemberStatus } from '../transport/marketing-types.js';

/**
 * The sandbox account's audiences, drawn from the shared seeded population: one member per distinct
 * e-mail (Mailchimp keeps one member per address and audience, so a family e-mail is one member),
 * e-mail case as typed, phones in the PHONE merge field in Mailchimp's two phone formats, the
 * BIRTHDAY merge field as "MM/DD", campaigns sent to the audience and each member's activity on them
 * (sent, opened, clicked, bounced, unsubscribed). A member's stats and `last_changed` follow its
 * activity. Members are replaced, never edited in place.
 */

export interface SandboxCampaign {
  id: string;
  title: string;
  sentAt: string;
  links: string[];
}

/** A member as the sandbox keeps it: Mailchimp's record, the person it really is, and its activity (oldest first). */
export interface SandboxMember {
  personId: string;
  record: MailchimpMember;
  activity: MailchimpActivity[];
}

export interface SandboxAudience {
  id: string;
  name: string;
  webId: number;
  dateCreated: string;
  campaigns: SandboxCampaign[];
  members: SandboxMember[];
  byHash: Map<string, number>;
  /** Records of the population not yet members (added by `addMembers`). */
  waiting: ChannelRecord[];
}

export interface AudienceDataOptions {
  seed: number;
  /** Members per audience (at most what the population's draw holds). */
  members: number;
  population?: Population;
  audiences?: { id: string; name: string }[];
  /** Campaigns sent to each audience over the year before the population's reference date (default 12). */
  campaigns?: number;
}

export const DEFAULT_AUDIENCES = [{ id: 'a1b2c3d4e5', name: 'Portrait Sandbox Newsletter' }];

const TAGS = ['customer', 'newsletter', 'webinar', 'lead', 'black-friday'];
const LANGUAGE: Record<string, string> = { US: 'en', GB: 'en', BR: 'pt', FR: 'fr' };
const TIMEZONE: Record<string, [string, number]> = { US: ['America/New_York', -5], GB: ['Europe/London', 0], BR: ['America/Sao_Paulo', -3], FR: ['Europe/Paris', 1] };
const STATES: Record<string, string[]> = { US: ['NY', 'CA', 'TX'], BR: ['SP', 'RJ'], FR: [''], GB: [''] };

/** Mailchimp's way of writing a time: seconds, `+00:00`. */
export function mailchimpTimeOf(at: number | string): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

/** The account's clock: every change gets a later `last_changed` (one second apart). */
export class AudienceClock {
  private current: number;
  constructor(start: number) {
    this.current = Math.floor(start / 1000) * 1000;
  }
  now(): string {
    return mailchimpTimeOf(this.current);
  }
  tick(): string {
    this.current += 1000;
    return this.now();
  }
}

export class AudienceData {
  readonly audiences = new Map<string, SandboxAudience>();
  readonly clock: AudienceClock;
  readonly population: Population;
  private readonly random: () => number;
  private readonly people: Map<string, PopulationPerson>;
  private webId = 368_925_001;
  private tagId = 1_910_001;
  private readonly tagIds = new Map<string, number>();

  constructor(options: AudienceDataOptions) {
    this.random = seededRandom(options.seed * 104_729 + 3);
    const wanted = Math.ceil(options.members / 0.55) + 20;
    this.population = options.population ?? generatePopulation({ seed: options.seed, people: wanted, companies: Math.max(2, Math.floor(wanted / 200)) });
    this.people = new Map(this.population.people.map((p) => [p.id, p]));
    const reference = Date.parse(this.population.referenceDate);
    let latest = 0;
    for (const [n, spec] of (options.audiences ?? DEFAULT_AUDIENCES).entries()) {
      // Mailchimp trims and validates addresses (no stray spaces, always one); phones are typed in its US or international format.
      const records = drawChannel(this.population, {
        channel: n === 0 ? 'mailchimp' : `mailchimp-${spec.id}`,
        coverage: 0.65,
        testAccounts: 1,
        mess: { spaces: 0, missingEmail: 0, phoneStyles: ['e164', 'international'] },
      }).filter((r) => r.email);
      const campaigns = this.campaignsFor(spec.id, options.campaigns ?? 12, reference);
      const audience: SandboxAudience = { id: spec.id, name: spec.name, webId: 382_062 + n, dateCreated: mailchimpTimeOf(reference - 400 * 86_400_000), campaigns, members: [], byHash: new Map(), waiting: [] };
      const seen = new Set<string>();
      for (const record of records) {
        const hash = md5(record.email!.toLowerCase());
        if (seen.has(hash)) continue;
        seen.add(hash);
        if (audience.members.length < options.members) this.push(audience, this.memberFrom(audience, record));
        else audience.waiting.push(record);
      }
      for (const m of audience.members) if (Date.parse(m.record.last_changed) > latest) latest = Date.parse(m.record.last_changed);
      this.audiences.set(spec.id, audience);
    }
    this.clock = new AudienceClock(Math.max(latest, reference));
  }

  audience(id: string): SandboxAudience | undefined {
    return this.audiences.get(id);
  }

  member(listId: string, hash: string): SandboxMember | undefined {
    const audience = this.audiences.get(listId);
    const index = audience?.byHash.get(hash);
    return index === undefined ? undefined : audience!.members[index];
  }

  /** Every member of every audience. */
  allMembers(): SandboxMember[] {
    return [...this.audiences.values()].flatMap((a) => a.members);
  }

  private push(audience: SandboxAudience, member: SandboxMember): void {
    audience.byHash.set(member.record.id, audience.members.length);
    audience.members.push(member);
  }

  /** Replaces a member (a change): the record is new, so a page already served keeps the old one. */
  replace(listId: string, member: SandboxMember): void {
    const audience = this.audiences.get(listId)!;
    const index = audience.byHash.get(member.record.id);
    if (index === undefined) this.push(audience, member);
    else audience.members[index] = member;
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private campaignsFor(listId: string, count: number, reference: number): SandboxCampaign[] {
    return Array.from({ length: count }, (_, i) => ({
      id: md5(`${listId}:campaign:${i}`).slice(0, 10),
      title: `Newsletter #${i + 1}`,
      sentAt: mailchimpTimeOf(reference - (count - i) * Math.floor(365 / Math.max(1, count)) * 86_400_000 + 9 * 3_600_000),
      links: [`https://shop.example.com/collections/new?utm_campaign=n${i + 1}`, `https://shop.example.com/blog/${i + 1}`],
    }));
  }

  private tag(name: string): { id: number; name: string } {
    let id = this.tagIds.get(name);
    if (id === undefined) {
      id = this.tagId++;
      this.tagIds.set(name, id);
    }
    return { id, name };
  }

  private memberFrom(audience: SandboxAudience, record: ChannelRecord): SandboxMember {
    const r = this.random;
    const person = this.people.get(record.personId);
    const email = record.email!;
    const hash = md5(email.toLowerCase());
    const roll = r();
    const status: MemberStatus = roll < 0.75 ? 'subscribed' : roll < 0.87 ? 'unsubscribed' : roll < 0.92 ? 'cleaned' : roll < 0.97 ? 'pending' : 'transactional';
    const signedUp = Date.parse(record.occurredAt) - 200 * 86_400_000;
    const [timezone, gmtoff] = TIMEZONE[record.country] ?? ['', 0];
    const merge: Record<string, unknown> = {
      FNAME: record.firstName,
      LNAME: record.lastName,
      ADDRESS: r() < 0.7 ? { addr1: `${1 + Math.floor(r() * 899)} Main St`, addr2: '', city: record.city, state: this.pick(STATES[record.country] ?? ['']), zip: record.postalCode, country: record.country } : '',
      PHONE: record.phone ?? '',
      BIRTHDAY: person && r() < 0.5 ? `${person.birthday.slice(5, 7)}/${person.birthday.slice(8, 10)}` : '',
    };
    const tags = TAGS.filter(() => r() < 0.2).map((t) => this.tag(t));
    const record_: MailchimpMember = {
      id: hash,
      email_address: email,
      unique_email_id: md5(`unique:${hash}`).slice(0, 10),
      contact_id: md5(`contact:${hash}`),
      full_name: `${record.firstName} ${record.lastName}`,
      web_id: this.webId++,
      email_type: 'html',
      status,
      consents_to_one_to_one_messaging: true,
      merge_fields: merge,
      interests: {},
      stats: { avg_open_rate: 0, avg_click_rate: 0, ...(r() < 0.3 ? { ecommerce_data: { total_revenue: Math.round(r() * 90_000) / 100, number_of_orders: 1 + Math.floor(r() * 6), currency_code: 'USD' } } : {}) },
      ip_signup: '',
      timestamp_signup: status === 'transactional' ? '' : mailchimpTimeOf(signedUp),
      ip_opt: '198.51.100.7',
      timestamp_opt: status === 'transactional' || status === 'pending' ? '' : mailchimpTimeOf(signedUp + 60_000),
      member_rating: 2,
      last_changed: mailchimpTimeOf(Date.parse(record.updatedAt)),
      language: LANGUAGE[record.country] ?? '',
      vip: r() < 0.05,
      email_client: '',
      location: { latitude: 0, longitude: 0, gmtoff, dstoff: 0, country_code: record.country, timezone, region: '' },
      marketing_permissions: [
        { marketing_permission_id: 'e3f1a2b4c5', text: 'Email', enabled: status === 'subscribed' && r() < 0.95 },
        { marketing_permission_id: 'd4c3b2a1f0', text: 'Customized Online Advertising', enabled: r() < 0.4 },
      ],
      source: this.pick(['Import', 'Hosted Signup Form', 'API - Generic']),
      tags_count: tags.length,
      tags,
      list_id: audience.id,
    } as MailchimpMember;
    const member: SandboxMember = { personId: record.personId, record: record_, activity: [] };
    // The campaigns sent since the member opted in, and what the member did with them.
    if (status !== 'transactional' && status !== 'pending') {
      for (const campaign of audience.campaigns) {
        if (Date.parse(campaign.sentAt) < signedUp + 60_000) continue;
        if (member.record.status === 'unsubscribed' && member.activity.some((a) => a.activity_type === 'unsub')) break;
        this.deliver(member, campaign, false);
      }
    }
    this.refreshStats(member);
    return member;
  }

  /** A campaign reaches a member: sent, and perhaps opened, clicked, bounced or unsubscribed from. */
  private deliver(member: SandboxMember, campaign: SandboxCampaign, now: boolean): void {
    const r = this.random;
    const at = (offsetMs: number) => (now ? this.clock.tick() : mailchimpTimeOf(Date.parse(campaign.sentAt) + offsetMs));
    const base = { campaign_id: campaign.id, campaign_title: campaign.title };
    member.activity.push({ activity_type: 'sent', created_at_timestamp: at(0), ...base });
    if (member.record.status === 'cleaned' && r() < 0.5) {
      member.activity.push({ activity_type: 'bounce', created_at_timestamp: at(60_000), bounce_type: 'hard', ...base });
      return;
    }
    if (r() < 0.45) {
      member.activity.push({ activity_type: 'open', created_at_timestamp: at(3_600_000), ...base });
      if (r() < 0.35) member.activity.push({ activity_type: 'click', created_at_timestamp: at(3_700_000), link_clicked: this.pick(campaign.links), ...base });
    }
    if (member.record.status === 'unsubscribed' && !now && r() < 0.3) {
      member.activity.push({ activity_type: 'unsub', created_at_timestamp: at(7_200_000), unsubscribe_reason: 'N/A (Unsubscribed from campaign)', ...base });
    }
  }

  /** Open and click rates, rating and `last_changed` from the member's activity. */
  private refreshStats(member: SandboxMember): void {
    const sent = new Set(member.activity.filter((a) => a.activity_type === 'sent').map((a) => a.campaign_id));
    const opened = new Set(member.activity.filter((a) => a.activity_type === 'open').map((a) => a.campaign_id));
    const clicked = new Set(member.activity.filter((a) => a.activity_type === 'click').map((a) => a.campaign_id));
    const openRate = sent.size ? opened.size / sent.size : 0;
    const clickRate = sent.size ? clicked.size / sent.size : 0;
    member.record.stats = { ...member.record.stats, avg_open_rate: Math.round(openRate * 100) / 100, avg_click_rate: Math.round(clickRate * 100) / 100 };
    member.record.member_rating = Math.min(5, 1 + Math.round(openRate * 3 + clickRate * 2));
    const last = member.activity.map((a) => a.created_at_timestamp).sort().at(-1);
    if (last && last > member.record.last_changed) member.record.last_changed = last;
  }

  /** The feed of a member, newest first, as the activity-feed endpoint serves it. */
  feed(member: SandboxMember): MailchimpActivity[] {
    return [...member.activity].reverse();
  }

  // ——— Changes, as users and campaigns make them ———

  /** Edits K members of the audience (a tag added, a name corrected): each gets a new `last_changed`. */
  changeMembers(listId: string, count: number): SandboxMember[] {
    const audience = this.audiences.get(listId)!;
    const step = Math.max(1, Math.floor(audience.members.length / Math.max(1, count)));
    const changed: SandboxMember[] = [];
    for (let i = 0; i < count && i * step < audience.members.length; i++) {
      const old = audience.members[i * step]!;
      const tags = old.record.tags?.some((t) => t.name === 'engaged') ? old.record.tags : [...(old.record.tags ?? []), this.tag('engaged')];
      const member: SandboxMember = {
        ...old,
        record: { ...old.record, tags, tags_count: tags.length, vip: !old.record.vip, merge_fields: { ...old.record.merge_fields, FNAME: `${String(old.record.merge_fields?.FNAME ?? '')}`.trim() || 'Sam' }, last_changed: this.clock.tick() },
      };
      this.replace(listId, member);
      changed.push(member);
    }
    return changed;
  }

  /** Sends a new campaign to K subscribed members (each opens it, some click): their stats and `last_changed` move. */
  sendCampaign(listId: string, count: number): { campaign: SandboxCampaign; members: SandboxMember[] } {
    const audience = this.audiences.get(listId)!;
    const n = audience.campaigns.length;
    const campaign: SandboxCampaign = { id: md5(`${listId}:campaign:${n}`).slice(0, 10), title: `Newsletter #${n + 1}`, sentAt: this.clock.tick(), links: [`https://shop.example.com/sale/${n + 1}`] };
    audience.campaigns.push(campaign);
    const subscribed = audience.members.filter((m) => m.record.status === 'subscribed');
    const step = Math.max(1, Math.floor(subscribed.length / Math.max(1, count)));
    const members: SandboxMember[] = [];
    for (let i = 0; i < count && i * step < subscribed.length; i++) {
      const old = subscribed[i * step]!;
      const member: SandboxMember = { ...old, record: { ...old.record, stats: { ...old.record.stats } }, activity: [...old.activity] };
      this.deliver(member, campaign, true);
      this.refreshStats(member);
      member.record.last_changed = this.clock.tick();
      this.replace(listId, member);
      members.push(member);
    }
    return { campaign, members };
  }

  /** Adds N members from the population's records that were not members yet. */
  addMembers(listId: string, count: number): SandboxMember[] {
    const audience = this.audiences.get(listId)!;
    const added: SandboxMember[] = [];
    for (const record of audience.waiting.splice(0, count)) {
      const member = this.memberFrom(audience, record);
      member.record.last_changed = this.clock.tick();
      this.push(audience, member);
      added.push(member);
    }
    return added;
  }

  /** A member unsubscribes from a campaign's link: status, consent time and an `unsub` activity. */
  unsubscribe(listId: string, hash: string): { member: SandboxMember; at: string; campaignId: string } {
    const old = this.member(listId, hash)!;
    const audience = this.audiences.get(listId)!;
    const campaign = audience.campaigns.at(-1)!;
    const at = this.clock.tick();
    const member: SandboxMember = {
      ...old,
      record: { ...old.record, status: 'unsubscribed', unsubscribe_reason: 'N/A (Unsubscribed from campaign)', last_changed: at },
      activity: [...old.activity, { activity_type: 'unsub', created_at_timestamp: at, campaign_id: campaign.id, campaign_title: campaign.title, unsubscribe_reason: 'N/A (Unsubscribed from campaign)' }],
    };
    this.replace(listId, member);
    return { member, at, campaignId: campaign.id };
  }

  /** A member edits their profile (the "update profile" form): a new first name. */
  updateProfile(listId: string, hash: string, firstName: string): SandboxMember {
    const old = this.member(listId, hash)!;
    const member: SandboxMember = { ...old, record: { ...old.record, merge_fields: { ...old.record.merge_fields, FNAME: firstName }, last_changed: this.clock.tick() } };
    this.replace(listId, member);
    return member;
  }
}
