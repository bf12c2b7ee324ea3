/**
 * Day arithmetic (docs/methods.md §1.4): dates as day numbers (days since 1970-01-01, UTC), so that
 * calendar-day differences are integer subtractions. Used by price histories, stressed periods and
 * the dynamic-initial-margin calibration.
 */

/** Milliseconds in a day. */
export const MS_PER_DAY = 86400000;
/** `YYYY-MM-DD` (the shape; dayNumber also checks the day exists). */
export const DAY_RE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;

/** The day number (days since 1970-01-01) of `YYYY-MM-DD`, or NaN when it is not a day that exists. */
export function dayNumber(s: string): number {
  const m = DAY_RE.exec(s);
  if (!m) return NaN;
  const y = +m[1], mo = +m[2] - 1, d = +m[3];
  const t = new Date(0);
  t.setUTCFullYear(y, mo, d);
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo || t.getUTCDate() !== d) return NaN;
  return Math.round(t.getTime() / MS_PER_DAY);
}

/** `YYYY-MM-DD` of a day number. */
export function dayString(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** The day number of the UTC day an instant (milliseconds since 1970-01-01) falls on. */
export function dayOfMs(ms: number): number {
  return Math.floor(ms / MS_PER_DAY);
}
