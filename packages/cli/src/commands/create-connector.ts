import { relative } from 'node:path';
import type { Command } from 'commander';
import { createConnectorScaffold, findWorkspaceRoot, ScaffoldError } from '../scaffold/connector-scaffold.js';
import { fail } from './with-core.js';

/** `portrait create-connector <name>`: scaffolds plugins/<name>, a connector that passes its conformance suite as generated. */
export function registerCreateConnectorCommand(program: Command): void {
  program
    .command('create-connector <name>')
    .description('scaffold a source connector in plugins/<name> (lower-case letters, digits and dashes)')
    .option('--root <dir>', 'the Portrait workspace root (default: found from the current directory)')
    .action(async (name: string, options: { root?: string }) => {
      try {
        const root = options.root ?? findWorkspaceRoot(process.cwd());
        const result = await createConnectorScaffold({ name, root });
        const where = relative(root, result.directory);
        console.log(`created ${result.packageName} in ${where}:`);
        for (const file of result.files) console.log(`  ${where}/${file}`);
        console.log(`next: pnpm install && pnpm --filter ${result.packageName} test`);
      } catch (error) {
        if (error instanceof ScaffoldError) fail(error.message);
        throw error;
      }
    });
}
