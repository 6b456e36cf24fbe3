import { assertConnector } from '@portrait/connector-sdk';
import { builtInConnectors } from '../src/index.js';
import { builtInDemoSandboxes } from '../src/demo.js';

describe('built-in connectors', () => {
  it('are valid connectors with distinct ids', () => {
    const ids = builtInConnectors.map((connector) => assertConnector(connector, 'built-in').manifest.id);
    expect(ids).toEqual(expect.arrayContaining(['csv', 'shopify', 'mailchimp']));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('have at most one demo sandbox each, for a listed connector', () => {
    const ids = builtInDemoSandboxes.map((sandbox) => sandbox.connectorId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(builtInConnectors.map((c) => c.manifest.id)).toContain(id);
    expect(ids).toEqual(expect.arrayContaining(['csv', 'shopify', 'mailchimp']));
  });
});
