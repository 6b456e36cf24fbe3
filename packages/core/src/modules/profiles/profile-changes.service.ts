import { Injectable, Logger } from '@nestjs/common';

/** What an ingest batch (or a merge/unmerge) changed, published after its transaction committed. */
export interface ProfileChange {
  workspaceId: string;
  /** Surviving profiles whose traits, computed traits, identities, events or consent changed. */
  profileIds: string[];
  /** Profiles merged away in this change (they no longer exist as members of anything). */
  mergedAway: string[];
  /**
   * The new traits and computed traits the change wrote, one entry per profile whose values changed
   * (the others kept theirs), when the publisher has them; absent, a listener reads the profiles.
   */
  recomputed?: RecomputedValues[];
}

/** A profile's traits and computed traits as a recompute wrote them. */
export interface RecomputedValues {
  traits: Record<string, unknown>;
  computed: Record<string, unknown>;
}

export type ProfileChangeListener = (change: ProfileChange) => Promise<void> | void;

/**
 * When a listener runs, relative to the others. Every listener of a phase has finished before the
 * first one of the next phase starts; within a phase, listeners run in subscription order.
 * - `classify`: derives columns from the profile's own behaviour that persona rules read (the typology);
 * - `assign`: derives columns of the profile that others read (the persona of `profiles.persona_id`);
 * - `evaluate`: computes from the profile as it now is (segment membership);
 * - `notify`: tells the outside world (webhooks, destinations).
 */
export const PROFILE_CHANGE_PHASES = ['classify', 'assign', 'evaluate', 'notify'] as const;
export type ProfileChangePhase = (typeof PROFILE_CHANGE_PHASES)[number];

export interface ProfileChangeSubscription {
  /** Default `evaluate`. */
  phase?: ProfileChangePhase;
}

export interface ProfileChangePublication {
  /**
   * Skip the phases before this one: a change produced by a phase itself (personas re-assigned
   * after a persona was edited) is published from the next phase on. Default: every phase.
   */
  from?: ProfileChangePhase;
}

interface Registered {
  listener: ProfileChangeListener;
  phase: number;
}

/**
 * In-process fan-out of committed profile changes: typologies are classified first, then personas
 * assigned, then segments
 * re-evaluate the changed profiles, then webhooks and destinations follow. A failing listener is
 * logged and never fails the ingest (nor keeps the later phases from running).
 */
@Injectable()
export class ProfileChangesService {
  private readonly logger = new Logger(ProfileChangesService.name);
  private readonly listeners: Registered[] = [];

  subscribe(listener: ProfileChangeListener, options: ProfileChangeSubscription = {}): () => void {
    const registered: Registered = { listener, phase: PROFILE_CHANGE_PHASES.indexOf(options.phase ?? 'evaluate') };
    if (registered.phase < 0) throw new Error(`unknown profile change phase ${String(options.phase)}`);
    // Kept sorted by phase; a new listener goes after those of its phase (a stable order).
    const at = this.listeners.findIndex((r) => r.phase > registered.phase);
    this.listeners.splice(at < 0 ? this.listeners.length : at, 0, registered);
    return () => {
      const index = this.listeners.indexOf(registered);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  async publish(change: ProfileChange, options: ProfileChangePublication = {}): Promise<void> {
    if (change.profileIds.length === 0 && change.mergedAway.length === 0) return;
    const from = PROFILE_CHANGE_PHASES.indexOf(options.from ?? 'classify');
    // A copy: a listener may unsubscribe (or another subscribe) while the change is fanned out.
    for (const { listener } of this.listeners.filter((r) => r.phase >= from)) {
      try {
        await listener(change);
      } catch (error) {
        this.logger.error({ err: error, workspaceId: change.workspaceId }, 'a profile change listener failed');
      }
    }
  }
}
