#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader (tsx is a dev dependency of the monorepo root).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
