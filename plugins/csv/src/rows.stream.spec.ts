import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnectorContext, type ProfileFact, type ReadMessage, type StreamState } from '@portrait/connector-sdk';
import connector, { csvConfigSchema, type CsvConfig, type CsvConfigInput } from './index.js';

const HEADER = 'Card,Email,Phone,First name,Points,Member since,Event,Date,Note';

function config(directory: string, overrides: Partial<CsvConfigInput> = {}): CsvConfig {
  return csvConfigSchema.parse({
    source: 'csv-loyalty',
    directory,
    batchSize: 2,
    mapping: {
      externalId: 'Card',
      identities: { Email: 'email', Phone: 'phone', Card: 'loyalty_card_id' },
      traits: { 'First name': 'first_name', Points: { trait: 'loyalty.points', type: 'number' }, 'Member since': { trait: 'loyalty.member_since', type: 'date' } },
      event: { typeColumn: 'Event', occurredAt: 'Date', properties: { Note: 'note' } },
      dateFormat: 'dmy',
    },
    ...overrides,
  });
}

async function read(cfg: CsvConfig, state?: StreamState, stopAfterCheckpoints?: number) {
  const messages: ReadMessage[] = [];
  let checkpoints = 0;
  for await (const message of connector.read({ stream: 'rows', mode: state ? 'incremental' : 'full', state }, cfg, createConnectorContext())) {
    messages.push(message);
    if (message.type === 'checkpoint' && ++checkpoints === stopAfterCheckpoints) break;
  }
  const facts = messages.flatMap((m) => (m.type === 'facts' ? m.facts : []));
  const invalid = messages.flatMap((m) => (m.type === 'invalid' ? [m] : []));
  const states = messages.flatMap((m) => (m.type === 'checkpoint' ? [m.state] : []));
  return { messages, facts, invalid, states, last: states.at(-1) };
}

const ids = (facts: ProfileFact[]) => facts.map((f) => f.externalId);

describe('csv connector, rows stream', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portrait-csv-rows-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('maps columns to identities, typed traits and an event whose type comes from a column', async () => {
    await writeFile(join(dir, 'a.csv'), `${HEADER}\nL-1, Ana@Example.com ,(415) 234-0123,Ana,1 200,05/06/2019,Store visit,02/01/2026 10:15,"paid, cash"\n`);
    const { facts, invalid } = await read(config(dir));
    expect(invalid).toEqual([]);
    expect(facts).toEqual([
      {
        source: 'csv-loyalty',
        externalId: 'L-1',
        kind: 'person',
        identities: [
          { type: 'email', value: 'Ana@Example.com' },
          { type: 'phone', value: '(415) 234-0123' },
          { type: 'loyalty_card_id', value: 'L-1' },
        ],
        traits: { first_name: 'Ana', 'loyalty.points': 1200, 'loyalty.member_since': '2019-06-05' },
        events: [{ type: 'store_visit', occurredAt: '2026-01-02T10:15:00.000Z', properties: { note: 'paid, cash' }, dedupeKey: 'store_visit:L-1' }],
        consent: [],
        observedAt: '2026-01-02T10:15:00.000Z',
      },
    ]);
  });

  it('maps consent columns to consent per purpose, dated by the row or by their own column, and refuses a value that is not yes/no', async () => {
    await writeFile(
      join(dir, 'optins.csv'),
      ['Email,Newsletter,SMS,Decided on,Seen', 'a@example.com,Yes,opted out,03/02/2026,01/03/2026', 'b@example.com,,0,,01/03/2026', 'c@example.com,maybe,,,01/03/2026'].join('\n'),
    );
    const cfg = csvConfigSchema.parse({
      source: 'csv-optins',
      directory: dir,
      mapping: {
        identities: { Email: 'email' },
        consent: { Newsletter: { purpose: 'email_marketing', at: 'Decided on' }, SMS: 'sms_marketing' },
        observedAt: 'Seen',
        dateFormat: 'dmy',
      },
    });
    const { facts, invalid } = await read(cfg);
    expect(facts.map((f) => [f.identities[0]!.value, f.consent])).toEqual([
      [
        'a@example.com',
        [
          { purpose: 'email_marketing', granted: true, at: '2026-02-03T00:00:00.000Z' },
          { purpose: 'sms_marketing', granted: false, at: '2026-03-01T00:00:00.000Z' },
        ],
      ],
      // An empty cell says nothing about that purpose.
      ['b@example.com', [{ purpose: 'sms_marketing', granted: false, at: '2026-03-01T00:00:00.000Z' }]],
    ]);
    expect(invalid.map((m) => `${m.location}: ${m.reason}`)).toEqual(['optins.csv line 4: column "Newsletter": "maybe" is not a yes/no consent']);
  });

  it('yields bad rows as invalid with their file and physical line, and goes on', async () => {
    await writeFile(
      join(dir, 'visits.csv'),
      [
        HEADER,
        'L-1,a@example.com,,Ana,1,,Visit,01/01/2026,"two\nlines"',
        ',,,Nobody,1,,Visit,01/01/2026,',
        'L-3,c@example.com,,Caio,1,,Visit,31/02/2026,',
        'L-4,d@example.com,,Dora',
        'L-5,e@example.com,,Eva,lots,,Visit,01/01/2026,',
        'L-6,f@example.com,,Fabio,1,,Visit,01/01/2026,ok',
        'L-7,g@example.com,,Gil,1,,Visit,01/01/2026,"never closed',
      ].join('\n'),
    );
    const { facts, invalid } = await read(config(dir, { mapping: { ...config(dir).mapping, externalId: undefined } }));
    expect(facts.map((f) => f.identities[0]!.value)).toEqual(['a@example.com', 'f@example.com']);
    expect(invalid.map((m) => `${m.location}: ${m.reason}`)).toEqual([
      'visits.csv line 4: no identity: "Email", "Phone", "Card" are empty',
      'visits.csv line 5: column "Date": "31/02/2026" is not a date (dmy)',
      'visits.csv line 6: expected 9 columns, found 4',
      'visits.csv line 7: column "Points": "lots" is not a number',
      'visits.csv line 9: a quoted field opened on line 9 is never closed',
    ]);
    expect(invalid[0]!.payload).toEqual(['', '', '', 'Nobody', '1', '', 'Visit', '01/01/2026', '']);
    // Without an id column a row is identified by its content.
    expect(facts[0]!.externalId).toMatch(/^row-[0-9a-f]{32}$/);
  });

  it('resumes mid-file from the row offset of the last checkpoint', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => `L-${i + 1},p${i + 1}@example.com,,P${i + 1},${i},,Visit,0${i + 1}/01/2026,`);
    await writeFile(join(dir, 'a.csv'), [HEADER, ...rows].join('\n'));
    const first = await read(config(dir), undefined, 1);
    expect(ids(first.facts)).toEqual(['L-1', 'L-2']);
    expect(first.last).toEqual({ imported: {}, current: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/), file: 'a.csv', rowsDone: 2 } });

    const rest = await read(config(dir), JSON.parse(JSON.stringify(first.last)));
    expect(ids(rest.facts)).toEqual(['L-3', 'L-4', 'L-5']);
    expect(rest.last).toEqual({ imported: { [(first.last!.current as { sha256: string }).sha256]: { file: 'a.csv', rows: 5 } } });
  });

  it('skips a file already imported with the same checksum, even renamed, and imports an edited file again whole', async () => {
    await writeFile(join(dir, 'a.csv'), `${HEADER}\nL-1,a@example.com,,Ana,1,,Visit,01/01/2026,\nL-2,b@example.com,,Bia,1,,Visit,01/01/2026,\n`);
    const full = await read(config(dir));
    expect(ids(full.facts)).toEqual(['L-1', 'L-2']);

    await rename(join(dir, 'a.csv'), join(dir, 'renamed.csv'));
    const nothing = await read(config(dir), full.last);
    expect(nothing.facts).toEqual([]);
    expect(nothing.messages).toEqual([{ type: 'checkpoint', state: full.last }]);

    await writeFile(join(dir, 'renamed.csv'), `${HEADER}\nL-1,a@example.com,,Ana,1,,Visit,01/01/2026,\nL-2,b@example.com,,Bianca,1,,Visit,01/01/2026,\n`);
    const edited = await read(config(dir), full.last);
    expect(ids(edited.facts)).toEqual(['L-1', 'L-2']);
    expect(Object.values((edited.last as { imported: object }).imported)).toEqual([
      { file: 'a.csv', rows: 2 },
      { file: 'renamed.csv', rows: 2 },
    ]);
  });

  it('refuses a file that lacks a mapped column once, and does not retry it until it changes', async () => {
    await writeFile(join(dir, 'a.csv'), 'Card,Email\nL-1,a@example.com\n');
    const first = await read(config(dir));
    expect(first.invalid).toEqual([{ type: 'invalid', location: 'a.csv line 1', reason: 'missing columns "Phone", "First name", "Points", "Member since", "Date", "Event", "Note"' }]);
    const again = await read(config(dir), first.last);
    expect(again.invalid).toEqual([]);
  });

  it('reads an explicit list of files, in the given order', async () => {
    await writeFile(join(dir, 'b.csv'), `${HEADER}\nL-2,b@example.com,,Bia,1,,Visit,01/01/2026,\n`);
    await writeFile(join(dir, 'a.csv'), `${HEADER}\nL-1,a@example.com,,Ana,1,,Visit,01/01/2026,\n`);
    const { facts } = await read(config(dir, { directory: undefined, files: [join(dir, 'b.csv'), join(dir, 'a.csv')] }));
    expect(ids(facts)).toEqual(['L-2', 'L-1']);
  });

  it('check() names a missing directory, a missing file and a file without the mapped columns', async () => {
    await expect(connector.check(config(join(dir, 'nope')), createConnectorContext())).resolves.toEqual({
      ok: false,
      reason: `directory "${join(dir, 'nope')}" does not exist`,
    });
    await expect(connector.check(config(dir, { directory: undefined, files: [join(dir, 'x.csv')] }), createConnectorContext())).resolves.toEqual({
      ok: false,
      reason: `file "${join(dir, 'x.csv')}" does not exist`,
    });
    await writeFile(join(dir, 'a.csv'), 'Card,Email,Phone,First name,Points,Member since,Event,Date\n');
    await expect(connector.check(config(dir), createConnectorContext())).resolves.toEqual({ ok: false, reason: 'a.csv has no column "Note"' });
  });

  it('refuses a configuration without a source location or with both', () => {
    const mapping = { identities: { Email: 'email' } };
    expect(csvConfigSchema.safeParse({ mapping }).success).toBe(false);
    expect(csvConfigSchema.safeParse({ directory: dir, files: ['a.csv'], mapping }).success).toBe(false);
    expect(csvConfigSchema.safeParse({ directory: dir, mapping: { identities: {} } }).success).toBe(false);
    expect(csvConfigSchema.safeParse({ directory: dir, mapping: { identities: { Email: 'email' }, event: { occurredAt: 'Date' } } }).success).toBe(false);
  });
});
