/**
 * Shortest decimal text that reads back as the same float32, the way XGBoost writes its JSON
 * (`4.7252747E-1`), so files stay small and a value survives any reader that parses to float32.
 * Always with a decimal point or an exponent: XGBoost's parser reads `1` as an integer and then
 * refuses it where a float is expected.
 */
export function formatFloat32(value: number): string {
  const f = Math.fround(value);
  if (!Number.isFinite(f)) throw new RangeError(`cannot write ${f} to an XGBoost JSON model`);
  if (f === 0) return Object.is(f, -0) ? "-0E0" : "0E0";
  for (let digits = 1; digits <= 9; digits++) {
    const text = f.toPrecision(digits);
    if (Math.fround(Number(text)) === f) return normalise(text);
  }
  return normalise(f.toPrecision(9));
}

/** `toPrecision` may give `1.50` or `1.2e-7`; JSON wants neither trailing zeros nor odd forms. */
function normalise(text: string): string {
  const [head, exponent] = text.split("e");
  let mantissa = head;
  if (mantissa.includes(".")) mantissa = mantissa.replace(/0+$/, "").replace(/\.$/, "");
  if (exponent === undefined) return mantissa.includes(".") ? mantissa : `${mantissa}E0`;
  return `${mantissa}E${exponent.replace("+", "")}`;
}
