import type { Faker } from '@faker-js/faker';

/**
 * The ways real channels garble what they know about a person: the variations identity resolution
 * has to see through (case, spaces, typos) and the ones it must not be fooled by (shared emails,
 * test accounts).
 */

/** `ana.lima@gmail.com` → `Ana.Lima@Gmail.com` or `ANA.LIMA@GMAIL.COM`. */
export function messEmailCase(email: string, faker: Faker): string {
  if (faker.datatype.boolean()) return email.toUpperCase();
  return email.replace(/(^|[.@])([a-z])/g, (_, sep: string, letter: string) => sep + letter.toUpperCase());
}

/** Leading / trailing spaces or a tab, as pasted into a form. */
export function messSpaces(value: string, faker: Faker): string {
  return faker.helpers.arrayElement([` ${value}`, `${value} `, `  ${value}  `, `${value}\t`]);
}

/** One typo: two letters swapped, a letter dropped or a letter doubled. Names of 3 letters or fewer are kept. */
export function typo(name: string, faker: Faker): string {
  if (name.length <= 3) return name;
  const i = faker.number.int({ min: 1, max: name.length - 2 });
  switch (faker.number.int({ min: 0, max: 2 })) {
    case 0:
      return name.slice(0, i) + name[i + 1] + name[i] + name.slice(i + 2);
    case 1:
      return name.slice(0, i) + name.slice(i + 1);
    default:
      return name.slice(0, i + 1) + name[i] + name.slice(i + 1);
  }
}

/** Emails and phones of accounts that are not a person: every system has them. */
export const TEST_ACCOUNT_EMAILS = ['test@test.com', 'noreply@example.com', 'a@a.com'] as const;
export const TEST_ACCOUNT_PHONES = ['0000000000', '+1 555-555-5555', '1234567890'] as const;
