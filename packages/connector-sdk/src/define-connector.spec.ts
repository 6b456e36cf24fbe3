import { z } from 'zod';
import { assertConnector } from './assert-connector.js';
import { configJsonSchema } from './config-json-schema.js';
import { defineConnector, type ConnectorDefinition, type ReadMessage } from './connector.js';
import { ConnectorDefinitionError } from './connector.errors.js';
import { cronExpressionProblem } from './cron-expression.js';

const configSchema = z.object({
  shop: z.string().min(1),
  accessToken: z.string().min(1),
  pageSize: z.number().int().default(100),
});
type Config = z.infer<typeof configSchema>;

function definition(manifest: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): ConnectorDefinition<Config> {
  return {
    manifest: {
      id: 'acme-crm',
      name: 'Acme CRM',
      version: '1.2.0',
      description: 'Contacts from Acme CRM',
      kind: 'source',
      configSchema,
      secretFields: ['accessToken'],
      streams: [{ name: 'contacts', primaryKey: ['id'], cursorField: 'updated_at', syncModes: ['full', 'incremental'] }],
      defaultSchedule: '*/15 * * * *',
      capabilities: {},
      ...manifest,
    },
    check: async () => ({ ok: true }),
    async *read(): AsyncIterable<ReadMessage> {
      yield { type: 'checkpoint', state: {} };
    },
    ...extra,
  } as ConnectorDefinition<Config>;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConnectorDefinitionError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConnectorDefinitionError');
}

describe('defineConnector', () => {
  it('brands and freezes a valid definition', () => {
    const connector = defineConnector(definition());
    expect(connector.__portraitConnector).toBe(1);
    expect(Object.isFrozen(connector)).toBe(true);
    expect(connector.manifest.id).toBe('acme-crm');
  });

  it('lists every problem of a malformed manifest at once', () => {
    const problems = problemsOf(() =>
      defineConnector(
        definition({
          id: 'Acme_CRM',
          version: '1.2',
          defaultSchedule: '*/15 * * *',
          secretFields: ['accessToken', 'apiSecret'],
          streams: [
            { name: 'contacts', primaryKey: [], syncModes: ['full'] },
            { name: 'contacts', primaryKey: ['id'], syncModes: ['full', 'incremental'] },
          ],
        }),
      ),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^manifest\.id: must be lower case letters/),
        expect.stringMatching(/^manifest\.version: must be a semantic version/),
        expect.stringMatching(/^manifest\.defaultSchedule: must be a 5-field cron expression: .*must have 5 fields/),
        'manifest.secretFields.1: "apiSecret" is not a top-level field of configSchema',
        'manifest.streams.0.primaryKey: must name at least one field',
        'manifest.streams.1.cursorField: an incremental stream needs a cursorField',
        'manifest.streams.1.name: "contacts" is declared twice',
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  it('names the connector in the error message', () => {
    expect(() => defineConnector(definition({ version: 'one' }))).toThrow(
      /^connector "acme-crm" is not a valid Portrait connector: manifest\.version/,
    );
  });

  it('requires at least one stream for a source, none for a pure destination', () => {
    expect(problemsOf(() => defineConnector(definition({ streams: [] })))).toEqual([
      'manifest.streams: a source must declare at least one stream',
    ]);
    const destination = definition(
      { kind: 'destination', streams: [], capabilities: { destination: true } },
      { syncSegment: async () => ({ synced: 0, skipped: [] }) },
    );
    expect(defineConnector(destination).manifest.kind).toBe('destination');
  });

  it('requires the functions the capabilities promise', () => {
    expect(problemsOf(() => defineConnector(definition({ capabilities: { webhooks: true } })))).toEqual([
      'parseWebhook: must be a function when capabilities.webhooks is true',
    ]);
    expect(problemsOf(() => defineConnector(definition({ kind: 'both', capabilities: { destination: true } })))).toEqual([
      'syncSegment: must be a function when capabilities.destination is true',
    ]);
    expect(problemsOf(() => defineConnector(definition({ kind: 'both' })))).toEqual([
      'manifest.capabilities.destination: must be true for a connector of kind "both"',
    ]);
  });

  it('takes destination options only on a destination, as a zod schema, with their check', () => {
    const syncSegment = async () => ({ synced: 0, skipped: [] });
    const options = z.object({ list: z.string().min(1).optional() });
    const destination = definition(
      { kind: 'both', capabilities: { destination: true }, destinationOptionsSchema: options },
      { syncSegment, checkDestinationOptions: () => [] },
    );
    expect(defineConnector(destination).manifest.destinationOptionsSchema).toBe(options);
    expect(problemsOf(() => defineConnector(definition({ destinationOptionsSchema: options })))).toEqual([
      'manifest.destinationOptionsSchema: is given but the connector does not receive segments (capabilities.destination)',
    ]);
    expect(problemsOf(() => defineConnector(definition({ kind: 'both', capabilities: { destination: true }, destinationOptionsSchema: { type: 'object' } }, { syncSegment })))).toEqual([
      'manifest.destinationOptionsSchema: must be a zod 4 schema',
    ]);
    expect(problemsOf(() => defineConnector(definition({ kind: 'both', capabilities: { destination: true } }, { syncSegment, checkDestinationOptions: () => [] })))).toEqual([
      'checkDestinationOptions: needs manifest.destinationOptionsSchema',
    ]);
  });

  it('refuses a config schema that is not a zod schema', () => {
    expect(problemsOf(() => defineConnector(definition({ configSchema: { type: 'object' } })))).toEqual([
      'manifest.configSchema: must be a zod 4 schema',
    ]);
  });

  it('finds secret fields through transforms and defaults of an object schema', () => {
    const wrapped = configSchema.default({ shop: 'a', accessToken: 'b', pageSize: 1 }).transform((c) => c);
    expect(defineConnector(definition({ configSchema: wrapped })).manifest.secretFields).toEqual(['accessToken']);
    expect(problemsOf(() => defineConnector(definition({ configSchema: wrapped, secretFields: ['token'] })))).toEqual([
      'manifest.secretFields.0: "token" is not a top-level field of configSchema',
    ]);
  });
});

describe('cronExpressionProblem', () => {
  it.each(['* * * * *', '*/15 * * * *', '0 3 * * MON-FRI', '0,30 8-18/2 1 JAN,jul 0', '5 4 * * 7'])('accepts %s', (cron) => {
    expect(cronExpressionProblem(cron)).toBeUndefined();
  });

  it.each([
    ['* * * *', /must have 5 fields/],
    ['60 * * * *', /minute "60" is not a value between 0 and 59/],
    ['* 24 * * *', /hour "24"/],
    ['* * 0 * *', /day of month "0"/],
    ['* * * 13 *', /month "13"/],
    ['* * * * 8', /day of week "8"/],
    ['*/0 * * * *', /invalid step/],
    ['10-5 * * * *', /start is after its end/],
    ['1,,2 * * * *', /empty list item/],
    ['@hourly', /must have 5 fields/],
  ])('refuses %s', (cron, message) => {
    expect(cronExpressionProblem(cron)).toMatch(message);
  });
});

describe('assertConnector', () => {
  const connector = defineConnector(definition());

  it('takes a module default export or a `connector` named export', () => {
    expect(assertConnector({ default: connector }, 'plugin-acme')).toBe(connector);
    expect(assertConnector({ connector, somethingElse: 1 }, 'plugin-acme')).toBe(connector);
    expect(assertConnector({ default: { default: connector } }, 'plugin-acme')).toBe(connector);
  });

  it('accepts an unbranded object of the right shape and brands it', () => {
    const plain = definition();
    const accepted = assertConnector({ default: plain }, 'plugin-acme');
    expect(accepted.__portraitConnector).toBe(1);
    expect(accepted.manifest).toBe(plain.manifest);
  });

  it('lists the problems of a malformed export, naming the package', () => {
    const broken = { manifest: { ...definition().manifest, id: 'Bad Id' }, read: 'nope' };
    expect(() => assertConnector({ default: broken }, '@acme/portrait-plugin')).toThrow(ConnectorDefinitionError);
    expect(problemsOf(() => assertConnector({ default: broken }, '@acme/portrait-plugin'))).toEqual([
      expect.stringMatching(/^manifest\.id:/),
      'check: must be a function',
      'read: must be a function',
    ]);
  });

  it('refuses a module that exports no connector', () => {
    expect(() => assertConnector({ helper: () => 1 }, '@acme/utils')).toThrow(
      '@acme/utils is not a valid Portrait connector: exports no connector: expected a default export or a named export "connector" made with defineConnector()',
    );
    expect(() => assertConnector(undefined, '@acme/utils')).toThrow(ConnectorDefinitionError);
  });
});

describe('configJsonSchema', () => {
  it('renders the input shape with secret fields write-only and masked', () => {
    const schema = configJsonSchema(defineConnector(definition()).manifest);
    expect(schema).toMatchObject({
      type: 'object',
      required: ['shop', 'accessToken'],
      properties: {
        shop: { type: 'string', minLength: 1 },
        accessToken: { type: 'string', minLength: 1, writeOnly: true, format: 'password' },
        pageSize: { type: 'integer', default: 100 },
      },
    });
    expect((schema.properties as Record<string, object>).shop).not.toHaveProperty('writeOnly');
  });
});
