/**
 * IP addresses as 16 bytes (IPv4 as IPv4-mapped IPv6) and CIDR ranges over
 * them: parsing, matching and the network an address counts as for
 * per-client limits.
 * @module
 */

/** A CIDR range: the network's 16 bytes and the prefix length over them (IPv4 ranges + 96). */
export interface Cidr {
  bytes: Uint8Array;
  prefix: number;
  /** The range as written after normalising, e.g. `10.0.0.0/8` or `::1/128`. */
  text: string;
}

const V4_MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p))) return undefined;
  const bytes = parts.map(Number);
  return bytes.every((b) => b <= 255) ? bytes : undefined;
}

function parseIpv6(text: string): number[] | undefined {
  let rest = text.toLowerCase();
  const zone = rest.indexOf("%");
  if (zone !== -1) rest = rest.slice(0, zone);
  const lastColon = rest.lastIndexOf(":");
  if (lastColon === -1) return undefined;
  if (rest.slice(lastColon + 1).includes(".")) {
    // A trailing dotted quad (::ffff:1.2.3.4) becomes two hex groups.
    const v4 = parseIpv4(rest.slice(lastColon + 1));
    if (!v4) return undefined;
    const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
    rest = `${rest.slice(0, lastColon + 1)}${hex(v4[0], v4[1])}:${hex(v4[2], v4[3])}`;
  }
  const halves = rest.split("::");
  if (halves.length > 2) return undefined;
  const split = (part: string) => (part === "" ? [] : part.split(":"));
  const head = split(halves[0]);
  const back = halves.length === 2 ? split(halves[1]) : [];
  const missing = 8 - head.length - back.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...back];
  const bytes: number[] = [];
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(group)) return undefined;
    const value = parseInt(group, 16);
    bytes.push(value >> 8, value & 255);
  }
  return bytes;
}

/**
 * Parses an address literal (`1.2.3.4`, `::1`, `[::1]`, `::ffff:1.2.3.4`, a
 * zone id is dropped) into 16 bytes; `undefined` when it is not one.
 */
export function parseIp(text: string): Uint8Array | undefined {
  const bare = text.trim().replace(/^\[(.*)\]$/, "$1");
  const v4 = parseIpv4(bare);
  if (v4) return Uint8Array.from([...V4_MAPPED, ...v4]);
  const v6 = bare.includes(":") ? parseIpv6(bare) : undefined;
  return v6 && v6.length === 16 ? Uint8Array.from(v6) : undefined;
}

function isV4Mapped(bytes: Uint8Array): boolean {
  return V4_MAPPED.every((b, i) => bytes[i] === b);
}

/** The text of a 16-byte address: dotted for IPv4-mapped ones, else full lower-case hex groups. */
export function formatIp(bytes: Uint8Array): string {
  if (isV4Mapped(bytes)) return [...bytes.subarray(12)].join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(":");
}

/**
 * Parses `addr` or `addr/prefix` (IPv4 prefixes 0–32, IPv6 0–128).
 *
 * @throws {RangeError} naming the entry when it is not a range
 */
export function parseCidr(text: string): Cidr {
  const trimmed = text.trim();
  const slash = trimmed.lastIndexOf("/");
  const address = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const bytes = parseIp(address);
  if (!bytes) throw new RangeError(`"${text}" is not an IP address or CIDR range`);
  const v4 = isV4Mapped(bytes) && !address.includes(":");
  const max = v4 ? 32 : 128;
  const rawPrefix = slash === -1 ? String(max) : trimmed.slice(slash + 1);
  if (!/^\d{1,3}$/.test(rawPrefix) || Number(rawPrefix) > max) {
    throw new RangeError(`"${text}" has an invalid prefix length (0 to ${max})`);
  }
  const prefix = Number(rawPrefix) + (v4 ? 96 : 0);
  const network = bytes.slice();
  for (let bit = prefix; bit < 128; bit++) network[bit >> 3] &= ~(0x80 >> (bit & 7));
  return { bytes: network, prefix, text: `${formatIp(network)}/${prefix - (v4 ? 96 : 0)}` };
}

/** Whether a 16-byte address lies in the range. */
export function cidrContains(range: Cidr, address: Uint8Array): boolean {
  const whole = range.prefix >> 3;
  for (let i = 0; i < whole; i++) if (range.bytes[i] !== address[i]) return false;
  const bits = range.prefix & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (range.bytes[whole] & mask) === (address[whole] & mask);
}

/**
 * The name an address counts under for per-client limits: an IPv4 address
 * itself, an IPv6 address its /64 (one subscriber usually holds a whole /64,
 * so single IPv6 addresses cost an attacker nothing). Unparseable text is
 * returned as it is.
 */
export function clientNetwork(address: string): string {
  const bytes = parseIp(address);
  if (!bytes) return address;
  if (isV4Mapped(bytes)) return formatIp(bytes);
  const network = bytes.slice();
  network.fill(0, 8);
  return `${formatIp(network)}/64`;
}
