import type { Command } from "commander";
import type { CommandRunner } from "../context.js";
import { registerInit } from "./init.js";

/** Every command, in help order. Command modules are light: they load packages inside `run`. */
export const COMMANDS: ReadonlyArray<(program: Command, run: CommandRunner) => void> = [registerInit];
