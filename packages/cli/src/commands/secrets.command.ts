import type { Command } from 'commander';
import { PrivacyRequestsService, SourcesService, SuppressionService, WebhooksService } from '@portrait/core';
import { withCore } from './with-core.js';

/**
 * `portrait secrets rotate`: after PORTRAIT_SECRET_KEY was changed (the old key moved to
 * PORTRAIT_SECRET_KEYS_PREVIOUS), seals every stored secret again under the current key — source
 * secrets, webhook signing secrets, privacy exports, the workspaces' suppression keys — so that the
 * previous keys can be dropped.
 */
export function registerSecretsCommands(program: Command): void {
  const secrets = program.command('secrets').description('secrets sealed at rest');
  secrets
    .command('rotate')
    .description('seal every stored secret again under the current PORTRAIT_SECRET_KEY (after which PORTRAIT_SECRET_KEYS_PREVIOUS can be emptied)')
    .action(async () => {
      await withCore(async (app) => {
        const sources = await app.get(SourcesService).resealSecrets();
        const webhooks = await app.get(WebhooksService).resealSecrets();
        const exports = await app.get(PrivacyRequestsService).resealExports();
        const suppressionKeys = await app.get(SuppressionService).resealKeys();
        console.log(
          `sealed again under the current key: ${sources} source secret sets, ${webhooks} webhook signing secrets, ${exports} privacy exports, ${suppressionKeys} suppression keys`,
        );
        console.log('every stored secret now opens with PORTRAIT_SECRET_KEY alone: PORTRAIT_SECRET_KEYS_PREVIOUS can be removed');
      });
    });
}
