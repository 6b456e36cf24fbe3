import { compilePersonaAssignment } from '../../src/modules/personas/persona-assignment.service.js';
import type { ObservedTypes } from '../../src/modules/segments/segment-catalog.service.js';
import { compileSegment, compileSegmentsForProfiles, type CompileOptions } from '../../src/modules/segments/segment-compiler.js';
import type { SegmentCondition } from '../../src/modules/segments/segment-definition.js';

/**
 * The compiled statements of a representative set of conditions — every leaf kind, every operator, each
 * form a leaf takes (over a workspace, for a batch of profiles, with the observed types) — held in the
 * snapshot beside this file. `pnpm bench:segments` measures these statements against hand-written SQL:
 * a change of the compiler's output is a change of what the benchmark measured, so it must be deliberate
 * (update the snapshot with `jest -u` and say why in the commit).
 */
const WS = '00000000-0000-4000-8000-000000000001';
const OTHER_SEGMENT = '00000000-0000-4000-8000-0000000000a1';
const NESTED_SEGMENT = '00000000-0000-4000-8000-0000000000a2';
const PERSONA = '00000000-0000-4000-8000-0000000000b1';
const PROFILES = ['00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-0000000000c2'];

const segmentsById = new Map<string, SegmentCondition>([
  [OTHER_SEGMENT, { all: [{ trait: 'country', op: 'eq', value: 'BR' }, { segment: NESTED_SEGMENT }] }],
  [NESTED_SEGMENT, { event: 'order_placed', within: 'P30D' }],
]);
const resolve = (id: string) => segmentsById.get(id);

/** Observed types: `tags` only ever a list, `first_name` only strings, `note` both. */
const types: ObservedTypes = (field, key) =>
  field !== 'traits' ? undefined : key === 'tags' ? new Set(['array']) : key === 'first_name' ? new Set(['string']) : key === 'note' ? new Set(['string', 'array']) : undefined;

const CONDITIONS: Record<string, SegmentCondition> = {
  'trait eq': { trait: 'country', op: 'eq', value: 'BR' },
  'trait neq': { trait: 'country', op: 'neq', value: 'BR' },
  'trait in (short list)': { trait: 'plan', op: 'in', value: ['pro', 'Enterprise'] },
  'trait in (long list)': { trait: 'zip', op: 'in', value: Array.from({ length: 20 }, (_, i) => `0${i}000`) },
  'trait not_in': { trait: 'country', op: 'not_in', value: ['US', 'FR'] },
  'trait number comparisons': { any: [{ trait: 'age', op: 'gt', value: 60 }, { trait: 'age', op: 'gte', value: 18 }, { trait: 'age', op: 'lt', value: 5 }, { trait: 'age', op: 'lte', value: 9 }] },
  'trait number between': { trait: 'age', op: 'between', value: [30, 40] },
  'trait date comparisons': { any: [{ trait: 'signup_at', op: 'gt', value: '2026-01-31' }, { trait: 'signup_at', op: 'lte', value: '2026-01-31T12:00:00Z' }] },
  'trait date between': { trait: 'signup_at', op: 'between', value: ['2026-01-01', '2026-02-01T00:00:00Z'] },
  'trait before / after': { all: [{ trait: 'signup_at', op: 'before', value: '2026-06-01' }, { trait: 'signup_at', op: 'after', value: '2025-06-01T08:00:00+02:00' }] },
  'trait within_last / more_than_ago': { any: [{ trait: 'signup_at', op: 'within_last', value: 'P7D' }, { trait: 'signup_at', op: 'more_than_ago', value: 'P52W' }] },
  'trait contains (untyped)': { trait: 'bio', op: 'contains', value: 'golf' },
  'trait contains (only lists)': { trait: 'tags', op: 'contains', value: 'vip' },
  'trait contains (only strings)': { trait: 'first_name', op: 'contains', value: 'AN' },
  'trait contains (mixed)': { trait: 'note', op: 'contains', value: 'x' },
  'trait not_contains': { trait: 'tags', op: 'not_contains', value: 'churn_risk' },
  'trait starts_with / ends_with': { any: [{ trait: 'plan', op: 'starts_with', value: 'ent' }, { trait: 'first_name', op: 'ends_with', value: "'brien" }] },
  'trait exists / missing': { all: [{ trait: 'vip', op: 'exists' }, { trait: 'churned', op: 'missing' }] },
  'trait boolean eq': { trait: 'vip', op: 'eq', value: true },
  'computed trait': { all: [{ computed: 'lifetime_value', op: 'gt', value: 500 }, { computed: 'segment_tags', op: 'contains', value: 'a' }] },
  'account trait eq': { accountTrait: 'industry', op: 'eq', value: 'software' },
  'account trait neq': { accountTrait: 'industry', op: 'neq', value: 'retail' },
  'identity eq / in': { any: [{ identity: 'email', op: 'eq', value: 'a@example.com' }, { identity: 'email', op: 'in', value: ['b@example.com', 'c@example.com'] }] },
  'identity exists / missing': { all: [{ identity: 'email', op: 'exists' }, { identity: 'phone', op: 'missing' }] },
  'identity text operators': { any: [{ identity: 'email', op: 'ends_with', value: '@example.com' }, { identity: 'email', op: 'contains', value: 'ana' }, { identity: 'user_id', op: 'neq', value: 'u1' }, { identity: 'user_id', op: 'not_in', value: ['u2', 'u3'] }] },
  'event (at least one)': { event: 'page_viewed' },
  'event did not do, in a window': { event: 'order_placed', count: { op: 'eq', value: 0 }, within: 'P30D' },
  'event counted with properties': { event: 'order_placed', where: [{ property: 'total', op: 'gte', value: 100 }, { property: 'currency', op: 'in', value: ['BRL', 'EUR'] }], count: { op: 'gte', value: 3 }, within: 'P90D' },
  'event between instants': { event: 'order_placed', between: ['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'] },
  'event count lt / lte / neq / gt': { any: [{ event: 'a', count: { op: 'lt', value: 3 } }, { event: 'b', count: { op: 'lte', value: 0 } }, { event: 'c', count: { op: 'neq', value: 2 } }, { event: 'd', count: { op: 'gt', value: 4 } }, { event: 'e', count: { op: 'eq', value: 2 } }] },
  'event that always holds': { event: 'a', count: { op: 'gte', value: 0 } },
  'event date operator on a property': { event: 'order_placed', where: [{ property: 'shipped_at', op: 'within_last', value: 'P10D' }], count: { op: 'eq', value: 0 } },
  'sibling event leaves grouped': { all: [{ event: 'order_placed' }, { event: 'order_placed', count: { op: 'eq', value: 0 }, within: 'P60D' }, { event: 'order_placed', between: ['2026-01-01', '2026-02-01'] }, { trait: 'country', op: 'eq', value: 'BR' }] },
  'sibling event leaves all windowed': { all: [{ event: 'login', within: 'P7D' }, { event: 'login', count: { op: 'gte', value: 5 }, within: 'P30D', where: [{ property: 'device', op: 'eq', value: 'ios' }] }] },
  'consent granted / refused': { any: [{ consent: 'email_marketing', granted: true }, { consent: 'sms', granted: false }] },
  'persona and typology': { all: [{ persona: PERSONA }, { typology: 'deal_based' }] },
  'segment of segments': { any: [{ segment: OTHER_SEGMENT }, { trait: 'vip', op: 'eq', value: true }] },
  'not and nesting': { not: { any: [{ all: [{ trait: 'a', op: 'eq', value: 1 }, { not: { trait: 'b', op: 'exists' } }] }, { trait: 'c', op: 'eq', value: 'x' }] } },
};

const FORMS: Record<string, CompileOptions> = {
  'over the workspace': { types },
  'for a batch of profiles': { profileIds: PROFILES, types },
  'as a preview': { limit: 20 },
};

describe('compiled segment SQL', () => {
  for (const [name, condition] of Object.entries(CONDITIONS)) {
    for (const [form, options] of Object.entries(FORMS)) {
      it(`compiles ${name} ${form} to the statement it always had`, () => {
        expect(compileSegment(WS, condition, resolve, options)).toMatchSnapshot();
      });
    }
  }

  it('compiles several segments over a batch of profiles to the statement it always had', () => {
    const segments = Object.entries(CONDITIONS).map(([name, definition], i) => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, definition, name }));
    expect(compileSegmentsForProfiles(WS, segments, resolve, PROFILES)).toMatchSnapshot();
  });

  it('compiles a persona assignment to the statement it always had', () => {
    const personas = [
      { id: PERSONA, min_score: '0.5', rules: [{ condition: CONDITIONS['trait eq']!, weight: 2 }, { condition: CONDITIONS['event counted with properties']!, weight: 1 }] },
      { id: '00000000-0000-4000-8000-0000000000b2', min_score: 0.25, rules: [{ condition: CONDITIONS['account trait eq']!, weight: 1, label: 'software' }] },
    ];
    expect(compilePersonaAssignment(WS, personas, PROFILES)).toMatchSnapshot();
    expect(compilePersonaAssignment(WS, [], PROFILES)).toMatchSnapshot();
  });
});
