import { Faker, base, en } from '@faker-js/faker';
import { phoneNumberFor, type PopulationCountry } from './phone-formats.js';

/**
 * One deterministic population of people and companies, the ground truth every channel sandbox draws
 * its records from. The same seed gives the same population on every machine, so tests, the demo and
 * the benchmarks agree on who exists; each channel then writes these people down with its own mess.
 */

export interface PopulationOptions {
  /** Same seed, same population. */
  seed: number;
  people: number;
  companies: number;
  /** Share of people living in a household of 2–4 that shares one family email (default 0.12). */
  householdShare?: number;
  /** Share of people employed by one of the companies (default 0.5 when there are companies). */
  employedShare?: number;
  /** Countries people live in, drawn uniformly (default US, BR, FR, GB). */
  countries?: PopulationCountry[];
}

export interface PopulationCompany {
  /** `c-0001`… stable for a seed. */
  id: string;
  name: string;
  domain: string;
  industry: string;
  employeeCount: number;
  annualRevenue: number;
  country: PopulationCountry;
  city: string;
}

export interface PopulationPerson {
  /** `p-00001`… the true identity every channel record points back to. */
  id: string;
  firstName: string;
  lastName: string;
  /** Personal email, lower case and unique in the population. */
  email: string;
  /** E.164, unique in the population. */
  phone: string;
  country: PopulationCountry;
  city: string;
  postalCode: string;
  /** YYYY-MM-DD */
  birthday: string;
  gender: 'female' | 'male';
  /** When the person first appeared anywhere (ISO-8601). */
  createdAt: string;
  companyId?: string;
  jobTitle?: string;
  /** Work email at the employer's domain, when employed. */
  workEmail?: string;
  householdId?: string;
}

export interface PopulationHousehold {
  id: string;
  /** The email the whole family shares: `the.smith.family@…`. */
  email: string;
  memberIds: string[];
}

export interface Population {
  seed: number;
  people: PopulationPerson[];
  companies: PopulationCompany[];
  households: PopulationHousehold[];
  /** The date every relative date of the population counts from: fixed, so nothing depends on today. */
  referenceDate: string;
}

export const POPULATION_REFERENCE_DATE = '2026-01-01T00:00:00.000Z';

const COUNTRIES: PopulationCountry[] = ['US', 'BR', 'FR', 'GB'];
const FREE_MAIL = ['gmail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'icloud.com'];
const INDUSTRIES = ['retail', 'software', 'manufacturing', 'healthcare', 'finance', 'education', 'logistics', 'media'];

/** A seeded faker with the English locale: every draw of the testkit goes through one of these. */
export function seededFaker(seed: number): Faker {
  return new Faker({ locale: [en, base], seed });
}

/** Lower-case ASCII slug of a name: `O'Connor-Smith` → `oconnorsmith`. */
export function asciiSlug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9]/g, '')
    .toLowerCase();
}

export function generatePopulation(options: PopulationOptions): Population {
  const faker = seededFaker(options.seed);
  const reference = new Date(POPULATION_REFERENCE_DATE);
  const countries = options.countries?.length ? options.countries : COUNTRIES;
  const digit = (min: number, max: number) => faker.number.int({ min, max });
  const pick = <T>(items: readonly T[]): T => faker.helpers.arrayElement(items as T[]);

  const companies: PopulationCompany[] = [];
  const domains = new Set<string>();
  for (let i = 0; i < options.companies; i++) {
    const name = faker.company.name();
    let domain = `${asciiSlug(name).slice(0, 24) || 'company'}.com`;
    for (let n = 2; domains.has(domain); n++) domain = `${asciiSlug(name).slice(0, 24)}${n}.com`;
    domains.add(domain);
    const employeeCount = faker.number.int({ min: 3, max: 20_000 });
    companies.push({
      id: `c-${String(i + 1).padStart(4, '0')}`,
      name,
      domain,
      industry: pick(INDUSTRIES),
      employeeCount,
      annualRevenue: employeeCount * faker.number.int({ min: 40, max: 400 }) * 1000,
      country: pick(countries),
      city: faker.location.city(),
    });
  }

  const people: PopulationPerson[] = [];
  const emails = new Set<string>();
  const phones = new Set<string>();
  const employedShare = options.employedShare ?? (companies.length > 0 ? 0.5 : 0);
  for (let i = 0; i < options.people; i++) {
    const gender = pick(['female', 'male'] as const);
    const firstName = faker.person.firstName(gender);
    const lastName = faker.person.lastName();
    const country = pick(countries);
    let email = `${asciiSlug(firstName)}.${asciiSlug(lastName)}@${pick(FREE_MAIL)}`;
    for (let n = 2; emails.has(email); n++) email = email.replace(/(\d*)@/, `${n}@`);
    emails.add(email);
    let phone = phoneNumberFor(country, digit, pick);
    while (phones.has(phone)) phone = phoneNumberFor(country, digit, pick);
    phones.add(phone);
    const person: PopulationPerson = {
      id: `p-${String(i + 1).padStart(5, '0')}`,
      firstName,
      lastName,
      email,
      phone,
      country,
      city: faker.location.city(),
      postalCode: faker.location.zipCode(),
      birthday: faker.date.birthdate({ mode: 'age', min: 18, max: 80, refDate: reference }).toISOString().slice(0, 10),
      gender,
      createdAt: faker.date.past({ years: 3, refDate: reference }).toISOString(),
    };
    if (companies.length > 0 && faker.number.float({ min: 0, max: 1 }) < employedShare) {
      const company = pick(companies);
      person.companyId = company.id;
      person.jobTitle = faker.person.jobTitle();
      person.workEmail = `${asciiSlug(firstName).charAt(0)}${asciiSlug(lastName)}@${company.domain}`;
    }
    people.push(person);
  }

  const households: PopulationHousehold[] = [];
  const householdTarget = Math.floor(people.length * (options.householdShare ?? 0.12));
  let cursor = 0;
  let members = 0;
  while (members < householdTarget && cursor < people.length - 1) {
    const size = Math.min(faker.number.int({ min: 2, max: 4 }), people.length - cursor);
    const household = people.slice(cursor, cursor + size);
    cursor += size + faker.number.int({ min: 1, max: 6 });
    members += household.length;
    const family = household[0]!.lastName;
    const id = `h-${String(households.length + 1).padStart(4, '0')}`;
    let email = `the.${asciiSlug(family)}.family@${pick(FREE_MAIL)}`;
    for (let n = 2; emails.has(email); n++) email = email.replace(/(\d*)@/, `${n}@`);
    emails.add(email);
    for (const member of household) {
      member.lastName = family;
      member.householdId = id;
    }
    households.push({ id, email, memberIds: household.map((m) => m.id) });
  }

  return { seed: options.seed, people, companies, households, referenceDate: POPULATION_REFERENCE_DATE };
}
