import type { Command } from 'commander';
import { loadConfigOrExit, resolveDatabase, runMigrations } from '@portrait/core';

export function registerDatabaseCommands(program: Command): void {
  program
    .command('db:migrate')
    .description('apply pending database migrations (DATABASE_URL, or the embedded database)')
    .action(async () => {
      const config = loadConfigOrExit('cli');
      const target = await resolveDatabase(config);
      try {
        const ran = await runMigrations(target.url);
        console.log(ran.length ? `applied ${ran.length} migration(s): ${ran.join(', ')}` : 'the database schema is up to date');
      } finally {
        await target.release();
      }
    });
}
