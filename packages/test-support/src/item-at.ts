/**
 * `items[index]`, for a test that knows the item is there: a clear error when it
 * is not, where a non-null assertion would fail later as `undefined`.
 */
export function itemAt<T>(items: ArrayLike<T>, index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`expected an item at index ${index}, the list has ${items.length}`);
  return item;
}
