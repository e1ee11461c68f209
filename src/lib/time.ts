/** Epoch milliseconds → ISO 8601, keeping null: how the API and CLI show every instant. */
export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(Number(ms)).toISOString();
}
