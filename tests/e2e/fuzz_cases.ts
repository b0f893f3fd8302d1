/**
 * A seeded generator of malformed and hostile requests. Every case it makes
 * is invalid by construction (so any 2xx answer is a bug), and says which
 * status family it expects.
 * @module
 */
import { KNOWN_URLISH } from "./hostile_cases.ts";

/** One request to send. */
export interface FuzzCase {
  /** What the generator meant to break, for failure messages. */
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: BodyInit;
}

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)];
const int = (random: Random, min: number, max: number) =>
  min + Math.floor(random() * (max - min + 1));

/** Values of every JSON type, hostile ones included. */
function anyValue(random: Random, depth = 0): unknown {
  const choices: (() => unknown)[] = [
    () => null,
    () => random() < 0.5,
    () => pick(random, [-1, 0, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 53, -0]),
    () => "x".repeat(int(random, 0, 3)),
    () => "\u0000\u202e\ud83d\ude00<script>alert(1)</script>",
    () => "../../../../etc/passwd",
    () => "%0d%0aSet-Cookie: a=b",
    () => [],
    () => ({}),
  ];
  if (depth < 3) {
    choices.push(() => [anyValue(random, depth + 1), anyValue(random, depth + 1)]);
    choices.push(() => ({
      [pick(random, ["a", "__proto__", "constructor"])]: anyValue(random, depth + 1),
    }));
  }
  return pick(random, choices)();
}

/** A value of a type other than the field's. */
function wrongType(random: Random, field: string): unknown {
  const numeric = ["n", "sample_strength", "duration"].includes(field);
  const boolean = field === "stream";
  const array = field === "messages";
  for (;;) {
    const value = anyValue(random);
    if (value === null) continue; // null means "absent" for optional fields
    if (numeric && typeof value === "number") continue;
    if (boolean && typeof value === "boolean") continue;
    if (array && Array.isArray(value)) continue;
    if (!numeric && !boolean && !array && typeof value === "string") continue;
    return value;
  }
}

/** A valid body per route, which the mutations below break. */
const VALID: Record<string, () => Record<string, unknown>> = {
  "/v1/images/generations": () => ({ model: "jimeng-image-4.0", prompt: "a cat", n: 1 }),
  "/v1/chat/completions": () => ({
    model: "jimeng-image-4.0",
    messages: [{ role: "user", content: "a cat" }],
  }),
  "/v1/videos": () => ({ model: "jimeng-video-3.0", prompt: "a cat", seconds: "5" }),
  "/v1/videos/generations": () => ({ model: "jimeng-video-3.0", prompt: "a cat", duration: 5 }),
};

const FIELDS: Record<string, string[]> = {
  "/v1/images/generations": [
    "model",
    "prompt",
    "n",
    "size",
    "quality",
    "response_format",
    "ratio",
    "resolution",
    "sample_strength",
    "negative_prompt",
    "user",
  ],
  "/v1/chat/completions": ["model", "messages", "stream"],
  "/v1/videos": ["model", "prompt", "seconds", "size", "ratio", "resolution"],
  "/v1/videos/generations": [
    "model",
    "prompt",
    "duration",
    "ratio",
    "resolution",
    "response_format",
  ],
};

/** Values that have the right type but are out of range or unknown. */
const BAD_VALUES: Record<string, unknown[]> = {
  n: [0, -1, 11, 1e9, 2.5, -0.5],
  size: ["0x0", "99999x99999", "abc", "1024x", "-1x-1", "1024×", "x1024", "1e3x1e3"],
  quality: ["ultra", "", "HDD"],
  response_format: ["png", "", "urls", "b64"],
  ratio: ["5:4", "1:0", "0:0", "16/9", "", "∞:1"],
  resolution: ["8k", "1080i", "", "2K2"],
  model: ["", " ", "nope", "jimeng-image-9", "x".repeat(300)],
  prompt: ["", "   ", "\n\t", "x".repeat(20_000)],
  seconds: ["0", "-5", "7", "1e9", "five", "5.5", ""],
  duration: [0, -5, 7, 1e9, 5.5],
  messages: [[], [{}], [{ role: 1 }], [{ role: "user", content: 5 }], [{ role: "user" }]],
  negative_prompt: ["x".repeat(5000)],
  user: ["x".repeat(1000)],
};

const encoder = new TextEncoder();

function jsonCase(path: string, body: unknown, label: string, auth: string): FuzzCase {
  return {
    label,
    method: "POST",
    path,
    headers: { "content-type": "application/json", authorization: `Bearer ${auth}` },
    body: JSON.stringify(body),
  };
}

function deepNest(depth: number, random: Random): string {
  return random() < 0.5
    ? "[".repeat(depth) + "]".repeat(depth)
    : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
}

/** Options of {@linkcode generateCase}. */
export interface FuzzOptions {
  /** A sessionid the fake knows. */
  auth: string;
  /** Bytes above the server's body limit. */
  oversizedBytes: number;
  /** A loopback URL that must never be fetched. */
  canaryUrl: string;
}

/** One hostile request. */
export function generateCase(random: Random, options: FuzzOptions): FuzzCase {
  const path = pick(random, Object.keys(VALID));
  const { auth } = options;
  const kind = int(random, 0, 16);
  switch (kind) {
    case 0: {
      const text = JSON.stringify(VALID[path]());
      return {
        label: "truncated JSON",
        method: "POST",
        path,
        headers: { "content-type": "application/json", authorization: `Bearer ${auth}` },
        body: text.slice(0, int(random, 0, text.length - 1)),
      };
    }
    case 1:
      return {
        label: "deeply nested JSON",
        method: "POST",
        path,
        headers: { "content-type": "application/json", authorization: `Bearer ${auth}` },
        body: deepNest(int(random, 1000, 100_000), random),
      };
    case 2: {
      const field = pick(random, FIELDS[path]);
      return jsonCase(
        path,
        { ...VALID[path](), [field]: wrongType(random, field) },
        `wrong type of ${field}`,
        auth,
      );
    }
    case 3: {
      const field = pick(random, FIELDS[path].filter((f) => BAD_VALUES[f]));
      return jsonCase(
        path,
        {
          ...VALID[path](),
          [field]: pick(random, BAD_VALUES[field]),
          unknown_field: anyValue(random),
        },
        `bad ${field}`,
        auth,
      );
    }
    case 4: {
      // Invalid UTF-8 inside a JSON string.
      const head = encoder.encode('{"prompt":"');
      const junk = Uint8Array.from({ length: int(random, 1, 64) }, () => int(random, 0x80, 0xff));
      const body = new Uint8Array([...head, ...junk, ...encoder.encode('",')]);
      return {
        label: "invalid UTF-8",
        method: "POST",
        path,
        headers: { "content-type": "application/json", authorization: `Bearer ${auth}` },
        body,
      };
    }
    case 5:
      return {
        label: "random bytes",
        method: "POST",
        path,
        headers: {
          "content-type": pick(random, [
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "",
          ]),
          authorization: `Bearer ${auth}`,
        },
        body: Uint8Array.from({ length: int(random, 0, 512) }, () => int(random, 0, 255)),
      };
    case 6: {
      const boundary = "fuzz" + int(random, 0, 1e6);
      const declared = random() < 0.5 ? boundary : "other";
      const text =
        `--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\na cat\r\n--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="x.png"\r\n\r\n` +
        "\u0089PNG".slice(0, int(random, 0, 4));
      return {
        label: "broken multipart",
        method: "POST",
        path: pick(random, ["/v1/images/edits", "/v1/videos", "/v1/images/generations"]),
        headers: {
          "content-type": random() < 0.2
            ? "multipart/form-data"
            : `multipart/form-data; boundary=${declared}`,
          authorization: `Bearer ${auth}`,
        },
        body: text,
      };
    }
    case 7: {
      const form = new FormData();
      form.append("prompt", "make it blue");
      const content = pick(random, [
        "plain text, not an image",
        "%PDF-1.4",
        "GIF87",
        "\u0000\u0000\u0000",
      ]);
      form.append(
        "image",
        new File([content], pick(random, ["a.png", "a.jpg", "../../a.png"]), { type: "image/png" }),
      );
      return {
        label: "non-image file",
        method: "POST",
        path: pick(random, ["/v1/images/edits", "/v1/videos"]),
        headers: { authorization: `Bearer ${auth}` },
        body: form,
      };
    }
    case 8:
      return {
        label: "oversized body",
        method: "POST",
        path,
        headers: { "content-type": "application/json", authorization: `Bearer ${auth}` },
        body: `{"prompt":"${"a".repeat(options.oversizedBytes)}"}`,
      };
    case 9: {
      const reference = pick(random, [
        "data:image/png;base64,!!!!",
        "data:,",
        "data:image/png,notbase64",
        "data:text/plain;base64,aGVsbG8=",
        `data:image/png;base64,${"A".repeat(int(random, 1, 4000))}=`,
        "/etc/passwd",
        "../../../../etc/shadow",
        "file:///etc/passwd",
        "ftp://example.com/x.png",
        "gopher://127.0.0.1:70/",
        options.canaryUrl,
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/x.png",
        "http://0x7f000001/x.png",
        "http://2130706433/x.png",
        "http://metadata.internal/x.png",
        "http://user:pass@127.0.0.1/x.png",
        "https://10.0.0.1/x.png",
        ...KNOWN_URLISH,
      ]);
      const body = path === "/v1/chat/completions"
        ? {
          model: "jimeng-image-4.0",
          messages: [{
            role: "user",
            content: [{ type: "text", text: "a cat" }, {
              type: "image_url",
              image_url: { url: reference },
            }],
          }],
        }
        : path.startsWith("/v1/videos")
        ? { ...VALID[path](), file_paths: [reference] }
        : { ...VALID[path](), filePath: reference };
      return jsonCase(path, body, `bad reference ${reference.slice(0, 40)}`, auth);
    }
    case 10: {
      const authorization = pick(random, [
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        `Bearer ${",".repeat(100)}`,
        `Bearer ${Array.from({ length: 60 }, (_, i) => `tok${i}`).join(",")}`,
        `Bearer ${"x".repeat(600)}`,
        "Bearer tok\u00e9n",
        // Shapes no sessionid has (one rule with the console's Add accounts).
        "Bearer us-",
        `Bearer us-us-${auth}`,
        `Bearer HK-jp-${auth}`,
        "Bearer x",
        `Bearer ${auth},y`,
        `Bearer SK-${"x".repeat(43)}`,
        `Bearer us-sk-${"x".repeat(43)}`,
      ]);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (authorization !== "") headers.authorization = authorization;
      return {
        label: `bad auth "${authorization.slice(0, 20)}"`,
        method: "POST",
        path,
        headers,
        body: JSON.stringify(VALID[path]()),
      };
    }
    case 11: {
      const target = pick(random, [
        "/v1/videos/..%2f..%2fetc%2fpasswd",
        "/v1/videos/video_%0d%0aSet-Cookie:x=y",
        `/v1/videos/video_${"0".repeat(32)}`,
        "/v1/videos/%00",
        `/v1/videos/${"a".repeat(5000)}`,
        "/v1/videos/x/content?variant=../../etc",
        "/v1/videos?limit=0",
        "/v1/videos?limit=-1",
        "/v1/videos?limit=1e9",
        "/v1/videos?order=sideways",
        "/v1/models/nope",
        "/media/..%2f..%2fjimeng.db",
        "/media/AAAAAAAAAAAAAAAAAAAAAA.png",
        "/media/%2e%2e/%2e%2e/etc/passwd",
        "/media/x.exe",
        "/static/../../deno.json",
        "/vendor/..%2f..%2fmain.ts",
        "/v1/nope",
        "/.env",
      ]);
      return {
        label: `hostile path ${target.slice(0, 40)}`,
        method: pick(random, ["GET", "DELETE", "GET"]),
        path: target,
        headers: { authorization: `Bearer ${auth}` },
      };
    }
    case 12:
      return {
        label: "wrong method",
        method: pick(random, ["PUT", "PATCH", "DELETE"]),
        path,
        headers: { "content-type": "application/json", authorization: `Bearer ${auth}` },
        body: JSON.stringify(VALID[path]()),
      };
    case 13: {
      const field = pick(random, FIELDS[path]);
      return jsonCase(
        path,
        { ...VALID[path](), [field]: "x".repeat(int(random, 20_000, 200_000)) },
        `huge ${field}`,
        auth,
      );
    }
    case 14:
      return jsonCase(
        path,
        pick(random, [[], "text", 42, null, true, [VALID[path]()]]),
        "body not an object",
        auth,
      );
    case 15:
      return omniCase(random, options);
    default: {
      // Header injection attempts and hostile headers (fetch refuses CR/LF itself).
      return {
        label: "hostile headers",
        method: "POST",
        path,
        headers: {
          "content-type": pick(random, [
            "application/json; charset=utf-7",
            "application/json; boundary=\u00ff",
            "*/*",
          ]),
          authorization: `Bearer ${auth}`,
          "idempotency-key": "k".repeat(int(random, 256, 2000)),
          "x-forwarded-for": "127.0.0.1, 10.0.0.1",
        },
        body: JSON.stringify(
          path === "/v1/chat/completions"
            ? { ...VALID[path](), messages: [] }
            : { ...VALID[path](), prompt: "" },
        ),
      };
    }
  }
}

const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/** A hostile reference for an omni-reference video: garbage, truncated, mislabelled, refused. */
function omniReference(random: Random, canaryUrl: string): unknown {
  const noise = Uint8Array.from({ length: int(random, 0, 96) }, () => int(random, 0, 255));
  // Real headers cut short: an `ftyp` box with no `moov`, a RIFF/WAVE with no `fmt `, EBML alone.
  const truncated = pick(random, [
    [0, 0, 0, 24, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d],
    [0x52, 0x49, 0x46, 0x46, 4, 0, 0, 0, 0x57, 0x41, 0x56, 0x45],
    [0x1a, 0x45, 0xdf, 0xa3, 0x80],
    [0xff, 0xfb, 0x90, 0x00],
  ]);
  return pick(random, [
    () => `data:video/mp4;base64,${base64(noise)}`,
    () => `data:audio/wav;base64,${base64(new Uint8Array(truncated))}`,
    () => `data:application/octet-stream;base64,${base64(new Uint8Array(truncated))}`,
    () => `data:image/png;base64,${"%%".repeat(int(random, 1, 8))}`,
    () => canaryUrl.replace("canary.png", "clip.mp4"),
    () => "../../../../var/lib/clip.mp4",
    () => ({ video_url: { url: anyValue(random) } }),
    () => anyValue(random),
  ])();
}

/** An omni-reference request that is invalid however its references turn out (see the prompt). */
function omniCase(random: Random, options: FuzzOptions): FuzzCase {
  const count = int(random, 1, 14);
  const references = Array.from({ length: count }, () => omniReference(random, options.canaryUrl));
  // Whatever the references are, @video9 names none of them: at worst a 400 for it.
  const prompt = pick(random, ["@video9 dances", "@99", "@audio4 @image10 @video4"]);
  const path = pick(random, ["/v1/videos", "/v1/videos/generations", "/v1/chat/completions"]);
  const model = pick(random, [
    "jimeng-video-seedance-2.0",
    "jimeng-video-seedance-2.5",
    "jimeng-video-3.0",
  ]);
  const body = path === "/v1/chat/completions"
    ? {
      model,
      messages: [{
        role: "user",
        content: [
          { type: "text", text: prompt },
          ...references.map((url) =>
            pick(random, [
              { type: "video_url", video_url: { url } },
              { type: "input_audio", input_audio: { data: url, format: anyValue(random) } },
              { type: "image_url", image_url: { url } },
            ])
          ),
        ],
      }],
    }
    : path === "/v1/videos"
    ? { model, prompt, references, seconds: pick(random, ["5", "3", "16", "x"]) }
    : {
      model,
      prompt,
      functionMode: pick(random, ["omni_reference", "first_last_frames", "nope", 7]),
      file_paths: references,
    };
  return jsonCase(path, body, `omni: ${count} hostile references`, options.auth);
}

/** Options of {@linkcode generateAdminCase}. */
export interface AdminFuzzOptions {
  /** `name=value` of a live console session. */
  cookie: string;
  csrfToken: string;
  /** The server's own origin (same-origin calls). */
  origin: string;
}

const HOSTILE_IDS = [
  "0",
  "-1",
  "1e3",
  "abc",
  "..%2f..%2fetc",
  "99999999999999999999",
  "1;DROP TABLE",
  "%00",
  "9".repeat(40),
];

/** One hostile but authenticated call to the console's API (or a public one). */
export function generateAdminCase(random: Random, options: AdminFuzzOptions): FuzzCase {
  const json = (method: string, path: string, body: unknown, label: string): FuzzCase => ({
    label,
    method,
    path: `/api/admin${path}`,
    headers: {
      "content-type": "application/json",
      cookie: options.cookie,
      "x-csrf-token": options.csrfToken,
      origin: options.origin,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const kind = int(random, 0, 11);
  switch (kind) {
    case 0:
      return json(
        "POST",
        "/accounts",
        pick(random, [
          { sessionids: anyValue(random) },
          { sessionids: [] },
          { sessionids: "" },
          { sessionids: ",,, \n ;" },
          {
            sessionids: `us-\nus-us-${"a".repeat(32)}\nx\nSK-${"x".repeat(43)}\n${
              "a".repeat(16)
            } b`,
          },
          { sessionids: Array(600).fill("x").map((_, i) => `tok${i}abcdefgh`) },
          {},
        ]),
        "bad account add",
      );
    case 1:
      return json(
        "PATCH",
        `/accounts/${pick(random, HOSTILE_IDS)}`,
        { disabled: true },
        "bad account id",
      );
    case 2:
      return json(
        "PATCH",
        "/accounts/1",
        pick(random, [{}, { disabled: "yes" }, { disabled: 1 }, []]),
        "bad account patch",
      );
    case 3:
      return json(
        "POST",
        "/keys",
        pick(random, [
          {},
          { name: "" },
          { name: wrongType(random, "name") },
          { name: "\u0000\u0007" },
          { name: "k", quotaPerDay: -1 },
          { name: "k", quotaPerDay: 1.5 },
          { name: "k", ratePerMinute: 0 },
          { name: "k", ratePerMinute: "ten" },
          { name: "x".repeat(5000) },
        ]),
        "bad key",
      );
    case 4:
      return json(pick(random, ["PATCH", "DELETE"]), `/keys/${pick(random, HOSTILE_IDS)}`, {
        name: "k",
      }, "bad key id");
    case 5:
      return json(
        "POST",
        pick(random, ["/setup", "/login"]),
        pick(random, [
          "{broken",
          "[]",
          { username: anyValue(random), password: anyValue(random) },
          { username: "admin" },
          { token: "x", username: "a", password: "short" },
        ]),
        "bad login or setup",
      );
    case 6:
      return json(
        "POST",
        "/password",
        pick(random, [
          {},
          { current_password: 1, new_password: 2 },
          { current_password: "wrong password", new_password: "another long one" },
          { current_password: "x", new_password: "short" },
        ]),
        "bad password change",
      );
    case 7: {
      const query = pick(random, [
        "/logs?limit=0",
        "/logs?limit=100000",
        "/logs?level=trace",
        "/logs?before=-5",
        "/logs?before=abc",
        "/media?limit=0",
        "/media?page=0",
        "/media?page=abc",
        "/media?kind=audio",
        "/media?from=yesterday",
        "/jobs?status=done",
        "/jobs?limit=1000",
        "/stats?range=1y",
        "/stats?range=",
      ]);
      return {
        label: `bad query ${query}`,
        method: "GET",
        path: `/api/admin${query}`,
        headers: { cookie: options.cookie },
      };
    }
    case 8:
      return json(
        "DELETE",
        `/media/${pick(random, ["x", "../../etc/passwd", "A".repeat(22), "%2e%2e"])}`,
        undefined,
        "bad media id",
      );
    case 9:
      // State-changing calls from another origin or without the CSRF token.
      return {
        label: "cross-site write",
        method: pick(random, ["POST", "DELETE", "PATCH"]),
        path: `/api/admin${
          pick(random, ["/keys", "/accounts", "/logs", "/logout", "/password", "/keys/1"])
        }`,
        headers: {
          "content-type": "application/json",
          cookie: options.cookie,
          ...(random() < 0.5 ? { origin: "https://evil.example" } : { "x-csrf-token": "forged" }),
        },
        body: JSON.stringify({ name: "evil", sessionids: "abc" }),
      };
    case 10:
      return {
        label: "no or forged session",
        method: pick(random, ["GET", "POST"]),
        path: `/api/admin${
          pick(random, [
            "/accounts",
            "/keys",
            "/stats",
            "/logs",
            "/media",
            "/jobs",
            "/config",
            "/session",
          ])
        }`,
        headers: {
          "content-type": "application/json",
          origin: options.origin,
          ...(random() < 0.5 ? { cookie: `jimeng_admin=${"A".repeat(43)}` } : {}),
        },
        body: undefined,
      };
    default:
      return json(
        pick(random, ["PUT", "PATCH"]),
        pick(random, ["/stats", "/config", "/logs", "/session"]),
        {},
        "wrong method",
      );
  }
}
