import type { Command } from "commander";
import type { CommandRunner } from "../context.js";
import { registerAdopt } from "./adopt.js";
import { registerBackup } from "./backup.js";
import { registerCheck } from "./check.js";
import { registerCompletion } from "./completion.js";
import { registerConnect } from "./connect.js";
import { registerDemo } from "./demo.js";
import { registerFailoverCheck } from "./failover-check.js";
import { registerFingerprints } from "./fingerprints.js";
import { registerInit } from "./init.js";
import { registerMetrics } from "./metrics.js";
import { registerNode } from "./node.js";
import { registerReplicate } from "./replicate.js";
import { registerRotateKey } from "./rotate-key.js";
import { registerSchedule } from "./schedule.js";
import { registerStatus } from "./status.js";
import { registerToken } from "./token.js";
import { registerDisconnect } from "./disconnect.js";
import { registerDoctor } from "./doctor.js";
import { registerEstate } from "./estate.js";
import { registerVerifyCleanup } from "./verify-cleanup.js";
import { registerVerifyReport } from "./verify-report.js";
import { registerShred } from "./shred.js";
import { registerRekey } from "./rekey.js";

/** Every command, in help order. Command modules are light: they load packages inside `run`. */
export const COMMANDS: ReadonlyArray<(program: Command, run: CommandRunner) => void> = [
  registerInit,
  registerConnect,
  registerAdopt,
  registerToken,
  registerStatus,
  registerDoctor,
  registerReplicate,
  registerNode,
  registerFailoverCheck,
  registerDisconnect,
  registerBackup,
  registerVerifyCleanup,
  registerVerifyReport,
  registerEstate,
  registerCheck,
  registerMetrics,
  registerSchedule,
  registerFingerprints,
  registerRotateKey,
  registerDemo,
  registerCompletion,
  registerShred,
  registerRekey,
];
