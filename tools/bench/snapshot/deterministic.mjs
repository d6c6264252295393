// Deterministic randomness and an RSA key derived from a seed, so the
// generated snapshot is byte-for-byte the same on every machine.
import { createCipheriv, createHash, createPrivateKey } from "node:crypto";

/** AES-256-CTR keystream: fast (GB/s) deterministic random bytes. */
export function keystream(seed) {
  const key = createHash("sha256").update(`key:${seed}`).digest();
  const iv = createHash("sha256").update(`iv:${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv("aes-256-ctr", key, iv);
  return (length) => cipher.update(Buffer.alloc(length));
}

/** Small PRNG for choices (xorshift32 seeded from a string). */
export function chooser(seed) {
  let state = createHash("sha256").update(seed).digest().readUInt32LE(0) || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (list) => list[Math.floor(next() * list.length)] };
}

const toBig = (bytes) => BigInt(`0x${bytes.toString("hex")}`);
function modPow(base, exponent, modulus) {
  let result = 1n;
  base %= modulus;
  while (exponent > 0n) {
    if (exponent & 1n) result = (result * base) % modulus;
    base = (base * base) % modulus;
    exponent >>= 1n;
  }
  return result;
}
function modInverse(a, m) {
  let [oldR, r, oldS, s] = [a % m, m, 1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % m) + m) % m;
}
const SMALL_PRIMES = [
  3n,
  5n,
  7n,
  11n,
  13n,
  17n,
  19n,
  23n,
  29n,
  31n,
  37n,
  41n,
  43n,
  47n,
  53n,
  59n,
  61n,
  67n,
  71n,
  73n,
  79n,
  83n,
  89n,
  97n,
];
function isProbablePrime(n, random) {
  for (const p of SMALL_PRIMES) if (n % p === 0n) return n === p;
  let d = n - 1n;
  let r = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    r += 1;
  }
  for (let round = 0; round < 24; round += 1) {
    const a = 2n + (toBig(random(64)) % (n - 4n));
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let composite = true;
    for (let i = 1; i < r; i += 1) {
      x = (x * x) % n;
      if (x === n - 1n) {
        composite = false;
        break;
      }
    }
    if (composite) return false;
  }
  return true;
}
function prime(bits, random) {
  for (;;) {
    const bytes = random(bits / 8);
    bytes[0] |= 0xc0;
    bytes[bytes.length - 1] |= 1;
    const candidate = toBig(bytes);
    if (isProbablePrime(candidate, random)) return candidate;
  }
}
const b64u = (n) => {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, "hex").toString("base64url");
};

/** A 2048-bit RSA key from `seed`, as PKCS#1 PEM (the form GitHub issues). */
export function deterministicRsaPem(seed) {
  const random = keystream(`rsa:${seed}`);
  const e = 65537n;
  for (;;) {
    const p = prime(1024, random);
    const q = prime(1024, random);
    const phi = (p - 1n) * (q - 1n);
    if (p === q || phi % e === 0n) continue;
    const d = modInverse(e, phi);
    const jwk = {
      kty: "RSA",
      n: b64u(p * q),
      e: b64u(e),
      d: b64u(d),
      p: b64u(p),
      q: b64u(q),
      dp: b64u(d % (p - 1n)),
      dq: b64u(d % (q - 1n)),
      qi: b64u(modInverse(q, p)),
    };
    return createPrivateKey({ key: jwk, format: "jwk" }).export({ type: "pkcs1", format: "pem" }).toString();
  }
}
