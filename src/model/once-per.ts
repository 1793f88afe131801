/**
 * `compute` made to work out its answer once per key object (a live state, a model), kept while that
 * object lives. For answers that are never undefined.
 */
export function oncePer<K extends object, V extends object>(compute: (key: K) => V): (key: K) => V {
  const cache = new WeakMap<K, V>();
  return (key) => {
    const known = cache.get(key);
    if (known !== undefined) return known;
    const value = compute(key);
    cache.set(key, value);
    return value;
  };
}
