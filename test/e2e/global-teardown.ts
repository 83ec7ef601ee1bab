import { readFileSync } from 'node:fs';
import path from 'node:path';
import { e2eDir, stopN8n } from './support/n8n';

export default async function globalTeardown(): Promise<void> {
	const { n8n } = JSON.parse(readFileSync(path.join(e2eDir, 'state.json'), 'utf8'));
	stopN8n(n8n.pid);
}
