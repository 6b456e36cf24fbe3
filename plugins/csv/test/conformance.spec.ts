import { join } from 'node:path';
import { describeConnectorConformance } from '@portrait/testkit';
import connector from '../src/index.js';
import { sandboxConfig, startCsvSandbox } from '../src/sandbox/index.js';

describeConnectorConformance(connector, {
  sandbox: () => startCsvSandbox(),
  config: (sandbox) => sandboxConfig(sandbox),
  badConfig: (sandbox) => sandboxConfig(sandbox, { directory: join(sandbox.directory, 'does-not-exist') }),
  // Files, not HTTP: there are no 429s or 5xx to survive.
  httpFaults: false,
});
