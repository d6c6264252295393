export { VAULT_FILES, vaultMetaSchema } from "./meta.js";
export type { VaultMeta } from "./meta.js";
