import { timeOrderedUuid } from './time-ordered-uuid.js';

const RFC_9562_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('timeOrderedUuid', () => {
  it('is a version 7 UUID whose first 48 bits are the time in milliseconds', () => {
    const at = Date.UTC(2026, 11, 2, 12, 0, 0, 345);
    const id = timeOrderedUuid(at);
    expect(id).toMatch(RFC_9562_V7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
  });

  it('increases from one id to the next, within a millisecond and past the counter of one', () => {
    const at = Date.UTC(2027, 0, 1);
    // 5,000 ids in one millisecond: more than the 12-bit counter holds, so later ones borrow the next milliseconds.
    const ids = Array.from({ length: 5000 }, () => timeOrderedUuid(at));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(RFC_9562_V7);
    // And a later clock reading starts above all of them.
    const later = timeOrderedUuid(at + 10_000);
    expect(later > ids[ids.length - 1]!).toBe(true);
  });
});
