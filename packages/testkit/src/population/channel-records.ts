import { asciiSlug, seededFaker, type Population, type PopulationPerson } from './population.js';
import { formatPhone, PHONE_STYLES, type PhoneStyle } from './phone-formats.js';
import { messEmailCase, messSpaces, TEST_ACCOUNT_EMAILS, TEST_ACCOUNT_PHONES, typo } from './record-mess.js';

/**
 * How one channel (a shop, a newsletter, store visits…) writes down the population: who it knows,
 * how many records per person, and how messy they are. Every record keeps the id of the person it
 * really belongs to, so identity resolution can be scored against the truth.
 */

export interface ChannelMess {
  /** Share of emails with changed case (default 0.2). */
  emailCase?: number;
  /** Share of emails and phones with stray spaces (default 0.1). */
  spaces?: number;
  /** Share of names with a typo (default 0.05). */
  nameTypos?: number;
  /** Share of household members who use the family email instead of their own (default 0.5). */
  familyEmail?: number;
  /** Share of employed people who use their work email (default 0.2). */
  workEmail?: number;
  /** Share of records without a phone (default 0.25) and without an email (default 0.1); never both. */
  missingPhone?: number;
  missingEmail?: number;
  /** How phones are written, drawn uniformly per record (default: every style). */
  phoneStyles?: PhoneStyle[];
}

export interface ChannelOptions {
  /** The channel's name: seeds its draw (two channels with the same population differ) and prefixes record ids. */
  channel: string;
  /** Share of the population the channel knows (default 0.6). */
  coverage?: number;
  /** Records per known person, drawn uniformly in [min, max] (default [1, 1]). */
  recordsPerPerson?: [number, number];
  /** Test / placeholder accounts mixed in (default 2). */
  testAccounts?: number;
  mess?: ChannelMess;
  /** Activity dates are drawn in the `days` before the population's reference date (default 365). */
  days?: number;
}

export interface ChannelRecord {
  /** `<channel>-000001`: stable for a population and channel. */
  recordId: string;
  /** The person this record really is (`test:<channel>:<n>` for a test account). */
  personId: string;
  isTestAccount: boolean;
  email?: string;
  phone?: string;
  firstName: string;
  lastName: string;
  city: string;
  country: string;
  postalCode: string;
  companyId?: string;
  /** When the channel saw this record's activity (ISO-8601), within `days` before the reference date. */
  occurredAt: string;
  /** When the channel last updated the record (ISO-8601): `occurredAt` or later. */
  updatedAt: string;
}

const DEFAULT_MESS: Required<ChannelMess> = {
  emailCase: 0.2,
  spaces: 0.1,
  nameTypos: 0.05,
  familyEmail: 0.5,
  workEmail: 0.2,
  missingPhone: 0.25,
  missingEmail: 0.1,
  phoneStyles: [...PHONE_STYLES],
};

function channelSeed(seed: number, channel: string): number {
  let hash = seed >>> 0;
  for (const char of channel) hash = (Math.imul(hash ^ char.charCodeAt(0), 16777619) + 0x9e3779b9) >>> 0;
  return hash;
}

/** Draws a channel's records from the population: deterministic for a population seed and channel name. */
export function drawChannel(population: Population, options: ChannelOptions): ChannelRecord[] {
  const faker = seededFaker(channelSeed(population.seed, options.channel));
  const mess = { ...DEFAULT_MESS, ...options.mess };
  const chance = (p: number) => faker.number.float({ min: 0, max: 1 }) < p;
  const households = new Map(population.households.map((h) => [h.id, h]));
  const companies = new Map(population.companies.map((c) => [c.id, c]));
  const reference = new Date(population.referenceDate).getTime();
  const days = options.days ?? 365;
  const [minRecords, maxRecords] = options.recordsPerPerson ?? [1, 1];
  const prefix = asciiSlug(options.channel) || 'channel';
  const records: ChannelRecord[] = [];
  const nextId = () => `${prefix}-${String(records.length + 1).padStart(6, '0')}`;
  const dates = () => {
    const occurred = reference - faker.number.int({ min: 0, max: days * 86_400 }) * 1000;
    const updated = Math.min(reference, occurred + faker.number.int({ min: 0, max: 30 * 86_400 }) * 1000);
    return { occurredAt: new Date(occurred).toISOString(), updatedAt: new Date(updated).toISOString() };
  };

  const emailOf = (person: PopulationPerson): string => {
    const household = person.householdId ? households.get(person.householdId) : undefined;
    if (household && chance(mess.familyEmail)) return household.email;
    if (person.workEmail && chance(mess.workEmail)) return person.workEmail;
    return person.email;
  };

  for (const person of population.people) {
    if (!chance(options.coverage ?? 0.6)) continue;
    const count = faker.number.int({ min: minRecords, max: maxRecords });
    for (let n = 0; n < count; n++) {
      let email: string | undefined = emailOf(person);
      let phone: string | undefined = formatPhone(person.phone, person.country, faker.helpers.arrayElement(mess.phoneStyles));
      if (chance(mess.emailCase)) email = messEmailCase(email, faker);
      if (chance(mess.spaces)) email = messSpaces(email, faker);
      if (chance(mess.spaces)) phone = messSpaces(phone, faker);
      if (chance(mess.missingPhone)) phone = undefined;
      else if (chance(mess.missingEmail)) email = undefined;
      const typoInFirst = chance(mess.nameTypos);
      const typoInLast = !typoInFirst && chance(mess.nameTypos);
      records.push({
        recordId: nextId(),
        personId: person.id,
        isTestAccount: false,
        email,
        phone,
        firstName: typoInFirst ? typo(person.firstName, faker) : person.firstName,
        lastName: typoInLast ? typo(person.lastName, faker) : person.lastName,
        city: person.city,
        country: person.country,
        postalCode: person.postalCode,
        companyId: person.companyId && companies.has(person.companyId) ? person.companyId : undefined,
        ...dates(),
      });
    }
  }

  for (let i = 0; i < (options.testAccounts ?? 2); i++) {
    records.push({
      recordId: nextId(),
      personId: `test:${prefix}:${i + 1}`,
      isTestAccount: true,
      email: TEST_ACCOUNT_EMAILS[i % TEST_ACCOUNT_EMAILS.length],
      phone: TEST_ACCOUNT_PHONES[i % TEST_ACCOUNT_PHONES.length],
      firstName: 'Test',
      lastName: i === 0 ? 'Test' : `User ${i + 1}`,
      city: 'Test City',
      country: 'US',
      postalCode: '00000',
      ...dates(),
    });
  }
  return records;
}

/** recordId → true person id, for `scoreResolution`. */
export function truthOf(records: readonly Pick<ChannelRecord, 'recordId' | 'personId'>[]): Map<string, string> {
  return new Map(records.map((r) => [r.recordId, r.personId]));
}
