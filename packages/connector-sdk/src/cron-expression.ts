/**
 * Validation of the 5-field cron expressions used for sync schedules (`minute hour day-of-month
 * month day-of-week`). Accepts `*`, numbers, ranges `a-b`, steps `*\/n` and `a-b/n`, lists `a,b`, and
 * month / weekday names (`JAN`, `MON`). The schedulers the engine uses (BullMQ job schedulers, the
 * embedded scheduler) read the same syntax, so a schedule that passes here runs there.
 */

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  // 0 and 7 are both Sunday.
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

/** Returns what is wrong with `expression` as a 5-field cron expression, or `undefined` when it is valid. */
export function cronExpressionProblem(expression: string): string | undefined {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5 || parts[0] === '') {
    return `"${expression}" must have 5 fields (minute hour day-of-month month day-of-week), found ${parts[0] === '' ? 0 : parts.length}`;
  }
  for (let i = 0; i < FIELDS.length; i++) {
    const problem = fieldProblem(parts[i]!, FIELDS[i]!);
    if (problem) return `"${expression}": ${FIELDS[i]!.name} ${problem}`;
  }
  return undefined;
}

function fieldProblem(text: string, field: CronField): string | undefined {
  for (const item of text.split(',')) {
    if (item === '') return `"${text}" has an empty list item`;
    const [range, step, ...extra] = item.split('/');
    if (extra.length > 0) return `"${item}" has more than one step`;
    if (step !== undefined && !/^[1-9]\d*$/.test(step)) return `"${item}" has an invalid step`;
    if (range === '*') continue;
    const bounds = range!.split('-');
    if (bounds.length > 2) return `"${item}" is not a valid range`;
    const values: number[] = [];
    for (const bound of bounds) {
      const value = parseValue(bound, field);
      if (value === undefined) return `"${bound}" is not a value between ${field.min} and ${field.max}`;
      values.push(value);
    }
    if (values.length === 2 && values[0]! > values[1]!) return `"${item}" is a range whose start is after its end`;
  }
  return undefined;
}

function parseValue(text: string, field: CronField): number | undefined {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    return value >= field.min && value <= field.max ? value : undefined;
  }
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index < 0) return undefined;
  return field.name === 'month' ? index + 1 : index;
}
