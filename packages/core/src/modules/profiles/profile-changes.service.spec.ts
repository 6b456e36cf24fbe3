import { Logger } from '@nestjs/common';
import { ProfileChangesService, type ProfileChange } from './profile-changes.service.js';

const change: ProfileChange = { workspaceId: 'ws', profileIds: ['p'], mergedAway: [] };

describe('ProfileChangesService', () => {
  // The failing listener below is logged: not on the test's output.
  beforeAll(() => Logger.overrideLogger(false));
  it('runs listeners phase by phase (assign, evaluate, notify), in subscription order within a phase, whatever the order they subscribed in', async () => {
    const changes = new ProfileChangesService();
    const calls: string[] = [];
    const listener = (name: string) => async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      calls.push(name);
    };
    changes.subscribe(listener('notify'), { phase: 'notify' });
    changes.subscribe(listener('segments'));
    changes.subscribe(listener('personas'), { phase: 'assign' });
    changes.subscribe(listener('segments-2'), { phase: 'evaluate' });
    await changes.publish(change);
    expect(calls).toEqual(['personas', 'segments', 'segments-2', 'notify']);
  });

  it('publishes from a later phase on, unsubscribes, and keeps going past a failing listener', async () => {
    const changes = new ProfileChangesService();
    const calls: string[] = [];
    changes.subscribe(() => void calls.push('assign'), { phase: 'assign' });
    const stop = changes.subscribe(() => void calls.push('gone'));
    changes.subscribe(() => {
      throw new Error('boom');
    });
    changes.subscribe(() => void calls.push('evaluate'));
    await changes.publish(change, { from: 'evaluate' });
    expect(calls).toEqual(['gone', 'evaluate']);
    stop();
    await changes.publish(change);
    expect(calls).toEqual(['gone', 'evaluate', 'assign', 'evaluate']);
    // Nothing changed: nobody is called.
    await changes.publish({ ...change, profileIds: [] });
    expect(calls).toHaveLength(4);
  });
});
