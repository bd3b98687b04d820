/**
 * Typed-array columns whose final length is unknown while streaming: grow by 1.5x and hand out
 * a trimmed view at the end. One contiguous array per column keeps the reader allocation-free
 * per row, which is what lets six million rows load in seconds with bounded memory.
 */
export function grow<T extends Float64Array | Int32Array | Uint8Array>(arr: T, needed: number): T {
  if (needed <= arr.length) return arr;
  const length = Math.max(needed, Math.ceil(arr.length * 1.5) + 1024);
  const type = arr.constructor as new (b: ArrayBufferLike) => T;
  const next = new type(
    arr.buffer instanceof SharedArrayBuffer
      ? new SharedArrayBuffer(length * arr.BYTES_PER_ELEMENT)
      : new ArrayBuffer(length * arr.BYTES_PER_ELEMENT),
  );
  next.set(arr);
  return next;
}

/** A Float64Array of `n` zeros, in shared memory when `shared` (a worker then reads it without a copy). */
export function float64Column(n: number, shared = false): Float64Array {
  return shared ? new Float64Array(new SharedArrayBuffer(n * 8)) : new Float64Array(n);
}

/** A view of the first `n` elements (no copy). */
export function trim<T extends Float64Array | Int32Array | Uint8Array>(arr: T, n: number): T {
  return (n === arr.length ? arr : arr.subarray(0, n)) as T;
}
