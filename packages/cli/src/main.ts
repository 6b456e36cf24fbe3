#!/usr/bin/env node
import 'reflect-metadata';
import { Command } from 'commander';
import { serializeError } from '@portrait/core';
import { registerDatabaseCommands } from './commands/db.command.js';
import { registerStartCommand } from './commands/start.command.js';
import { registerWorkspaceCommands } from './commands/workspace.command.js';
import { registerApiKeyCommands } from './commands/apikey.command.js';
import { registerCreateConnectorCommand } from './commands/create-connector.js';
import { registerSyncCommands } from './commands/sync.command.js';
import { registerPersonaCommands } from './commands/persona.command.js';
import { registerIcpCommands } from './commands/icp.command.js';
import { registerAdminCommands } from './commands/admin.command.js';
import { registerSegmentCommands } from './commands/segment.command.js';
import { registerMergeCommands } from './commands/merge.command.js';
import { registerSettingsCommands } from './commands/settings.command.js';
import { registerProfileCommands } from './commands/profile.command.js';
import { registerSecretsCommands } from './commands/secrets.command.js';
import { registerPrivacyCommands } from './commands/privacy.command.js';
import { registerAuditCommands } from './commands/audit.command.js';
import { registerTypologyCommands } from './commands/typology.command.js';

const program = new Command('portrait')
  .description('Portrait operator command line')
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode));

registerStartCommand(program);
registerDatabaseCommands(program);
registerWorkspaceCommands(program);
registerApiKeyCommands(program);
registerCreateConnectorCommand(program);
registerSyncCommands(program);
registerPersonaCommands(program);
registerIcpCommands(program);
registerAdminCommands(program);
registerSecretsCommands(program);
registerPrivacyCommands(program);
registerAuditCommands(program);
registerSegmentCommands(program);
registerMergeCommands(program);
registerSettingsCommands(program);
registerProfileCommands(program);
registerTypologyCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Not Node's own report of the error: a database error's would print the statement's parameters.
  process.stderr.write(`portrait: unexpected error: ${JSON.stringify(serializeError(error))}\n`);
  process.exit(1);
}
