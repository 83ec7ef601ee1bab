// `agent-bridge agents validate [dir]`: checks an agents folder the way the server reads it at start, without a
// database, so a config repository's CI can run it.
import { realpathSync } from 'node:fs';
import { BUNDLED_AGENTS_DIR, readAgentFolders } from './agent-files';

export interface ValidationReport {
	/** One line per problem, naming the file and the path (the messages the server refuses to start with). */
	problems: string[];
	/** One line when there is no problem. */
	summary: string;
}

const sameFolder = (a: string, b: string) => {
	try {
		return realpathSync(a) === realpathSync(b);
	} catch {
		return false;
	}
};

/**
 * Validates `dir` together with the bundled agents, as the server loads them (a duplicate of a bundled id is a
 * problem there too); validating the bundled folder itself reads it once. Which workspace a folder names is only
 * known with the database, so it is checked at start.
 */
export function validateAgentsDir(dir: string): ValidationReport {
	const { folders, errors } = readAgentFolders(dir, { bundled: !sameFolder(dir, BUNDLED_AGENTS_DIR) });
	const inFolders = folders.workspaces.reduce((n, f) => n + f.agents.list().length, 0);
	return {
		problems: errors,
		summary: `${dir}: ok, ${folders.shared.list().length} shared agents (bundled included), ${inFolders} agents in ${folders.workspaces.length} workspace folders`,
	};
}
