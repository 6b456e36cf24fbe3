import { PortraitException } from '../../engine/errors/portrait.exception.js';

export type ProfileExceptionCode =
  | 'WORKSPACE_NOT_FOUND'
  | 'INVALID_SETTINGS'
  | 'PROFILE_NOT_FOUND'
  | 'MERGE_NOT_FOUND'
  | 'MERGE_ALREADY_UNDONE'
  | 'MERGE_NOT_UNDOABLE'
  | 'INVALID_MERGE'
  | 'MERGE_IDENTITY_CONFLICT'
  | 'INVALID_CURSOR'
  | 'JOB_NOT_FOUND';

export class ProfileException extends PortraitException<ProfileExceptionCode> {}
