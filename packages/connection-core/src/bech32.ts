/**
 * Bech32 (BIP 173) checksum verification, for age X25519 recipients
 * (`age1…`): a recipient with a mistyped character fails here, at the edge,
 * instead of deep inside a seal.
 */
const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATORS = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: readonly number[]): number {
  let checksum = 1;
  for (const value of values) {
    const top = checksum >>> 25;
    checksum = ((checksum & 0x1ffffff) << 5) ^ value;
    for (let bit = 0; bit < 5; bit++) if ((top >>> bit) & 1) checksum ^= GENERATORS[bit] as number;
  }
  return checksum;
}

/** Whether `text` is lower-case bech32 with human-readable part `hrp` and a valid checksum. */
export function hasValidBech32Checksum(text: string, hrp: string): boolean {
  if (!text.startsWith(`${hrp}1`)) return false;
  const data: number[] = [];
  for (const char of text.slice(hrp.length + 1)) {
    const value = CHARSET.indexOf(char);
    if (value < 0) return false;
    data.push(value);
  }
  if (data.length < 6) return false;
  const codes = Array.from({ length: hrp.length }, (_, index) => hrp.charCodeAt(index));
  const expanded = [...codes.map((code) => code >> 5), 0, ...codes.map((code) => code & 31)];
  return polymod([...expanded, ...data]) === 1;
}
