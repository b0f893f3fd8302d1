/**
 * A throw-away certificate authority and a server certificate it signed, for
 * HTTPS servers on loopback in tests: ECDSA P-256 keys from WebCrypto, the
 * X.509 structures encoded here in DER, no openssl needed.
 * @module
 */

const encoder = new TextEncoder();

/** A DER tag-length-value. */
function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const length = contents.reduce((sum, part) => sum + part.length, 0);
  const lengthBytes = length < 0x80
    ? [length]
    : length < 0x100
    ? [0x81, length]
    : [0x82, length >> 8, length & 0xff];
  const out = new Uint8Array(1 + lengthBytes.length + length);
  out.set([tag, ...lengthBytes]);
  let offset = 1 + lengthBytes.length;
  for (const part of contents) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const sequence = (...parts: Uint8Array[]) => tlv(0x30, ...parts);
const set = (...parts: Uint8Array[]) => tlv(0x31, ...parts);
const octets = (bytes: Uint8Array) => tlv(0x04, bytes);
const bits = (bytes: Uint8Array, unused = 0) => tlv(0x03, new Uint8Array([unused]), bytes);
const utf8 = (text: string) => tlv(0x0c, encoder.encode(text));
const TRUE = tlv(0x01, new Uint8Array([0xff]));

function oid(dotted: string): Uint8Array {
  const [first, second, ...rest] = dotted.split(".").map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let value = arc >>> 7; value > 0; value >>>= 7) groups.unshift((value & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(0x06, new Uint8Array(bytes));
}

/** A DER INTEGER of unsigned big-endian `bytes`. */
function integer(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return tlv(0x02, trimmed[0] & 0x80 ? new Uint8Array([0, ...trimmed]) : trimmed);
}

function utcTime(date: Date): Uint8Array {
  const two = (n: number) => String(n).padStart(2, "0");
  const text = `${two(date.getUTCFullYear() % 100)}${two(date.getUTCMonth() + 1)}${
    two(date.getUTCDate())
  }${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`;
  return tlv(0x17, encoder.encode(text));
}

const name = (commonName: string) => sequence(set(sequence(oid("2.5.4.3"), utf8(commonName))));
const ECDSA_SHA256 = sequence(oid("1.2.840.10045.4.3.2"));
const extension = (id: string, value: Uint8Array, critical = false) =>
  sequence(oid(id), ...(critical ? [TRUE] : []), octets(value));

function pem(label: string, der: Uint8Array): string {
  const base64 = der.toBase64();
  const lines = base64.match(/.{1,64}/g)!.join("\n");
  return `-----BEGIN ${label}-----\n${lines}\n-----END ${label}-----\n`;
}

/** A certificate with its key, in PEM. */
export interface PemPair {
  cert: string;
  key: string;
}

/** What {@linkcode createTestCa} makes. */
export interface TestCa {
  /** The authority's certificate (what NODE_EXTRA_CA_CERTS points at). */
  caCert: string;
  /** Signs a server certificate for 127.0.0.1, ::1 and localhost. */
  issueServerCert(): Promise<PemPair>;
}

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;

async function generateKey(): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]) as CryptoKeyPair;
}

/** Signs `tbs` and wraps it into a certificate. */
async function signCertificate(tbs: Uint8Array, key: CryptoKey): Promise<Uint8Array> {
  const raw = new Uint8Array(
    await crypto.subtle.sign(
      { name: "ECDSA", hash: "SHA-256" },
      key,
      tbs as Uint8Array<ArrayBuffer>,
    ),
  );
  const signature = sequence(integer(raw.subarray(0, 32)), integer(raw.subarray(32)));
  return sequence(tbs, ECDSA_SHA256, bits(signature));
}

async function tbsCertificate(options: {
  serial: number;
  issuer: string;
  subject: string;
  publicKey: CryptoKey;
  extensions: Uint8Array[];
}): Promise<Uint8Array> {
  const now = Date.now();
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", options.publicKey));
  return sequence(
    tlv(0xa0, integer(new Uint8Array([2]))), // v3
    integer(new Uint8Array([options.serial >> 8, options.serial & 0xff])),
    ECDSA_SHA256,
    name(options.issuer),
    sequence(utcTime(new Date(now - 3_600_000)), utcTime(new Date(now + 86_400_000))),
    name(options.subject),
    spki,
    tlv(0xa3, sequence(...options.extensions)),
  );
}

/** Creates a certificate authority valid for a day. */
export async function createTestCa(commonName = "jimeng-api test CA"): Promise<TestCa> {
  const caKeys = await generateKey();
  const caTbs = await tbsCertificate({
    serial: 1,
    issuer: commonName,
    subject: commonName,
    publicKey: caKeys.publicKey,
    extensions: [
      extension("2.5.29.19", sequence(TRUE), true), // basicConstraints: CA
      extension("2.5.29.15", bits(new Uint8Array([0x06]), 1), true), // keyCertSign, cRLSign
    ],
  });
  const caCert = pem("CERTIFICATE", await signCertificate(caTbs, caKeys.privateKey));
  let serial = 2;
  return {
    caCert,
    async issueServerCert() {
      const keys = await generateKey();
      const san = sequence(
        tlv(0x87, new Uint8Array([127, 0, 0, 1])),
        tlv(0x87, new Uint8Array([...new Uint8Array(15), 1])),
        tlv(0x82, encoder.encode("localhost")),
      );
      const tbs = await tbsCertificate({
        serial: serial++,
        issuer: commonName,
        subject: "localhost",
        publicKey: keys.publicKey,
        extensions: [
          extension("2.5.29.19", sequence()), // not a CA
          extension("2.5.29.15", bits(new Uint8Array([0x80]), 7), true), // digitalSignature
          extension("2.5.29.37", sequence(oid("1.3.6.1.5.5.7.3.1"))), // serverAuth
          extension("2.5.29.17", san),
        ],
      });
      const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
      return {
        cert: pem("CERTIFICATE", await signCertificate(tbs, caKeys.privateKey)),
        key: pem("PRIVATE KEY", pkcs8),
      };
    },
  };
}
