import { PortraitException } from '../../engine/errors/portrait.exception.js';

export type WorkspaceExceptionCode = 'INVALID_SLUG' | 'SLUG_TAKEN' | 'NOT_FOUND';

export class WorkspaceException extends PortraitException<WorkspaceExceptionCode> {}
