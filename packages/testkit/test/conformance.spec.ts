import { describeConnectorConformance } from '../src/index.js';
import { contactsConnector } from './fixtures/contacts-connector.js';
import { startContactsSandbox } from './fixtures/contacts-sandbox.js';

describeConnectorConformance(contactsConnector, {
  sandbox: () => startContactsSandbox(),
  config: (sandbox) => ({ baseUrl: sandbox.url, apiKey: sandbox.apiKey }),
  badConfig: (sandbox) => ({ baseUrl: sandbox.url, apiKey: 'not-the-key' }),
});
