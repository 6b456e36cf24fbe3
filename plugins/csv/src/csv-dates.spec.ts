import { parseDate } from './csv-dates.js';

describe('parseDate', () => {
  it('reads ISO-8601 dates and times, UTC unless an offset is given', () => {
    expect(parseDate('2025-03-01', 'iso')).toEqual({ iso: '2025-03-01T00:00:00.000Z', dateOnly: '2025-03-01' });
    expect(parseDate('2025-03-01 10:30', 'iso')).toEqual({ iso: '2025-03-01T10:30:00.000Z', dateOnly: undefined });
    expect(parseDate(' 2025-03-01T10:30:05.25-03:00 ', 'dmy')?.iso).toBe('2025-03-01T13:30:05.250Z');
    expect(parseDate('2025-03-01T10:30:05Z', 'mdy')?.iso).toBe('2025-03-01T10:30:05.000Z');
  });

  it('reads day-first and month-first dates only when configured', () => {
    expect(parseDate('01/03/2025 9:05', 'dmy')?.iso).toBe('2025-03-01T09:05:00.000Z');
    expect(parseDate('01/03/2025', 'mdy')?.dateOnly).toBe('2025-01-03');
    expect(parseDate('1.3.2025', 'dmy')?.dateOnly).toBe('2025-03-01');
    expect(parseDate('01/03/2025', 'iso')).toBeUndefined();
  });

  it('refuses impossible dates and times instead of rolling them over', () => {
    expect(parseDate('31/02/2025', 'dmy')).toBeUndefined();
    expect(parseDate('2025-13-01', 'iso')).toBeUndefined();
    expect(parseDate('2025-01-01 24:00', 'iso')).toBeUndefined();
    expect(parseDate('29/02/2024', 'dmy')?.dateOnly).toBe('2024-02-29');
    expect(parseDate('soon', 'dmy')).toBeUndefined();
  });
});
