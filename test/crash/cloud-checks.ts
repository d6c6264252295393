import type { GitHubSim } from "@connect-ops/github-sim";
import { createSign } from "node:crypto";

// What the cloud itself answers for a credential the vault holds: the crash suites' proof that a converged
// re-run left a key and a token that work, not just files that parse.

/** `GET /app` with a JWT signed by `pem` for `appId`: 200 when the cloud accepts the key. */
export async function appKeyAnswer(sim: GitHubSim, appId: number, pem: string): Promise<number> {
  const now = Math.floor(sim.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${part({ alg: "RS256", typ: "JWT" })}.${part({ iat: now - 60, exp: now + 540, iss: appId })}`;
  const signature = createSign("RSA-SHA256").update(input).sign(pem).toString("base64url");
  const response = await fetch(`${sim.url}/app`, { headers: { authorization: `Bearer ${input}.${signature}` } });
  await response.arrayBuffer();
  return response.status;
}

/** `GET /installation/repositories` with an installation token: 200 when the cloud accepts the token. */
export async function tokenAnswer(sim: GitHubSim, token: string): Promise<number> {
  const response = await fetch(`${sim.url}/installation/repositories`, {
    headers: { authorization: `token ${token}` },
  });
  await response.arrayBuffer();
  return response.status;
}
