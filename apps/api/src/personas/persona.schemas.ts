import { z } from 'zod';
import { pageCursor, pageLimit } from '@portrait/core/http';

export const personaPageQuery = z.object({ limit: pageLimit, cursor: pageCursor });
