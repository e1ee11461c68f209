/**
 * Orders strings by code point. Slugs and keys need a stable, locale-free order, and
 * `localeCompare` would also load ICU's collation data into a server that never needs it.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
