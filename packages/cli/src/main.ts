#!/usr/bin/env node
import 'reflect-metadata';
import { Command } from 'commander';
import { registerDatabaseCommands } from './commands/db.command.js';
import { registerStartCommand } from './commands/start.command.js';
import { registerWorkspaceCommands } from './commands/workspace.command.js';
import { registerApiKeyCommands } from './commands/apikey.command.js';
import { registerCreateConnectorCommand } from './commands/create-connector.js';
import { registerSyncCommands } from './commands/sync.command.js';
import { registerPersonaCommands } from './commands/persona.command.js';
import { registerAdminCommands } from './commands/admin.command.js';
import { registerSegmentCommands } from './commands/segment.command.js';
import { registerMergeCommands } from './commands/merge.command.js';
import { registerSettingsCommands } from './commands/settings.command.js';
import { registerProfileCommands } from './commands/profile.command.js';
import { registerSecretsCommands } from './commands/secrets.command.js';

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
registerAdminCommands(program);
registerSecretsCommands(program);
registerSegmentCommands(program);
registerMergeCommands(program);
registerSettingsCommands(program);
registerProfileCommands(program);

await program.parseAsync(process.argv);
