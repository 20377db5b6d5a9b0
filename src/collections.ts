/**
 * Appends `item` to the list kept under `key` in `map`, creating the list on first use. Each list is created
 * once and grown in place (rebuilding it per item, `[...(map.get(k) ?? []), item]`, copies it every time).
 */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, item: V): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}
