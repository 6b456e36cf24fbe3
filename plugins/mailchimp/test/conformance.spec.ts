import { describeConnectorConformance } from '@portrait/testkit';
import connector from '../src/index.js';
import { MailchimpSandbox } from '../src/sandbox/index.js';
import { sandboxConfig } from './sandbox-config.js';

// An audience of 240 members served 60 to a page, so that each stream checkpoints several times.
describe('one audience', () => {
  describeConnectorConformance(connector, {
    sandbox: () => MailchimpSandbox.start({ members: 240, pageLimit: 60 }),
    config: (sandbox) => sandboxConfig(sandbox),
    badConfig: (sandbox) => sandboxConfig(sandbox, { apiKey: 'ffffffffffffffffffffffffffffffff-us6' }),
  });
});

// Two audiences, one of them unknown to the account in the bad configuration; another app holds 3 of
// the account's 10 connections, so the activity feeds read side by side meet Mailchimp's 429s.
describe('two audiences, another app holding connections', () => {
  describeConnectorConformance(connector, {
    sandbox: () =>
      MailchimpSandbox.start({
        members: 90,
        pageLimit: 40,
        audiences: [
          { id: 'a1b2c3d4e5', name: 'Newsletter' },
          { id: 'f6e5d4c3b2', name: 'Customers' },
        ],
        maxConnections: 7,
      }),
    config: (sandbox) => sandboxConfig(sandbox),
    badConfig: (sandbox) => sandboxConfig(sandbox, { audienceIds: [...sandbox.audienceIds, '0000000000'] }),
  });
});
