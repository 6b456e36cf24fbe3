import { Injectable } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import { compileComputedTraits } from '../traits/computed-traits.sql.js';
import { traitMergeSql } from '../traits/trait-merge.sql.js';
import type { ProfileSettings } from './profile-settings.service.js';

/** Derives a profile's traits (from its source records) and computed traits (from its events). */
@Injectable()
export class ProfileRecomputeService {
  /** Recomputes traits (appending changes to history) and computed traits of these profiles, set-based. */
  async recompute(runner: QueryRunner, workspaceId: string, profileIds: string[], settings: ProfileSettings): Promise<void> {
    if (profileIds.length === 0) return;
    const withPrecedence = Object.keys(settings.traitPrecedence).length > 0;
    await runner.query(traitMergeSql(withPrecedence), [workspaceId, profileIds, ...(withPrecedence ? [JSON.stringify(settings.traitPrecedence)] : [])]);
    const computed = compileComputedTraits(settings.computedTraits);
    await runner.query(computed.sql, [workspaceId, profileIds, ...computed.params]);
  }
}
