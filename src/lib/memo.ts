/**
 * Remembers what `compute` gave for each key. For parsing that repeats with every probe of the
 * same few targets (URLs): bounded, so keys that keep changing cannot grow it without end. A key
 * whose computation throws is not remembered.
 */
export function boundedMemo<T>(compute: (key: string) => T, max = 10_000): (key: string) => T {
  const values = new Map<string, T>();
  return (key) => {
    let value = values.get(key);
    if (value === undefined && !values.has(key)) {
      value = compute(key);
      if (values.size >= max) values.clear();
      values.set(key, value);
    }
    return value as T;
  };
}
