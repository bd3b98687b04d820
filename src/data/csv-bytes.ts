/** Writing numbers as ASCII straight into a Buffer: the generator's hot path, no strings. */

/** Writes a non-negative integer below 2^53; returns the new end. */
export function writeUint(buf: Buffer, pos: number, v: number): number {
  if (v < 10) {
    buf[pos] = 48 + v;
    return pos + 1;
  }
  let digits = 1;
  for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
  let p = pos + digits - 1;
  while (v >= 10) {
    const q = Math.floor(v / 10);
    buf[p--] = 48 + (v - q * 10);
    v = q;
  }
  buf[p] = 48 + v;
  return pos + digits;
}

/**
 * Writes an amount given in whole cents the way PaySim's Python writer prints floats:
 * `170136.0`, `9839.6`, `9839.64`.
 */
export function writeCents(buf: Buffer, pos: number, cents: number): number {
  if (cents < 0) {
    buf[pos++] = 45;
    cents = -cents;
  }
  const whole = Math.floor(cents / 100);
  const frac = cents - whole * 100;
  pos = writeUint(buf, pos, whole);
  buf[pos++] = 46;
  const tens = Math.floor(frac / 10);
  buf[pos++] = 48 + tens;
  const ones = frac - tens * 10;
  if (ones !== 0) buf[pos++] = 48 + ones;
  return pos;
}

/** Writes an ASCII string. */
export function writeAscii(buf: Buffer, pos: number, bytes: Uint8Array): number {
  buf.set(bytes, pos);
  return pos + bytes.length;
}
