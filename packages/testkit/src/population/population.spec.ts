import { drawChannel, truthOf } from './channel-records.js';
import { formatPhone, PHONE_STYLES } from './phone-formats.js';
import { generatePopulation } from './population.js';

describe('generatePopulation', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = generatePopulation({ seed: 7, people: 200, companies: 10 });
    expect(generatePopulation({ seed: 7, people: 200, companies: 10 })).toEqual(a);
    expect(generatePopulation({ seed: 8, people: 200, companies: 10 }).people[0]).not.toEqual(a.people[0]);
  });

  it('makes people with unique ids, emails and E.164 phones, some employed and some in households', () => {
    const population = generatePopulation({ seed: 1, people: 500, companies: 20 });
    expect(population.people).toHaveLength(500);
    expect(population.companies).toHaveLength(20);
    expect(new Set(population.people.map((p) => p.id)).size).toBe(500);
    expect(new Set(population.people.map((p) => p.email)).size).toBe(500);
    expect(new Set(population.people.map((p) => p.phone)).size).toBe(500);
    for (const person of population.people) {
      expect(person.email).toMatch(/^[a-z0-9.]+@[a-z0-9.]+$/);
      expect(person.phone).toMatch(/^\+\d{10,13}$/);
      expect(person.birthday).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    const companies = new Set(population.companies.map((c) => c.id));
    const employed = population.people.filter((p) => p.companyId);
    expect(employed.length).toBeGreaterThan(150);
    expect(employed.every((p) => companies.has(p.companyId!) && p.workEmail?.includes('@'))).toBe(true);
    expect(population.households.length).toBeGreaterThan(10);
    for (const household of population.households) {
      const members = population.people.filter((p) => p.householdId === household.id);
      expect(members.map((m) => m.id)).toEqual(household.memberIds);
      expect(new Set(members.map((m) => m.lastName)).size).toBe(1);
    }
  });
});

describe('formatPhone', () => {
  it('writes one number in every style, all carrying the same digits', () => {
    const cases = [
      ['+14152340123', 'US', ['+14152340123', '+1 415-234-0123', '(415) 234-0123', '415.234.0123', '14152340123']],
      ['+5511987654321', 'BR', ['+5511987654321', '+55 11 98765-4321', '(11) 98765-4321', '11.98765.4321', '5511987654321']],
      ['+33612345678', 'FR', ['+33612345678', '+33 6 12 34 56 78', '06 12 34 56 78', '06.12.34.56.78', '33612345678']],
      ['+447912345678', 'GB', ['+447912345678', '+44 7912 345678', '07912 345678', '07912.345678', '447912345678']],
    ] as const;
    for (const [e164, country, expected] of cases) {
      expect(PHONE_STYLES.map((style) => formatPhone(e164, country, style))).toEqual(expected);
    }
  });
});

describe('drawChannel', () => {
  const population = generatePopulation({ seed: 42, people: 400, companies: 10 });

  it('is deterministic per channel, and two channels know different people', () => {
    const shop = drawChannel(population, { channel: 'shop' });
    expect(drawChannel(population, { channel: 'shop' })).toEqual(shop);
    const store = drawChannel(population, { channel: 'store_visits' });
    expect(store.map((r) => r.personId)).not.toEqual(shop.map((r) => r.personId));
  });

  it('writes people down with real-world mess, each record knowing its true person', () => {
    const records = drawChannel(population, { channel: 'newsletter', coverage: 0.9, recordsPerPerson: [1, 3], testAccounts: 3 });
    const people = new Map(population.people.map((p) => [p.id, p]));
    const real = records.filter((r) => !r.isTestAccount);
    expect(real.every((r) => people.has(r.personId))).toBe(true);
    expect(real.every((r) => r.email !== undefined || r.phone !== undefined)).toBe(true);
    expect(new Set(records.map((r) => r.recordId)).size).toBe(records.length);
    // Case and spaces differ from the canonical email, but the person stays recognisable.
    const messy = real.filter((r) => r.email && r.email !== r.email.trim().toLowerCase());
    expect(messy.length).toBeGreaterThan(20);
    expect(real.some((r) => r.email !== undefined && r.email !== r.email.trim())).toBe(true);
    // Phones in national, international and punctuated forms.
    expect(real.some((r) => r.phone?.startsWith('('))).toBe(true);
    expect(real.some((r) => r.phone?.includes('.'))).toBe(true);
    expect(real.some((r) => /^\+\d+ /.test(r.phone ?? ''))).toBe(true);
    // Typos in names.
    expect(real.some((r) => r.firstName !== people.get(r.personId)!.firstName || r.lastName !== people.get(r.personId)!.lastName)).toBe(true);
    // A family email shared by two different people.
    const familyEmails = new Set(population.households.map((h) => h.email));
    const byFamilyEmail = new Map<string, Set<string>>();
    for (const r of real) {
      const email = r.email?.trim().toLowerCase();
      if (email && familyEmails.has(email)) byFamilyEmail.set(email, (byFamilyEmail.get(email) ?? new Set()).add(r.personId));
    }
    expect([...byFamilyEmail.values()].some((ids) => ids.size > 1)).toBe(true);
    // Test accounts, each its own "person".
    const tests = records.filter((r) => r.isTestAccount);
    expect(tests.map((r) => r.email)).toEqual(['test@test.com', 'noreply@example.com', 'a@a.com']);
    expect(new Set(tests.map((r) => r.personId)).size).toBe(3);
    expect(truthOf(records).get(tests[0]!.recordId)).toBe('test:newsletter:1');
  });
});
