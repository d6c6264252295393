import { describe, expect, it } from "vitest";
import { parseNoProxy } from "./no-proxy.js";

// [NO_PROXY value, hostname, port, bypasses the proxy?]
const TABLE: readonly [string | undefined, string, number, boolean][] = [
  [undefined, "api.github.com", 443, false],
  ["", "api.github.com", 443, false],
  ["*", "api.github.com", 443, true],
  ["localhost,*", "api.github.com", 443, true],
  ["github.com", "github.com", 443, true],
  ["github.com", "api.github.com", 443, true],
  ["github.com", "notgithub.com", 443, false],
  [".github.com", "github.com", 443, true],
  [".github.com", "api.github.com", 443, true],
  ["*.github.com", "api.github.com", 443, true],
  ["GitHub.COM", "API.github.com", 443, true],
  ["github.com.", "api.github.com", 443, true],
  ["example.com", "api.github.com", 443, false],
  ["example.com, github.com", "api.github.com", 443, true],
  ["example.com github.com", "api.github.com", 443, true],
  ["github.com:443", "api.github.com", 443, true],
  ["github.com:8443", "api.github.com", 443, false],
  ["127.0.0.1", "127.0.0.1", 8080, true],
  ["127.0.0.1", "127.0.0.2", 8080, false],
  ["127.0.0.1:8080", "127.0.0.1", 8080, true],
  ["127.0.0.1:8080", "127.0.0.1", 8081, false],
  ["127.0.0.0/8", "127.9.8.7", 443, true],
  ["10.0.0.0/8", "127.0.0.1", 443, false],
  ["192.168.1.0/24", "192.168.1.200", 443, true],
  ["192.168.1.0/24", "192.168.2.1", 443, false],
  ["10.0.0.0/8", "ten.example", 443, false],
  ["10.0.0.0/33", "10.0.0.1", 443, false],
  ["::1", "[::1]", 443, true],
  ["[::1]:8443", "[::1]", 8443, true],
  ["[::1]:8443", "[::1]", 443, false],
  ["fd00::/8", "fd12::1", 443, true],
  ["fd00::/8", "fe80::1", 443, false],
  [",,  ,", "api.github.com", 443, false],
  [".", "api.github.com", 443, false],
  [".0.0.1", "127.0.0.1", 443, false],
  ["0.1", "127.0.0.1", 443, false],
];

describe("parseNoProxy (curl's NO_PROXY rules plus host:port)", () => {
  it.each(TABLE)("NO_PROXY=%j, %s:%i → bypass %s", (value, host, port, bypass) => {
    expect(parseNoProxy(value).matches(host, port)).toBe(bypass);
  });
});
