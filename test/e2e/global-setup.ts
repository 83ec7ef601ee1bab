// Starts one real n8n (pinned 2.x) for the end-to-end suite, with the packed package installed.
import { packPackage, startN8n, writeSharedN8n } from './support/n8n';

export const N8N_VERSION = process.env.N8N_VERSION ?? '2.40.7';

export default async function globalSetup(): Promise<void> {
	// `npm pack` builds what the sources say now (its prepack), never a stale dist/.
	const tarball = packPackage();
	writeSharedN8n(await startN8n(N8N_VERSION, tarball));
}
