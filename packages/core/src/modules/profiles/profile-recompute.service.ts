import { Injectable } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import { compileComputedTraits } from '../traits/computed-traits.sql.js';
import { traitMergeSql } from '../traits/trait-merge.sql.js';
import type { ProfileSettings } from './profile-settings.service.js';

/** Derives a profile's traits (from its source records) and computed traits (from its events). */
@Injectable()
export class ProfileRecomputeService {
  /** Recomputes traits (appending changes to history) and computed traits of these profiles in one statement. */
  async recompute(runner: QueryRunner, workspaceId: string, profileIds: string[], settings: ProfileSettings): Promise<void> {
    if (profileIds.length === 0) return;
    const withPrecedence = Object.keys(settings.traitPrecedence).length > 0;
    const precedence = withPrecedence ? [JSON.stringify(settings.traitPrecedence)] : [];
    const computed = compileComputedTraits(settings.computedTraits, 3 + precedence.length);
    await runner.query(traitMergeSql(withPrecedence, computed.query), [workspaceId, profileIds, ...precedence, ...computed.params]);
  }
}
