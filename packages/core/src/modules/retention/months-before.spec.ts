import { monthsBefore } from './retention.service.js';

describe('monthsBefore', () => {
  it('goes back calendar months at the same time of day, to the last day of a shorter month', () => {
    expect(monthsBefore(new Date('2026-12-06T10:30:00Z'), 25).toISOString()).toBe('2024-11-06T10:30:00.000Z');
    expect(monthsBefore(new Date('2026-03-31T00:00:00Z'), 1).toISOString()).toBe('2026-02-28T00:00:00.000Z');
    expect(monthsBefore(new Date('2024-03-31T23:59:59Z'), 1).toISOString()).toBe('2024-02-29T23:59:59.000Z');
    expect(monthsBefore(new Date('2026-01-15T00:00:00Z'), 12).toISOString()).toBe('2025-01-15T00:00:00.000Z');
    expect(monthsBefore(new Date('2026-01-31T00:00:00Z'), -1).toISOString()).toBe('2026-02-28T00:00:00.000Z');
  });
});
