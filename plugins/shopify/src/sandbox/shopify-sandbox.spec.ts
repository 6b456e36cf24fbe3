import { SANDBOX_API_VERSION, ShopifySandbox } from './shopify-sandbox.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON answers, read by field name
type Answer = Record<string, any>;

/** The sandbox answers as Shopify's GraphQL Admin API does: shapes, errors, cost, bulk results. */
describe('ShopifySandbox', () => {
  let sandbox: ShopifySandbox;
  beforeAll(async () => {
    sandbox = await ShopifySandbox.start({ shop: 'sandbox-spec.myshopify.com', customers: 30, orders: 60, plan: 'standard' });
  });
  afterAll(() => sandbox.close());

  const graphql = async (query: string, variables: Record<string, unknown> = {}, token = sandbox.accessToken, on = sandbox, version = SANDBOX_API_VERSION) => {
    const response = await fetch(`${on.url}/admin/api/${version}/graphql.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shopify-access-token': token },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: (await response.json()) as Answer };
  };

  it('refuses a bad token with 401 and Shopify’s message', async () => {
    expect(await graphql('{ shop { name } }', {}, 'shpat_nope')).toEqual({
      status: 401,
      body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' },
    });
  });

  it('answers a connection page with gids, cursors, pageInfo and the query cost', async () => {
    const { body } = await graphql('query($after: String) { customers(first: 10, after: $after, sortKey: UPDATED_AT) { edges { cursor node { id updatedAt defaultAddress { city } } } pageInfo { hasNextPage endCursor } } }');
    const page = body.data.customers;
    expect(page.edges).toHaveLength(10);
    expect(page.edges[0].node.id).toMatch(/^gid:\/\/shopify\/Customer\/\d+$/);
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: page.edges[9].cursor });
    // 2 for the connection + 10 × (1 customer + 1 address)
    expect(body.extensions.cost).toMatchObject({ requestedQueryCost: 22, throttleStatus: { maximumAvailable: 2000, restoreRate: 100 } });
    const next = await graphql('query($after: String) { customers(first: 10, after: $after, sortKey: UPDATED_AT) { nodes { id } } }', { after: page.pageInfo.endCursor });
    expect(next.body.data.customers.nodes.map((n: { id: string }) => n.id)).not.toContain(page.edges[0].node.id);
  });

  it('answers invalid queries with Shopify’s validation errors, and refuses a page above 250 or a query above 1,000 points', async () => {
    expect((await graphql('{ shop { nope } }')).body.errors[0]).toMatchObject({ message: "Field 'nope' doesn't exist on type 'Shop'", extensions: { code: 'undefinedField' } });
    expect((await graphql('{ customer { id } }')).body.errors[0]).toMatchObject({ message: "Field 'customer' is missing required arguments: id", extensions: { code: 'missingRequiredArguments' } });
    expect((await graphql('{ customers { nodes { id } } }')).body.errors[0].message).toBe('you must provide one of first or last');
    expect((await graphql('{ customers(first: 251) { nodes { id } } }')).body.errors[0].message).toContain('within 0-250');
    expect((await graphql('{ orders(first: 250) { nodes { id lineItems(first: 10) { nodes { id } } } } }')).body.errors[0]).toMatchObject({ extensions: { code: 'MAX_COST_EXCEEDED' } });
  });

  it('answers THROTTLED (HTTP 200) with the bucket’s state when the requested cost is not available', async () => {
    sandbox.bucket.take(sandbox.bucket.currentlyAvailable() - 50);
    const { status, body } = await graphql('{ customers(first: 100) { nodes { id } } }');
    expect(status).toBe(200);
    expect(body.errors[0]).toMatchObject({ message: 'Throttled', extensions: { code: 'THROTTLED' } });
    expect(body.extensions.cost).toMatchObject({ requestedQueryCost: 102, actualQueryCost: null, throttleStatus: { restoreRate: 100 } });
    expect(body.extensions.cost.throttleStatus.currentlyAvailable).toBeLessThan(102);
    sandbox.bucket.refund(2000);
  });

  it('runs five bulk query operations at a time from API version 2026-01 on, one before', async () => {
    const busy = await ShopifySandbox.start({ shop: 'sandbox-spec-bulk.myshopify.com', customers: 5, orders: 5, bulkRunMs: 600_000 });
    try {
      const run = (version: string) =>
        graphql('mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id } userErrors { message code } } }', { q: '{ customers { edges { node { id } } } }' }, busy.accessToken, busy, version);
      const inProgress = { bulkOperation: null, userErrors: [{ message: expect.stringContaining('already in progress'), code: 'OPERATION_IN_PROGRESS' }] };
      expect((await run('2025-10')).body.data.bulkOperationRunQuery).toMatchObject({ bulkOperation: { id: expect.any(String) }, userErrors: [] });
      expect((await run('2025-10')).body.data.bulkOperationRunQuery).toEqual(inProgress);
      for (let i = 2; i <= 5; i++) expect((await run('2026-07')).body.data.bulkOperationRunQuery).toMatchObject({ bulkOperation: { id: expect.any(String) }, userErrors: [] });
      expect((await run('2026-07')).body.data.bulkOperationRunQuery).toEqual(inProgress);
      expect(busy.bulk.running()).toHaveLength(5);
    } finally {
      await busy.close();
    }
  });

  it('writes a bulk operation\'s result as JSONL with children after their parent', async () => {
    const run = await graphql('mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id status } userErrors { message code } } }', {
      q: '{ orders { edges { node { id lineItems { edges { node { id quantity } } } } } } }',
    });
    const op = run.body.data.bulkOperationRunQuery.bulkOperation;
    expect(op).toMatchObject({ id: expect.stringMatching(/^gid:\/\/shopify\/BulkOperation\/\d+$/), status: 'RUNNING' });
    let done: Answer | undefined;
    while (done?.status !== 'COMPLETED') {
      await new Promise((resolve) => setTimeout(resolve, 20));
      done = (await graphql('query($id: ID!) { node(id: $id) { ... on BulkOperation { status url objectCount rootObjectCount } } }', { id: op.id })).body.data.node;
    }
    const path = new URL(done!.url).pathname;
    const lines = (await (await fetch(`${sandbox.url}${path}`)).text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(Number(done!.rootObjectCount)).toBe(60);
    expect(lines).toHaveLength(Number(done!.objectCount));
    const seen = new Set<string>();
    for (const line of lines) {
      if (line.__parentId) expect(seen.has(line.__parentId)).toBe(true);
      else expect(line).not.toHaveProperty('lineItems');
      seen.add(line.id);
    }
    expect(lines.filter((l) => l.__parentId)).toHaveLength(sandbox.data.orders.reduce((n, o) => n + o.lineItems.length, 0));
  });
});
