import { readSharedN8n, stopN8n } from './support/n8n';

export default async function globalTeardown(): Promise<void> {
	stopN8n(readSharedN8n().pid);
}
