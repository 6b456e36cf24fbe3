import {
  assertConnector,
  configJsonSchema,
  createConnectorContext,
  validateFact,
  type Connector,
  type ConnectorContext,
  type ReadRequest,
  type RetryPolicy,
} from '@portrait/connector-sdk';
import type { SandboxFaults } from '../sandbox/sandbox-faults.js';
import { eventKeys, factContent, factKey, readStream, roundTrip, sortedKeys, type ReadOutcome } from './read-stream.js';

/**
 * The connector conformance suite: one call in a plugin's test file registers the tests every
 * connector must pass, against that plugin's sandbox. It fits connectors that talk HTTP to a sandbox
 * (faults injected through `sandbox.faults`) and connectors that read files or other local data
 * (`httpFaults: false`, the sandbox writes files and `corrupt()` adds a bad record).
 */

/** What the suite needs from a plugin's sandbox. A sandbox is started fresh for each test. */
export interface ConformanceSandbox {
  /**
   * Changes the upstream data the way users do: updates at least one existing record and adds at
   * least one. May say which records the next incremental read must return (see `ConformanceMutation`).
   */
  mutate(): Promise<ConformanceMutation | void>;
  /** Makes the upstream serve at least one record the connector cannot map. Defaults to a `malformed` fault. */
  corrupt?(): Promise<void>;
  /** The fault controller of an HTTP sandbox (`createSandboxServer(...).faults`). */
  faults?: SandboxFaults;
  close(): Promise<void>;
}

export interface ConformanceMutation {
  /**
   * Per stream, the external ids the incremental read after this mutation must yield — exactly those.
   * Give it when the connector's change granularity is coarser than a record (a changed CSV file is
   * imported again whole). Without it, the suite expects exactly the facts whose content changed.
   */
  touched?: Record<string, string[]>;
}

export interface ConformanceOptions<S extends ConformanceSandbox> {
  /** Starts a fresh sandbox with the same deterministic data every time. */
  sandbox: () => Promise<S>;
  /** A configuration that works against the sandbox (raw: the suite parses it with the manifest's configSchema). */
  config: object | ((sandbox: S) => object);
  /** A well-formed configuration the channel refuses (wrong credentials, a directory that does not exist…). */
  badConfig: object | ((sandbox: S) => object);
  /** Streams to test (default: every stream of the manifest). */
  streams?: string[];
  /** The connector talks HTTP to the sandbox: test 429 / 5xx survival through `sandbox.faults` (default true). */
  httpFaults?: boolean;
  /** Retry defaults of the context handed to the connector (default: short backoff, so tests stay quick). */
  retry?: Partial<RetryPolicy>;
  /** Which checkpoints of a full read to interrupt at and resume from (1-based; default: first, middle, last but one). */
  resumeAt?: number[] | 'all';
}

const TEST_RETRY: Partial<RetryPolicy> = { baseDelayMs: 50, maxDelayMs: 1000 };

export function describeConnectorConformance<Config, S extends ConformanceSandbox>(
  connector: Connector<Config>,
  options: ConformanceOptions<S>,
): void {
  const manifest = connector.manifest;
  const declared = manifest.streams.map((s) => s.name);
  const streams = options.streams ?? declared;
  for (const stream of streams) {
    if (!declared.includes(stream)) throw new Error(`describeConnectorConformance: stream "${stream}" is not in the manifest (${declared.join(', ')})`);
  }
  const incremental = new Set(manifest.streams.filter((s) => s.syncModes.includes('incremental')).map((s) => s.name));
  const context = (): ConnectorContext => createConnectorContext({ retry: options.retry ?? TEST_RETRY });

  const parseConfig = (raw: unknown, which: string): Config => {
    const parsed = manifest.configSchema.safeParse(raw);
    if (!parsed.success) {
      throw new Error(`${which} does not match the connector's configSchema: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ')}`);
    }
    return parsed.data;
  };
  const resolve = (source: object | ((sandbox: S) => object), sandbox: S) =>
    typeof source === 'function' ? (source as (sandbox: S) => object)(sandbox) : source;

  async function withSandbox(work: (sandbox: S, config: Config) => Promise<void>): Promise<void> {
    const sandbox = await options.sandbox();
    try {
      await work(sandbox, parseConfig(resolve(options.config, sandbox), 'config'));
    } finally {
      sandbox.faults?.clear();
      await sandbox.close();
    }
  }

  const full = (stream: string): ReadRequest => ({ stream, mode: 'full', state: undefined });

  describe(`connector "${manifest.id}" conformance`, () => {
    it('has a valid manifest and a configuration form that renders', async () => {
      expect(assertConnector(connector, manifest.id).manifest).toBe(manifest);
      const schema = configJsonSchema(manifest);
      expect(schema).toMatchObject({ type: 'object' });
      expect(() => JSON.stringify(schema)).not.toThrow();
      const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      for (const field of manifest.secretFields) {
        expect({ field, ...properties[field] }).toMatchObject({ field, writeOnly: true, format: 'password' });
      }
      await withSandbox(async (sandbox) => {
        parseConfig(resolve(options.badConfig, sandbox), 'badConfig');
      });
    });

    it('check() accepts the good configuration', async () => {
      await withSandbox(async (_sandbox, config) => {
        await expect(connector.check(config, context())).resolves.toEqual({ ok: true });
      });
    });

    it('check() refuses the bad configuration with a reason, without throwing', async () => {
      await withSandbox(async (sandbox) => {
        const result = await connector.check(parseConfig(resolve(options.badConfig, sandbox), 'badConfig'), context());
        expect(result.ok).toBe(false);
        expect(result.ok ? '' : result.reason.trim()).not.toBe('');
      });
    });

    for (const stream of streams) {
      describe(`stream "${stream}"`, () => {
        it('full read yields valid facts, each with at least one identity, and JSON-safe checkpoints', async () => {
          await withSandbox(async (_sandbox, config) => {
            const outcome = await readStream(connector, full(stream), config, context());
            expect(outcome.facts.length).toBeGreaterThan(0);
            const problems = outcome.facts.flatMap((fact) => {
              const validation = validateFact(fact);
              if (!validation.ok) return [`${factKey(fact)}: ${validation.reason}`];
              return fact.identities.length === 0 ? [`${factKey(fact)}: no identity`] : [];
            });
            expect(problems).toEqual([]);
            for (const invalid of outcome.invalid) expect(invalid.reason.trim()).not.toBe('');
            for (const state of outcome.checkpoints) expect(roundTrip(state)).toEqual(state);
            if (incremental.has(stream)) {
              // The state a next incremental sync starts from is the one after the last fact.
              expect(outcome.messages.at(-1)?.type).toBe('checkpoint');
            }
          });
        });

        if (incremental.has(stream)) {
          it('incremental read after a full read yields exactly what the sandbox changed since', async () => {
            await withSandbox(async (sandbox, config) => {
              const before = await readStream(connector, full(stream), config, context());
              const mutation = await sandbox.mutate();
              const changed = await readStream(connector, { stream, mode: 'incremental', state: roundTrip(before.lastState) }, config, context());
              const after = await readStream(connector, full(stream), config, context());

              const previous = new Map(before.facts.map((f) => [factKey(f), factContent(f)]));
              const expected = [...new Set(after.facts.filter((f) => previous.get(factKey(f)) !== factContent(f)).map(factKey))].sort();
              const got = [...new Set(changed.facts.map(factKey))].sort();
              expect(expected.length).toBeGreaterThan(0);
              const touched = mutation?.touched?.[stream];
              if (touched) {
                const source = changed.facts[0]?.source ?? after.facts[0]!.source;
                expect(got).toEqual([...new Set(touched.map((id) => factKey({ source, externalId: id })))].sort());
                expect(expected.filter((key) => !got.includes(key))).toEqual([]);
              } else {
                expect(got).toEqual(expected);
              }
              expect(changed.messages.at(-1)?.type).toBe('checkpoint');
            });
          });
        }

        it('resumes from a checkpoint: both halves together equal a full read, exactly once', async () => {
          await withSandbox(async (_sandbox, config) => {
            const whole = await readStream(connector, full(stream), config, context());
            const n = whole.checkpoints.length;
            if (n < 2) {
              throw new Error(
                `stream "${stream}" yielded ${n} checkpoint(s) on the sandbox's data: resuming needs at least 2 — checkpoint after each page or batch, or serve more records`,
              );
            }
            const points =
              options.resumeAt === 'all'
                ? Array.from({ length: n - 1 }, (_, i) => i + 1)
                : [...new Set(options.resumeAt ?? [1, Math.ceil(n / 2), n - 1])].filter((k) => k >= 1 && k < n);
            expect(points.length).toBeGreaterThan(0);
            for (const k of points) {
              const first: ReadOutcome = await readStream(connector, full(stream), config, context(), { stopAfterCheckpoints: k });
              const rest = await readStream(connector, { stream, mode: 'full', state: roundTrip(first.lastState) }, config, context());
              const union = [...first.facts, ...rest.facts];
              expect({ resumedAt: k, facts: sortedKeys(union) }).toEqual({ resumedAt: k, facts: sortedKeys(whole.facts) });
              expect({ resumedAt: k, events: eventKeys(union).sort() }).toEqual({ resumedAt: k, events: eventKeys(whole.facts).sort() });
            }
          });
        });

        if (options.httpFaults !== false) {
          it('survives injected 429s (Retry-After) and 5xx responses', async () => {
            await withSandbox(async (sandbox, config) => {
              const faults = sandbox.faults;
              if (!faults) throw new Error('the sandbox has no `faults`: pass httpFaults: false for a connector that makes no HTTP calls');
              const clean = await readStream(connector, full(stream), config, context());

              faults.inject({ kind: 'rate_limit', times: 2, retryAfter: 1 });
              const limited = await readStream(connector, full(stream), config, context());
              expect(faults.injected.rate_limit).toBe(2);
              expect(sortedKeys(limited.facts)).toEqual(sortedKeys(clean.facts));

              faults.inject({ kind: 'server_error', times: 1, status: 500 });
              faults.inject({ kind: 'server_error', times: 1, status: 502 });
              const failing = await readStream(connector, full(stream), config, context());
              expect(faults.injected.server_error).toBe(2);
              expect(sortedKeys(failing.facts)).toEqual(sortedKeys(clean.facts));
            });
          });
        }
      });
    }

    it('yields an `invalid` message for a record it cannot map, instead of throwing', async () => {
      await withSandbox(async (sandbox, config) => {
        if (sandbox.corrupt) await sandbox.corrupt();
        else if (sandbox.faults) sandbox.faults.inject({ kind: 'malformed', times: 1 });
        else throw new Error('the sandbox needs corrupt() or faults to serve an invalid record');
        const outcomes: ReadOutcome[] = [];
        for (const stream of streams) outcomes.push(await readStream(connector, full(stream), config, context()));
        const invalid = outcomes.flatMap((o) => o.invalid);
        expect(invalid.length).toBeGreaterThan(0);
        for (const message of invalid) expect(message.reason.trim()).not.toBe('');
        expect(outcomes.reduce((n, o) => n + o.facts.length, 0)).toBeGreaterThan(0);
      });
    });
  });
}
