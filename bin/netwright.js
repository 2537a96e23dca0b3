#!/usr/bin/env node
// The netwright CLI. Runs the TypeScript engine through tsx's loader (no build step needed).
import { register } from 'tsx/esm/api';

register();
await import('../engine/cli.ts');
