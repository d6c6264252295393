/** The slice of a pino `Logger` this package uses; pass pino itself or anything shaped like it. */
export interface ReplicationLogger {
  child(bindings: Record<string, unknown>): ReplicationLogger;
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export const silentLogger: ReplicationLogger = {
  child: () => silentLogger,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
};
