import { Injectable, Logger } from '@nestjs/common';

/** What an ingest batch (or a merge/unmerge) changed, published after its transaction committed. */
export interface ProfileChange {
  workspaceId: string;
  /** Surviving profiles whose traits, computed traits, identities, events or consent changed. */
  profileIds: string[];
  /** Profiles merged away in this change (they no longer exist as members of anything). */
  mergedAway: string[];
}

export type ProfileChangeListener = (change: ProfileChange) => Promise<void> | void;

/**
 * In-process fan-out of committed profile changes: segments re-evaluate the changed profiles,
 * webhooks and destinations follow. A failing listener is logged and never fails the ingest.
 */
@Injectable()
export class ProfileChangesService {
  private readonly logger = new Logger(ProfileChangesService.name);
  private readonly listeners = new Set<ProfileChangeListener>();

  subscribe(listener: ProfileChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async publish(change: ProfileChange): Promise<void> {
    if (change.profileIds.length === 0 && change.mergedAway.length === 0) return;
    for (const listener of this.listeners) {
      try {
        await listener(change);
      } catch (error) {
        this.logger.error({ err: error, workspaceId: change.workspaceId }, 'a profile change listener failed');
      }
    }
  }
}
