// The server's version, read once from its package.json (the same file in the sources and the built command).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SERVER_DIR } from './settings';

export const SERVER_VERSION = (JSON.parse(readFileSync(path.join(SERVER_DIR, 'package.json'), 'utf8')) as { version: string }).version;
