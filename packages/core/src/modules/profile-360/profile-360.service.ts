import { Injectable } from '@nestjs/common';
import { PersonaException } from '../personas/persona.exception.js';
import { PersonasService } from '../personas/personas.service.js';
import { MergesService } from '../profiles/merges.service.js';
import { ProfileException } from '../profiles/profile.exception.js';
import { isUuid, ProfilesService, type ProfileView } from '../profiles/profiles.service.js';
import { SegmentsService } from '../segments/segments.service.js';

/** How many of the newest events and trait changes a profile 360 shows. */
export const PROFILE_360_RECENT = 20;

export type Profile360 = Awaited<ReturnType<Profile360Service['get']>>;

/**
 * Everything known about one person or account, for the people who look after the data (the
 * management API and the CLI): the profile with its identities, traits with their provenance,
 * computed traits, consent, the newest events, segments, persona, the newest trait changes and the
 * merge log — read through the services that own each part.
 */
@Injectable()
export class Profile360Service {
  constructor(
    private readonly profiles: ProfilesService,
    private readonly merges: MergesService,
    private readonly segments: SegmentsService,
    private readonly personas: PersonasService,
  ) {}

  /** The profile 360 of `id` (a merged-away id answers with its survivor, `mergedFrom` set). */
  async get(workspaceId: string, id: string) {
    const profile = await this.profiles.get(workspaceId, id);
    const [traits, consents, events, segments, persona, traitHistory, merges] = await Promise.all([
      this.profiles.traits(workspaceId, profile.id),
      this.profiles.consents(workspaceId, profile.id),
      this.profiles.events(workspaceId, profile.id, { limit: PROFILE_360_RECENT }),
      this.segments.profileSegments(workspaceId, profile.id),
      this.personaOf(workspaceId, profile),
      this.profiles.traitHistory(workspaceId, profile.id, { limit: PROFILE_360_RECENT }),
      this.merges.list(workspaceId, { profileId: profile.id, limit: 500 }),
    ]);
    return {
      profile,
      traits,
      consents,
      recentEvents: events.data,
      segments: segments.segments.map((s) => ({ id: s.id, key: s.key, name: s.name, enteredAt: s.enteredAt })),
      persona,
      traitHistory: traitHistory.data,
      merges,
    };
  }

  /**
   * The surviving profile id a reference names: a profile id, or `type:value` of one of its identifiers
   * (normalized as at ingest). PROFILE_NOT_FOUND when it names none.
   */
  async resolve(workspaceId: string, reference: string): Promise<string> {
    const at = reference.indexOf(':');
    const found = isUuid(reference)
      ? await this.profiles.resolveId(workspaceId, reference)
      : at > 0
        ? (await this.profiles.findByIdentity(workspaceId, reference.slice(0, at), reference.slice(at + 1)))?.id
        : undefined;
    if (!found) throw new ProfileException('PROFILE_NOT_FOUND', `no profile is ${reference} (give a profile id or type:value of an identifier)`);
    return found;
  }

  /** The profile's persona with its name, or null (none assigned, or deleted meanwhile). */
  private async personaOf(workspaceId: string, profile: ProfileView) {
    if (!profile.personaId) return null;
    try {
      const persona = await this.personas.get(workspaceId, profile.personaId);
      return { id: persona.id, key: persona.key, name: persona.name, score: profile.personaScore ?? 0 };
    } catch (error) {
      if (error instanceof PersonaException && error.code === 'PERSONA_NOT_FOUND') return null;
      throw error;
    }
  }
}
