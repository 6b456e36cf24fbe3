import { createConnectorContext } from '@portrait/connector-sdk';
import { mailchimpConfigSchema } from '../src/mailchimp.config.js';
import { MailchimpSandbox, md5, tagHolders } from '../src/sandbox/index.js';
import { createSdkClient } from '../src/transport/marketing-client.js';
import { createMarketingWrites } from '../src/transport/marketing-writes.js';
import { sandboxConfig } from './sandbox-config.js';

/** A failure as the SDK (superagent) raises it. */
interface SdkFailure {
  status: number;
  response: { body: { type: string; title: string; status: number; detail: string; errors?: { field: string; message: string }[] } };
}

async function failure(call: Promise<unknown>): Promise<SdkFailure> {
  try {
    await call;
  } catch (error) {
    return error as SdkFailure;
  }
  throw new Error('the call succeeded');
}

describe("the sandbox's write routes, through the unmodified SDK", () => {
  let sandbox: MailchimpSandbox;
  // The SDK's client for the sandbox, with the calls the reads' declarations leave out.
  let sdk: {
    lists: { updateListMemberTags(l: string, h: string, b: unknown): Promise<unknown>; setListMember(l: string, h: string, b: unknown): Promise<Record<string, unknown>> };
    batches: { start(b: unknown): Promise<Record<string, unknown>>; status(id: string): Promise<Record<string, unknown>> };
  };

  beforeAll(async () => {
    sandbox = await MailchimpSandbox.start({ members: 10, seed: 59 });
    sdk = createSdkClient(mailchimpConfigSchema.parse(sandboxConfig(sandbox))) as unknown as typeof sdk;
  });
  afterAll(() => sandbox.close());

  it('tags and untags a member (204), and answers 404 for one not in the audience', async () => {
    const member = sandbox.data.audience(sandbox.listId)!.members[0]!.record;
    await sdk.lists.updateListMemberTags(sandbox.listId, member.id, { tags: [{ name: 'sandbox-tag', status: 'active' }] });
    expect(tagHolders(sandbox.data, sandbox.listId, 'sandbox-tag')).toEqual([member.email_address]);
    await sdk.lists.updateListMemberTags(sandbox.listId, member.id, { tags: [{ name: 'sandbox-tag', status: 'inactive' }] });
    expect(tagHolders(sandbox.data, sandbox.listId, 'sandbox-tag')).toEqual([]);
    expect(await failure(sdk.lists.updateListMemberTags(sandbox.listId, md5('nobody@example.org'), { tags: [{ name: 'x', status: 'active' }] }))).toMatchObject({
      status: 404,
      response: { body: { title: 'Resource Not Found', status: 404 } },
    });
    expect(await failure(sdk.lists.updateListMemberTags(sandbox.listId, member.id, { tags: [{ name: 'x', status: 'on' }] }))).toMatchObject({
      status: 400,
      response: { body: { title: 'Invalid Resource', errors: [{ field: 'tags.item:0.status' }] } },
    });
  });

  it('upserts a member with status_if_new, keeps an existing one, and names what is wrong', async () => {
    const email = 'Upserted.Reader@example.org';
    const created = await sdk.lists.setListMember(sandbox.listId, md5(email.toLowerCase()), { email_address: email, status_if_new: 'subscribed' });
    expect(created).toMatchObject({ id: md5(email.toLowerCase()), email_address: email, status: 'subscribed', list_id: sandbox.listId });
    const existing = sandbox.data.audience(sandbox.listId)!.members[1]!.record;
    const kept = await sdk.lists.setListMember(sandbox.listId, existing.id, { email_address: existing.email_address, status_if_new: 'pending' });
    expect(kept).toMatchObject({ status: existing.status });
    expect(await failure(sdk.lists.setListMember(sandbox.listId, md5('new@example.org'), { email_address: 'new@example.org' }))).toMatchObject({
      status: 400,
      response: { body: { title: 'Invalid Resource', errors: [{ field: 'status_if_new' }] } },
    });
    expect(await failure(sdk.lists.setListMember(sandbox.listId, md5('other@example.org'), { email_address: 'new@example.org', status_if_new: 'pending' }))).toMatchObject({ status: 400 });
  });

  it('runs a batch pending → started → finished, with the results of its operations in the archive', async () => {
    const member = sandbox.data.audience(sandbox.listId)!.members[2]!.record;
    const started = await sdk.batches.start({
      operations: [
        { method: 'POST', path: `/lists/${sandbox.listId}/members/${member.id}/tags`, body: JSON.stringify({ tags: [{ name: 'batched', status: 'active' }] }), operation_id: 'ok' },
        { method: 'PUT', path: `/lists/${sandbox.listId}/members/${md5('fake@mail.invalid')}`, body: JSON.stringify({ email_address: 'fake@mail.invalid', status_if_new: 'pending' }), operation_id: 'fake' },
      ],
    });
    expect(started).toMatchObject({ status: 'pending', total_operations: 2, finished_operations: 0, errored_operations: 0, response_body_url: '' });
    expect(await sdk.batches.status(String(started.id))).toMatchObject({ status: 'started', finished_operations: 2, errored_operations: 1 });
    expect(tagHolders(sandbox.data, sandbox.listId, 'batched')).toEqual([member.email_address]);
    const finished = await sdk.batches.status(String(started.id));
    expect(finished).toMatchObject({ status: 'finished', total_operations: 2, finished_operations: 2, errored_operations: 1, response_body_url: expect.stringContaining('/batch-results/') });

    const results = await createMarketingWrites(mailchimpConfigSchema.parse(sandboxConfig(sandbox)), createConnectorContext()).batchResults(String(finished.response_body_url));
    expect(results.map((r) => [r.operation_id, r.status_code])).toEqual([
      ['ok', 204],
      ['fake', 400],
    ]);
    expect(JSON.parse(results[1]!.response)).toMatchObject({ title: 'Invalid Resource', status: 400 });
    expect(await failure(sdk.batches.start({ operations: [{ method: 'FETCH', path: '/ping' }] }))).toMatchObject({ status: 400, response: { body: { errors: [{ field: 'operations.item:0.method' }] } } });
    expect(await failure(sdk.batches.status('nosuchbatch'))).toMatchObject({ status: 404 });
  });
});
