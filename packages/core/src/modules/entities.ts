import { ProfileEntity } from './profiles/entities/profile.entity.js';
import { WorkspaceEntity } from './workspaces/entities/workspace.entity.js';

/** Every TypeORM entity of the modules, handed to the engine's data source. A module that adds an entity lists it here. */
export const coreEntities = [WorkspaceEntity, ProfileEntity];
