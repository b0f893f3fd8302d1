/**
 * Hostile reference values for every field that takes an image URL: a seeded
 * generator of URL-ish strings (schemes, authorities, ports and paths that
 * break parsers or point into this machine) and the request bodies that carry
 * one through each field of each route. Every host it produces is either a
 * non-public address literal or a name, so with a resolver that answers a
 * private address nothing can ever be fetched.
 * @module
 */

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)];

/** Strings that once answered 500 or reached the network, always in the mix. */
export const KNOWN_URLISH = [
  "file://127.0.0.1:41021/x",
  "file:///%zz",
  "file:%zz",
  "file://[::1]/etc/passwd",
  "file://evil.example/etc/passwd",
  "file:////etc/passwd",
  "file:///etc/passwd%00.png",
  "file://localhost/%E0%A4%A",
  "file:",
  "FILE:///etc/shadow",
  "http://%zz/",
  "http://[::ffff:0:127.0.0.1]:1/x.png",
  "http://[::ffff:127.0.0.1]/x.png",
  "http://[64:ff9b::a00:1]/x.png",
  "http://[2002:7f00:1::]/x.png",
  "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/x.png",
  "https://[fe80::1%25eth0]/x.png",
  "http://0x7f.1/x.png",
  "http://[::]/x.png",
  "https://user@localhost/x.png",
  "http:/relative.png",
  "javascript:alert(1)",
  "blob:http://localhost/uuid",
  "data:image/png;base64,%%%",
  "data:;base64,",
  "\u0000",
  "%2e%2e/%2e%2e/etc/passwd",
];

const SCHEMES = ["file", "FiLe", "http", "https", "HTTP", "ftp", "gopher", "ws", "data", "", "x-y"];
const SEPARATORS = ["://", ":", ":/", ":///", ":////", "//", ":\\\\"];
const HOSTS = [
  "",
  "127.0.0.1",
  "127.1",
  "0",
  "0x7f000001",
  "2130706433",
  "10.0.0.1",
  "169.254.169.254",
  "100.64.0.1",
  "192.0.0.170",
  "198.18.0.1",
  "240.0.0.1",
  "255.255.255.255",
  "[::1]",
  "[::]",
  "[::ffff:10.0.0.1]",
  "[::ffff:0:7f00:1]",
  "[64:ff9b::7f00:1]",
  "[64:ff9b:1::a00:1]",
  "[2002:a00:1::1]",
  "[fc00::1]",
  "[fe80::1]",
  "[ff02::1]",
  "[100::1]",
  "[2001:db8::1]",
  "localhost",
  "metadata.google.internal",
  "example.com",
  "%zz",
  "%00",
  "a".repeat(300),
  "user:pass@127.0.0.1",
  "[::1",
  "ex ample.com",
];
const PORTS = ["", ":0", ":41021", ":99999", ":-1", ":x", ":80", ":443"];
const PATHS = [
  "",
  "/",
  "/x.png",
  "/%zz",
  "/%",
  "/%00",
  "/../../etc/passwd",
  "/..%2f..%2fetc%2fpasswd",
  "/\u202e.png",
  "/\ud800",
  "/etc/shadow",
  "?a=%zz",
  "#frag",
  "/" + "%41".repeat(200),
];

/** One URL-ish string; `canaryPort` is a loopback port that must never be contacted. */
export function urlishReference(random: Random, canaryPort: number): string {
  if (random() < 0.25) return pick(random, KNOWN_URLISH);
  const host = random() < 0.1 ? `127.0.0.1:${canaryPort}` : pick(random, HOSTS) +
    pick(random, PORTS);
  return `${pick(random, SCHEMES)}${pick(random, SEPARATORS)}${host}${pick(random, PATHS)}`;
}

/** A route and the body that carries `reference` in one of its image fields. */
export interface ReferenceCarrier {
  /** `route field`, for failure messages. */
  label: string;
  path: string;
  body(reference: string): Record<string, unknown>;
}

const chat = (model: string, part: (url: string) => unknown) => (url: string) => ({
  model,
  messages: [{ role: "user", content: [{ type: "text", text: "a cat" }, part(url)] }],
});

/** Every field of every route that takes a reference image. */
export const REFERENCE_CARRIERS: readonly ReferenceCarrier[] = [
  ...["filePath", "file_path", "filePaths", "image", "images"].flatMap((field) =>
    ["/v1/images/generations", "/v1/images/edits"].map((path) => ({
      label: `${path} ${field}`,
      path,
      body: (url: string) => ({
        model: "jimeng-image-4.0",
        prompt: "a cat",
        [field]: field.endsWith("s") ? [url] : url,
      }),
    }))
  ),
  ...["input_reference", "input_reference.image_url", "file_paths", "filePaths"].flatMap((
    field,
  ) =>
    ["/v1/videos", "/v1/videos/generations"].map((path) => ({
      label: `${path} ${field}`,
      path,
      body: (url: string) => ({
        model: "jimeng-video-3.0",
        prompt: "a cat",
        ...(field === "input_reference.image_url"
          ? { input_reference: { image_url: url } }
          : { [field]: field === "input_reference" ? url : [url] }),
      }),
    }))
  ),
  {
    label: "chat image_url",
    path: "/v1/chat/completions",
    body: chat("jimeng-image-4.0", (url) => ({ type: "image_url", image_url: url })),
  },
  {
    label: "chat image_url.url",
    path: "/v1/chat/completions",
    body: chat("jimeng-image-4.0", (url) => ({ type: "image_url", image_url: { url } })),
  },
  {
    label: "chat input_image",
    path: "/v1/chat/completions",
    body: chat("jimeng-image-4.0", (url) => ({ type: "input_image", image_url: url })),
  },
  {
    label: "chat image.url",
    path: "/v1/chat/completions",
    body: chat("jimeng-image-4.0", (url) => ({ type: "image", url })),
  },
  {
    label: "chat video frame",
    path: "/v1/chat/completions",
    body: chat("jimeng-video-3.0", (url) => ({ type: "image_url", image_url: { url } })),
  },
];
